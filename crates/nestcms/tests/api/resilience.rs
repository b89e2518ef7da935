//! The payment gateway behind its circuit breakers: an outage is shed fast with a clear 503.

use nestcms_paytabs_sim::Faults;
use serde_json::json;

use crate::helpers::{problem, retry_after, spawn_app_with_sim, start_sim};
use crate::payments::shop;

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
        let path = crate::payments::created(&app, &s, &format!("{}.00", 100 + i), "SAR").await?;
        checkouts.push(format!("{path}/checkout"));
    }
    for path in &checkouts[..5] {
        let res = app.post(Some(&s.client), path, &json!({})).await?;
        let retry = res.headers().get("retry-after").cloned();
        problem(res, 503, "gateway_unavailable").await?;
        assert!(retry.is_some(), "503 says when to come back");
    }
    let res = app.post(Some(&s.client), &checkouts[5], &json!({})).await?;
    let retry = retry_after(&res);
    problem(res, 503, "gateway_unavailable").await?;
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

#[tokio::test]
async fn a_callback_from_outside_the_allowed_networks_is_refused_and_counted() -> anyhow::Result<()>
{
    // The simulator delivers no IPN of its own: the test sends it, from chosen addresses.
    let sim = start_sim(Faults {
        drop_ipns: true,
        ..Faults::default()
    })
    .await?;
    let app = crate::helpers::spawn_app_with_sim_and(&sim, |c| {
        c.paytabs.callback_allow_cidrs = vec!["203.0.113.0/24".into()];
        c.server.trust_forwarded_for = true;
        c.metrics.token = Some(secrecy::SecretString::from(crate::metrics::TOKEN));
    })
    .await?;
    let s = shop(&app).await?;
    let (path, co) = crate::payments::checked_out(&app, &s, "100.00", "SAR").await?;
    crate::payments::press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    let tran_ref = co["tran_ref"].as_str().unwrap_or_default();
    let body = crate::payments::genuine_ipn(&sim, tran_ref, "IPN.PERIMETER.1").await?;
    let signature = nestcms_paytabs::signature::ipn_signature(crate::helpers::SIM_KEY, &body);
    let before = crate::metrics::scrape(&app).await?;
    let res = crate::payments::send_ipn(&app, body.clone(), &signature).await?;
    problem(res, 403, "callback_source_not_allowed").await?;
    assert_eq!(
        crate::payments::state_of(&app, &s, &path).await?["state"],
        "pending",
        "nothing changed"
    );
    let after = crate::metrics::scrape(&app).await?;
    let refused = |text: &str| {
        crate::metrics::counter(
            text,
            "nestcms_paytabs_callbacks_refused_total{reason=\"not_allowed\"}",
        )
    };
    assert!(refused(&after) > refused(&before), "counted:\n{after}");
    // From the gateway's network (as the proxy in front reports it), the same callback applies.
    let res = app
        .client
        .post(app.url("/api/v1/webhooks/paytabs"))
        .header("signature", &signature)
        .header("content-type", "application/json")
        .header("x-forwarded-for", "203.0.113.20")
        .body(body)
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    crate::payments::wait_for(&app, &s, &path, "paid").await?;
    Ok(())
}

#[tokio::test]
async fn a_refund_is_refused_before_anything_is_reserved_while_follow_ups_are_refused()
-> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let (path, co) = crate::payments::checked_out(&app, &s, "100.00", "SAR").await?;
    crate::payments::press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    crate::payments::wait_for(&app, &s, &path, "paid").await?;
    // Five failed follow-ups open the real breaker the gateway uses.
    let follow_ups = app.breakers.breaker(
        "paytabs.follow_ups",
        nestcms_resilience::BreakerConfig::default(),
    );
    for _ in 0..5 {
        let _ = follow_ups
            .call(|| async { Err::<(), _>("502") }, |_| true)
            .await;
    }
    let refund = json!({ "amount": "30.00", "reason": "Tiles returned" });
    let res = app
        .post(Some(&s.owner), &format!("{path}/refunds"), &refund)
        .await?;
    assert!(res.headers().get("retry-after").is_some());
    problem(res, 503, "gateway_unavailable").await?;
    let p = crate::payments::state_of(&app, &s, &path).await?;
    assert_eq!(p["state"], "paid");
    assert!(
        !p.to_string().contains("refund_requested"),
        "nothing was reserved: {p}"
    );
    Ok(())
}

#[tokio::test]
async fn a_gateway_that_asks_to_wait_is_asked_again_no_sooner() -> anyhow::Result<()> {
    let (sim, app, s, path, form) = crate::payments::awaiting_return().await?;
    // The next call is answered 503 with `Retry-After: 1`; the return's lookup is a query, so
    // it is asked again, a second later at the earliest, and lands on the true state.
    sim.sim.fail_next(1);
    let started = std::time::Instant::now();
    let res = crate::payments::post_return(&app, form).await?;
    let took = started.elapsed();
    assert_eq!(res.status(), 303);
    assert!(
        took >= std::time::Duration::from_secs(1),
        "asked again after {took:?}, before the gateway's Retry-After"
    );
    assert_eq!(
        crate::payments::state_of(&app, &s, &path).await?["state"],
        "paid"
    );
    Ok(())
}
