//! Errors produced by routing are problem documents too.

use crate::helpers::{problem, spawn_app};

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let body = problem(app.get("/api/v1/nothing-here").await?, 404, "not_found").await?;
    assert_eq!(body["instance"], "/api/v1/nothing-here");
    assert_eq!(body["type"], "urn:nestcms:problem:not_found");
    Ok(())
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_that_keeps_the_allow_header() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let res = app.client.delete(app.url("/health/ready")).send().await?;
    let allow = res
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(allow.contains("GET"), "Allow: {allow}");
    problem(res, 405, "method_not_allowed").await?;
    Ok(())
}

#[tokio::test]
async fn the_request_id_is_generated_or_echoed_on_every_response() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let res = app.get("/health/live").await?;
    let generated = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(generated.len(), 36, "a UUID is generated: {generated}");
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await?;
    assert_eq!(
        res.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("trace-me-42")
    );
    Ok(())
}
