//! The bounded load the fault-injection suite runs: payers who create, check out, pay and
//! refund, and readers of public and signed-in pages, each recording every answer it got.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::payments::{Shop, press};

/// One answer the load got.
#[derive(Debug, Clone)]
pub struct Sample {
    pub what: &'static str,
    pub status: u16,
    /// The problem code of an error answer.
    pub code: String,
    pub took: Duration,
    /// Since the load began.
    pub at: Duration,
}

/// Everything the workers saw, and the flag that stops them.
pub struct Load {
    pub started: Instant,
    pub samples: Mutex<Vec<Sample>>,
    pub stop: AtomicBool,
}

impl Load {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            started: Instant::now(),
            samples: Mutex::default(),
            stop: AtomicBool::new(false),
        })
    }

    pub fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }

    pub fn samples(&self) -> Vec<Sample> {
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Sends a request, records its answer, and returns the status and body.
    async fn send(
        &self,
        what: &'static str,
        req: reqwest::RequestBuilder,
    ) -> anyhow::Result<(u16, Value)> {
        let t = Instant::now();
        let res = req.send().await?;
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        let took = t.elapsed();
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Sample {
                what,
                status,
                code: body["code"].as_str().unwrap_or_default().to_owned(),
                took,
                at: t.duration_since(self.started),
            });
        Ok((status, body))
    }
}

/// Creates, checks out and pays payments until stopped; every third paid one is partly
/// refunded. A checkout or refund refused during an outage is left as it is: the payment waits,
/// nothing was charged twice.
pub async fn payer(load: Arc<Load>, app: Arc<TestApp>, s: Arc<Shop>, n: u32) -> anyhow::Result<()> {
    let mut round = 0_u32;
    while load.running() {
        round += 1;
        let amount = format!("{}.00", 40 + (n * 7 + round) % 50);
        let create = app
            .client
            .post(app.url(&format!("/api/v1/orgs/{}/payments", s.org)))
            .bearer_auth(&s.owner)
            .json(&json!({ "client_id": s.client_id, "amount": amount, "currency": "SAR", "description": "Load" }));
        let (status, p) = load.send("create", create).await?;
        if status == 201 {
            let path = format!(
                "/api/v1/orgs/{}/payments/{}",
                s.org,
                p["id"].as_str().unwrap_or_default()
            );
            let checkout = app
                .client
                .post(app.url(&format!("{path}/checkout")))
                .bearer_auth(&s.client)
                .json(&json!({}));
            let (status, co) = load.send("checkout", checkout).await?;
            if status == 200 {
                press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
                if round.is_multiple_of(3) {
                    refund_when_paid(&load, &app, &s, &path).await?;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    Ok(())
}

async fn refund_when_paid(load: &Load, app: &TestApp, s: &Shop, path: &str) -> anyhow::Result<()> {
    for _ in 0..20 {
        let read = app.client.get(app.url(path)).bearer_auth(&s.owner);
        let (_, p) = load.send("read", read).await?;
        if p["state"] == "paid" {
            let refund = app
                .client
                .post(app.url(&format!("{path}/refunds")))
                .bearer_auth(&s.owner)
                .json(&json!({ "amount": "10.00", "reason": "Tiles returned" }));
            load.send("refund", refund).await?;
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Reads a public article and the signed-in user's own page until stopped.
pub async fn reader(
    load: Arc<Load>,
    app: Arc<TestApp>,
    token: String,
    article: String,
) -> anyhow::Result<()> {
    while load.running() {
        load.send("read", app.client.get(app.url(&article))).await?;
        load.send(
            "read",
            app.client
                .get(app.url("/api/v1/users/me"))
                .bearer_auth(&token),
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
