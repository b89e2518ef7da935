//! Checkouts and IPNs per second through NestCMS, against the PayTabs simulator.
//!
//! Against a running NestCMS configured with the simulator (`--url`, `--sim`, `--key`; loopback
//! only): creates `N` payments, checks them out with `CONCURRENCY` clients at a time (each
//! checkout opens a page at the simulator), completes them at the simulator (which is started
//! with `--drop-ipns`), then delivers each one's signed IPN itself, `CONCURRENCY` at a time
//! (each IPN is verified, confirmed with a query to the simulator, and applied). Prints
//! throughput and p50/p99 of both. Bounded; stops by itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use nestcms_bench::summarise;
use nestcms_paytabs::signature::ipn_signature;
use nestcms_paytabs::{Client, ClientConfig};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

/// Payments per run. With 400 the p99 was the four slowest, all among the first requests
/// (connections being opened); 1,600 makes it a property of the steady state.
const N: usize = 1600;
const CONCURRENCY: usize = 8;

fn arg(name: &str) -> anyhow::Result<String> {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .with_context(|| format!("{name} is required"))
}

async fn login(http: &reqwest::Client, url: &str, email: &str) -> anyhow::Result<(String, String)> {
    let body =
        json!({ "email": email, "password": "benchmark password 123", "full_name": "Bench" });
    let res: Value = http
        .post(format!("{url}/api/v1/auth/register"))
        .json(&body)
        .send()
        .await?
        .json()
        .await?;
    let id = res["id"].as_str().context("register")?.to_owned();
    let t: Value = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": "benchmark password 123" }))
        .send()
        .await?
        .json()
        .await?;
    Ok((id, t["access_token"].as_str().context("login")?.to_owned()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (url, sim, key) = (arg("--url")?, arg("--sim")?, arg("--key")?);
    for u in [&url, &sim] {
        ensure!(
            u.starts_with("http://127.") || u.starts_with("http://localhost"),
            "loopback targets only"
        );
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let run = std::process::id();
    let (_, owner) = login(&http, &url, &format!("owner-{run}@bench.example")).await?;
    let (client_id, client) = login(&http, &url, &format!("client-{run}@bench.example")).await?;
    let org: Value = http
        .post(format!("{url}/api/v1/orgs"))
        .bearer_auth(&owner)
        .json(&json!({ "title": "Bench" }))
        .send()
        .await?
        .json()
        .await?;
    let org = org["id"].as_str().context("org")?.to_owned();
    let invitation: Value = http
        .post(format!("{url}/api/v1/orgs/{org}/invitations"))
        .bearer_auth(&owner)
        .json(&json!({ "email": format!("client-{run}@bench.example"), "role": "client" }))
        .send()
        .await?
        .json()
        .await?;
    let token = invitation["accept_token"].as_str().context("invitation")?;
    http.post(format!("{url}/api/v1/invitations/accept"))
        .bearer_auth(&client)
        .json(&json!({ "token": token }))
        .send()
        .await?
        .error_for_status()?;

    let mut ids = Vec::with_capacity(N);
    for i in 0..N {
        let body = json!({ "client_id": client_id, "amount": format!("{}.{:02}", 100 + i, i % 100), "currency": "SAR", "description": "Bench payment" });
        let p: Value = http
            .post(format!("{url}/api/v1/orgs/{org}/payments"))
            .bearer_auth(&owner)
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        ids.push(p["id"].as_str().context("payment")?.to_owned());
    }

    let gate = Arc::new(Semaphore::new(CONCURRENCY));
    let started = Instant::now();
    let tasks = ids.iter().map(|id| {
        let (http, gate, client, url, org, id) = (
            http.clone(),
            gate.clone(),
            client.clone(),
            url.clone(),
            org.clone(),
            id.clone(),
        );
        tokio::spawn(async move {
            let _permit = gate.acquire().await?;
            let t = Instant::now();
            let co: Value = http
                .post(format!("{url}/api/v1/orgs/{org}/payments/{id}/checkout"))
                .bearer_auth(&client)
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok((
                t.elapsed(),
                co["tran_ref"].as_str().unwrap_or_default().to_owned(),
                co["redirect_url"].as_str().unwrap_or_default().to_owned(),
            ))
        })
    });
    let mut checkout_times = Vec::new();
    let mut pages = Vec::new();
    for t in futures::future::join_all(tasks).await {
        let (d, tran_ref, redirect) = t??;
        ensure!(!tran_ref.is_empty(), "checkout failed");
        checkout_times.push(d);
        pages.push((tran_ref, redirect));
    }
    let checkout_wall = started.elapsed();

    // Complete every page at the simulator (it drops its own IPNs), then fetch the genuine
    // transaction to sign and deliver ourselves.
    let pt = Client::new(ClientConfig {
        base_url: sim.parse()?,
        profile_id: 48214,
        server_key: secrecy::SecretString::from(key.clone()),
        timeout: Duration::from_secs(10),
    })?;
    let mut ipns = Vec::with_capacity(N);
    for (i, (tran_ref, redirect)) in pages.iter().enumerate() {
        http.post(format!("{redirect}/complete"))
            .json(&json!({ "response_status": "A" }))
            .send()
            .await?;
        let mut t = pt.query(tran_ref).await?;
        t.ipn_trace = Some(format!("IPNS0101.BENCH.{i:08X}"));
        let body = serde_json::to_vec(&t)?;
        let sig = ipn_signature(&key, &body);
        ipns.push((body, sig));
    }
    let started = Instant::now();
    let tasks = ipns.into_iter().map(|(body, sig)| {
        let (http, gate, url) = (http.clone(), gate.clone(), url.clone());
        tokio::spawn(async move {
            let _permit = gate.acquire().await?;
            let t = Instant::now();
            let res = http
                .post(format!("{url}/api/v1/webhooks/paytabs"))
                .header("signature", sig)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await?;
            ensure!(res.status().is_success(), "IPN answered {}", res.status());
            anyhow::Ok(t.elapsed())
        })
    });
    let mut ipn_times = Vec::new();
    for t in futures::future::join_all(tasks).await {
        ipn_times.push(t??);
    }
    let ipn_wall = started.elapsed();
    // Every paid payment, a page at a time.
    let mut paid = 0;
    let mut after = String::new();
    loop {
        let list: Value = http
            .get(format!(
                "{url}/api/v1/orgs/{org}/payments?state=paid&limit=100{after}"
            ))
            .bearer_auth(&owner)
            .send()
            .await?
            .json()
            .await?;
        let page = list["data"].as_array().cloned().unwrap_or_default();
        paid += page.len();
        match page.last().and_then(|p| p["id"].as_str()) {
            Some(last) if list["has_more"] == true => after = format!("&starting_after={last}"),
            _ => break,
        }
    }

    println!(
        "checkouts: {N} at concurrency {CONCURRENCY}: {:.0}/s  {}",
        N as f64 / checkout_wall.as_secs_f64(),
        summarise(checkout_times)
    );
    println!(
        "IPNs:      {N} at concurrency {CONCURRENCY}: {:.0}/s  {}",
        N as f64 / ipn_wall.as_secs_f64(),
        summarise(ipn_times)
    );
    println!("paid after the run: {paid} of {N}");
    Ok(())
}
