//! Rate limits: per user on money-moving routes, the IETF headers, and one budget for every
//! instance when Redis is shared.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;

use crate::helpers::{problem, retry_after, spawn_app_with};
use crate::own_services::OwnRedis;
use crate::payments::shop;

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_user_over_the_money_budget_gets_429_with_the_policy_headers() -> anyhow::Result<()> {
    let app = spawn_app_with(|c| {
        c.server.rate_limits.enabled = true;
        c.server.rate_limits.auth.per_address = 0;
        c.server.rate_limits.money.per_user = 3;
        c.server.rate_limits.money.window = Duration::from_secs(60);
    })
    .await?;
    let s = shop(&app).await?;
    let url = format!("/api/v1/orgs/{}/payments", s.org);
    let body = json!({ "client_id": s.client_id, "amount": "10.00", "currency": "SAR", "description": "Deposit" });
    for remaining in [2, 1, 0] {
        let res = app.post(Some(&s.owner), &url, &body).await?;
        assert_eq!(res.status(), 201);
        assert_eq!(header(&res, "ratelimit-policy"), "\"money-user\";q=3;w=60");
        assert!(
            header(&res, "ratelimit").starts_with(&format!("\"money-user\";r={remaining};t=")),
            "{}",
            header(&res, "ratelimit")
        );
    }
    let res = app.post(Some(&s.owner), &url, &body).await?;
    let retry = retry_after(&res);
    problem(res, 429, "rate_limited").await?;
    assert!(
        (1..=20).contains(&retry),
        "one interval of 60 s / 3: {retry}"
    );
    let res = app.get_as(&s.owner, &url).await?;
    assert_eq!(res.status(), 200, "reads have their own budget");
    Ok(())
}

#[tokio::test]
async fn two_instances_sharing_redis_admit_exactly_one_budget() -> anyhow::Result<()> {
    let Some(url) = nestcms_testkit::service_url(
        nestcms_testkit::REDIS_URL_VAR,
        "two_instances_sharing_redis_admit_exactly_one_budget",
    ) else {
        return Ok(());
    };
    let a = spawn_app_with(|c| {
        c.cache.url = Some(SecretString::from(url.clone()));
        c.cache.prefix = format!("nestcms-test-{}", uuid::Uuid::now_v7());
        c.server.rate_limits.enabled = true;
        c.server.rate_limits.auth.per_address = 0;
        c.server.rate_limits.api.per_user = 6;
    })
    .await?;
    let b = a.twin().await?;
    let (_, token) = a.user("busy@limits.example").await?;
    let mut allowed = 0;
    for i in 0..12 {
        let base = if i % 2 == 0 {
            a.url("")
        } else {
            b.base.clone()
        };
        let res = a
            .client
            .get(format!("{base}/api/v1/orgs"))
            .bearer_auth(&token)
            .send()
            .await?;
        match res.status().as_u16() {
            200 => allowed += 1,
            429 => {}
            other => anyhow::bail!("unexpected {other}"),
        }
    }
    assert_eq!(allowed, 6, "six between the two instances, not six each");
    Ok(())
}

#[tokio::test]
async fn limits_fall_back_to_memory_while_redis_is_down_and_share_again_when_it_returns()
-> anyhow::Result<()> {
    let mut redis = OwnRedis::start()?;
    let app = spawn_app_with(|c| {
        c.cache.url = Some(SecretString::from(redis.url()));
        c.server.rate_limits.enabled = true;
        c.server.rate_limits.auth.per_address = 0;
        c.server.rate_limits.api.per_user = 3;
    })
    .await?;
    let (_, token) = app.user("steady@limits.example").await?;
    let statuses = |n: usize| {
        let (app, token) = (&app, token.clone());
        async move {
            let mut out = Vec::new();
            for _ in 0..n {
                out.push(app.get_as(&token, "/api/v1/orgs").await?.status().as_u16());
            }
            anyhow::Ok(out)
        }
    };
    assert_eq!(
        statuses(4).await?,
        [200, 200, 200, 429],
        "shared through Redis"
    );
    redis.stop();
    let started = std::time::Instant::now();
    let during = statuses(4).await?;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no request hangs on the dead Redis"
    );
    assert_eq!(
        during,
        [200, 200, 200, 429],
        "the same budget, kept in memory: {during:?}"
    );
    redis.restart()?;
    // The connection comes back on its own; the fresh Redis has a fresh budget.
    let mut back = Vec::new();
    // Within the Redis breaker's open time (5 s) and its probes.
    for _ in 0..150 {
        back = statuses(1).await?;
        if back == [200] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(back, [200]);
    assert_eq!(
        statuses(3).await?,
        [200, 200, 429],
        "counted in Redis again"
    );
    Ok(())
}
