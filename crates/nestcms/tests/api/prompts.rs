//! Domain events reach people and systems: an offer sent to a client asks them to review it, a
//! contract made from it asks them to approve it (in their language), and an endpoint
//! subscribed to offer and contract events receives both, signed.

use std::time::Duration;

use nestcms_testkit::webhooks::Receiver;
use serde_json::{Value, json};

use crate::helpers::{TestApp, allow_notifications, refuse_notifications, spawn_app_with};
use crate::payments::{Shop, ok, shop};

/// The client's notifications of `kind`.
async fn told(app: &TestApp, s: &Shop, kind: &str) -> anyhow::Result<Vec<Value>> {
    let list = ok(
        app.get_as(&s.client, "/api/v1/users/me/notifications")
            .await?,
        200,
    )
    .await?;
    Ok(list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["kind"] == kind)
        .cloned()
        .collect())
}

async fn eventually(app: &TestApp, s: &Shop, kind: &str) -> anyhow::Result<Vec<Value>> {
    for _ in 0..200 {
        let got = told(app, s, kind).await?;
        if !got.is_empty() {
            return Ok(got);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("no {kind} notification")
}

#[tokio::test]
async fn an_offer_asks_its_client_to_review_and_its_contract_to_approve_and_both_reach_webhooks()
-> anyhow::Result<()> {
    let receiver = Receiver::start().await?;
    let app = spawn_app_with(|c| c.webhooks.allow_private_networks = true).await?;
    let s = shop(&app).await?;
    crate::notifications::speaks(&app, &s.client, "ar").await?;
    let hooks = format!("/api/v1/orgs/{}/webhooks", s.org);
    let sub = json!({ "url": receiver.url, "event_types": ["offer.sent", "offer.approved", "contract.awaiting_client"] });
    let endpoint = ok(app.post(Some(&s.owner), &hooks, &sub).await?, 201).await?;

    let base = format!("/api/v1/orgs/{}", s.org);
    let valid = (chrono::Utc::now().date_naive() + chrono::Duration::days(10)).to_string();
    let offer = json!({ "client_id": s.client_id, "title": "Villa extension", "scope": "Walls", "price": "450.000", "currency": "KWD", "valid_until": valid });
    let offer = ok(
        app.post(Some(&s.owner), &format!("{base}/offers"), &offer)
            .await?,
        201,
    )
    .await?;
    let review = eventually(&app, &s, "offer_to_review").await?;
    assert_eq!(review.len(), 1, "{review:?}");
    let subject = review[0]["subject"].as_str().unwrap_or_default();
    assert!(
        subject.contains("Villa extension") && subject.contains("عرض"),
        "{subject}"
    );
    assert!(
        review[0]["body"]
            .as_str()
            .unwrap_or_default()
            .contains("450.000 KWD"),
        "{review:?}"
    );

    let approve = format!(
        "{base}/offers/{}/approve",
        offer["id"].as_str().unwrap_or_default()
    );
    ok(app.post(Some(&s.client), &approve, &json!({})).await?, 201).await?;
    let sign = eventually(&app, &s, "contract_to_approve").await?;
    assert_eq!(sign.len(), 1, "{sign:?}");
    assert!(
        sign[0]["body"]
            .as_str()
            .unwrap_or_default()
            .contains("450.000 KWD"),
        "{sign:?}"
    );

    // The receiver got both events, verifiable with the endpoint's secret.
    for _ in 0..200 {
        if receiver.received().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = receiver.received();
    let mut kinds: Vec<String> = got
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .map(|b| b["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    // Each exactly once; deliveries run side by side, so the two events the approval records
    // together may arrive in either order (webhooks promise no order).
    kinds.sort();
    assert_eq!(
        kinds,
        ["contract.awaiting_client", "offer.approved", "offer.sent"]
    );
    let v = standardwebhooks::Webhook::new(endpoint["secret"].as_str().unwrap_or_default())?;
    for r in &got {
        v.verify(&r.body, &r.headers)?;
    }
    // Nothing is told twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(told(&app, &s, "offer_to_review").await?.len(), 1);
    assert_eq!(receiver.received().len(), 3);
    Ok(())
}

#[tokio::test]
async fn an_event_that_keeps_failing_does_not_hold_up_the_events_after_it() -> anyhow::Result<()> {
    let app = spawn_app_with(|_| {}).await?;
    let s = shop(&app).await?;
    refuse_notifications(&app, "NEW.subject LIKE '%Blocked%'").await?;
    let base = format!("/api/v1/orgs/{}/offers", s.org);
    let valid = (chrono::Utc::now().date_naive() + chrono::Duration::days(10)).to_string();
    for title in ["Blocked annex", "Garden wall"] {
        let offer = json!({ "client_id": s.client_id, "title": title, "scope": "Walls", "price": "450.000", "currency": "KWD", "valid_until": valid });
        ok(app.post(Some(&s.owner), &base, &offer).await?, 201).await?;
    }
    let review = eventually(&app, &s, "offer_to_review").await?;
    assert_eq!(review.len(), 1, "{review:?}");
    assert!(
        review[0]["subject"]
            .as_str()
            .unwrap_or_default()
            .contains("Garden wall"),
        "the later offer's prompt was not held up: {review:?}"
    );
    // Once the fault is gone, the next round makes the one that failed.
    allow_notifications(&app).await?;
    for _ in 0..200 {
        if told(&app, &s, "offer_to_review").await?.len() == 2 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the failed prompt was not retried")
}
