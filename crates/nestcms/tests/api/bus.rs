//! At scale, payment events reach RabbitMQ through the outbox relay. Runs when
//! `NESTCMS_TEST_AMQP_URL` names a broker (CI sets it for the PostgreSQL run); the embedded
//! mode has no broker.

use std::time::Duration;

use futures::StreamExt;
use nestcms_domain::payments::ports::EventOutbox;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::spawn_app_with;
use crate::payments::{ok, shop};

/// How long an event may take to reach the broker: the relay's first connection declares the
/// whole topology within the breaker's 10 s timeout, which a loaded machine can need whole.
const RELAYED_WITHIN: Duration = Duration::from_secs(60);

#[tokio::test]
async fn payment_events_are_relayed_to_the_broker_and_marked_delivered() -> anyhow::Result<()> {
    let Some(url) = nestcms_testkit::service_url(
        nestcms_testkit::AMQP_URL_VAR,
        "payment_events_are_relayed_to_the_broker_and_marked_delivered",
    ) else {
        return Ok(());
    };
    // A private queue bound to every payment event, declared before anything is published.
    let ns = nestcms_testkit::amqp::namespace();
    let exchange = format!("{ns}.events");
    let (_conn, mut consumer) =
        nestcms_testkit::amqp::listen_on(&url, &exchange, "payment.#").await?;
    let app = spawn_app_with(|c| {
        c.bus.url = Some(SecretString::from(url.clone()));
        c.bus.namespace = ns;
    })
    .await?;
    let s = shop(&app).await?;
    let created = app
        .post(
            Some(&s.owner),
            &format!("/api/v1/orgs/{}/payments", s.org),
            &json!({ "client_id": s.client_id, "amount": "9.500", "currency": "KWD", "description": "Relayed" }),
        )
        .await?;
    let payment = ok(created, 201).await?;

    let seen = tokio::time::timeout(RELAYED_WITHIN, async {
        while let Some(delivery) = consumer.next().await {
            let d = delivery?;
            let body: Value = serde_json::from_slice(&d.data)?;
            if body["payment_id"] == payment["id"] {
                return Ok::<_, anyhow::Error>(Some((d, body)));
            }
        }
        Ok(None)
    })
    .await??;
    let Some((delivery, body)) = seen else {
        anyhow::bail!("the consumer stopped before the event arrived");
    };
    assert_eq!(delivery.routing_key.as_str(), "payment.created");
    assert_eq!(body["kind"], "created");
    assert_eq!(body["detail"]["amount"], "9.500");
    assert_eq!(
        delivery
            .properties
            .message_id()
            .as_ref()
            .map(|m| m.as_str().to_owned()),
        body["id"].as_str().map(str::to_owned),
        "the event id is the message id consumers deduplicate on"
    );
    // Confirmed deliveries are recorded: the outbox drains to empty.
    let mut left = usize::MAX;
    for _ in 0..50 {
        left = app.store.undelivered(100).await?.len();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0, "every event marked delivered");
    Ok(())
}

#[tokio::test]
async fn breaker_state_changes_are_published_to_the_broker() -> anyhow::Result<()> {
    let Some(url) = nestcms_testkit::service_url(
        nestcms_testkit::AMQP_URL_VAR,
        "breaker_state_changes_are_published_to_the_broker",
    ) else {
        return Ok(());
    };
    let ns = nestcms_testkit::amqp::namespace();
    let exchange = format!("{ns}.events");
    let (_conn, mut consumer) =
        nestcms_testkit::amqp::listen_on(&url, &exchange, "breaker.#").await?;
    let app = spawn_app_with(|c| {
        c.bus.url = Some(SecretString::from(url.clone()));
        c.bus.namespace = ns;
    })
    .await?;
    // The relay runs once the service's background work has started (its first round).
    for _ in 0..100 {
        if app.tasks.status("relay").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A dependency of this test's own, failing once with a minimum volume of one: it opens.
    let name = format!("test.{}", uuid::Uuid::now_v7().simple());
    let breaker = app.breakers.breaker(
        &name,
        nestcms_resilience::BreakerConfig {
            min_calls: 1,
            ..nestcms_resilience::BreakerConfig::default()
        },
    );
    let _ = breaker
        .call(|| async { Err::<(), _>("refused") }, |_| true)
        .await;
    let seen = tokio::time::timeout(RELAYED_WITHIN, async {
        while let Some(delivery) = consumer.next().await {
            let d = delivery?;
            let body: Value = serde_json::from_slice(&d.data)?;
            if body["breaker"] == name.as_str() {
                return Ok::<_, anyhow::Error>(Some((d.routing_key.to_string(), body)));
            }
        }
        Ok(None)
    })
    .await??;
    let Some((key, body)) = seen else {
        anyhow::bail!("the consumer stopped before the change arrived");
    };
    assert_eq!(key, format!("breaker.{name}"));
    assert_eq!(
        (&body["from"], &body["to"]),
        (&json!("closed"), &json!("open"))
    );
    assert!(
        body["at"].as_str().is_some_and(|a| a.starts_with("20")),
        "{body}"
    );
    Ok(())
}
