//! `kill -9` of `nestcms worker` in the middle of its consumers and sagas (receipts, refund
//! notices sent by the refund saga, webhooks), then a restart: every message reaches the SMTP
//! server and every webhook the receiver, each once.
//!
//! `serve` takes the payments and leaves the background work to the worker
//! (`background.in_serve = false`). The SMTP server and the receiver answer slowly, so the
//! kill lands while a message is on the wire. A message the server had taken when the worker
//! died is sent again after its claim expires, with the same `Message-ID` / `webhook-id`, as
//! e-mail and Standard Webhooks intend: the test counts distinct ids (the effects), and allows
//! at most that one resend per channel.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use nestcms_testkit::TestDatabase;
use nestcms_testkit::smtp::SmtpSink;
use nestcms_testkit::webhooks::Receiver;
use serde_json::{Value, json};

use crate::support::{Api, Server, nestcms};

const KEY: &str = "SGJNZ96JLG-JDMKHGRWT9-RWRK2KJNRJ";
/// Payments, so receipts and webhooks.
const N: usize = 6;

/// A running `nestcms worker`, killed on drop.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The settings both processes share.
fn configured(dir: &std::path::Path, env: &[(String, String)]) -> std::process::Command {
    let mut cmd = nestcms(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn worker(dir: &std::path::Path, env: &[(String, String)]) -> anyhow::Result<Worker> {
    let mut child = configured(dir, env)
        .arg("worker")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let pipe = child
        .stderr
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stderr"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if line.contains("worker running") {
                let _ = tx.send(());
            }
        }
    });
    let w = Worker(child);
    rx.recv_timeout(Duration::from_secs(30))?;
    Ok(w)
}

async fn state(api: &Api, token: &str, path: &str) -> anyhow::Result<String> {
    let res = api
        .http
        .get(api.server.url(path))
        .bearer_auth(token)
        .send()
        .await?;
    let body: Value = res.json().await?;
    Ok(body["state"].as_str().unwrap_or_default().to_owned())
}

/// The `Message-ID` of each message the sink took.
fn message_ids(sink: &SmtpSink) -> Vec<String> {
    sink.messages()
        .iter()
        .filter_map(|m| {
            m.lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                .map(|l| l[11..].trim().to_owned())
        })
        .collect()
}

async fn until(what: &str, mut done: impl FnMut() -> bool) -> anyhow::Result<()> {
    // Generous: CI runs this beside the rest of the suite on two cores.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        anyhow::ensure!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_send_and_restarted_has_each_message_webhook_and_saga_take_effect_once()
-> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let sink = SmtpSink::start().await?;
    let receiver = Receiver::start().await?;
    let sim = sim().await?;
    let mut env: Vec<(String, String)> = [
        ("NESTCMS__DATABASE__URL", db.url()),
        ("NESTCMS__PAYTABS__SERVER_KEY", KEY),
        ("NESTCMS__PAYTABS__PROFILE_ID", "48214"),
        ("NESTCMS__PAYTABS__BASE_URL", sim.as_str()),
        ("NESTCMS__MAIL__SMTP_URL", sink.url.as_str()),
        ("NESTCMS__MAIL__TIMEOUT", "2s"),
        ("NESTCMS__WEBHOOKS__ALLOW_PRIVATE_NETWORKS", "true"),
        ("NESTCMS__WEBHOOKS__TIMEOUT", "2s"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    // At scale (CI's PostgreSQL run) the worker's consumers read their queues on the broker:
    // what the killed worker took and never acknowledged comes back to the new one.
    if let Ok(url) = std::env::var(nestcms_testkit::AMQP_URL_VAR) {
        env.extend([
            ("NESTCMS__BUS__URL".to_owned(), url),
            (
                "NESTCMS__BUS__NAMESPACE".to_owned(),
                nestcms_testkit::amqp::namespace(),
            ),
            ("NESTCMS__BUS__QUEUE_EXPIRY".to_owned(), "60s".to_owned()),
            // An event a loaded machine dead-letters (its database pool busy) is swept up
            // soon, as an operator's shorter sweep would.
            ("NESTCMS__BUS__SWEEP_INTERVAL".to_owned(), "5s".to_owned()),
        ]);
    }
    let dir = tempfile::tempdir()?;
    let mut serve = configured(dir.path(), &env);
    serve.env("NESTCMS__BACKGROUND__IN_SERVE", "false");
    let api = Api {
        http: reqwest::Client::new(),
        server: Server::start(serve)?,
    };

    let (_, owner) = api.user("owner@crash.example").await?;
    let org = api
        .call(
            Some(&owner),
            "/api/v1/orgs",
            &json!({ "title": "Crash Builders" }),
            None,
        )
        .await?;
    let org = org["id"].as_str().unwrap_or_default().to_owned();
    let (client_id, client) = api.user("client@crash.example").await?;
    let invite = json!({ "email": "client@crash.example", "role": "client" });
    let inv = api
        .call(
            Some(&owner),
            &format!("/api/v1/orgs/{org}/invitations"),
            &invite,
            None,
        )
        .await?;
    let accept = json!({ "token": inv["accept_token"] });
    api.call(Some(&client), "/api/v1/invitations/accept", &accept, None)
        .await?;
    let hook = json!({ "url": receiver.url });
    api.call(
        Some(&owner),
        &format!("/api/v1/orgs/{org}/webhooks"),
        &hook,
        None,
    )
    .await?;

    // N payments, paid through the simulator while no worker runs: nothing is sent yet.
    let mut paths = Vec::new();
    for _ in 0..N {
        let body = json!({ "client_id": client_id, "amount": "10.00", "currency": "SAR", "description": "Survey" });
        let p = api
            .call(
                Some(&owner),
                &format!("/api/v1/orgs/{org}/payments"),
                &body,
                None,
            )
            .await?;
        let path = format!(
            "/api/v1/orgs/{org}/payments/{}",
            p["id"].as_str().unwrap_or_default()
        );
        let co = api
            .call(Some(&client), &format!("{path}/checkout"), &json!({}), None)
            .await?;
        let page = co["redirect_url"].as_str().unwrap_or_default();
        api.http
            .post(format!("{page}/complete"))
            .json(&json!({ "response_status": "A" }))
            .send()
            .await?;
        paths.push(path);
    }
    for path in &paths {
        let deadline = Instant::now() + Duration::from_secs(30);
        while state(&api, &client, path).await? != "paid" {
            anyhow::ensure!(Instant::now() < deadline, "{path} never paid");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Each refunded in full: a refund saga per payment, whose notice to the client is
    // e-mail too.
    for path in &paths {
        let refund = json!({ "amount": "10.00", "reason": "Survey cancelled" });
        api.call(Some(&owner), &format!("{path}/refunds"), &refund, None)
            .await?;
    }
    assert!(
        sink.messages().is_empty() && receiver.received().is_empty(),
        "serve sent nothing"
    );

    // A slow SMTP server and receiver; the worker is killed once both are mid-way.
    sink.answer_after(Duration::from_millis(400));
    receiver.answer_after(Duration::from_millis(400));
    let mut first = worker(dir.path(), &env)?;
    until("the first sends", || {
        sink.messages().len() >= 2 && receiver.received().len() >= 2
    })
    .await?;
    first.0.kill()?;
    first.0.wait()?;
    let (mails, hooks) = (sink.messages().len(), receiver.received().len());
    assert!(
        mails < 2 * N && hooks < 2 * N,
        "killed mid-way: {mails} e-mails, {hooks} webhooks"
    );

    let _second = worker(dir.path(), &env)?;
    let distinct = |v: Vec<String>| v.into_iter().collect::<HashSet<_>>().len();
    // A receipt and a refund notice per payment; a payment.paid and a refund.succeeded
    // webhook per payment.
    until("every receipt, refund notice and webhook", || {
        distinct(message_ids(&sink)) >= 2 * N
            && distinct(receiver.received().into_iter().map(|r| r.id).collect()) >= 2 * N
    })
    .await?;
    // Whatever was still to come has come.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let ids = message_ids(&sink);
    assert_eq!(distinct(ids.clone()), 2 * N, "{ids:?}");
    assert!(
        ids.len() <= 2 * N + 1,
        "at most the message on the wire resent: {ids:?}"
    );
    let got = receiver.received();
    let hook_ids: Vec<String> = got.iter().map(|r| r.id.clone()).collect();
    assert_eq!(distinct(hook_ids.clone()), 2 * N, "{hook_ids:?}");
    assert!(
        hook_ids.len() <= 2 * N + 1,
        "at most the webhook on the wire resent: {hook_ids:?}"
    );
    let payments: HashSet<String> = got
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .map(|b| {
            b["data"]["payment_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(payments.len(), N, "webhooks for every payment");
    // Each payment's two sagas (paid, refunded) run to the end, once. A saga the killed worker
    // had claimed waits out its 60 s lease before the second worker takes it over.
    for path in &paths {
        let started = std::time::Instant::now();
        loop {
            let res = api
                .http
                .get(api.server.url(&format!("{path}/sagas")))
                .bearer_auth(&owner)
                .send()
                .await?;
            let sagas: Value = res.json().await?;
            let states: Vec<&str> = sagas["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["state"].as_str())
                .collect();
            let settled = states.len() >= 2 && !states.contains(&"running");
            if !settled && started.elapsed() < Duration::from_secs(120) {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            assert_eq!(states, ["completed", "completed"], "{sagas}");
            break;
        }
    }
    Ok(())
}

/// A PayTabs simulator on its own port; returns its URL.
async fn sim() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let sim = std::sync::Arc::new(nestcms_paytabs_sim::Simulator::new(
        nestcms_paytabs_sim::SimConfig {
            profile_id: 48214,
            server_key: KEY.into(),
            client_key: "CTEST".into(),
            public_url: url.clone(),
            duplicate_window: Duration::from_secs(60),
            ipn_retry_step: Duration::from_millis(50),
            faults: nestcms_paytabs_sim::Faults::default(),
        },
    ));
    let app = nestcms_paytabs_sim::router(sim);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}
