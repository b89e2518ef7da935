//! The primary database going away (PostgreSQL behind a forwarder the test cuts): requests get
//! 503 `database_unavailable` within the acquire timeout, then at once from the `database`
//! breaker, readiness says 503, and everything answers again once the database returns.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::helpers::{problem, retry_after, spawn_app_with};
use crate::own_services::Cut;

#[tokio::test]
async fn with_the_primary_database_gone_requests_get_a_quick_503_and_recover_after()
-> anyhow::Result<()> {
    let Some(admin) = nestcms_testkit::service_url(
        nestcms_testkit::PG_URL_VAR,
        "with_the_primary_database_gone_requests_get_a_quick_503_and_recover_after",
    ) else {
        return Ok(());
    };
    let server = url::Url::parse(&admin)?;
    let target = tokio::net::lookup_host((
        server.host_str().unwrap_or("127.0.0.1"),
        server.port().unwrap_or(5432),
    ))
    .await?
    .next()
    .ok_or_else(|| anyhow::anyhow!("no address for {server}"))?;
    let mut cut = Cut::start(target).await?;
    let port = cut.port();
    let app = spawn_app_with(|c| {
        let direct = c
            .database
            .url
            .as_ref()
            .map(|u| u.expose_secret().to_owned());
        if let Some(mut via) = direct.and_then(|u| url::Url::parse(&u).ok())
            && via.set_port(Some(port)).is_ok()
        {
            c.database.url = Some(SecretString::from(via.to_string()));
        }
        c.database.acquire_timeout = Duration::from_secs(1);
    })
    .await?;
    assert!(
        app.config
            .database
            .url
            .as_ref()
            .is_some_and(|u| u.expose_secret().contains(&format!(":{port}/"))),
        "the service reaches the database through the forwarder"
    );
    let (_, token) = app.user("owner@outage.example").await?;
    app.org(&token, "Before the outage").await?;

    cut.cut();
    // Until the breaker has seen enough: each request waits at most the acquire timeout.
    for _ in 0..5 {
        let started = Instant::now();
        let res = app.get_as(&token, "/api/v1/users/me").await?;
        problem(res, 503, "database_unavailable").await?;
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
    // Then at once, writes included, with when to come back.
    let started = Instant::now();
    let res = app
        .post(
            Some(&token),
            "/api/v1/orgs",
            &json!({ "title": "During the outage" }),
        )
        .await?;
    let wait = retry_after(&res);
    problem(res, 503, "database_unavailable").await?;
    // Refused by the open breaker, not after the 1 s acquire timeout.
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert!((1..=5).contains(&wait), "Retry-After {wait}");
    assert_eq!(app.get("/health/ready").await?.status(), 503);
    let started = Instant::now();
    let res = app.get("/health").await?;
    assert_eq!(res.status(), 503, "unhealthy without its primary database");
    let body: serde_json::Value = res.json().await?;
    assert_eq!(body["checks"]["database"], "unhealthy");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    cut.restore().await?;
    tokio::time::sleep(Duration::from_secs(wait)).await;
    // A half-open probe that misses the acquire timeout on a loaded machine opens the breaker
    // for another 5 s, so the wait allows a few rounds.
    let mut answered = false;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if app.get_as(&token, "/api/v1/users/me").await?.status() == 200 {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(answered, "the API answers again once the database is back");
    let res = app
        .post(
            Some(&token),
            "/api/v1/orgs",
            &json!({ "title": "After the outage" }),
        )
        .await?;
    assert_eq!(res.status(), 201);
    let state = app
        .breakers
        .snapshot()
        .into_iter()
        .find(|b| b.name == "database")
        .map(|b| b.state);
    assert_eq!(state, Some(nestcms_resilience::BreakerState::Closed));
    Ok(())
}
