//! A contract shows each instalment as due, paid or overdue, with its payment; paying it
//! through PayTabs marks it paid, and a full refund makes it owed (and payable) again.

use nestcms_paytabs_sim::Faults;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with_sim, start_sim};
use crate::payments::{Shop, ok, press, shop, wait_for};

/// A contract of three KWD instalments (the first due yesterday), approved by the client;
/// returns its path and id.
async fn approved_contract(app: &TestApp, s: &Shop) -> anyhow::Result<(String, String)> {
    approved_contract_due(app, s, [-1, 30, 60]).await
}

/// A contract of three KWD instalments of 150.000, due that many days from today, approved
/// by the client; returns its path and id.
/// An offer of `price` the client approved: the id of its contract, in review.
pub(crate) async fn contract_in_review(
    app: &TestApp,
    s: &Shop,
    price: &str,
    currency: &str,
) -> anyhow::Result<String> {
    let base = format!("/api/v1/orgs/{}", s.org);
    let valid = (chrono::Utc::now().date_naive() + chrono::Duration::days(10)).to_string();
    let offer = json!({ "client_id": s.client_id, "title": "Villa", "scope": "Walls", "price": price, "currency": currency, "valid_until": valid });
    let offer = ok(
        app.post(Some(&s.owner), &format!("{base}/offers"), &offer)
            .await?,
        201,
    )
    .await?;
    let approve = format!(
        "{base}/offers/{}/approve",
        offer["id"].as_str().unwrap_or_default()
    );
    let contract = ok(app.post(Some(&s.client), &approve, &json!({})).await?, 201).await?;
    Ok(contract["id"].as_str().unwrap_or_default().to_owned())
}

pub(crate) async fn approved_contract_due(
    app: &TestApp,
    s: &Shop,
    days: [i64; 3],
) -> anyhow::Result<(String, String)> {
    let base = format!("/api/v1/orgs/{}", s.org);
    let today = chrono::Utc::now().date_naive();
    let id = contract_in_review(app, s, "450.000", "KWD").await?;
    let k = format!("{base}/contracts/{id}");
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let three = json!([
        { "amount": "150.000", "due_date": day(days[0]) },
        { "amount": "150.000", "due_date": day(days[1]) },
        { "amount": "150.000", "due_date": day(days[2]) },
    ]);
    let res = app
        .client
        .put(app.url(&format!("{k}/instalments")))
        .bearer_auth(&s.owner)
        .json(&three)
        .send()
        .await?;
    ok(res, 200).await?;
    let before = standing(app, s, &k).await?;
    assert!(
        before.len() == 3 && before.iter().all(|(status, _)| status == "scheduled"),
        "nothing is owed before the client approves: {before:?}"
    );
    ok(
        app.post(Some(&s.client), &format!("{k}/approve"), &json!({}))
            .await?,
        200,
    )
    .await?;
    Ok((k, id))
}

/// `(status, payment_state)` of each instalment, as the client sees the contract.
async fn standing(app: &TestApp, s: &Shop, k: &str) -> anyhow::Result<Vec<(String, Value)>> {
    let body = ok(app.get_as(&s.client, k).await?, 200).await?;
    Ok(body["schedule"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            (
                i["status"].as_str().unwrap_or_default().to_owned(),
                i["payment_state"].clone(),
            )
        })
        .collect())
}

/// A payment for instalment `seq` of the contract, created by the owner; returns its path.
pub(crate) async fn pay_instalment(
    app: &TestApp,
    s: &Shop,
    contract: &str,
    seq: u32,
) -> anyhow::Result<reqwest::Response> {
    let body =
        json!({ "contract_id": contract, "instalment": seq, "description": "Villa instalment" });
    app.post(
        Some(&s.owner),
        &format!("/api/v1/orgs/{}/payments", s.org),
        &body,
    )
    .await
}

#[tokio::test]
async fn the_contract_shows_an_instalment_paid_then_owed_again_after_a_full_refund()
-> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let (k, contract) = approved_contract(&app, &s).await?;
    assert_eq!(
        standing(&app, &s, &k).await?,
        [
            ("overdue".to_owned(), Value::Null),
            ("due".to_owned(), Value::Null),
            ("due".to_owned(), Value::Null),
        ]
    );

    let p = ok(pay_instalment(&app, &s, &contract, 1).await?, 201).await?;
    let path = format!(
        "/api/v1/orgs/{}/payments/{}",
        s.org,
        p["id"].as_str().unwrap_or_default()
    );
    let co = ok(
        app.post(Some(&s.client), &format!("{path}/checkout"), &json!({}))
            .await?,
        200,
    )
    .await?;
    assert_eq!(
        standing(&app, &s, &k).await?[0],
        ("overdue".to_owned(), json!("pending"))
    );
    press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    wait_for(&app, &s, &path, "paid").await?;
    let body = ok(app.get_as(&s.client, &k).await?, 200).await?;
    assert_eq!(body["schedule"][0]["status"], "paid");
    assert_eq!(body["schedule"][0]["payment_id"], p["id"]);
    assert_eq!(body["schedule"][0]["amount"], "150.000");
    assert_eq!(body["schedule"][1]["status"], "due");

    let refund = json!({ "amount": "150.000", "reason": "Works postponed" });
    ok(
        app.post(Some(&s.owner), &format!("{path}/refunds"), &refund)
            .await?,
        201,
    )
    .await?;
    assert_eq!(
        standing(&app, &s, &k).await?[0],
        ("overdue".to_owned(), json!("refunded")),
        "fully refunded: owed again"
    );
    // And payable again: the refunded payment no longer holds the instalment.
    ok(pay_instalment(&app, &s, &contract, 1).await?, 201).await?;
    assert_eq!(
        standing(&app, &s, &k).await?[0],
        ("overdue".to_owned(), json!("created"))
    );
    Ok(())
}

/// Pays instalment `seq`; returns the payment's path.
pub(crate) async fn paid_instalment(
    app: &TestApp,
    s: &Shop,
    contract: &str,
    seq: u32,
) -> anyhow::Result<String> {
    let p = ok(pay_instalment(app, s, contract, seq).await?, 201).await?;
    let path = format!(
        "/api/v1/orgs/{}/payments/{}",
        s.org,
        p["id"].as_str().unwrap_or_default()
    );
    let co = ok(
        app.post(Some(&s.client), &format!("{path}/checkout"), &json!({}))
            .await?,
        200,
    )
    .await?;
    press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    wait_for(app, s, &path, "paid").await?;
    Ok(path)
}
