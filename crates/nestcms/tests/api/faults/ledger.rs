//! After the faults: the gateway's ledger and ours must agree payment by payment, and every
//! recorded event must have reached the broker.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use futures::StreamExt;
use lapin::options::{BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use nestcms_domain::payments::PaymentState;
use nestcms_domain::payments::ports::{EventOutbox, PaymentRepository};
use nestcms_paytabs::wire::Status;
use serde_json::Value;

use crate::helpers::{Sim, TestApp};

/// Differences between what PayTabs charged and refunded and what NestCMS recorded; empty
/// when nothing was lost or applied twice.
pub async fn differences(app: &TestApp, org: &str, sim: &Sim) -> anyhow::Result<Vec<String>> {
    let org = nestcms_domain::identity::OrgId(org.parse()?);
    let all = nestcms_domain::construction::ports::Page {
        cursor: None,
        ascending: false,
        limit: 10_000,
    };
    let ours = app.store.payments(org, None, None, all).await?;
    let theirs: HashMap<String, (Status, i64)> = sim
        .sim
        .sales()
        .into_iter()
        .map(|(t, refunded)| (t.tran_ref.clone(), (t.status(), refunded)))
        .collect();
    let mut out = Vec::new();
    let mut ours_refs = BTreeSet::new();
    for p in &ours {
        let Some(tran_ref) = &p.tran_ref else {
            continue;
        };
        ours_refs.insert(tran_ref.clone());
        let (status, refunded) = theirs
            .get(tran_ref)
            .cloned()
            .unwrap_or((Status::Unknown(String::new()), 0));
        let charged = status == Status::Authorised;
        let paid = matches!(
            p.state,
            PaymentState::Paid | PaymentState::PartiallyRefunded | PaymentState::Refunded
        );
        if charged != paid {
            out.push(format!(
                "{tran_ref}: gateway {status:?}, ours {:?}",
                p.state
            ));
        }
        if refunded != p.refunded.minor() {
            out.push(format!(
                "{tran_ref}: gateway refunded {refunded}, ours {}",
                p.refunded.minor()
            ));
        }
        let events = app.store.payment_events(p.id).await?;
        let paid_events = events.iter().filter(|e| e.kind == "paid").count();
        if paid_events > 1 {
            out.push(format!("{tran_ref}: paid recorded {paid_events} times"));
        }
    }
    for (tran_ref, (status, _)) in &theirs {
        if !ours_refs.contains(tran_ref) && *status == Status::Authorised {
            out.push(format!("{tran_ref}: charged by the gateway, unknown to us"));
        }
    }
    Ok(out)
}

/// Polls until the ledgers agree (the reconciler settles what callbacks left open).
pub async fn agree(app: &TestApp, org: &str, sim: &Sim, within: Duration) -> anyhow::Result<usize> {
    let until = tokio::time::Instant::now() + within;
    loop {
        let diff = differences(app, org, sim).await?;
        if diff.is_empty() {
            return Ok(sim.sim.sales().len());
        }
        if tokio::time::Instant::now() > until {
            anyhow::bail!("the ledgers still differ:\n{}", diff.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Polls until the outbox holds nothing undelivered.
pub async fn outbox_drained(app: &TestApp, within: Duration) -> anyhow::Result<()> {
    let until = tokio::time::Instant::now() + within;
    while !app.store.undelivered(1).await?.is_empty() {
        anyhow::ensure!(
            tokio::time::Instant::now() < until,
            "the outbox was not drained"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(())
}

/// Every event id recorded in the database.
pub async fn recorded_events(app: &TestApp) -> anyhow::Result<BTreeSet<String>> {
    let ids: Vec<String> = nestcms_store::with_pool!(app.store.primary(), |p| {
        sqlx::query_scalar("SELECT CAST(id AS TEXT) FROM payment_events")
            .fetch_all(p)
            .await?
    });
    Ok(ids.into_iter().collect())
}

/// A durable queue bound to every payment event, declared before anything is published, so it
/// keeps what the broker confirmed across the broker's crash.
pub async fn bind_queue(url: &str) -> anyhow::Result<()> {
    let conn = lapin::Connection::connect(url, lapin::ConnectionProperties::default()).await?;
    let ch = conn.create_channel().await?;
    nestcms_bus::declare_exchange(&ch, nestcms_bus::EXCHANGE).await?;
    ch.queue_declare(
        QUEUE.into(),
        QueueDeclareOptions {
            durable: true,
            ..QueueDeclareOptions::default()
        },
        FieldTable::default(),
    )
    .await?;
    for key in ["payment.#", "breaker.#"] {
        ch.queue_bind(
            QUEUE.into(),
            nestcms_bus::EXCHANGE.into(),
            key.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    }
    conn.close(200, "bound".into()).await?;
    Ok(())
}

const QUEUE: &str = "fault-suite";

/// What reached the broker: the distinct payment event ids (redeliveries counted once) and the
/// breaker changes, as `(breaker, to)`.
pub async fn delivered(url: &str) -> anyhow::Result<(BTreeSet<String>, Vec<(String, String)>)> {
    let conn = lapin::Connection::connect(url, lapin::ConnectionProperties::default()).await?;
    let ch = conn.create_channel().await?;
    let mut consumer = ch
        .basic_consume(
            QUEUE.into(),
            "fault-suite".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..BasicConsumeOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    let (mut ids, mut changes) = (BTreeSet::new(), Vec::new());
    while let Ok(Some(delivery)) =
        tokio::time::timeout(Duration::from_secs(2), consumer.next()).await
    {
        let body: Value = serde_json::from_slice(&delivery?.data)?;
        let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
        if body.get("breaker").is_some() {
            changes.push((text("breaker"), text("to")));
        } else {
            ids.insert(text("id"));
        }
    }
    Ok((ids, changes))
}
