//! Outgoing webhooks: an organization's endpoints, the messages each event gives them, and
//! every attempt to deliver one.
//!
//! The wire format is Standard Webhooks v1 (signed `webhook-id`, `webhook-timestamp`,
//! `webhook-signature` headers); signing and sending belong to the adapter behind
//! [`ports::WebhookTransport`]. What lives here is what the business decides: which events an
//! endpoint hears, what the payload says, how long and how often a message is retried, and
//! when an endpoint is switched off.

pub mod ports;

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::identity::OrgId;
use crate::payments::{Payment, PaymentEvent};

pub use crate::retry::RetrySchedule;

/// An endpoint's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EndpointId(pub Uuid);

/// The event types an endpoint may subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "payment.paid",
    "payment.failed",
    "payment.cancelled",
    "payment.held",
    "refund.succeeded",
    "refund.failed",
];

/// The type of the message a test send delivers (every endpoint accepts it).
pub const TEST_TYPE: &str = "webhook.test";

/// Where an organization wants its events sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Id.
    pub id: EndpointId,
    /// Organization.
    pub org: OrgId,
    /// `https://…` (plain `http` only where the operator allows private targets).
    pub url: String,
    /// A note for people.
    pub description: String,
    /// The types it hears; empty for all of them.
    pub event_types: Vec<String>,
    /// Signing secrets, newest first: during a rotation the previous one signs too, until
    /// it expires.
    pub secrets: Vec<SigningSecret>,
    /// Whether messages are sent.
    pub enabled: bool,
    /// Why it was switched off (`gone`: it answered 410; `failing`: a message exhausted its
    /// retries; `manual`).
    pub disabled_reason: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// One signing secret (`whsec_` and base64), and when it stops signing.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret {
    /// The secret as shown to its owner once.
    pub secret: String,
    /// `None` for the current secret; the end of the overlap for a previous one.
    pub expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningSecret")
            .field("secret", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Endpoint {
    /// Whether it hears messages of `event_type`.
    pub fn hears(&self, event_type: &str) -> bool {
        event_type == TEST_TYPE
            || self.event_types.is_empty()
            || self.event_types.iter().any(|t| t == event_type)
    }

    /// The secrets that sign at `now`: the current one and any previous one not yet expired.
    pub fn signing_at(&self, now: DateTime<Utc>) -> Vec<String> {
        self.secrets
            .iter()
            .filter(|s| s.expires_at.is_none_or(|e| e > now))
            .map(|s| s.secret.clone())
            .collect()
    }
}

/// Where an endpoint's URL points, without its path, query or fragment (receivers often put
/// a token there): what the audit log keeps of it.
pub fn url_origin(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    &url[..end]
}

/// Checks a subscription list: known types, each once.
pub fn check_event_types(types: &[String]) -> Result<(), crate::DomainError> {
    for (i, t) in types.iter().enumerate() {
        if !EVENT_TYPES.contains(&t.as_str()) && !crate::events::TYPES.contains(&t.as_str()) {
            return Err(crate::DomainError::invalid(
                format!("/event_types/{i}"),
                "unknown_event_type",
                format!(
                    "one of: {}, {}",
                    EVENT_TYPES.join(", "),
                    crate::events::TYPES.join(", ")
                ),
            ));
        }
        if types[..i].contains(t) {
            return Err(crate::DomainError::invalid(
                format!("/event_types/{i}"),
                "duplicate",
                "each event type once",
            ));
        }
    }
    Ok(())
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    /// Waiting for its next attempt.
    Pending,
    /// An attempt got a 2xx answer.
    Delivered,
    /// Given up: retries exhausted, or the endpoint answered 410.
    Failed,
}

impl MessageStatus {
    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// The status a stored name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One event for one endpoint: the exact bytes every attempt sends, under one `webhook-id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Id; on the wire `msg_` and its simple form, the receiver's idempotency key.
    pub id: Uuid,
    /// The endpoint.
    pub endpoint: EndpointId,
    /// Organization.
    pub org: OrgId,
    /// The event it reports (a fresh id for a test send).
    pub event_id: Uuid,
    /// `payment.paid`, …
    pub event_type: String,
    /// The JSON body, as sent.
    pub payload: String,
    /// Where it stands.
    pub status: MessageStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When a 2xx answer came.
    pub delivered_at: Option<DateTime<Utc>>,
    /// What the next attempt is: `scheduled`, `manual` (a redelivery) or `test`.
    pub trigger: String,
}

impl Message {
    /// The `webhook-id` header.
    pub fn webhook_id(&self) -> String {
        format!("msg_{}", self.id.simple())
    }

    /// A message for `endpoint`, due at once.
    pub fn new(
        endpoint: &Endpoint,
        event_id: Uuid,
        event_type: &str,
        data: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Self {
        let payload = json!({
            "type": event_type,
            "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": data,
        });
        Self {
            id: Uuid::now_v7(),
            endpoint: endpoint.id,
            org: endpoint.org,
            event_id,
            event_type: event_type.to_owned(),
            payload: payload.to_string(),
            status: MessageStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(at),
            created_at: at,
            delivered_at: None,
            trigger: "scheduled".to_owned(),
        }
    }
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The message.
    pub message: Uuid,
    /// 1 for the first.
    pub number: u32,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// The answer's status, when one came.
    pub status_code: Option<u16>,
    /// The start of the answer's body, or why no answer came.
    pub excerpt: String,
    /// How long it took.
    pub duration_ms: u64,
    /// `scheduled`, `manual` (a redelivery) or `test`.
    pub trigger: String,
}

/// The webhook type of a payment event, when it is one endpoints hear.
pub fn type_of(e: &PaymentEvent) -> Option<&'static str> {
    let field = |k: &str| e.detail.get(k).and_then(serde_json::Value::as_str);
    match e.kind.as_str() {
        "state_changed" => match field("to")? {
            "paid" => Some("payment.paid"),
            "declined" | "failed" => Some("payment.failed"),
            "cancelled" | "expired" => Some("payment.cancelled"),
            "on_hold" => Some("payment.held"),
            _ => None,
        },
        "refund_settled" => match field("state")? {
            "succeeded" => Some("refund.succeeded"),
            "failed" if e.refund_never_sent() => None,
            "failed" => Some("refund.failed"),
            _ => None,
        },
        _ => None,
    }
}

/// The `data` of a payment event's message: the payment as it stands now, and the event.
pub fn payment_data(e: &PaymentEvent, p: &Payment) -> serde_json::Value {
    let mut data = json!({
        "event_id": e.id.0,
        "payment_id": p.id.0,
        "org_id": p.org_id.0,
        "contract_id": p.contract_id.map(|c| c.0),
        "instalment": p.instalment_seq,
        "amount": { "minor": p.amount.minor(), "currency": p.amount.currency().code(), "value": p.amount.amount_string() },
        "refunded_minor": p.refunded.minor(),
        "state": p.state.as_str(),
        "occurred_at": e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    });
    if let Some(refund) = e.detail.get("refund_id") {
        data["refund_id"] = refund.clone();
    }
    data
}

#[cfg(test)]
mod tests;
