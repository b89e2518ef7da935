//! Latency of the analytics queries on a seeded database (`nestcms seed --scale N`).
//!
//! Logs in as the first seeded owner, then calls each analytics endpoint `ITERATIONS` times in
//! sequence (no cache exists; every call runs its query) and prints p50/p99 per endpoint.
//! Loopback only; bounded.

use std::time::Instant;

use anyhow::{Context, ensure};
use nestcms_bench::summarise;
use serde_json::json;

const ITERATIONS: usize = 50;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::args()
        .skip_while(|a| a != "--url")
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    ensure!(
        url.starts_with("http://127.") || url.starts_with("http://localhost"),
        "loopback targets only"
    );
    let client = reqwest::Client::new();
    let login =
        json!({ "email": "owner0@scale.nestcms.test", "password": "nestcms-demo-password" });
    let tokens: serde_json::Value = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&login)
        .send()
        .await?
        .json()
        .await?;
    let token = tokens["access_token"]
        .as_str()
        .context("login failed: was the database seeded with --scale?")?
        .to_owned();
    let me: serde_json::Value = client
        .get(format!("{url}/api/v1/users/me"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let org = me["memberships"][0]["org_id"]
        .as_str()
        .context("no organization")?
        .to_owned();
    let base = format!("{url}/api/v1/orgs/{org}/analytics");
    let endpoints = [
        (
            "earnings monthly trend (SAR)",
            format!("{base}/earnings/trend?currency=SAR"),
        ),
        (
            "top projects (SAR, top 10)",
            format!("{base}/top-projects?currency=SAR&limit=10"),
        ),
        ("earnings per currency", format!("{base}/earnings")),
        ("status breakdown", format!("{base}/status")),
    ];
    for (name, endpoint) in endpoints {
        let mut samples = Vec::with_capacity(ITERATIONS);
        for _ in 0..ITERATIONS {
            let started = Instant::now();
            let res = client.get(&endpoint).bearer_auth(&token).send().await?;
            ensure!(res.status().is_success(), "{name}: {}", res.status());
            res.bytes().await?;
            samples.push(started.elapsed());
        }
        println!("{name:<32} {}", summarise(samples));
    }
    Ok(())
}
