//! Public article answers are cached, and a write through any instance is seen by the next read
//! on every instance: in memory for one instance, through Redis for two (`NESTCMS_TEST_REDIS_URL`,
//! set by CI's at-scale run).

use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

async fn read(client: &reqwest::Client, url: &str) -> anyhow::Result<(String, Value)> {
    let res = client.get(url).send().await?;
    anyhow::ensure!(res.status() == 200, "{url}: {}", res.status());
    let outcome = res
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok((outcome, res.json().await?))
}

/// A published article: where its editor changes it, with what token, and its public URL.
struct Published {
    path: String,
    token: String,
    url: String,
}

async fn published(app: &TestApp) -> anyhow::Result<Published> {
    let (_, owner) = app.user("editor@cache.example").await?;
    let org = app.org(&owner, "Cache Co").await?;
    let res = app
        .post(
            Some(&owner),
            &format!("/api/v1/orgs/{org}/articles"),
            &json!({ "title": "Curing concrete", "body": "Seven days.", "status": "published" }),
        )
        .await?;
    anyhow::ensure!(res.status() == 201, "create: {}", res.status());
    let a: Value = res.json().await?;
    let id = a["id"].as_str().unwrap_or_default();
    Ok(Published {
        path: format!("/api/v1/orgs/{org}/articles/{id}"),
        token: owner,
        url: app.url("/api/v1/articles/curing-concrete"),
    })
}

async fn retitle(app: &TestApp, a: &Published, title: &str) -> anyhow::Result<()> {
    let res = app
        .patch(&a.token, &a.path, &json!({ "title": title }))
        .await?;
    anyhow::ensure!(res.status() == 200, "patch: {}", res.status());
    Ok(())
}

#[tokio::test]
async fn a_cached_article_is_refreshed_by_the_next_read_after_an_edit() -> anyhow::Result<()> {
    let app = spawn_app_with(|_| {}).await?;
    let article = published(&app).await?;
    let url = article.url.clone();
    assert_eq!(read(&app.client, &url).await?.0, "miss");
    let (outcome, first) = read(&app.client, &url).await?;
    assert_eq!(
        (outcome.as_str(), first["title"].as_str()),
        ("hit", Some("Curing concrete"))
    );
    retitle(&app, &article, "Curing concrete in summer").await?;
    let (outcome, after) = read(&app.client, &url).await?;
    assert_eq!(
        (outcome.as_str(), after["title"].as_str()),
        ("miss", Some("Curing concrete in summer"))
    );
    let list = read(&app.client, &app.url("/api/v1/articles")).await?.1;
    assert_eq!(list["data"][0]["title"], "Curing concrete in summer");
    Ok(())
}

#[tokio::test]
async fn with_redis_an_edit_on_one_instance_is_seen_by_another() -> anyhow::Result<()> {
    let Some(url) = nestcms_testkit::service_url(
        nestcms_testkit::REDIS_URL_VAR,
        "with_redis_an_edit_on_one_instance_is_seen_by_another",
    ) else {
        return Ok(());
    };
    let a = spawn_app_with(|c| {
        c.cache.url = Some(SecretString::from(url.clone()));
        c.cache.prefix = format!("nestcms-test-{}", uuid::Uuid::now_v7());
    })
    .await?;
    let b = a.twin().await?;
    let article = published(&a).await?;
    let on_b = format!("{}/api/v1/articles/curing-concrete", b.base);
    read(&a.client, &on_b).await?;
    assert_eq!(read(&a.client, &on_b).await?.0, "hit", "b caches it");
    retitle(&a, &article, "Curing concrete, revised").await?;
    let (_, seen) = read(&a.client, &on_b).await?;
    assert_eq!(
        seen["title"], "Curing concrete, revised",
        "the edit made on a is what b serves next"
    );
    Ok(())
}

#[tokio::test]
async fn with_redis_stopped_public_reads_come_from_the_database_without_waiting()
-> anyhow::Result<()> {
    let mut redis = crate::own_services::OwnRedis::start()?;
    let app = spawn_app_with(|c| c.cache.url = Some(SecretString::from(redis.url()))).await?;
    published(&app).await?;
    let url = app.url("/api/v1/articles/curing-concrete");
    read(&app.client, &url).await?;
    assert_eq!(read(&app.client, &url).await?.0, "hit");
    redis.stop();
    let started = std::time::Instant::now();
    let (source, body) = read(&app.client, &url).await?;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "no hang: {:?}",
        started.elapsed()
    );
    assert_eq!(
        (source.as_str(), &body["title"]),
        ("miss", &serde_json::json!("Curing concrete"))
    );
    redis.restart()?;
    let mut seen = String::new();
    // Within the Redis breaker's open time (5 s) and its probes.
    for _ in 0..150 {
        read(&app.client, &url).await?;
        seen = read(&app.client, &url).await?.0;
        if seen == "hit" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, "hit", "cached again once Redis is back");
    Ok(())
}

#[tokio::test]
async fn an_instance_starts_while_redis_is_down_and_uses_it_once_it_is_up() -> anyhow::Result<()> {
    // Nothing listens on the port yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let url = format!("redis://127.0.0.1:{port}/0");
    let app = spawn_app_with(|c| c.cache.url = Some(SecretString::from(url.clone()))).await?;
    published(&app).await?;
    let article = app.url("/api/v1/articles/curing-concrete");
    let (source, body) = read(&app.client, &article).await?;
    assert_eq!(
        (source.as_str(), &body["title"]),
        ("miss", &serde_json::json!("Curing concrete"))
    );
    let _redis = crate::own_services::OwnRedis::start_on(port)?;
    let mut seen = String::new();
    // Within the Redis breaker's open time (5 s) and its probes.
    for _ in 0..150 {
        read(&app.client, &article).await?;
        seen = read(&app.client, &article).await?.0;
        if seen == "hit" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, "hit", "cached once Redis is there");
    Ok(())
}
