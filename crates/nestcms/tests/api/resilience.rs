//! The payment gateway behind its circuit breakers: an outage is shed fast with a clear 503.

use std::time::{Duration, Instant};

use nestcms_paytabs_sim::Faults;
use serde_json::json;

use crate::helpers::{problem, spawn_app_with_sim, start_sim};
use crate::payments::{ok, shop};

#[tokio::test]
async fn checkouts_during_a_gateway_outage_are_refused_fast_once_the_breaker_opens()
-> anyhow::Result<()> {
    // Exactly five failures, then the simulator would answer again: a sixth checkout refused
    // with 503 can only have been refused by the breaker, without calling PayTabs.
    let sim = start_sim(Faults {
        burst_5xx: 5,
        ..Faults::default()
    })
    .await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let mut checkouts = Vec::new();
    for i in 0..6 {
        let body = json!({ "client_id": s.client_id, "amount": format!("{}.00", 100 + i), "currency": "SAR", "description": "Deposit" });
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
        checkouts.push(format!(
            "/api/v1/orgs/{}/payments/{}/checkout",
            s.org,
            p["id"].as_str().unwrap_or_default()
        ));
    }
    for path in &checkouts[..5] {
        let res = app.post(Some(&s.client), path, &json!({})).await?;
        let retry = res.headers().get("retry-after").cloned();
        problem(res, 503, "gateway_unavailable").await?;
        assert!(retry.is_some(), "503 says when to come back");
    }
    let started = Instant::now();
    let res = app.post(Some(&s.client), &checkouts[5], &json!({})).await?;
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    problem(res, 503, "gateway_unavailable").await?;
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "shed at once"
    );
    assert!(
        (10..=15).contains(&retry),
        "until the breaker tries again: {retry}"
    );
    let breakers: serde_json::Value = serde_json::to_value(app.breakers.snapshot())?;
    let pages = breakers
        .as_array()
        .into_iter()
        .flatten()
        .find(|b| b["name"] == "paytabs.pages")
        .cloned()
        .unwrap_or_default();
    assert_eq!(pages["state"], "open", "{breakers}");
    assert_eq!(pages["refused"], 1);
    Ok(())
}
