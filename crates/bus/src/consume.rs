//! Feeding one consumer from its queue: each delivery names an event (the message id), the
//! handler handles that event, and the delivery is acknowledged once the handler's effects
//! and mark are committed. A failed event is returned to the queue after a pause that grows
//! with its attempts; the broker dead-letters it after the last ([`Topology::attempts`]), so
//! it never blocks the events behind it. A lost connection is re-made after a jittered,
//! growing pause; deliveries not acknowledged by then come back (the handler finds them
//! marked and only acknowledges them).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, BasicRejectOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ConnectionProperties};
use nestcms_domain::payments::model::TraceContext;
use nestcms_resilience::{RetryPolicy, full_jitter};
use secrecy::{ExposeSecret, SecretString};
use tokio::task::JoinSet;
use tracing::Instrument;
use uuid::Uuid;

use crate::{BusError, Topology};

/// Deliveries a consumer took from its queue, by consumer and outcome (`handled`, `retried`,
/// `dead_lettered`, `malformed`).
pub const CONSUMED: &str = "nestcms_consumer_deliveries_total";

/// How long a consumer waits before reconnecting after losing the broker.
const RECONNECT: RetryPolicy = RetryPolicy {
    attempts: u32::MAX,
    base: Duration::from_millis(500),
    max: Duration::from_secs(10),
    deadline: Duration::MAX,
};

/// The pause before a failed event goes back to its queue: 1 s doubling to 30 s, so a
/// passing fault (a database fail-over) has time to pass before the attempts run out.
fn pause_before_return(attempt: u32) -> Duration {
    Duration::from_secs(1 << attempt.saturating_sub(1).min(5)).min(Duration::from_secs(30))
}

/// Consumes `consumer`'s queue until `stop` resolves, `prefetch` deliveries at a time (handled
/// concurrently), calling `handle` with each event's id. `report` hears whether the consumer
/// is connected and consuming.
pub async fn consume<H, Fut>(
    url: SecretString,
    topology: Arc<Topology>,
    consumer: String,
    prefetch: u16,
    handle: H,
    stop: impl Future<Output = ()>,
    report: impl Fn(Result<(), String>),
) where
    H: Fn(Uuid) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    // Every outcome is a series from the start, so a rate or an alert sees the first one.
    for outcome in ["handled", "retried", "dead_lettered", "malformed"] {
        metrics::counter!(CONSUMED, "consumer" => consumer.clone(), "outcome" => outcome)
            .increment(0);
    }
    tokio::pin!(stop);
    let mut failures = 0_u32;
    loop {
        let session = session(
            &url,
            &topology,
            &consumer,
            prefetch,
            handle.clone(),
            &report,
        );
        let why = tokio::select! {
            () = &mut stop => return,
            why = session => why,
        };
        failures = failures.saturating_add(1);
        tracing::warn!(consumer, error = %why, "consumer lost the message broker; reconnecting");
        report(Err(why.to_string()));
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(full_jitter(RECONNECT, failures)) => {}
        }
    }
}

/// One connection's worth of consuming; returns why it ended.
async fn session<H, Fut>(
    url: &SecretString,
    topology: &Topology,
    consumer: &str,
    prefetch: u16,
    handle: H,
    report: &impl Fn(Result<(), String>),
) -> BusError
where
    H: Fn(Uuid) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    // The connection lives as long as its deliveries are read.
    let (_connection, mut deliveries) = match open(url, topology, consumer, prefetch).await {
        Ok(d) => d,
        Err(e) => return e,
    };
    report(Ok(()));
    tracing::info!(consumer, queue = %topology.queue(consumer), "consuming");
    let mut running = JoinSet::new();
    let name: Arc<str> = Arc::from(consumer);
    loop {
        tokio::select! {
            next = deliveries.next() => match next {
                Some(Ok(d)) => {
                    let attempts = topology.attempts;
                    running.spawn(settle(d, Arc::clone(&name), attempts, handle.clone()));
                }
                Some(Err(e)) => return e.into(),
                None => return BusError::Closed,
            },
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
}

async fn open(
    url: &SecretString,
    topology: &Topology,
    consumer: &str,
    prefetch: u16,
) -> Result<(Connection, lapin::Consumer), BusError> {
    let connection =
        Connection::connect(url.expose_secret(), ConnectionProperties::default()).await?;
    let channel = connection.create_channel().await?;
    topology.declare_for(&channel, consumer).await?;
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    let deliveries = channel
        .basic_consume(
            topology.queue(consumer).as_str().into(),
            format!("nestcms-{consumer}").as_str().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    Ok((connection, deliveries))
}

/// Handles one delivery and tells the broker how it went.
async fn settle<H, Fut>(d: Delivery, consumer: Arc<str>, attempts: u32, handle: H)
where
    H: Fn(Uuid) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let c = consumer.to_string();
    let Some(id) = d
        .properties
        .message_id()
        .as_ref()
        .and_then(|m| Uuid::parse_str(m.as_str()).ok())
    else {
        // Not one of ours: straight to the dead letters, where an operator can look at it.
        tracing::error!(consumer = c, routing_key = %d.routing_key, "message without an event id; dead-lettered");
        metrics::counter!(CONSUMED, "consumer" => c, "outcome" => "malformed").increment(1);
        let _ = d.reject(BasicRejectOptions { requeue: false }).await;
        return;
    };
    // Quorum queues count earlier deliveries in `x-delivery-count`.
    let attempt = delivery_count(&d).saturating_add(1);
    let span = tracing::info_span!(
        "consume",
        otel.name = format!("process {}", d.routing_key),
        otel.kind = "consumer",
        messaging.system = "rabbitmq",
        messaging.message.id = %id,
        messaging.consumer.group.name = c.as_str(),
        attempt,
    );
    if let Some(t) = trace_of(&d) {
        nestcms_telemetry::adopt_parent_from(&span, &t);
    }
    // A handler that panics is a failed attempt like any other (the delivery must still be
    // answered, or it would hold a prefetch slot and never reach its delivery limit).
    let outcome = std::panic::AssertUnwindSafe(handle(id).instrument(span))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err("the handler panicked".to_owned()));
    match outcome {
        Ok(()) => {
            metrics::counter!(CONSUMED, "consumer" => c, "outcome" => "handled").increment(1);
            // A lost acknowledgement only means the event comes again, marked.
            let _ = d.ack(BasicAckOptions::default()).await;
        }
        Err(why) => {
            let outcome = if attempt >= attempts {
                tracing::error!(consumer = c, event.id = %id, attempt, error = %why, "event failed its last attempt; dead-lettered");
                "dead_lettered"
            } else {
                tracing::warn!(consumer = c, event.id = %id, attempt, error = %why, "event failed; it comes back after a pause");
                tokio::time::sleep(pause_before_return(attempt)).await;
                "retried"
            };
            metrics::counter!(CONSUMED, "consumer" => c, "outcome" => outcome).increment(1);
            let back = BasicNackOptions {
                requeue: true,
                multiple: false,
            };
            let _ = d.nack(back).await;
        }
    }
}

fn header<'a>(d: &'a Delivery, name: &str) -> Option<&'a AMQPValue> {
    d.properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(name))
}

fn delivery_count(d: &Delivery) -> u32 {
    header(d, "x-delivery-count")
        .and_then(|v| match v {
            AMQPValue::LongLongInt(n) => u32::try_from(*n).ok(),
            AMQPValue::LongInt(n) => u32::try_from(*n).ok(),
            AMQPValue::LongUInt(n) => Some(*n),
            AMQPValue::ShortInt(n) => u32::try_from(*n).ok(),
            AMQPValue::ShortUInt(n) => Some(u32::from(*n)),
            _ => None,
        })
        .unwrap_or(0)
}

fn trace_of(d: &Delivery) -> Option<TraceContext> {
    let text = |v: &AMQPValue| match v {
        AMQPValue::LongString(s) => Some(s.to_string()),
        _ => None,
    };
    let traceparent = header(d, "traceparent").and_then(text)?;
    let tracestate = header(d, "tracestate").and_then(text);
    Some(TraceContext {
        traceparent,
        tracestate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_event_waits_longer_each_time_up_to_half_a_minute() {
        let waits: Vec<u64> = (1..=8).map(|a| pause_before_return(a).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
