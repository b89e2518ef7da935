//! Payment entities.

use crate::text::text_enum;
use chrono::{DateTime, Utc};

use super::PaymentState;
use crate::construction::ContractId;
use crate::identity::{OrgId, UserId};
use crate::money::Money;

crate::define_id!(
    /// Identifies a payment; also its PayTabs `cart_id`.
    PaymentId
);
crate::define_id!(
    /// Identifies a refund; also its PayTabs follow-up `cart_id`.
    RefundId
);
crate::define_id!(
    /// Identifies a payment event.
    PaymentEventId
);

/// A charge to a client: a contract instalment or an ad-hoc amount.
#[derive(Debug, Clone)]
pub struct Payment {
    /// Id (the PayTabs cart id).
    pub id: PaymentId,
    /// Organization.
    pub org_id: OrgId,
    /// Who pays.
    pub client_id: UserId,
    /// The contract, for an instalment.
    pub contract_id: Option<ContractId>,
    /// The instalment's position.
    pub instalment_seq: Option<u32>,
    /// Amount.
    pub amount: Money,
    /// Shown on the payment page.
    pub description: String,
    /// State.
    pub state: PaymentState,
    /// PayTabs transaction reference once a page is issued.
    pub tran_ref: Option<String>,
    /// The hosted page.
    pub redirect_url: Option<String>,
    /// When the page was issued.
    pub page_issued_at: Option<DateTime<Utc>>,
    /// Refunded so far (same currency).
    pub refunded: Money,
    /// Who created it.
    pub created_by: UserId,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

text_enum!(
    /// Where a refund stands.
    RefundState {
        /// Reserved against the payment; the gateway has not answered.
        Pending => "pending",
        /// The gateway refunded it.
        Succeeded => "succeeded",
        /// The gateway refused it; the amount is free again.
        Failed => "failed",
    }
);

impl RefundState {
    /// How the gateway's answer settles a refund: approved is done, an answer still to come
    /// keeps it pending (the reconciler asks again), anything else frees the amount.
    pub const fn from_outcome(o: super::ports::GatewayOutcome) -> Self {
        use super::ports::GatewayOutcome as O;
        match o {
            O::Approved => Self::Succeeded,
            // An answer we cannot read must not free the amount: the gateway may have refunded.
            O::Pending | O::Open | O::OnHold | O::Unknown => Self::Pending,
            O::Declined | O::Cancelled | O::Expired | O::Error => Self::Failed,
        }
    }
}

/// Money going back to the client.
#[derive(Debug, Clone)]
pub struct Refund {
    /// Id (the follow-up's cart id).
    pub id: RefundId,
    /// The payment.
    pub payment_id: PaymentId,
    /// Amount.
    pub amount: Money,
    /// Why.
    pub reason: String,
    /// State.
    pub state: RefundState,
    /// The gateway's refund transaction.
    pub tran_ref: Option<String>,
    /// Who asked.
    pub created_by: UserId,
    /// Asked.
    pub created_at: DateTime<Utc>,
    /// Settled.
    pub settled_at: Option<DateTime<Utc>>,
}

/// One line of a payment's append-only history.
#[derive(Debug, Clone)]
pub struct PaymentEvent {
    /// Id (time-ordered).
    pub id: PaymentEventId,
    /// The payment.
    pub payment_id: PaymentId,
    /// `created`, `page_issued`, `ipn_received`, `verified`, `state_changed`, `held_for_review`,
    /// `refund_requested`, `refund_settled`, `reconciled`, …
    pub kind: String,
    /// Who acted, when a person did.
    pub actor: Option<UserId>,
    /// `api`, `ipn`, `return`, `reconciler`.
    pub source: String,
    /// PayTabs trace or IPN trace.
    pub gateway_trace: Option<String>,
    /// Facts of the event (states, amounts, references); never secrets.
    pub detail: serde_json::Value,
    /// When.
    pub at: DateTime<Utc>,
    /// The W3C trace context of the work that recorded it, so whoever handles the event later
    /// (the relay, a consumer) continues the same trace. Filled in by the storage adapter.
    pub trace_context: Option<TraceContext>,
}

/// A W3C trace context as its two header values; opaque to the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// `traceparent`.
    pub traceparent: String,
    /// `tracestate`, when there is one.
    pub tracestate: Option<String>,
}

impl PaymentEvent {
    /// An event stamped now.
    pub fn new(
        payment_id: PaymentId,
        kind: &str,
        source: &str,
        actor: Option<UserId>,
        detail: serde_json::Value,
    ) -> Self {
        Self {
            id: PaymentEventId::new(),
            payment_id,
            kind: kind.to_owned(),
            actor,
            source: source.to_owned(),
            gateway_trace: None,
            detail,
            at: Utc::now(),
            trace_context: None,
        }
    }

    /// With the gateway's trace.
    pub fn traced(mut self, trace: Option<String>) -> Self {
        self.gateway_trace = trace;
        self
    }

    /// A refund settled as failed because it was never sent (the gateway's circuit was open):
    /// the requester was told at once and nothing reached the gateway, so nobody else is told
    /// of a refusal that did not happen.
    pub fn refund_never_sent(&self) -> bool {
        self.kind == "refund_settled"
            && self.detail.get("sent") == Some(&serde_json::Value::Bool(false))
    }

    /// The event as the broker carries it (routing key `payment.<kind>`).
    pub fn relayed(&self) -> crate::events::Relayed {
        crate::events::Relayed {
            id: self.id.0,
            routing_key: format!("payment.{}", self.kind),
            body: serde_json::json!({
                "id": self.id.0,
                "payment_id": self.payment_id.0,
                "kind": self.kind,
                "actor_id": self.actor.map(|a| a.0),
                "source": self.source,
                "gateway_trace": self.gateway_trace,
                "detail": self.detail,
                "at": self.at,
            }),
            at: self.at,
            trace_context: self.trace_context.clone(),
        }
    }
}
