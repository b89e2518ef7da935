//! At scale, consumers read their own queues on the broker: an event one consumer keeps
//! failing on is dead-lettered after `bus.attempts` tries without holding up the other
//! consumers; once the fault is fixed, `events replay` feeds it again, and the consumer's
//! sweep of the database finds it by itself. Runs when `NESTCMS_TEST_AMQP_URL` names a broker
//! (CI sets it for the PostgreSQL run, where every other test runs with a broker too).

use std::time::Duration;

use lapin::options::BasicGetOptions;
use nestcms_paytabs_sim::Faults;
use secrecy::SecretString;
use serde_json::Value;

use crate::helpers::{
    TestApp, allow_notifications, refuse_notifications, spawn_app_with_sim_and, start_sim,
};
use crate::instalments::{approved_contract_due, paid_instalment};
use crate::payments::{Shop, ok, shop};

async fn receipts(app: &TestApp, client: &str) -> anyhow::Result<usize> {
    let list = ok(
        app.get_as(client, "/api/v1/users/me/notifications").await?,
        200,
    )
    .await?;
    Ok(list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["kind"] == "payment_receipt")
        .count())
}

/// The client's receipts, once there is one (or after 15 s).
async fn receipts_soon(app: &TestApp, client: &str) -> anyhow::Result<usize> {
    for _ in 0..150 {
        let got = receipts(app, client).await?;
        if got > 0 {
            return Ok(got);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(0)
}

/// A service at scale whose receipts consumer tries each event `attempts` times and sweeps
/// every `sweep`, a shop, and a contract with instalments due; every receipt refused.
async fn refusing_receipts(
    url: &str,
    attempts: u32,
    sweep: Duration,
) -> anyhow::Result<(TestApp, Shop, String)> {
    let sim = start_sim(Faults::default()).await?;
    let url = url.to_owned();
    let app = spawn_app_with_sim_and(&sim, move |c| {
        c.bus.url = Some(SecretString::from(url));
        c.bus.attempts = attempts;
        c.bus.sweep_interval = sweep;
    })
    .await?;
    let s = shop(&app).await?;
    let (_, contract) = approved_contract_due(&app, &s, [5, 30, 60]).await?;
    refuse_notifications(&app, "NEW.kind = 'payment_receipt'").await?;
    Ok((app, s, contract))
}

/// The first message in `queue`, waiting up to 20 s for one.
async fn first_in(url: &str, queue: &str) -> anyhow::Result<lapin::message::BasicGetMessage> {
    let conn = lapin::Connection::connect(url, lapin::ConnectionProperties::default()).await?;
    let mut ch = conn.create_channel().await?;
    for _ in 0..200 {
        match ch
            .basic_get(queue.into(), BasicGetOptions { no_ack: true })
            .await
        {
            Ok(Some(m)) => return Ok(m),
            Ok(None) => {}
            // The service declares its queues as its consumers start, which a loaded machine
            // can take a while to do: the broker closes the channel on a queue not declared
            // yet, so open another and ask again.
            Err(e) if e.to_string().contains("NOT_FOUND") => ch = conn.create_channel().await?,
            Err(e) => return Err(e.into()),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("nothing reached {queue}")
}

#[tokio::test]
async fn a_receipt_that_keeps_failing_is_dead_lettered_and_replayed_once_fixed()
-> anyhow::Result<()> {
    let name = "a_receipt_that_keeps_failing_is_dead_lettered_and_replayed_once_fixed";
    let Some(url) = nestcms_testkit::service_url(nestcms_testkit::AMQP_URL_VAR, name) else {
        return Ok(());
    };
    let before = chrono::Utc::now();
    // No sweep during the test: only the queue and the replay feed the consumer.
    let (app, s, contract) = refusing_receipts(&url, 2, Duration::from_secs(3600)).await?;
    let ns = app.config.bus.namespace.clone();

    let path = paid_instalment(&app, &s, &contract, 1).await?;
    let dead = first_in(&url, &format!("{ns}.receipts.dead")).await?;
    let body: Value = serde_json::from_slice(&dead.delivery.data)?;
    assert_eq!(
        (&body["kind"], &body["detail"]["to"]),
        (&Value::from("state_changed"), &Value::from("paid")),
        "{body}"
    );
    assert_eq!(
        dead.delivery
            .properties
            .message_id()
            .as_ref()
            .map(|m| m.as_str().to_owned()),
        body["id"].as_str().map(str::to_owned),
    );
    // The other consumers handled the same event from their own queues: the payment's saga
    // started (it waits for the receipt). Its consumer may still be connecting.
    let mut sagas = Value::Null;
    for _ in 0..200 {
        sagas = ok(app.get_as(&s.owner, &format!("{path}/sagas")).await?, 200).await?;
        if sagas["data"].as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sagas["data"][0]["kind"], "payment", "{sagas}");

    // Fixed, but with no sweep due, it stays dead-lettered…
    allow_notifications(&app).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receipts(&app, &s.client).await?, 0, "no receipt yet");
    // …until the operator replays the consumer: the relay publishes the events again.
    let replayed = nestcms_app::background::replay(app.store.as_ref(), "receipts", before).await?;
    assert_eq!(replayed, 0, "the failed event was never marked");
    let got = receipts_soon(&app, &s.client).await?;
    assert_eq!(got, 1, "the receipt, once");
    Ok(())
}

#[tokio::test]
async fn a_receipt_dead_lettered_while_the_database_failed_is_made_by_the_sweep_once_it_is_back()
-> anyhow::Result<()> {
    let name = "a_receipt_dead_lettered_while_the_database_failed_is_made_by_the_sweep";
    let Some(url) = nestcms_testkit::service_url(nestcms_testkit::AMQP_URL_VAR, name) else {
        return Ok(());
    };
    let (app, s, contract) = refusing_receipts(&url, 1, Duration::from_secs(2)).await?;
    let ns = app.config.bus.namespace.clone();
    paid_instalment(&app, &s, &contract, 1).await?;
    first_in(&url, &format!("{ns}.receipts.dead")).await?;
    allow_notifications(&app).await?;
    let got = receipts_soon(&app, &s.client).await?;
    assert_eq!(got, 1, "the sweep made the receipt, once");
    Ok(())
}
