//! `GET /metrics`: off without a token, refused with a wrong one, and counting what an operator
//! watches (here: forged PayTabs callbacks).

use secrecy::SecretString;

use crate::helpers::{TestApp, problem, spawn_app, spawn_app_with};

pub(crate) const TOKEN: &str = "scrape-token-for-tests";

pub(crate) async fn scrape(app: &TestApp) -> anyhow::Result<String> {
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await?;
    anyhow::ensure!(res.status() == 200, "metrics answered {}", res.status());
    Ok(res.text().await?)
}

/// The value of an unlabelled counter (0 before its first increment).
pub(crate) fn counter(text: &str, name: &str) -> u64 {
    text.lines()
        .filter_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .filter_map(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as u64)
        .next()
        .unwrap_or(0)
}

#[tokio::test]
async fn metrics_need_a_token_and_count_forged_callbacks() -> anyhow::Result<()> {
    let off = spawn_app().await?;
    problem(off.get("/metrics").await?, 404, "metrics_disabled").await?;

    let app = spawn_app_with(|c| c.metrics.token = Some(SecretString::from(TOKEN))).await?;
    problem(app.get("/metrics").await?, 401, "metrics_unauthorized").await?;
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-token-for-test")
        .send()
        .await?;
    problem(wrong, 401, "metrics_unauthorized").await?;

    let name = "nestcms_paytabs_callbacks_rejected_total";
    let before = counter(&scrape(&app).await?, name);
    let forged = app
        .client
        .post(app.url("/api/v1/webhooks/paytabs"))
        .header("signature", "0".repeat(64))
        .header("content-type", "application/json")
        .body(r#"{"tran_ref":"TST0000000000001","cart_id":"x"}"#)
        .send()
        .await?;
    problem(forged, 401, "invalid_signature").await?;
    let after = counter(&scrape(&app).await?, name);
    assert!(after > before, "{name}: {before} then {after}");
    Ok(())
}

#[tokio::test]
async fn requests_are_counted_and_timed_by_route_template_never_by_raw_path() -> anyhow::Result<()>
{
    let app = spawn_app_with(|c| c.metrics.token = Some(SecretString::from(TOKEN))).await?;
    let (_, owner) = app.user("counted@metrics.example").await?;
    let org = app.org(&owner, "Counted Co").await?;
    for _ in 0..3 {
        assert_eq!(
            app.get_as(&owner, &format!("/api/v1/orgs/{org}"))
                .await?
                .status(),
            200
        );
    }
    let text = scrape(&app).await?;
    let line = "nestcms_http_requests_total{method=\"GET\",route=\"/api/v1/orgs/{org_id}\",status=\"200\"}";
    assert!(counter(&text, line) >= 3, "{line} in:\n{text}");
    assert!(
        text.contains("nestcms_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/orgs/{org_id}\",status=\"200\",le=\"0.1\"}"),
        "latency is a histogram with buckets"
    );
    assert!(
        text.contains(
            "nestcms_http_requests_in_flight{method=\"GET\",route=\"/api/v1/orgs/{org_id}\"}"
        ),
        "requests in flight are gauged"
    );
    assert!(!text.contains(&org), "an id never becomes a label value");
    Ok(())
}
