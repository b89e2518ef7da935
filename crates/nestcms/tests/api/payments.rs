//! Payments through PayTabs (the simulator), end to end.

use std::time::Duration;

use nestcms_paytabs::signature::ipn_signature;
use nestcms_paytabs_sim::Faults;
use serde_json::{Value, json};

use crate::helpers::{SIM_KEY, Sim, TestApp, problem, spawn_app_with_sim, start_sim};

pub(crate) async fn ok(res: reqwest::Response, status: u16) -> anyhow::Result<Value> {
    let code = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(code == status, "expected {status}, got {code}: {body}");
    Ok(body)
}

pub(crate) struct Shop {
    pub(crate) org: String,
    pub(crate) owner: String,
    pub(crate) client_id: String,
    pub(crate) client: String,
}

pub(crate) async fn shop(app: &TestApp) -> anyhow::Result<Shop> {
    let (_, owner) = app.user("owner@pay.example").await?;
    let org = app.org(&owner, "Pay Builders").await?;
    let (client_id, client) = app.user("client@pay.example").await?;
    app.add_member(&owner, &org, "client@pay.example", "client")
        .await?;
    Ok(Shop {
        org,
        owner,
        client_id,
        client,
    })
}

/// An ad-hoc payment, checked out; returns (payment path, checkout body).
/// An ad-hoc payment created by the owner; returns its path.
pub(crate) async fn created(
    app: &TestApp,
    s: &Shop,
    amount: &str,
    currency: &str,
) -> anyhow::Result<String> {
    let body = json!({ "client_id": s.client_id, "amount": amount, "currency": currency, "description": "Site survey" });
    let p = ok(
        app.post(
            Some(&s.owner),
            &format!("/api/v1/orgs/{}/payments", s.org),
            &body,
        )
        .await?,
        201,
    )
    .await?;
    Ok(format!(
        "/api/v1/orgs/{}/payments/{}",
        s.org,
        p["id"].as_str().unwrap_or_default()
    ))
}

pub(crate) async fn checked_out(
    app: &TestApp,
    s: &Shop,
    amount: &str,
    currency: &str,
) -> anyhow::Result<(String, Value)> {
    let path = created(app, s, amount, currency).await?;
    let co = ok(
        app.post(Some(&s.client), &format!("{path}/checkout"), &json!({}))
            .await?,
        200,
    )
    .await?;
    Ok((path, co))
}

/// A payment approved on the hosted page whose IPN never comes (the simulator drops them), with
/// the form the browser will post back to us.
pub(crate) async fn awaiting_return() -> anyhow::Result<(Sim, TestApp, Shop, String, String)> {
    let (sim, app, s, path, co) = checked_out_without_ipn("75.00", "SAR").await?;
    let form = approved_return_form(&co).await?;
    Ok((sim, app, s, path, form))
}

/// The browser's return from the hosted page.
pub(crate) async fn post_return(app: &TestApp, form: String) -> anyhow::Result<reqwest::Response> {
    Ok(app
        .client
        .post(app.url("/api/v1/payments/return/paytabs"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await?)
}

/// Approves the page of checkout `co` and returns the form the browser posts back to us.
pub(crate) async fn approved_return_form(co: &Value) -> anyhow::Result<String> {
    let done: Value = reqwest::Client::new()
        .post(format!(
            "{}/complete",
            co["redirect_url"].as_str().unwrap_or_default()
        ))
        .json(&json!({ "response_status": "A" }))
        .send()
        .await?
        .json()
        .await?;
    let fields: Vec<(String, String)> = done["return_fields"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    Ok(url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&fields)
        .finish())
}

pub(crate) async fn state_of(app: &TestApp, s: &Shop, path: &str) -> anyhow::Result<Value> {
    ok(app.get_as(&s.owner, path).await?, 200).await
}

/// Polls until the payment reaches `state` (IPNs arrive asynchronously).
pub(crate) async fn wait_for(
    app: &TestApp,
    s: &Shop,
    path: &str,
    state: &str,
) -> anyhow::Result<Value> {
    // Up to 20 s: an IPN, a reconciler round or a worker starting up on a loaded machine.
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        let p = state_of(app, s, path).await?;
        if p["state"] == state {
            return Ok(p);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!(
        "payment never reached {state}: {}",
        state_of(app, s, path).await?
    )
}

pub(crate) async fn press(redirect_url: &str, status: &str) -> anyhow::Result<()> {
    let res = reqwest::Client::new()
        .post(format!("{redirect_url}/complete"))
        .json(&json!({ "response_status": status }))
        .send()
        .await?;
    anyhow::ensure!(res.status() == 200, "complete: {}", res.status());
    Ok(())
}

/// A genuine IPN body for a transaction, as the simulator would send it, with a given trace.
/// A payment checked out against a simulator that never sends IPNs.
async fn checked_out_without_ipn(
    amount: &str,
    currency: &str,
) -> anyhow::Result<(Sim, TestApp, Shop, String, Value)> {
    let sim = start_sim(Faults {
        drop_ipns: true,
        ..Faults::default()
    })
    .await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let (path, co) = checked_out(&app, &s, amount, currency).await?;
    Ok((sim, app, s, path, co))
}

/// A payment approved on the hosted page whose IPN never arrives (the simulator drops them).
pub(crate) async fn approved_without_ipn(
    amount: &str,
    currency: &str,
) -> anyhow::Result<(Sim, TestApp, Shop, String, Value)> {
    let (sim, app, s, path, co) = checked_out_without_ipn(amount, currency).await?;
    press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    Ok((sim, app, s, path, co))
}

pub(crate) async fn genuine_ipn(sim: &Sim, tran_ref: &str, trace: &str) -> anyhow::Result<Vec<u8>> {
    let mut t = sim
        .sim
        .transaction(tran_ref)
        .ok_or_else(|| anyhow::anyhow!("unknown transaction"))?;
    t.ipn_trace = Some(trace.into());
    Ok(serde_json::to_vec(&t)?)
}

pub(crate) async fn send_ipn(
    app: &TestApp,
    body: Vec<u8>,
    signature: &str,
) -> anyhow::Result<reqwest::Response> {
    Ok(app
        .client
        .post(app.url("/api/v1/webhooks/paytabs"))
        .header("signature", signature)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?)
}

fn kinds(p: &Value) -> Vec<String> {
    p["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["kind"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_instalment_is_paid_through_the_hosted_page_and_the_ipn() -> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let (eng_id, eng) = app.user("eng@pay.example").await?;
    app.add_member(&s.owner, &s.org, "eng@pay.example", "employee")
        .await?;
    let base = format!("/api/v1/orgs/{}", s.org);
    let valid = (chrono::Utc::now() + chrono::Duration::days(10))
        .date_naive()
        .to_string();
    let offer = ok(app.post(Some(&eng), &format!("{base}/offers"), &json!({ "client_id": s.client_id, "title": "Roof", "scope": "New roof", "price": "450.000", "currency": "KWD", "valid_until": valid })).await?, 201).await?;
    let _ = eng_id;
    let contract = ok(
        app.post(
            Some(&s.client),
            &format!(
                "{base}/offers/{}/approve",
                offer["id"].as_str().unwrap_or_default()
            ),
            &json!({}),
        )
        .await?,
        201,
    )
    .await?;
    let k = format!(
        "{base}/contracts/{}",
        contract["id"].as_str().unwrap_or_default()
    );
    let three = json!([{ "amount": "150.000", "due_date": "2027-01-01" }, { "amount": "150.000", "due_date": "2027-02-01" }, { "amount": "150.000", "due_date": "2027-03-01" }]);
    ok(
        app.client
            .put(app.url(&format!("{k}/instalments")))
            .bearer_auth(&s.owner)
            .json(&three)
            .send()
            .await?,
        200,
    )
    .await?;
    ok(
        app.post(Some(&s.client), &format!("{k}/approve"), &json!({}))
            .await?,
        200,
    )
    .await?;

    let body = json!({ "contract_id": contract["id"], "instalment": 1, "description": "Roof, instalment 1 of 3" });
    let p = ok(
        app.post(Some(&s.owner), &format!("{base}/payments"), &body)
            .await?,
        201,
    )
    .await?;
    assert_eq!(
        (
            p["amount"].as_str(),
            p["currency"].as_str(),
            p["state"].as_str()
        ),
        (Some("150.000"), Some("KWD"), Some("created"))
    );
    problem(
        app.post(Some(&s.owner), &format!("{base}/payments"), &body)
            .await?,
        409,
        "instalment_has_payment",
    )
    .await?;
    let path = format!("{base}/payments/{}", p["id"].as_str().unwrap_or_default());
    let co = ok(
        app.post(Some(&s.client), &format!("{path}/checkout"), &json!({}))
            .await?,
        200,
    )
    .await?;
    let redirect = co["redirect_url"].as_str().unwrap_or_default().to_owned();
    assert!(
        redirect.starts_with(&format!("{}/payment/page/", sim.url)),
        "{co}"
    );
    assert_eq!(co["state"], "pending");
    let again = ok(
        app.post(Some(&s.client), &format!("{path}/checkout"), &json!({}))
            .await?,
        200,
    )
    .await?;
    assert_eq!(
        again["redirect_url"],
        redirect.as_str(),
        "the same live page, never a second charge"
    );

    press(&redirect, "A").await?;
    let paid = wait_for(&app, &s, &path, "paid").await?;
    let k = kinds(&paid);
    for expected in [
        "created",
        "page_issued",
        "ipn_received",
        "verified",
        "state_changed",
    ] {
        assert!(k.contains(&expected.to_owned()), "{expected} in {k:?}");
    }
    assert_eq!(
        sim.sim
            .transaction(co["tran_ref"].as_str().unwrap_or_default())
            .map(|t| t.cart_amount),
        Some("150.000".into())
    );
    Ok(())
}

#[tokio::test]
async fn a_declined_card_is_declined_and_never_paid() -> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let mut events = app.payments.subscribe();
    let (path, co) = checked_out(&app, &s, "99.50", "SAR").await?;
    press(co["redirect_url"].as_str().unwrap_or_default(), "D").await?;
    wait_for(&app, &s, &path, "declined").await?;
    let mut published = Vec::new();
    while let Ok(e) = events.try_recv() {
        published.push((
            e.kind,
            e.detail["to"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    assert!(
        published.contains(&("state_changed".into(), "declined".into())),
        "events are published in-process too: {published:?}"
    );
    problem(
        app.post(
            Some(&s.owner),
            &format!("{path}/refunds"),
            &json!({ "amount": "1.00", "reason": "x" }),
        )
        .await?,
        409,
        "not_refundable",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn forged_ipns_change_nothing_and_ten_genuine_redeliveries_apply_once() -> anyhow::Result<()>
{
    let (sim, app, s, path, co) = approved_without_ipn("1500.50", "SAR").await?;
    let tran_ref = co["tran_ref"].as_str().unwrap_or_default().to_owned();

    let body = genuine_ipn(&sim, &tran_ref, "IPNS0101.TEST.0001").await?;
    let signature = ipn_signature(SIM_KEY, &body);
    let mut tampered = body.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 1;
    problem(
        send_ipn(&app, tampered, &signature).await?,
        401,
        "invalid_signature",
    )
    .await?;
    problem(
        send_ipn(&app, body.clone(), "0".repeat(64).as_str()).await?,
        401,
        "invalid_signature",
    )
    .await?;
    assert_eq!(
        state_of(&app, &s, &path).await?["state"],
        "pending",
        "nothing changed"
    );

    let sends = (0..10).map(|_| send_ipn(&app, body.clone(), &signature));
    for res in futures::future::join_all(sends).await {
        assert_eq!(res?.status(), 200);
    }
    let p = state_of(&app, &s, &path).await?;
    assert_eq!(p["state"], "paid");
    let to_paid = p["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["kind"] == "state_changed" && e["detail"]["to"] == "paid")
        .count();
    assert_eq!(to_paid, 1, "one transition, one state_changed event");
    assert_eq!(
        kinds(&p).iter().filter(|k| *k == "ipn_received").count(),
        1,
        "redeliveries are recognised"
    );
    Ok(())
}

#[tokio::test]
async fn a_signed_callback_for_a_different_amount_holds_the_payment_for_review()
-> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let (path, _) = checked_out(&app, &s, "500.00", "SAR").await?;
    let payment_id = path.rsplit('/').next().unwrap_or_default().to_owned();
    // Someone opens a second page for the same cart with a smaller amount and pays that.
    let client = sim.client()?;
    let rogue = client
        .create_page(nestcms_paytabs::wire::PaymentRequest {
            profile_id: 0,
            tran_type: nestcms_paytabs::wire::TranType::Sale,
            tran_class: "ecom",
            cart_id: payment_id,
            cart_description: "x".into(),
            cart_currency: "SAR".into(),
            cart_amount: nestcms_paytabs::Amount::new(100, 2),
            callback: Some(app.url("/api/v1/webhooks/paytabs")),
            return_url: None,
            paypage_lang: None,
            customer_details: None,
            hide_shipping: None,
        })
        .await?;
    press(&rogue.redirect_url, "A").await?;
    let held = wait_for(&app, &s, &path, "on_hold").await?;
    assert!(kinds(&held).contains(&"held_for_review".to_owned()));
    Ok(())
}

#[tokio::test]
async fn refunds_never_exceed_what_was_paid_even_concurrently() -> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let (path, co) = checked_out(&app, &s, "100.00", "SAR").await?;
    press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    wait_for(&app, &s, &path, "paid").await?;
    let refunds = format!("{path}/refunds");
    let r = ok(
        app.post(
            Some(&s.owner),
            &refunds,
            &json!({ "amount": "30.00", "reason": "Tiles returned" }),
        )
        .await?,
        201,
    )
    .await?;
    assert_eq!(r["state"], "succeeded");
    assert_eq!(
        state_of(&app, &s, &path).await?["state"],
        "partially_refunded"
    );
    let body = problem(
        app.post(
            Some(&s.owner),
            &refunds,
            &json!({ "amount": "70.01", "reason": "Too much" }),
        )
        .await?,
        422,
        "refund_exceeds_remaining",
    )
    .await?;
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("70.00"),
        "{body}"
    );
    problem(
        app.post(
            Some(&s.owner),
            &refunds,
            &json!({ "amount": "1.001", "reason": "x" }),
        )
        .await?,
        400,
        "validation_failed",
    )
    .await?;
    problem(
        app.post(
            Some(&s.client),
            &refunds,
            &json!({ "amount": "1.00", "reason": "x" }),
        )
        .await?,
        403,
        "forbidden",
    )
    .await?;

    // Two refunds of 40 against the 70 that remain: exactly one goes through.
    let (body_a, body_b) = (
        json!({ "amount": "40.00", "reason": "A" }),
        json!({ "amount": "40.00", "reason": "B" }),
    );
    let a = app.post(Some(&s.owner), &refunds, &body_a);
    let b = app.post(Some(&s.owner), &refunds, &body_b);
    let (a, b) = tokio::join!(a, b);
    let mut codes = [a?.status().as_u16(), b?.status().as_u16()];
    codes.sort_unstable();
    assert_eq!(codes, [201, 422]);
    let p = state_of(&app, &s, &path).await?;
    assert_eq!(
        (p["refunded"].as_str(), p["state"].as_str()),
        (Some("70.00"), Some("partially_refunded"))
    );
    ok(
        app.post(
            Some(&s.owner),
            &refunds,
            &json!({ "amount": "30.00", "reason": "Rest" }),
        )
        .await?,
        201,
    )
    .await?;
    assert_eq!(state_of(&app, &s, &path).await?["state"], "refunded");
    Ok(())
}

#[tokio::test]
async fn the_reconciler_settles_a_payment_whose_ipn_never_came() -> anyhow::Result<()> {
    let (_sim, app, s, path, _) = approved_without_ipn("250.00", "AED").await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        state_of(&app, &s, &path).await?["state"],
        "pending",
        "no IPN arrived"
    );
    // The server goes down before any IPN and comes back: the reconciler settles.
    let app = app.restart().await?;
    let settled = app
        .payments
        .reconcile(chrono::Duration::zero(), chrono::Duration::minutes(30))
        .await?;
    assert_eq!(settled, 1);
    let p = state_of(&app, &s, &path).await?;
    assert_eq!(p["state"], "paid");
    assert!(
        p["events"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["source"] == "reconciler")
    );

    // A page nobody used expires once its validity is over.
    let (stale, _) = checked_out(&app, &s, "10.00", "AED").await?;
    app.payments
        .reconcile(chrono::Duration::zero(), chrono::Duration::zero())
        .await?;
    assert_eq!(state_of(&app, &s, &stale).await?["state"], "expired");
    Ok(())
}

#[tokio::test]
async fn a_separate_worker_settles_payments_whose_ipn_never_came() -> anyhow::Result<()> {
    let (_sim, app, s, path, _) = approved_without_ipn("64.000", "BHD").await?;

    let mut config = app.config.clone();
    config.paytabs.reconcile_after = Duration::ZERO;
    config.paytabs.reconcile_interval = Duration::from_millis(100);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(async move {
        nestcms::startup::worker(&config, async {
            let _ = stopped.await;
        })
        .await
    });
    let settled = wait_for(&app, &s, &path, "paid").await;
    let _ = stop.send(());
    worker.await??;
    settled?;

    let mut bare = app.config.clone();
    bare.paytabs.server_key = None;
    let refused = nestcms::startup::worker(&bare, async {}).await.err();
    assert!(
        refused.is_some_and(|e| e.to_string().contains("paytabs.server_key")),
        "a worker without a gateway says what is missing"
    );
    Ok(())
}

#[tokio::test]
async fn a_refund_the_gateway_never_confirmed_is_settled_by_the_reconciler() -> anyhow::Result<()> {
    // A gateway that would execute the same refund twice: only our lease prevents it.
    let sim = crate::helpers::start_sim_deduping(Faults::default(), Duration::ZERO).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let (path, co) = checked_out(&app, &s, "80.00", "SAR").await?;
    press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    wait_for(&app, &s, &path, "paid").await?;

    // The gateway is down when the refund is asked for: it stays pending, the money reserved.
    sim.sim.fail_next(1);
    let refund = app
        .post(
            Some(&s.owner),
            &format!("{path}/refunds"),
            &json!({ "amount": "30.00", "reason": "Gateway down" }),
        )
        .await?;
    let refund = ok(refund, 201).await?;
    assert_eq!(refund["state"], "pending");
    problem(
        app.post(
            Some(&s.owner),
            &format!("{path}/refunds"),
            &json!({ "amount": "60.00", "reason": "Too much" }),
        )
        .await?,
        422,
        "refund_exceeds_remaining",
    )
    .await?;

    // Two reconcilers (two instances) find the gateway never got it: one sends it and settles
    // it, the other keeps off.
    let (one, two) = tokio::join!(
        app.payments.reconcile_refunds(chrono::Duration::zero()),
        app.payments.reconcile_refunds(chrono::Duration::zero())
    );
    assert_eq!(one? + two?, 1);
    assert_eq!(
        app.payments
            .reconcile_refunds(chrono::Duration::zero())
            .await?,
        0
    );
    let at_gateway = sim
        .client()?
        .query_cart(refund["id"].as_str().unwrap_or_default())
        .await?;
    assert_eq!(at_gateway.len(), 1, "the gateway refunded once");
    let p = state_of(&app, &s, &path).await?;
    assert_eq!(
        (p["state"].as_str(), p["refunded"].as_str()),
        (Some("partially_refunded"), Some("30.00"))
    );
    assert_eq!(p["refunds"][0]["state"], "succeeded");
    assert_eq!(
        kinds(&p).iter().filter(|k| *k == "refund_settled").count(),
        1
    );
    Ok(())
}

#[tokio::test]
async fn the_browser_return_is_verified_and_lands_on_the_true_state() -> anyhow::Result<()> {
    let (_sim, app, s, path, form) = awaiting_return().await?;
    let res = post_return(&app, form.clone()).await?;
    assert_eq!(res.status(), 303);
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let page = app
        .client
        .get(app.url(&location))
        .send()
        .await?
        .text()
        .await?;
    assert!(
        page.contains("payment was received"),
        "the return confirms with the gateway: {page}"
    );
    assert_eq!(state_of(&app, &s, &path).await?["state"], "paid");
    let forged = form.replace("respStatus=A", "respStatus=D");
    let res = app
        .client
        .get(app.url(&format!("/api/v1/payments/return/paytabs?{forged}")))
        .send()
        .await?;
    assert_eq!(res.status(), 401, "a forged return is refused");
    Ok(())
}

#[tokio::test]
async fn without_credentials_the_built_in_sandbox_simulator_takes_the_payment() -> anyhow::Result<()>
{
    let app = crate::helpers::spawn_app().await?;
    let s = shop(&app).await?;
    let (path, co) = checked_out(&app, &s, "42.000", "KWD").await?;
    let redirect = co["redirect_url"].as_str().unwrap_or_default().to_owned();
    assert!(
        redirect.starts_with(&app.url("/sim/paytabs/payment/page/")),
        "{redirect}"
    );
    let page = app.client.get(&redirect).send().await?.text().await?;
    assert!(
        page.contains("SANDBOX") && page.contains("42.000 KWD"),
        "the page says it is a sandbox: {page}"
    );
    press(&redirect, "A").await?;
    wait_for(&app, &s, &path, "paid").await?;
    Ok(())
}
