//! Outgoing webhooks end to end: a real receiver on loopback (allowed by the operator for the
//! test), the reference Standard Webhooks verifier, retries, 410, redelivery, and the refusal
//! of private targets when not allowed.

use std::time::Duration;

use nestcms_paytabs_sim::Faults;
use nestcms_testkit::webhooks::{Received, Receiver};
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, spawn_app_with, spawn_app_with_sim_and, start_sim};
use crate::payments::{Shop, checked_out, ok, press, shop, wait_for};

/// Receivers on this machine are allowed, and retries come quickly.
fn quick(c: &mut nestcms::config::Config) {
    c.webhooks.allow_private_networks = true;
    c.webhooks.retry_schedule = Some(vec![Duration::from_millis(200).into(); 5]);
}

async fn endpoint(app: &TestApp, s: &Shop, body: Value) -> anyhow::Result<Value> {
    let path = format!("/api/v1/orgs/{}/webhooks", s.org);
    ok(app.post(Some(&s.owner), &path, &body).await?, 201).await
}

/// Waits until the receiver has `n` requests.
async fn arrived(r: &Receiver, n: usize) -> anyhow::Result<Vec<Received>> {
    for _ in 0..200 {
        if r.received().len() >= n {
            return Ok(r.received());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("{} requests, expected {n}", r.received().len())
}

fn verifies(secret: &Value, r: &Received) -> bool {
    let v = standardwebhooks::Webhook::new(secret.as_str().unwrap_or_default());
    v.is_ok_and(|v| v.verify(&r.body, &r.headers).is_ok())
}

async fn test_send(app: &TestApp, s: &Shop, id: &Value) -> anyhow::Result<Value> {
    let path = format!(
        "/api/v1/orgs/{}/webhooks/{}/test",
        s.org,
        id.as_str().unwrap_or_default()
    );
    ok(app.post(Some(&s.owner), &path, &json!({})).await?, 202).await
}

/// Waits until a message reaches `status` and returns it with its attempt log.
async fn settled(app: &TestApp, s: &Shop, message: &Value, status: &str) -> anyhow::Result<Value> {
    let path = format!(
        "/api/v1/orgs/{}/webhook-messages/{}",
        s.org,
        message.as_str().unwrap_or_default()
    );
    for _ in 0..200 {
        let m = ok(app.get_as(&s.owner, &path).await?, 200).await?;
        if m["status"] == status {
            return Ok(m);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("message {message} never became {status}")
}

#[tokio::test]
async fn every_webhook_verifies_with_the_reference_verifier_even_while_a_secret_rotates()
-> anyhow::Result<()> {
    let receiver = Receiver::start().await?;
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim_and(&sim, quick).await?;
    let s = shop(&app).await?;
    let e = endpoint(
        &app,
        &s,
        json!({ "url": receiver.url, "event_types": ["payment.paid"], "description": "ERP" }),
    )
    .await?;
    let first = e["secret"].clone();
    assert!(
        first.as_str().is_some_and(|s| s.starts_with("whsec_")),
        "{e}"
    );

    // A payment paid by the client reaches the receiver, signed.
    let (path, co) = checked_out(&app, &s, "12.500", "KWD").await?;
    press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    wait_for(&app, &s, &path, "paid").await?;
    let got = arrived(&receiver, 1).await?;
    assert!(verifies(&first, &got[0]), "{:?}", got[0]);
    assert!(got[0].id.starts_with("msg_"));
    let body: Value = serde_json::from_slice(&got[0].body)?;
    assert_eq!(body["type"], "payment.paid");
    assert_eq!(body["data"]["amount"]["minor"], 12_500);
    assert_eq!(body["data"]["amount"]["currency"], "KWD");
    assert_eq!(body["data"]["state"], "paid");

    // The secret is shown at creation only.
    let listed = ok(
        app.get_as(&s.owner, &format!("/api/v1/orgs/{}/webhooks", s.org))
            .await?,
        200,
    )
    .await?;
    assert!(listed["data"][0].get("secret").is_none(), "{listed}");

    // During a rotation both secrets verify.
    let rotate = format!(
        "/api/v1/orgs/{}/webhooks/{}/rotate-secret",
        s.org,
        e["id"].as_str().unwrap_or_default()
    );
    let r = ok(
        app.post(Some(&s.owner), &rotate, &json!({ "overlap_hours": 24 }))
            .await?,
        200,
    )
    .await?;
    let second = r["secret"].clone();
    assert_ne!(first, second);
    assert!(r["previous_secret_expires_at"].is_string(), "{r}");
    test_send(&app, &s, &e["id"]).await?;
    let got = arrived(&receiver, 2).await?;
    assert!(
        verifies(&first, &got[1]) && verifies(&second, &got[1]),
        "{:?}",
        got[1].signature
    );
    assert_eq!(got[1].signature.split(' ').count(), 2);

    // Rotated with no overlap, only the newest verifies.
    let r = ok(
        app.post(Some(&s.owner), &rotate, &json!({ "overlap_hours": 0 }))
            .await?,
        200,
    )
    .await?;
    let third = r["secret"].clone();
    test_send(&app, &s, &e["id"]).await?;
    let got = arrived(&receiver, 3).await?;
    assert!(verifies(&third, &got[2]));
    assert!(!verifies(&second, &got[2]) && !verifies(&first, &got[2]));

    // A client of the organization cannot see or manage its webhooks.
    let list = format!("/api/v1/orgs/{}/webhooks", s.org);
    problem(app.get_as(&s.client, &list).await?, 403, "forbidden").await?;
    Ok(())
}

#[tokio::test]
async fn a_receiver_that_fails_three_times_gets_one_delivery_after_four_logged_attempts()
-> anyhow::Result<()> {
    let receiver = Receiver::start().await?;
    receiver.answer_next(&[500, 503, 502]);
    let app = spawn_app_with(quick).await?;
    let s = shop(&app).await?;
    let e = endpoint(&app, &s, json!({ "url": receiver.url })).await?;
    let m = test_send(&app, &s, &e["id"]).await?;
    let done = settled(&app, &s, &m["id"], "delivered").await?;
    let log = done["attempt_log"].as_array().cloned().unwrap_or_default();
    let codes: Vec<_> = log.iter().map(|a| a["status_code"].clone()).collect();
    assert_eq!(
        codes,
        [json!(500), json!(503), json!(502), json!(204)],
        "{done}"
    );
    assert_eq!(done["attempts"], 4);
    // Nothing more is sent once it is delivered; every try carried the same id.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let got = receiver.received();
    assert_eq!(got.len(), 4);
    assert_eq!(receiver.accepted().len(), 1);
    assert!(got.iter().all(|r| r.id == got[0].id));

    // A manual redelivery sends it once more, under the same id, logged as manual.
    let again = format!(
        "/api/v1/orgs/{}/webhook-messages/{}/redeliver",
        s.org,
        m["id"].as_str().unwrap_or_default()
    );
    ok(app.post(Some(&s.owner), &again, &json!({})).await?, 202).await?;
    let got = arrived(&receiver, 5).await?;
    assert_eq!(got[4].id, got[0].id);
    let done = settled(&app, &s, &m["id"], "delivered").await?;
    assert_eq!(done["attempt_log"][4]["trigger"], "manual", "{done}");
    Ok(())
}

#[tokio::test]
async fn an_endpoint_that_answers_410_or_keeps_failing_is_switched_off() -> anyhow::Result<()> {
    let gone = Receiver::start().await?;
    gone.answer_always(410);
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim_and(&sim, |c| {
        quick(c);
        c.webhooks.retry_schedule = Some(vec![Duration::from_millis(100).into()]);
    })
    .await?;
    let s = shop(&app).await?;
    let e = endpoint(&app, &s, json!({ "url": gone.url })).await?;
    let m = test_send(&app, &s, &e["id"]).await?;
    let failed = settled(&app, &s, &m["id"], "failed").await?;
    assert_eq!(failed["attempts"], 1, "410 is not retried: {failed}");
    let one = format!(
        "/api/v1/orgs/{}/webhooks/{}",
        s.org,
        e["id"].as_str().unwrap_or_default()
    );
    let off = ok(app.get_as(&s.owner, &one).await?, 200).await?;
    assert_eq!(off["enabled"], false);
    assert_eq!(off["disabled_reason"], "gone");
    let test = format!("{one}/test");
    problem(
        app.post(Some(&s.owner), &test, &json!({})).await?,
        409,
        "endpoint_disabled",
    )
    .await?;

    // One that fails every attempt of its schedule is switched off too.
    let down = Receiver::start().await?;
    down.answer_always(500);
    let e = endpoint(&app, &s, json!({ "url": down.url })).await?;
    let one = format!(
        "/api/v1/orgs/{}/webhooks/{}",
        s.org,
        e["id"].as_str().unwrap_or_default()
    );
    // A test send that fails does not switch it off; a scheduled message does.
    let m = test_send(&app, &s, &e["id"]).await?;
    settled(&app, &s, &m["id"], "failed").await?;
    assert_eq!(
        ok(app.get_as(&s.owner, &one).await?, 200).await?["enabled"],
        true
    );
    let (path, co) = checked_out(&app, &s, "250.00", "SAR").await?;
    press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    wait_for(&app, &s, &path, "paid").await?;
    arrived(&down, 3).await?;
    let mut off = Value::Null;
    for _ in 0..100 {
        off = ok(app.get_as(&s.owner, &one).await?, 200).await?;
        if off["enabled"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(off["disabled_reason"], "failing", "{off}");
    // Switching it back on after a fix clears the reason; switching it off by hand says so.
    let back = ok(
        app.patch(&s.owner, &one, &json!({ "enabled": true }))
            .await?,
        200,
    )
    .await?;
    assert_eq!(back["disabled_reason"], Value::Null);
    assert_eq!(back["enabled"], true);
    let off = ok(
        app.patch(&s.owner, &one, &json!({ "enabled": false }))
            .await?,
        200,
    )
    .await?;
    assert_eq!(off["disabled_reason"], "manual");
    Ok(())
}

#[tokio::test]
async fn endpoints_on_loopback_or_private_addresses_are_refused_unless_the_operator_allows_them()
-> anyhow::Result<()> {
    let app = spawn_app_with(|_| {}).await?;
    let s = shop(&app).await?;
    let path = format!("/api/v1/orgs/{}/webhooks", s.org);
    for url in [
        "https://127.0.0.1:9/hook",
        "https://localhost/hook",
        "https://169.254.169.254/latest",
        "https://[::1]/x",
        "https://10.0.0.8/x",
    ] {
        let p = problem(
            app.post(Some(&s.owner), &path, &json!({ "url": url }))
                .await?,
            422,
            "webhook_target_forbidden",
        )
        .await?;
        assert_eq!(p["errors"][0]["field"], "/url", "{p}");
    }
    let bad = [
        (json!({ "url": "http://hooks.example.com/x" }), "/url"),
        (
            json!({ "url": "https://1.1.1.1/x", "event_types": ["payment.teleported"] }),
            "/event_types/0",
        ),
        (json!({ "description": "no url" }), "/url"),
    ];
    for (body, field) in bad {
        let res = app.post(Some(&s.owner), &path, &body).await?;
        let p = problem(res, 400, "validation_failed").await?;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    assert_eq!(
        ok(app.get_as(&s.owner, &path).await?, 200).await?["data"],
        json!([])
    );

    // Allowed by the operator, the same loopback receiver is accepted.
    let receiver = Receiver::start().await?;
    let allowed = spawn_app_with(quick).await?;
    let s = shop(&allowed).await?;
    endpoint(&allowed, &s, json!({ "url": receiver.url })).await?;
    Ok(())
}

#[tokio::test]
async fn an_endpoint_added_later_gets_the_events_it_missed_once_the_consumer_is_replayed()
-> anyhow::Result<()> {
    let receiver = Receiver::start().await?;
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim_and(&sim, quick).await?;
    let s = shop(&app).await?;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let (path, co) = checked_out(&app, &s, "80.00", "AED").await?;
    press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    wait_for(&app, &s, &path, "paid").await?;
    // The fan-out has seen the event (no endpoint yet): its mark is there. At scale the event
    // goes through the broker first, which a loaded machine may take a while to do.
    let seen = "SELECT CAST(COUNT(*) AS BIGINT) FROM consumer_marks m JOIN payment_events e ON e.id = m.event_id \
                WHERE m.consumer = 'webhooks' AND e.kind = 'state_changed' AND e.detail ->> 'to' = 'paid'";
    let mut marked = 0;
    for _ in 0..600 {
        let (n,): (i64,) = nestcms_store::with_pool!(app.store.primary(), |p| {
            sqlx::query_as(seen).fetch_one(p).await?
        });
        marked = n;
        if marked > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(marked, 1, "the webhooks consumer handled the payment");
    endpoint(&app, &s, json!({ "url": receiver.url })).await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        receiver.received().is_empty(),
        "nothing is sent for the past by itself"
    );

    let store = nestcms_store::Store::connect(
        &secrecy::SecretString::from(app.db.url().to_owned()),
        &nestcms_store::DbSettings::default(),
        &nestcms_resilience::Registry::default(),
    )
    .await?;
    assert!(nestcms_app::background::replay(&store, "webhooks", before).await? >= 1);
    let got = arrived(&receiver, 1).await?;
    let body: Value = serde_json::from_slice(&got[0].body)?;
    assert_eq!(body["type"], "payment.paid");
    // Replayed again, nothing new: the message exists.
    nestcms_app::background::replay(&store, "webhooks", before).await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.received().len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_receiver_that_answers_retry_after_is_not_tried_again_sooner() -> anyhow::Result<()> {
    let receiver = Receiver::start().await?;
    receiver.answer_next(&[429]);
    receiver.retry_after(2);
    // The schedule alone would try again after 200 ms.
    let app = spawn_app_with(quick).await?;
    let s = shop(&app).await?;
    let e = endpoint(&app, &s, json!({ "url": receiver.url })).await?;
    let m = test_send(&app, &s, &e["id"]).await?;
    let done = settled(&app, &s, &m["id"], "delivered").await?;
    let at = |i: usize| {
        done["attempt_log"][i]["at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    };
    let (Some(first), Some(second)) = (at(0), at(1)) else {
        anyhow::bail!("two attempts expected: {done}");
    };
    assert_eq!(done["attempt_log"][0]["status_code"], 429, "{done}");
    assert!(
        second - first >= chrono::Duration::seconds(2),
        "the receiver asked for 2 s and got {} ms",
        (second - first).num_milliseconds()
    );
    Ok(())
}
