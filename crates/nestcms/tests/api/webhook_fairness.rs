//! One organization's slow or flooded endpoint does not hold up another's webhooks: the
//! sender takes the oldest due message of each endpoint, several endpoints at once.

use std::time::Duration;

use nestcms_testkit::webhooks::Receiver;
use serde_json::json;

use crate::helpers::spawn_app_with;
use crate::payments::{ok, shop};

#[tokio::test]
async fn a_fast_endpoint_is_not_held_up_behind_a_slow_endpoints_backlog() -> anyhow::Result<()> {
    let app = spawn_app_with(|c| c.webhooks.allow_private_networks = true).await?;
    let s = shop(&app).await?;
    let (_, other) = app.user("owner@other.example").await?;
    let other_org = app.org(&other, "Other Builders").await?;
    let orgs = [(s.org.clone(), s.owner.clone()), (other_org, other)];
    let slow = Receiver::start().await?;
    // Slow, but within the sender's 15 s timeout; the fast message must arrive (and the test
    // look) before the first slow answer, even on a loaded machine.
    slow.answer_after(Duration::from_secs(12));
    let fast = Receiver::start().await?;
    let mut ids = Vec::new();
    for ((org, owner), r) in orgs.iter().zip([&slow, &fast]) {
        let hooks = format!("/api/v1/orgs/{org}/webhooks");
        let e = ok(
            app.post(Some(owner), &hooks, &json!({ "url": r.url }))
                .await?,
            201,
        )
        .await?;
        ids.push(format!("{hooks}/{}", e["id"].as_str().unwrap_or_default()));
    }
    // Four messages for the slow receiver first (48 s one after another), then one for the
    // fast one.
    for _ in 0..4 {
        let test = format!("{}/test", ids[0]);
        ok(app.post(Some(&orgs[0].1), &test, &json!({})).await?, 202).await?;
    }
    let test = format!("{}/test", ids[1]);
    ok(app.post(Some(&orgs[1].1), &test, &json!({})).await?, 202).await?;

    for _ in 0..160 {
        if !fast.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        fast.received().len(),
        1,
        "the fast endpoint got its message"
    );
    let messages = format!("{}/messages", ids[0]);
    let backlog = ok(app.get_as(&orgs[0].1, &messages).await?, 200).await?;
    let delivered = backlog["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["status"] == "delivered")
        .count();
    assert_eq!(
        delivered, 0,
        "it did not wait for the slow backlog: {backlog}"
    );
    assert!(slow.received().len() <= 1, "one slow message at a time");
    Ok(())
}
