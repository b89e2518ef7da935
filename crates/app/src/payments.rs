//! Payments: creation, checkout through the gateway's hosted page, verified callbacks, browser
//! returns, refunds and reconciliation.
//!
//! The gateway's callback is only a hint: it must be signed, and its outcome is then fetched
//! again from the gateway (`lookup`) and checked against the payment (cart id, transaction
//! reference, amount, currency). A mismatch puts the payment on hold for review; it never
//! becomes paid. Every change is a conditional move in the same transaction as its events.

mod flow;
pub mod guarded;
mod instalment;
mod refunds;
mod settle;

use std::sync::Arc;

use nestcms_domain::DomainError;
use nestcms_domain::payments::ports::{Gateway, PaymentRepository};
use nestcms_domain::payments::{PaymentEvent, PaymentState};

pub use flow::NewPayment;
pub use settle::{CallbackError, RECONCILER_ACTIONS};

/// The payment service.
#[derive(Clone)]
pub struct Payments {
    /// Storage.
    pub store: Arc<dyn PaymentRepository>,
    /// The gateway.
    pub gateway: Arc<dyn Gateway>,
    /// In-process publication of every recorded payment event, for later consumers
    /// (notifications, earnings). Subscribers that fall behind miss events (broadcast
    /// semantics); the event log in the database stays the source of truth.
    pub events: tokio::sync::broadcast::Sender<PaymentEvent>,
}

impl Payments {
    /// A service over a store and a gateway.
    pub fn new(store: Arc<dyn PaymentRepository>, gateway: Arc<dyn Gateway>) -> Self {
        Self {
            store,
            gateway,
            events: tokio::sync::broadcast::channel(1024).0,
        }
    }

    /// Receives every payment event recorded from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<PaymentEvent> {
        self.events.subscribe()
    }

    /// A conditional state move; publishes its events when it happened.
    pub(crate) async fn moved(
        &self,
        p: &nestcms_domain::payments::Payment,
        to: PaymentState,
        at: chrono::DateTime<chrono::Utc>,
        events: &[PaymentEvent],
    ) -> Result<bool, DomainError> {
        let happened = self
            .store
            .move_payment(p.id, p.state, to, at, events)
            .await
            .map_err(crate::port)?;
        if happened {
            self.publish(events);
            count(to.as_str(), p.amount);
        }
        Ok(happened)
    }

    /// Appends events and publishes them.
    pub(crate) async fn recorded(&self, events: &[PaymentEvent]) -> Result<(), DomainError> {
        self.store
            .record_payment_events(events)
            .await
            .map_err(crate::port)?;
        self.publish(events);
        Ok(())
    }

    /// Publishes events that were just committed (no subscriber is not an error), and counts
    /// them by kind (`nestcms_payment_events_total{kind}`).
    pub(crate) fn publish(&self, events: &[PaymentEvent]) {
        for e in events {
            metrics::counter!("nestcms_payment_events_total", "kind" => e.kind.clone())
                .increment(1);
            let _ = self.events.send(e.clone());
        }
    }
}

/// Counts a payment reaching `outcome` (`created`, `paid`, `declined`, `refunded`, …) with its
/// amount, by currency: `nestcms_payments_total` and `nestcms_payment_amount_minor_total`
/// (minor units, so the sums are exact). Called only after the change committed.
pub(crate) fn count(outcome: &'static str, amount: nestcms_domain::Money) {
    let currency = amount.currency().code();
    metrics::counter!("nestcms_payments_total", "outcome" => outcome, "currency" => currency)
        .increment(1);
    metrics::counter!("nestcms_payment_amount_minor_total", "outcome" => outcome, "currency" => currency)
        .increment(u64::try_from(amount.minor()).unwrap_or(0));
}
