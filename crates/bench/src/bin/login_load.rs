//! Do 100 concurrent Argon2id logins stall other requests?
//!
//! Against a running NestCMS (`--url`, loopback only): registers a probe user and 100 login
//! users, measures `GET /api/v1/users/me` latency alone (baseline), then again while waves of
//! 100 concurrent logins run, and prints both summaries and their p99 ratio. Bounded: a fixed
//! number of waves and requests; it stops by itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use nestcms_bench::summarise;
use serde_json::json;

const LOGINS: usize = 100;
const WAVES: usize = 3;
const BASELINE_REQUESTS: usize = 400;
const PASSWORD: &str = "benchmark password 123";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::args()
        .skip_while(|a| a != "--url")
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    ensure!(
        url.starts_with("http://127.")
            || url.starts_with("http://localhost")
            || url.starts_with("http://[::1]"),
        "loopback targets only"
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let run = format!("{}", std::process::id());

    let register = |email: String| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let res = client
                .post(format!("{url}/api/v1/auth/register"))
                .json(&json!({ "email": email, "password": PASSWORD, "full_name": "Bench" }))
                .send()
                .await?;
            ensure!(res.status().as_u16() == 201, "register: {}", res.status());
            anyhow::Ok(())
        }
    };
    let emails: Vec<String> = (0..LOGINS)
        .map(|i| format!("bench{i}-{run}@load.example"))
        .collect();
    for chunk in emails.chunks(10) {
        futures::future::try_join_all(chunk.iter().cloned().map(&register)).await?;
    }
    let probe = format!("probe-{run}@load.example");
    register(probe.clone()).await?;
    let tokens: serde_json::Value = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({ "email": probe, "password": PASSWORD }))
        .send()
        .await?
        .json()
        .await?;
    let token = tokens["access_token"]
        .as_str()
        .context("probe login")?
        .to_owned();

    let get_me = || {
        let client = client.clone();
        let url = url.clone();
        let token = token.clone();
        async move {
            let started = Instant::now();
            let res = client
                .get(format!("{url}/api/v1/users/me"))
                .bearer_auth(&token)
                .send()
                .await?;
            ensure!(res.status().as_u16() == 200, "me: {}", res.status());
            res.bytes().await?;
            anyhow::Ok(started.elapsed())
        }
    };

    let mut baseline = Vec::with_capacity(BASELINE_REQUESTS);
    for _ in 0..BASELINE_REQUESTS {
        baseline.push(get_me().await?);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let baseline = summarise(baseline);

    let mut loaded = Vec::new();
    let mut login_times = Vec::new();
    for _ in 0..WAVES {
        let wave_start = Instant::now();
        let done = AtomicBool::new(false);
        let logins = futures::future::join_all(emails.iter().map(|email| {
            let client = client.clone();
            let url = url.clone();
            let email = email.clone();
            async move {
                let started = Instant::now();
                let res = client
                    .post(format!("{url}/api/v1/auth/login"))
                    .json(&json!({ "email": email, "password": PASSWORD }))
                    .send()
                    .await?;
                ensure!(res.status().as_u16() == 200, "login: {}", res.status());
                anyhow::Ok(started.elapsed())
            }
        }));
        let probes = async {
            let mut samples = Vec::new();
            // Keep probing for as long as the wave is running (bounded at 60 s).
            while wave_start.elapsed() < Duration::from_secs(60) {
                samples.push(get_me().await?);
                tokio::time::sleep(Duration::from_millis(2)).await;
                if samples.len() >= 20
                    && wave_start.elapsed() > Duration::from_millis(200)
                    && done.load(Ordering::Relaxed)
                {
                    break;
                }
            }
            anyhow::Ok(samples)
        };
        let (logins, samples) = tokio::join!(
            async {
                let r = logins.await;
                done.store(true, Ordering::Relaxed);
                r
            },
            probes
        );
        for l in logins {
            login_times.push(l?);
        }
        loaded.extend(samples?);
    }
    let loaded = summarise(loaded);
    let logins = summarise(login_times);
    println!("GET /users/me alone:              {baseline}");
    println!("GET /users/me during {LOGINS} logins: {loaded}");
    println!("login ({LOGINS} concurrent, {WAVES} waves):  {logins}");
    println!(
        "p99 ratio (loaded / alone): {:.2}",
        loaded.p99.as_secs_f64() / baseline.p99.as_secs_f64().max(1e-9)
    );
    Ok(())
}
