//! Consumers that turn events into notifications. Each keeps its own marks on the events it
//! handled (written with its messages, in one transaction), so a restart resumes where it
//! stopped and no event gives a message twice, even when several instances run the same
//! consumer at once.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use nestcms_domain::PortError;
use nestcms_domain::identity::UserId;
use nestcms_domain::notify::ports::NotificationStore;
use nestcms_domain::notify::{Language, Notification, payment_receipt};
use nestcms_domain::payments::PaymentEvent;
use nestcms_domain::payments::ports::PaymentRepository;
use tokio::sync::broadcast;

/// The receipts consumer's name, as its marks record it.
pub const RECEIPTS: &str = "receipts";

/// How many events one round reads.
const BATCH: u32 = 100;

/// Sends each paying client a receipt once their payment is paid.
#[derive(Clone)]
pub struct Receipts {
    store: Arc<dyn NotificationStore>,
    payments: Arc<dyn PaymentRepository>,
}

impl Receipts {
    /// A consumer over these ports.
    pub fn new(store: Arc<dyn NotificationStore>, payments: Arc<dyn PaymentRepository>) -> Self {
        Self { store, payments }
    }

    /// Handles every payment that became paid and has no receipt yet; returns how many events
    /// it handled.
    pub async fn round(&self) -> Result<usize, PortError> {
        let mut total = 0;
        loop {
            let events = self.store.paid_unhandled(RECEIPTS, BATCH).await?;
            for e in &events {
                let out = match self.payments.payment_by_id(e.payment_id).await? {
                    // Language preferences come with the user settings; English until then.
                    Some(p) => vec![payment_receipt(&p, Language::En, e.id.0, Utc::now())],
                    None => Vec::new(),
                };
                self.store.handled(RECEIPTS, e.id, &out).await?;
            }
            total += events.len();
            if events.len() < BATCH as usize {
                return Ok(total);
            }
        }
    }

    /// Runs rounds until `stop` completes: at once when a payment event is recorded on this
    /// instance, and every `every` for those recorded elsewhere (another instance, a worker).
    /// A failed round is reported and tried again at the next wake-up.
    pub async fn run(
        self,
        mut events: broadcast::Receiver<PaymentEvent>,
        every: Duration,
        stop: impl Future<Output = ()>,
        report: impl Fn(Result<(), String>),
    ) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        let mut open = true;
        loop {
            match self.round().await {
                Ok(0) => report(Ok(())),
                Ok(n) => {
                    tracing::info!(notifications.events = n, "receipts recorded");
                    report(Ok(()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "receipts round failed; will retry");
                    report(Err(e.to_string()));
                }
            }
            tokio::select! {
                () = &mut stop => return,
                _ = tick.tick() => {}
                // A lagged receiver only means several events came at once: one round reads
                // them all. A closed one leaves the ticks.
                got = events.recv(), if open => {
                    open = !matches!(got, Err(broadcast::error::RecvError::Closed));
                }
            }
        }
    }

    /// A user's notifications, newest first (at most `limit`).
    pub async fn of(&self, user: UserId, limit: u32) -> Result<Vec<Notification>, PortError> {
        self.store.notifications_of(user, limit).await
    }
}
