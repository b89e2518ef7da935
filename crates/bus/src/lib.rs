//! RabbitMQ adapter for running several instances: the payment event log (`payment_events`,
//! append-only) is the outbox, and [`relay`] hands every event to the durable topic exchange
//! [`EXCHANGE`] with publisher confirms, recording each confirmed delivery. Delivery is
//! at-least-once (a crash between the broker's confirm and the record, or two relays racing,
//! can repeat an event); consumers deduplicate on the AMQP `message_id`, the event id.
//!
//! In the embedded mode there is no broker: events are only published in-process.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use nestcms_domain::payments::PaymentEvent;
use nestcms_domain::payments::ports::EventOutbox;
use nestcms_resilience::{Breaker, BreakerConfig, CallError, RetryPolicy, full_jitter};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

/// The topic exchange events go to; routing key `payment.<kind>`.
pub const EXCHANGE: &str = "nestcms.events";

/// How many events one pass of the relay takes from the outbox.
const BATCH: u32 = 100;

/// What can go wrong talking to the broker.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// Connection, channel or protocol failure.
    #[error("message broker: {0}")]
    Broker(#[from] lapin::Error),
    /// The broker refused (nacked) a message.
    #[error("message broker refused event {0}")]
    Nacked(String),
}

/// Declares [`EXCHANGE`] (durable topic); idempotent, so publishers and consumers both may.
pub async fn declare_exchange(channel: &Channel) -> Result<(), BusError> {
    channel
        .exchange_declare(
            EXCHANGE.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    Ok(())
}

/// A channel in confirm mode on a declared exchange.
pub struct Broker {
    channel: Channel,
    connection: Connection,
}

impl Broker {
    /// Connects, declares [`EXCHANGE`] (durable topic) and turns on publisher confirms.
    pub async fn connect(url: &SecretString) -> Result<Self, BusError> {
        let connection =
            Connection::connect(url.expose_secret(), ConnectionProperties::default()).await?;
        let channel = connection.create_channel().await?;
        declare_exchange(&channel).await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        Ok(Self {
            channel,
            connection,
        })
    }

    /// Whether the connection is still up (a broker that went away closes it).
    pub fn is_connected(&self) -> bool {
        self.connection.status().connected()
    }

    /// Publishes events in order, each confirmed before the next.
    pub async fn publish_all(&self, events: &[PaymentEvent]) -> Result<(), BusError> {
        for e in events {
            self.publish(e).await?;
        }
        Ok(())
    }

    /// Publishes one event as persistent JSON and waits for the broker's confirm.
    pub async fn publish(&self, e: &PaymentEvent) -> Result<(), BusError> {
        let body = json!({
            "id": e.id.0,
            "payment_id": e.payment_id.0,
            "kind": e.kind,
            "actor_id": e.actor.map(|a| a.0),
            "source": e.source,
            "gateway_trace": e.gateway_trace,
            "detail": e.detail,
            "at": e.at,
        });
        let payload = serde_json::to_vec(&body).unwrap_or_default();
        let props = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(2)
            .with_message_id(e.id.0.to_string().into());
        let confirm = self
            .channel
            .basic_publish(
                EXCHANGE.into(),
                format!("payment.{}", e.kind).as_str().into(),
                BasicPublishOptions::default(),
                &payload,
                props,
            )
            .await?
            .await?;
        if confirm.is_nack() {
            return Err(BusError::Nacked(e.id.0.to_string()));
        }
        Ok(())
    }
}

/// How the relay waits after failed rounds: full jitter from half a second up to five, so a
/// returning broker is found within seconds and a fleet of relays does not reconnect in step.
const RELAY_BACKOFF: RetryPolicy = RetryPolicy {
    attempts: u32::MAX,
    base: Duration::from_millis(500),
    max: Duration::from_secs(5),
    deadline: Duration::MAX,
};

/// The breaker for the broker. The relay is its only caller and calls it only with events to
/// publish, a few times a second at most, so the window is short and small: three failures
/// among the last six calls open it.
pub fn breaker_config() -> BreakerConfig {
    BreakerConfig {
        window: Duration::from_secs(10),
        window_calls: 6,
        min_calls: 3,
        timeout: Duration::from_secs(10),
        slow_call: Duration::from_secs(5),
        open_for: Duration::from_secs(5),
        probes: 1,
        ..BreakerConfig::default()
    }
}

/// Drains the outbox into the broker until `stop` resolves: after every wake-up (an in-process
/// event was recorded) and at least once a second. Every connection and batch goes through
/// `breaker` (a hung broker costs one timeout, then rounds are refused until it may be tried
/// again); after a failed round the relay waits a jittered, growing pause and reconnects.
/// `report` hears how each round went (events wait in the outbox while rounds fail).
pub async fn relay(
    url: SecretString,
    outbox: Arc<dyn EventOutbox>,
    breaker: Arc<Breaker>,
    mut wake: tokio::sync::broadcast::Receiver<PaymentEvent>,
    stop: impl std::future::Future<Output = ()>,
    report: impl Fn(Result<(), String>),
) {
    tokio::pin!(stop);
    let mut broker: Option<Broker> = None;
    let mut failed_rounds = 0_u32;
    loop {
        let pause = match round(&url, &mut broker, outbox.as_ref(), &breaker).await {
            Ok(()) => {
                failed_rounds = 0;
                report(Ok(()));
                Duration::from_secs(1)
            }
            Err(why) => {
                failed_rounds = failed_rounds.saturating_add(1);
                tracing::warn!(error = %why, "event relay round failed; events wait in the outbox");
                report(Err(why));
                let floor = breaker.refuses().unwrap_or_default();
                full_jitter(RELAY_BACKOFF, failed_rounds).max(floor)
            }
        };
        tokio::select! {
            () = &mut stop => return,
            _ = wake.recv(), if failed_rounds == 0 => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// One round: publishes batches until the outbox is empty, connecting when there is something
/// to publish and no live connection. Only the broker's part (connecting, publishing with
/// confirms) goes through the breaker: an idle round touches nothing and proves nothing, and
/// an outbox (database) failure is not the broker's.
async fn round(
    url: &SecretString,
    broker: &mut Option<Broker>,
    outbox: &dyn EventOutbox,
    breaker: &Breaker,
) -> Result<(), String> {
    loop {
        let batch = outbox
            .undelivered(BATCH)
            .await
            .map_err(|e| format!("outbox: {e}"))?;
        if batch.is_empty() {
            return Ok(());
        }
        let b = match broker.take() {
            Some(b) if b.is_connected() => b,
            _ => breaker
                .call(|| Broker::connect(url), |_| true)
                .await
                .map_err(|e| format!("cannot reach the message broker: {}", describe(e)))?,
        };
        breaker
            .call(|| b.publish_all(&batch), |_| true)
            .await
            .map_err(|e| format!("event relay interrupted: {}", describe(e)))?;
        *broker = Some(b);
        let ids: Vec<_> = batch.iter().map(|e| e.id).collect();
        outbox
            .delivered(&ids, Utc::now())
            .await
            .map_err(|e| format!("outbox: {e}"))?;
        if batch.len() < BATCH as usize {
            return Ok(());
        }
    }
}

fn describe(e: CallError<BusError>) -> String {
    match e {
        CallError::Open { retry_after } => format!(
            "circuit open, next attempt in {} ms",
            retry_after.as_millis()
        ),
        CallError::Timeout => "timed out".to_owned(),
        CallError::Failed(e) => e.to_string(),
    }
}
