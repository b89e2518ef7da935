//! From payment events to receivers: [`Fanout`] gives each event one message per endpoint that
//! hears it (recorded with its mark on the event, in one transaction, so a restart neither
//! skips nor repeats one), and [`Sender`] makes the attempts.
//!
//! A message is claimed for a lease longer than one attempt can take, so two instances never
//! send it at once; the attempt is logged with its outcome only by the claim that made it. A
//! crash after the receiver answered but before the log sends the message again with the same
//! `webhook-id`, which Standard Webhooks receivers treat as the same message.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use nestcms_domain::PortError;
use nestcms_domain::events::{DomainEvent, Scan};
use nestcms_domain::payments::PaymentEvent;
use nestcms_domain::payments::ports::PaymentRepository;
use nestcms_domain::webhooks::ports::{
    Answer, Outcome, TargetError, WebhookStore, WebhookTransport,
};
use nestcms_domain::webhooks::{Attempt, Endpoint, Message, RetrySchedule, payment_data, type_of};

use crate::background::{Consumer, Tally};

/// The fan-out consumer's name, as its marks record it.
pub const CONSUMER: &str = "webhooks";

/// Its name for domain events (a progress of its own).
pub const DOMAIN_CONSUMER: &str = "webhooks.domain";

/// How many events or messages one round reads at a time.
const BATCH: u32 = 50;

/// How many attempts one sender makes at once (on different endpoints).
const AT_ONCE: u32 = 8;

/// How often a sender with attempts in flight looks for newly due messages.
const REFILL: Duration = Duration::from_millis(250);

/// The longest a receiver's `Retry-After` may push the next attempt.
const MAX_RETRY_AFTER: u64 = 24 * 3600;

/// Turns payment events into messages for the endpoints that hear them.
#[derive(Clone)]
pub struct Fanout {
    store: Arc<dyn WebhookStore>,
    payments: Arc<dyn PaymentRepository>,
}

impl Fanout {
    /// A consumer over these ports.
    pub fn new(store: Arc<dyn WebhookStore>, payments: Arc<dyn PaymentRepository>) -> Self {
        Self { store, payments }
    }

    /// Handles every event not yet handled; returns how many.
    pub async fn round(&self) -> Result<usize, PortError> {
        self.pass(Scan::Oldest(BATCH)).await
    }

    async fn messages(&self, e: &PaymentEvent) -> Result<(), PortError> {
        let mut out = Vec::new();
        if let Some(kind) = type_of(e)
            && let Some(p) = self.payments.payment_by_id(e.payment_id).await?
        {
            let data = payment_data(e, &p);
            let now = Utc::now();
            for endpoint in self.store.endpoints_of(p.org_id).await? {
                if endpoint.enabled && endpoint.hears(kind) {
                    out.push(Message::new(&endpoint, e.id.0, kind, &data, now));
                }
            }
        }
        self.store.fan_out(CONSUMER, e, &out).await
    }

    /// The payment events `scan` finds.
    async fn payment_pass(&self, scan: Scan) -> Result<usize, PortError> {
        let mut tally = Tally::new(CONSUMER);
        loop {
            let events = self.store.events_unhandled(CONSUMER, scan).await?;
            for e in &events {
                tally.record(e.id.0, self.messages(e).await);
            }
            if let Some(done) = tally.done(scan, events.len()) {
                return done;
            }
        }
    }

    /// The domain events `scan` finds (marked under [`DOMAIN_CONSUMER`]).
    async fn domain_pass(&self, scan: Scan) -> Result<usize, PortError> {
        let mut tally = Tally::new(DOMAIN_CONSUMER);
        loop {
            let events = self
                .store
                .domain_events_unhandled(DOMAIN_CONSUMER, scan)
                .await?;
            for e in &events {
                tally.record(e.id, self.domain_messages(e).await);
            }
            if let Some(done) = tally.done(scan, events.len()) {
                return done;
            }
        }
    }

    async fn domain_messages(&self, e: &DomainEvent) -> Result<(), PortError> {
        let mut data = e.data.clone();
        data["event_id"] = serde_json::json!(e.id);
        data["org_id"] = serde_json::json!(e.org.0);
        let now = Utc::now();
        let out: Vec<Message> = self
            .store
            .endpoints_of(e.org)
            .await?
            .iter()
            .filter(|endpoint| endpoint.enabled && endpoint.hears(&e.kind))
            .map(|endpoint| Message::new(endpoint, e.id, &e.kind, &data, now))
            .collect();
        self.store.fan_out_domain(DOMAIN_CONSUMER, e, &out).await
    }
}

/// One queue for both logs: a delivered event is looked for in each (ids are unique across
/// them), so only its own log finds it.
#[async_trait::async_trait]
impl Consumer for Fanout {
    fn name(&self) -> &'static str {
        CONSUMER
    }

    async fn pass(&self, scan: Scan) -> Result<usize, PortError> {
        let payments = self.payment_pass(scan).await;
        let domain = self.domain_pass(scan).await?;
        Ok(payments? + domain)
    }
}

/// Makes the attempts that are due.
#[derive(Clone)]
pub struct Sender {
    store: Arc<dyn WebhookStore>,
    transport: Arc<dyn WebhookTransport>,
    schedule: RetrySchedule,
    lease: Duration,
}

impl Sender {
    /// Attempts through `transport`, retried on `schedule`, each claimed for `lease`.
    pub fn new(
        store: Arc<dyn WebhookStore>,
        transport: Arc<dyn WebhookTransport>,
        schedule: RetrySchedule,
        lease: Duration,
    ) -> Self {
        Self {
            store,
            transport,
            schedule,
            lease,
        }
    }

    /// Makes the attempts due now, up to [`AT_ONCE`] at once, each on a different endpoint;
    /// a slot that frees is filled with the next due message, and while attempts run it looks
    /// for new ones every [`REFILL`]. Stops when nothing is due or running, or after [`BATCH`];
    /// returns how many were made. A slow receiver holds one slot for at most the timeout, and
    /// an endpoint with a backlog one slot, so other organizations' messages go past both.
    pub async fn round(&self) -> Result<usize, PortError> {
        let lease = chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::minutes(1));
        let mut made = 0;
        let mut running = tokio::task::JoinSet::new();
        loop {
            let free = AT_ONCE.saturating_sub(u32::try_from(running.len()).unwrap_or(AT_ONCE));
            if free > 0 && made < BATCH as usize {
                let now = Utc::now();
                for (m, e) in self.store.claim_messages(now, now + lease, free).await? {
                    made += 1;
                    let me = self.clone();
                    running.spawn(async move { me.attempt(&m, &e).await });
                }
            }
            if running.is_empty() {
                return Ok(made);
            }
            tokio::select! {
                done = running.join_next() => match done {
                    Some(Ok(attempt)) => attempt?,
                    Some(Err(e)) => return Err(PortError::Other(format!("webhook attempt: {e}"))),
                    None => {}
                },
                () = tokio::time::sleep(REFILL) => {}
            }
        }
    }

    async fn attempt(&self, m: &Message, e: &Endpoint) -> Result<(), PortError> {
        let at = Utc::now();
        let started = Instant::now();
        let sent = self
            .transport
            .send(&e.url, &m.webhook_id(), &e.signing_at(at), &m.payload)
            .await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (status_code, excerpt) = match &sent {
            Ok(a) => (Some(a.status), a.excerpt.clone()),
            Err(why) => (None, why.to_string()),
        };
        let outcome = self.outcome(m, &sent);
        let label = match outcome {
            Outcome::Delivered => "delivered",
            Outcome::RetryAt(_) => "retry",
            Outcome::GaveUp { .. } => "failed",
        };
        metrics::counter!("nestcms_webhook_attempts_total", "outcome" => label).increment(1);
        if let Outcome::GaveUp { disable } = outcome {
            tracing::warn!(webhook.message = %m.id, webhook.endpoint = %e.id.0, attempts = m.attempts, disabled = disable.unwrap_or("no"), "webhook message given up");
        }
        let attempt = Attempt {
            message: m.id,
            number: m.attempts,
            at,
            status_code,
            excerpt,
            duration_ms,
            trigger: m.trigger.clone(),
        };
        if !self.store.attempted(&attempt, outcome).await? {
            tracing::warn!(webhook.message = %m.id, "attempt outlived its claim; its outcome is dropped");
        }
        Ok(())
    }

    /// What an attempt's answer means for the message.
    fn outcome(&self, m: &Message, sent: &Result<Answer, TargetError>) -> Outcome {
        let retry_after = match sent {
            Ok(a) if (200..300).contains(&a.status) => return Outcome::Delivered,
            // The receiver says the endpoint is gone for good.
            Ok(a) if a.status == 410 => {
                return Outcome::GaveUp {
                    disable: Some("gone"),
                };
            }
            Err(TargetError::Forbidden(_)) => {
                return Outcome::GaveUp {
                    disable: Some("forbidden_target"),
                };
            }
            Err(TargetError::Invalid(_)) => {
                return Outcome::GaveUp {
                    disable: Some("invalid_url"),
                };
            }
            Ok(a) if matches!(a.status, 429 | 503) => a.retry_after.map(|s| s.min(MAX_RETRY_AFTER)),
            _ => None,
        };
        // A manual redelivery is one attempt; scheduled and test messages follow the schedule.
        let wait = match m.trigger.as_str() {
            "manual" => None,
            _ => self.schedule.after(m.attempts, jitter(m)),
        };
        match wait {
            Some(wait) => {
                let wait = retry_after.map_or(wait, |s| wait.max(Duration::from_secs(s)));
                let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(24));
                Outcome::RetryAt(Utc::now() + wait)
            }
            // Only a real event's message that failed for the whole schedule (days, by
            // default) switches the endpoint off; a failed test or redelivery does not.
            None if m.trigger == "scheduled" => Outcome::GaveUp {
                disable: Some("failing"),
            },
            None => Outcome::GaveUp { disable: None },
        }
    }
}

/// A number in 0.0–1.0 that differs from message to message and attempt to attempt, so
/// messages that failed together come back spread out. The random bits of the message's id
/// are enough: this needs spread, not unpredictability.
fn jitter(m: &Message) -> f64 {
    let bits = (m.id.as_u128() as u64) ^ u64::from(m.attempts).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mixed = bits.wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 40;
    (mixed % 1000) as f64 / 1000.0
}
