//! Sagas: what a payment event sets in motion, as named steps with persisted state, so a crash
//! at any step resumes at that step and the people concerned can see how far it got.
//!
//! *Payment* (a payment became paid): the contract's instalment shows paid → its tax invoice
//! is issued → the client has their receipt → the contract's planned project is activated
//! when its first instalment is paid (configurable). *Refund* (a refund settled): when it
//! succeeded, the instalment is owed again if the payment is fully refunded, a credit note is
//! issued against the payment's invoice, and the client is told; when the gateway
//! refused it for good, the reserved amount is released (compensation) and the firm's owners
//! and admins are alerted. Each step is idempotent: one repeated after a crash changes nothing.

pub mod ports;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::identity::OrgId;
use crate::payments::{PaymentEvent, PaymentId};

/// What a saga is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SagaKind {
    /// A payment was paid.
    Payment,
    /// A refund settled.
    Refund,
}

impl SagaKind {
    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Refund => "refund",
        }
    }

    /// The kind a stored name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "payment" => Some(Self::Payment),
            "refund" => Some(Self::Refund),
            _ => None,
        }
    }
}

/// Where a saga stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SagaState {
    /// Steps remain.
    Running,
    /// Every step over: done, skipped, or (a wait that ran out) failed.
    Completed,
    /// What it set out to do failed for good; its compensating steps ran.
    Compensated,
}

impl SagaState {
    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Compensated => "compensated",
        }
    }

    /// The state a stored name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "running" => Some(Self::Running),
            "completed" => Some(Self::Completed),
            "compensated" => Some(Self::Compensated),
            _ => None,
        }
    }
}

/// One step and how it went.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Step {
    /// Its name (`instalment_paid`, `receipt_sent`, `project_activated`, …).
    pub name: String,
    /// `pending`, `done`, `skipped` or `failed`.
    pub status: String,
    /// When it finished.
    pub at: Option<DateTime<Utc>>,
    /// What happened, in words.
    pub note: Option<String>,
}

impl Step {
    fn pending(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            status: "pending".to_owned(),
            at: None,
            note: None,
        }
    }
}

/// A saga and its steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saga {
    /// Id.
    pub id: Uuid,
    /// What it is for.
    pub kind: SagaKind,
    /// Organization.
    pub org: OrgId,
    /// The payment concerned.
    pub payment: PaymentId,
    /// The event that started it (one saga per event).
    pub event_id: Uuid,
    /// Where it stands.
    pub state: SagaState,
    /// Its steps, in order.
    pub steps: Vec<Step>,
    /// Runs so far.
    pub attempts: u32,
    /// When it is next run (while running).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why its last run stopped short.
    pub last_error: Option<String>,
    /// Started.
    pub created_at: DateTime<Utc>,
    /// Last progress.
    pub updated_at: DateTime<Utc>,
}

/// The saga a payment event starts, if any, for a payment of `org`.
pub fn start(e: &PaymentEvent, org: OrgId, at: DateTime<Utc>) -> Option<Saga> {
    if e.refund_never_sent() {
        return None;
    }
    let field = |k: &str| e.detail.get(k).and_then(serde_json::Value::as_str);
    let (kind, steps): (SagaKind, &[&str]) = match (e.kind.as_str(), field("to"), field("state")) {
        ("state_changed", Some("paid"), _) => (
            SagaKind::Payment,
            &[
                "instalment_paid",
                "invoice_issued",
                "receipt_sent",
                "project_activated",
            ],
        ),
        ("refund_settled", _, Some("succeeded")) => (
            SagaKind::Refund,
            &[
                "instalment_reopened",
                "credit_note_issued",
                "client_notified",
            ],
        ),
        ("refund_settled", _, Some("failed")) => {
            (SagaKind::Refund, &["amount_released", "staff_alerted"])
        }
        _ => return None,
    };
    Some(Saga {
        id: Uuid::now_v7(),
        kind,
        org,
        payment: e.payment_id,
        event_id: e.id.0,
        state: SagaState::Running,
        steps: steps.iter().map(|s| Step::pending(s)).collect(),
        attempts: 0,
        next_attempt_at: Some(at),
        last_error: None,
        created_at: at,
        updated_at: at,
    })
}

impl Saga {
    /// The first step not finished.
    pub fn next_step(&self) -> Option<String> {
        self.steps
            .iter()
            .find(|s| s.status == "pending")
            .map(|s| s.name.clone())
    }

    /// Records how step `name` finished (`done` or `skipped`); once none is pending the
    /// saga is over: compensated when it released a refused refund, else completed.
    pub fn finish(&mut self, name: &str, status: &str, note: impl Into<String>, at: DateTime<Utc>) {
        if let Some(s) = self.steps.iter_mut().find(|s| s.name == name) {
            s.status = status.to_owned();
            s.at = Some(at);
            s.note = Some(note.into());
        }
        self.updated_at = at;
        self.last_error = None;
        if self.next_step().is_none() {
            self.next_attempt_at = None;
            self.state = if self.steps.iter().any(|s| s.name == "amount_released") {
                SagaState::Compensated
            } else {
                SagaState::Completed
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, detail: serde_json::Value) -> PaymentEvent {
        PaymentEvent::new(PaymentId(Uuid::now_v7()), kind, "ipn", None, detail)
    }

    #[test]
    fn a_paid_payment_and_a_settled_refund_start_their_sagas_and_nothing_else_does() {
        let org = OrgId(Uuid::now_v7());
        let now = Utc::now();
        let paid = start(&event("state_changed", json!({ "to": "paid" })), org, now);
        assert_eq!(paid.as_ref().map(|s| s.kind), Some(SagaKind::Payment));
        let refused = start(
            &event("refund_settled", json!({ "state": "failed" })),
            org,
            now,
        );
        let names: Vec<_> = refused
            .iter()
            .flat_map(|s| s.steps.iter().map(|s| s.name.clone()))
            .collect();
        assert_eq!(names, ["amount_released", "staff_alerted"]);
        assert!(
            start(
                &event("state_changed", json!({ "to": "pending" })),
                org,
                now
            )
            .is_none()
        );
        assert!(start(&event("ipn_received", json!({})), org, now).is_none());
        let unsent = event(
            "refund_settled",
            json!({ "state": "failed", "sent": false }),
        );
        assert!(
            start(&unsent, org, now).is_none(),
            "a refund never sent (circuit open) alerts nobody: its requester got a 503"
        );
    }

    #[test]
    fn a_saga_ends_when_no_step_is_pending_compensated_if_it_released_a_refund() {
        let now = Utc::now();
        let org = OrgId(Uuid::now_v7());
        let mut s = start(&event("state_changed", json!({ "to": "paid" })), org, now).unwrap();
        s.finish("instalment_paid", "skipped", "no contract", now);
        assert_eq!(s.next_step().as_deref(), Some("invoice_issued"));
        s.finish("invoice_issued", "skipped", "no tax profile", now);
        assert_eq!(s.next_step().as_deref(), Some("receipt_sent"));
        s.finish("receipt_sent", "done", "", now);
        s.finish("project_activated", "skipped", "", now);
        assert_eq!((s.state, s.next_attempt_at), (SagaState::Completed, None));
        let mut r = start(
            &event("refund_settled", json!({ "state": "failed" })),
            org,
            now,
        )
        .unwrap();
        r.finish("amount_released", "done", "", now);
        r.finish("staff_alerted", "done", "", now);
        assert_eq!(r.state, SagaState::Compensated);
    }
}
