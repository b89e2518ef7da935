//! What the payment use cases need from storage.

use chrono::{DateTime, Utc};

use super::{Payment, PaymentEvent, PaymentId, PaymentState, Refund, RefundId};
use crate::construction::ports::Page;
use crate::identity::{OrgId, UserId};
use crate::ports::PortError;

/// Result of trying to reserve a refund against a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// Reserved (pending); the amount is no longer available to other refunds.
    Reserved,
    /// More than what remains refundable (minor units remaining given).
    Exceeds {
        /// What can still be refunded.
        remaining: i64,
    },
    /// The payment is not paid (or already fully refunded).
    NotRefundable(PaymentState),
}

/// Payments, refunds, IPN receipts and the event log.
#[async_trait::async_trait]
pub trait PaymentRepository: Send + Sync {
    /// Stores a payment with its first event; [`PortError::Duplicate`] when the instalment
    /// already has a live payment.
    async fn insert_payment(
        &self,
        p: &Payment,
        event: &PaymentEvent,
        key: Option<&IdempotencyBinding>,
    ) -> Result<(), PortError>;
    /// One payment of an organization.
    async fn payment(&self, org: OrgId, id: PaymentId) -> Result<Option<Payment>, PortError>;
    /// One payment by id alone (gateway callbacks carry no organization).
    async fn payment_by_id(&self, id: PaymentId) -> Result<Option<Payment>, PortError>;
    /// Payments of an organization (optionally one client's, optionally in one state), one
    /// page in id (creation) order after the page's cursor.
    async fn payments(
        &self,
        org: OrgId,
        client: Option<UserId>,
        state: Option<PaymentState>,
        page: Page,
    ) -> Result<Vec<Payment>, PortError>;
    /// `created → pending` with the page's reference, if still created; events in the same
    /// transaction.
    async fn issue_page(
        &self,
        id: PaymentId,
        tran_ref: &str,
        redirect_url: &str,
        at: DateTime<Utc>,
        events: &[PaymentEvent],
    ) -> Result<bool, PortError>;
    /// Moves the state if it is still `from`, with events, in one transaction; false otherwise.
    async fn move_payment(
        &self,
        id: PaymentId,
        from: PaymentState,
        to: PaymentState,
        at: DateTime<Utc>,
        events: &[PaymentEvent],
    ) -> Result<bool, PortError>;
    /// Appends events.
    async fn record_payment_events(&self, events: &[PaymentEvent]) -> Result<(), PortError>;
    /// Records an IPN delivery; false when this (tran_ref, ipn_trace) was already received.
    async fn claim_ipn(
        &self,
        tran_ref: &str,
        ipn_trace: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, PortError>;
    /// Reserves a refund: locks the payment, checks its state and that paid − (pending +
    /// succeeded refunds) covers the amount, stores the refund as pending with its event.
    async fn reserve_refund(
        &self,
        r: &Refund,
        event: &PaymentEvent,
        key: Option<&IdempotencyBinding>,
    ) -> Result<Reservation, PortError>;
    /// Settles a pending refund; on success adds it to the payment's refunded total and moves
    /// the payment to partially refunded or refunded. Returns the payment after.
    async fn settle_refund(
        &self,
        id: RefundId,
        payment: PaymentId,
        succeeded: bool,
        tran_ref: Option<&str>,
        at: DateTime<Utc>,
        events: &[PaymentEvent],
    ) -> Result<Payment, PortError>;
    /// Refunds of a payment, oldest first.
    async fn refunds(&self, payment: PaymentId) -> Result<Vec<Refund>, PortError>;
    /// Events of a payment, oldest first.
    async fn payment_events(&self, payment: PaymentId) -> Result<Vec<PaymentEvent>, PortError>;
    /// The newest `limit` events of every payment, newest first (for platform operators).
    async fn recent_events(&self, limit: u32) -> Result<Vec<PaymentEvent>, PortError>;
    /// Refunds still pending that were requested before `before`, oldest first.
    async fn pending_refunds(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Refund>, PortError>;
    /// Takes a pending refund in hand for reconciliation unless another reconciler did so after
    /// `stale_before`; true when this caller holds it.
    async fn lease_refund(
        &self,
        id: RefundId,
        at: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<bool, PortError>;
    /// Payments still pending (or on hold) whose page was issued before `before`.
    async fn unsettled(&self, before: DateTime<Utc>, limit: u32)
    -> Result<Vec<Payment>, PortError>;
}

/// What the gateway says happened to a transaction, in our words (adapters translate their
/// gateway's codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayOutcome {
    /// No outcome yet.
    Open,
    /// Approved: the money moved.
    Approved,
    /// Accepted but not final yet (a refund being processed).
    Pending,
    /// Held by the gateway for review.
    OnHold,
    /// Declined.
    Declined,
    /// Cancelled or voided.
    Cancelled,
    /// Expired unused.
    Expired,
    /// The gateway reported an error.
    Error,
    /// A code the adapter does not know: recorded, changes nothing.
    Unknown,
}

impl GatewayOutcome {
    /// The stable word for logs and event details.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Approved => "approved",
            Self::Pending => "pending",
            Self::OnHold => "on_hold",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Error => "error",
            Self::Unknown => "unknown",
        }
    }
}

/// A transaction as the gateway reports it (the source of truth for outcomes).
#[derive(Debug, Clone)]
pub struct GatewayTransaction {
    /// The gateway's reference.
    pub tran_ref: String,
    /// Our reference (the payment or refund id).
    pub cart_id: String,
    /// What was charged; `None` when the gateway reported an amount or currency we cannot
    /// read (treated as a mismatch).
    pub amount: Option<crate::Money>,
    /// The outcome.
    pub outcome: GatewayOutcome,
    /// The gateway's message.
    pub message: String,
    /// Trace (API call or IPN delivery).
    pub trace: Option<String>,
}

/// A hosted payment page.
#[derive(Debug, Clone)]
pub struct GatewayPage {
    /// The gateway's reference.
    pub tran_ref: String,
    /// Where to send the client.
    pub redirect_url: String,
    /// Trace of the call.
    pub trace: Option<String>,
}

/// Why a gateway call failed.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The gateway refused the request (its code and message).
    #[error("gateway refused: {code} {message}")]
    Refused {
        /// Gateway code (4 = duplicate request).
        code: i64,
        /// Gateway message.
        message: String,
    },
    /// Not reachable, timed out, or answered 5xx: retry later.
    #[error("gateway unavailable: {0}")]
    Unavailable(String),
    /// The gateway answered that it is busy and asked to be called again after `retry_after`.
    #[error("gateway busy; asked to wait {} s", retry_after.as_secs())]
    Busy {
        /// As the gateway asked.
        retry_after: std::time::Duration,
    },
    /// Not called: its circuit breaker is open after recent failures.
    #[error("gateway circuit open; retry in {} s", retry_after.as_secs())]
    CircuitOpen {
        /// When a call will be tried again.
        retry_after: std::time::Duration,
    },
}

impl GatewayError {
    /// Whether the gateway itself is in trouble (as opposed to refusing this request).
    pub const fn is_outage(&self) -> bool {
        !matches!(self, Self::Refused { .. })
    }

    /// How long a client should wait before trying again, for an outage.
    pub fn retry_after_secs(&self) -> u64 {
        match self {
            Self::CircuitOpen { retry_after } | Self::Busy { retry_after } => {
                retry_after.as_secs().max(1)
            }
            Self::Unavailable(_) => 5,
            Self::Refused { .. } => 0,
        }
    }
}

/// A payment gateway (PayTabs in production, its simulator locally).
#[async_trait::async_trait]
pub trait Gateway: Send + Sync {
    /// Opens a hosted page for a payment.
    async fn open_page(&self, p: &Payment) -> Result<GatewayPage, GatewayError>;
    /// The gateway's view of a transaction.
    async fn lookup(&self, tran_ref: &str) -> Result<GatewayTransaction, GatewayError>;
    /// Every transaction the gateway holds under a cart id (empty if it never saw it).
    async fn lookup_cart(&self, cart_id: &str) -> Result<Vec<GatewayTransaction>, GatewayError>;
    /// Refunds part or all of a paid payment.
    async fn refund(&self, p: &Payment, r: &Refund) -> Result<GatewayTransaction, GatewayError>;
    /// Checks a callback's signature over its exact bytes and decodes it; `None` if forged.
    fn verify_callback(
        &self,
        raw_body: &[u8],
        signature: &str,
    ) -> Option<(GatewayTransaction, String)>;
    /// Checks a browser return's signature; returns the transaction reference it names.
    fn verify_return(&self, fields: &[(String, String)]) -> Option<String>;
    /// Whether follow-ups (refunds) would be refused right now without being sent (a breaker
    /// is open), so a refund is not reserved only to be abandoned.
    fn follow_ups_refused(&self) -> Option<GatewayError> {
        None
    }
}

/// What a request carrying an `Idempotency-Key` should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotency {
    /// First time (or an abandoned attempt): run it, then finish or release the key.
    Run,
    /// Done before with the same body: send the stored answer again.
    Replay {
        /// Stored HTTP status.
        status: u16,
        /// Stored body.
        body: String,
    },
    /// The key was used with a different request (422).
    Mismatch,
    /// The first request with this key is still running (409).
    InProgress,
    /// An abandoned attempt had already committed its effect (a payment or refund id): answer
    /// from that effect, never repeat it.
    Resume {
        /// The id of what the first attempt created.
        effect: String,
    },
}

/// The idempotency key a request runs under; stores write its effect's id in the effect's own
/// transaction (see [`Idempotency::Resume`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyBinding {
    /// Whose key it is.
    pub principal: UserId,
    /// The `Idempotency-Key` value.
    pub key: String,
}

/// Idempotency keys, per principal.
#[async_trait::async_trait]
pub trait IdempotencyRepository: Send + Sync {
    /// Claims a key for a request hash. An `in_progress` claim locked before `stale_before` is
    /// considered abandoned and taken over.
    async fn begin(
        &self,
        principal: UserId,
        key: &str,
        hash: &str,
        at: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<Idempotency, PortError>;
    /// Stores the answer of a completed request.
    async fn finish(
        &self,
        principal: UserId,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), PortError>;
    /// Forgets a key whose request failed, so a retry runs again; a key whose effect was
    /// already committed is kept and handed to the next attempt as [`Idempotency::Resume`].
    async fn release(&self, principal: UserId, key: &str) -> Result<(), PortError>;
    /// Deletes keys created before `before` (they live at least 24 hours).
    async fn purge(&self, before: DateTime<Utc>) -> Result<u64, PortError>;
}

/// The event logs (payment events, domain events, security notices) read as one outbox:
/// events not yet handed to the message broker.
#[async_trait::async_trait]
pub trait EventOutbox: Send + Sync {
    /// How many events are not yet delivered, and when the oldest of them was recorded.
    async fn backlog(&self) -> Result<(u64, Option<DateTime<Utc>>), PortError>;
    /// Up to `limit` undelivered events of every log, oldest first.
    async fn undelivered(&self, limit: u32) -> Result<Vec<crate::events::Relayed>, PortError>;
    /// Records that the broker confirmed these events.
    async fn delivered(&self, ids: &[uuid::Uuid], at: DateTime<Utc>) -> Result<(), PortError>;
}
