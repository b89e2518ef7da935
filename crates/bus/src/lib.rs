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
    /// The outbox could not be read or updated.
    #[error("outbox: {0}")]
    Outbox(String),
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
    _connection: Connection,
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
            _connection: connection,
        })
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

/// Drains the outbox into the broker until `stop` resolves: after every wake-up (an in-process
/// event was recorded) and at least once a second; reconnects with a pause after any failure.
/// `report` hears how each round went (events wait in the outbox while rounds fail).
pub async fn relay(
    url: SecretString,
    outbox: Arc<dyn EventOutbox>,
    mut wake: tokio::sync::broadcast::Receiver<PaymentEvent>,
    stop: impl std::future::Future<Output = ()>,
    report: impl Fn(Result<(), String>),
) {
    tokio::pin!(stop);
    let mut broker: Option<Broker> = None;
    loop {
        if broker.is_none() {
            match Broker::connect(&url).await {
                Ok(b) => broker = Some(b),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot reach the message broker; retrying");
                    report(Err(format!("cannot reach the message broker: {e}")));
                }
            }
        }
        if let Some(b) = &broker {
            match drain(b, outbox.as_ref()).await {
                Ok(_) => report(Ok(())),
                Err(e) => {
                    tracing::warn!(error = %e, "event relay interrupted; reconnecting");
                    report(Err(format!("event relay interrupted: {e}")));
                    broker = None;
                }
            }
        }
        let pause = if broker.is_some() {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(2)
        };
        tokio::select! {
            () = &mut stop => return,
            _ = wake.recv() => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// Publishes every undelivered event, oldest first, recording each confirmed batch.
pub async fn drain(broker: &Broker, outbox: &dyn EventOutbox) -> Result<usize, BusError> {
    let mut sent = 0;
    loop {
        let batch = outbox
            .undelivered(BATCH)
            .await
            .map_err(|e| BusError::Outbox(e.to_string()))?;
        if batch.is_empty() {
            return Ok(sent);
        }
        for e in &batch {
            broker.publish(e).await?;
        }
        let ids: Vec<_> = batch.iter().map(|e| e.id).collect();
        outbox
            .delivered(&ids, Utc::now())
            .await
            .map_err(|e| BusError::Outbox(e.to_string()))?;
        sent += batch.len();
    }
}
