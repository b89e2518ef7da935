//! RabbitMQ adapter for running several instances. The event logs (payment events, domain
//! events, the security events people are told of; append-only) are the outbox, and [`relay`]
//! hands every event to the durable topic exchange `<namespace>.events` with publisher
//! confirms, recording each confirmed delivery. Delivery is at-least-once (a crash between the
//! broker's confirm and the record, or two relays racing, can repeat an event); consumers
//! deduplicate on the AMQP `message_id`, the event id.
//!
//! [`consume`] feeds one consumer from its own queue ([`Topology`]), acknowledging what it
//! handled and dead-lettering what failed too often. The relay also publishes every circuit
//! breaker state change of its process (`breaker.<name>`), kept in memory while the broker is
//! away.
//!
//! In the embedded mode there is no broker: consumers poll the logs.

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use nestcms_domain::events::Relayed;
use nestcms_resilience::Transition;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tracing::Instrument;

mod consume;
mod relay;
mod topology;

pub use consume::{CONSUMED, consume};
pub use relay::{RELAY_LAG, breaker_config, relay};
pub use topology::{Subscription, Topology, declare_exchange};

/// The namespace of a deployment that sets none: exchange `nestcms.events`.
pub const DEFAULT_NAMESPACE: &str = "nestcms";

/// The default namespace's exchange; routing key `payment.<kind>` for payment events, the
/// type for domain events (`offer.sent`, …), `security.<kind>` for account changes and
/// `breaker.<name>` for circuit breaker state changes.
pub const EXCHANGE: &str = "nestcms.events";

/// How many events one pass of the relay takes from the outbox.
pub(crate) const BATCH: u32 = 100;

/// What can go wrong talking to the broker.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// Connection, channel or protocol failure.
    #[error("message broker: {0}")]
    Broker(#[from] lapin::Error),
    /// The broker refused (nacked) a message.
    #[error("message broker refused event {0}")]
    Nacked(String),
    /// The broker ended a consumer's deliveries.
    #[error("message broker closed the consumer")]
    Closed,
}

impl BusError {
    /// A refusal, saying what was refused.
    fn naming(self, what: &str) -> Self {
        match self {
            Self::Nacked(_) => Self::Nacked(what.to_owned()),
            other => other,
        }
    }
}

/// A channel in confirm mode on a declared exchange.
pub struct Broker {
    channel: Channel,
    connection: Connection,
    exchange: String,
}

impl Broker {
    /// Connects, declares the [`Topology`] (so no event is published before the consumers'
    /// queues exist to keep it) and turns on publisher confirms.
    pub async fn connect(url: &SecretString, topology: &Topology) -> Result<Self, BusError> {
        let connection =
            Connection::connect(url.expose_secret(), ConnectionProperties::default()).await?;
        let channel = connection.create_channel().await?;
        topology.declare(&channel).await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        Ok(Self {
            channel,
            connection,
            exchange: topology.exchange(),
        })
    }

    /// Whether the connection is still up (a broker that went away closes it).
    pub fn is_connected(&self) -> bool {
        self.connection.status().connected()
    }

    /// Publishes breaker state changes in order, each confirmed before the next.
    pub async fn publish_changes(&self, changes: &[Transition]) -> Result<(), BusError> {
        for t in changes {
            self.publish_change(t).await?;
        }
        Ok(())
    }

    /// Publishes events in order, each confirmed before the next.
    pub async fn publish_all(&self, events: &[Relayed]) -> Result<(), BusError> {
        for e in events {
            self.publish(e).await?;
        }
        Ok(())
    }

    /// Publishes a breaker's state change (routing key `breaker.<name>`, not persistent: it
    /// describes this process at one moment) and waits for the broker's confirm.
    pub async fn publish_change(&self, t: &Transition) -> Result<(), BusError> {
        let at = chrono::DateTime::from_timestamp_millis(i64::try_from(t.at_ms).unwrap_or(0));
        let body = json!({ "breaker": t.breaker, "from": t.from, "to": t.to, "at": at });
        let props = BasicProperties::default().with_delivery_mode(1);
        self.publish_json(&format!("breaker.{}", t.breaker), &body, props)
            .await
            .map_err(|e| e.naming(&format!("breaker change of {}", t.breaker)))
    }

    /// Publishes one event as persistent JSON and waits for the broker's confirm, in a
    /// producer span of the trace the event was recorded in.
    pub async fn publish(&self, e: &Relayed) -> Result<(), BusError> {
        let span = tracing::info_span!(
            "publish",
            otel.name = format!("publish {}", e.routing_key),
            otel.kind = "producer",
            messaging.system = "rabbitmq",
            messaging.message.id = %e.id,
        );
        if let Some(t) = &e.trace_context {
            nestcms_telemetry::adopt_parent_from(&span, t);
        }
        self.publish_traced(e).instrument(span).await
    }

    async fn publish_traced(&self, e: &Relayed) -> Result<(), BusError> {
        let mut props = BasicProperties::default()
            .with_delivery_mode(2)
            .with_message_id(e.id.to_string().into());
        // The trace of the request that recorded the event, as W3C headers (this publish span
        // as the parent when spans are on), so a consumer's work joins it.
        let trace = nestcms_telemetry::current().or_else(|| e.trace_context.clone());
        if let Some(t) = trace {
            let mut headers = FieldTable::default();
            headers.insert(
                "traceparent".into(),
                AMQPValue::LongString(t.traceparent.into()),
            );
            if let Some(state) = t.tracestate {
                headers.insert("tracestate".into(), AMQPValue::LongString(state.into()));
            }
            props = props.with_headers(headers);
        }
        self.publish_json(&e.routing_key, &e.body, props)
            .await
            .map_err(|err| err.naming(&e.id.to_string()))
    }

    /// Publishes `body` as JSON with `props` and waits for the broker's confirm.
    async fn publish_json(
        &self,
        routing_key: &str,
        body: &serde_json::Value,
        props: BasicProperties,
    ) -> Result<(), BusError> {
        let payload = serde_json::to_vec(body).unwrap_or_default();
        let confirm = self
            .channel
            .basic_publish(
                self.exchange.as_str().into(),
                routing_key.into(),
                BasicPublishOptions::default(),
                &payload,
                props.with_content_type("application/json".into()),
            )
            .await?
            .await?;
        if confirm.is_nack() {
            return Err(BusError::Nacked(String::new()));
        }
        Ok(())
    }
}
