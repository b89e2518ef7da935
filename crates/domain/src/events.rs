//! Domain events beyond payments: what happened to offers, contracts and projects, in one
//! envelope (id, type, organization, time, subject, data, trace context). The storage adapter
//! writes each in the same transaction as the change it reports, so an event exists exactly
//! when its change committed; consumers (notifications, webhooks) read them like payment
//! events, keyed by id, each keeping its own marks.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::construction::{ContractStatus, OfferStatus, ProjectStatus};
use crate::identity::OrgId;
use crate::payments::model::TraceContext;

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainEvent {
    /// Id (time-ordered).
    pub id: Uuid,
    /// `offer.sent`, `contract.approved`, `project.step_done`, …
    pub kind: String,
    /// Organization.
    pub org: OrgId,
    /// The offer, contract or project it is about.
    pub subject: Uuid,
    /// Facts of the event (ids, amounts, titles); never secrets.
    pub data: Value,
    /// When.
    pub at: DateTime<Utc>,
    /// The W3C trace context of the work that recorded it; filled in by the storage adapter.
    pub trace_context: Option<TraceContext>,
}

/// The types endpoints may subscribe to, besides payments'.
pub const TYPES: &[&str] = &[
    "offer.sent",
    "offer.approved",
    "offer.rejected",
    "offer.closed",
    "contract.awaiting_client",
    "contract.approved",
    "contract.rejected",
    "contract.activated",
    "contract.closed",
    "project.activated",
    "project.on_hold",
    "project.completed",
    "project.cancelled",
    "project.step_done",
    "instalment.paid",
    "instalment.due_soon",
    "instalment.overdue",
    "invoice.issued",
    "credit_note.issued",
    "debit_note.issued",
];

impl DomainEvent {
    /// An event stamped now.
    pub fn new(kind: &str, org: OrgId, subject: Uuid, data: Value) -> Self {
        Self {
            id: Uuid::now_v7(),
            kind: kind.to_owned(),
            org,
            subject,
            data,
            at: Utc::now(),
            trace_context: None,
        }
    }

    /// An offer moved to `to`; `None` for a move nobody outside hears of (its conversion,
    /// which the contract's own event reports).
    pub fn offer_moved(org: OrgId, offer: Uuid, to: OfferStatus) -> Option<Self> {
        let kind = match to {
            OfferStatus::Review => "offer.sent",
            OfferStatus::ApprovedByClient => "offer.approved",
            OfferStatus::RejectedByClient => "offer.rejected",
            OfferStatus::Closed => "offer.closed",
            OfferStatus::ConvertedToContract => return None,
        };
        let data = json!({ "offer_id": offer, "status": to.as_str() });
        Some(Self::new(kind, org, offer, data))
    }

    /// A contract moved to `to` (`contract.awaiting_client` when it is new or back in review).
    pub fn contract_moved(org: OrgId, contract: Uuid, to: ContractStatus) -> Self {
        let kind = match to {
            ContractStatus::Review => "contract.awaiting_client",
            ContractStatus::ApprovedByClient => "contract.approved",
            ContractStatus::RejectedByClient => "contract.rejected",
            ContractStatus::Active => "contract.activated",
            ContractStatus::Closed => "contract.closed",
        };
        let data = json!({ "contract_id": contract, "status": to.as_str() });
        Self::new(kind, org, contract, data)
    }

    /// A project moved to `to`.
    pub fn project_moved(org: OrgId, project: Uuid, to: ProjectStatus) -> Self {
        let kind = match to {
            ProjectStatus::Planned => "project.planned",
            ProjectStatus::Active => "project.activated",
            ProjectStatus::OnHold => "project.on_hold",
            ProjectStatus::Completed => "project.completed",
            ProjectStatus::Cancelled => "project.cancelled",
        };
        let data = json!({ "project_id": project, "status": to.as_str() });
        Self::new(kind, org, project, data)
    }

    /// Instalment `seq` of a contract was paid by `payment` (recorded by the payment saga's
    /// starter with its mark on the payment's event, so once).
    pub fn instalment_paid(
        org: OrgId,
        contract: Uuid,
        seq: u32,
        payment: Uuid,
        amount: &crate::Money,
    ) -> Self {
        let data = json!({
            "contract_id": contract,
            "seq": seq,
            "payment_id": payment,
            "amount": amount.amount_string(),
            "currency": amount.currency().code(),
        });
        Self::new("instalment.paid", org, contract, data)
    }

    /// A reminder of instalment `seq` went out (due soon, or overdue by `days`). Its id is the
    /// reminder's stable key, so each level is one event however often reminders are asked.
    pub fn instalment_reminded(
        d: &crate::notify::reminders::DueInstalment,
        r: crate::notify::reminders::Reminder,
    ) -> Self {
        use crate::notify::reminders::{Reminder, reminder_key};
        let i = &d.instalment;
        let (kind, days) = match r {
            Reminder::DueSoon => ("instalment.due_soon", None),
            Reminder::Overdue(days) => ("instalment.overdue", Some(days)),
        };
        let data = json!({
            "contract_id": d.contract.0,
            "seq": i.seq,
            "due_date": i.due_date,
            "amount": i.amount.amount_string(),
            "currency": i.amount.currency().code(),
            "days_overdue": days,
        });
        Self {
            id: reminder_key(d.contract, i.seq, r),
            ..Self::new(kind, d.org, d.contract.0, data)
        }
    }

    /// The event as the broker carries it: routing key = its type.
    pub fn relayed(&self) -> Relayed {
        Relayed {
            id: self.id,
            routing_key: self.kind.clone(),
            body: json!({
                "id": self.id,
                "type": self.kind,
                "org_id": self.org.0,
                "subject_id": self.subject,
                "data": self.data,
                "at": self.at,
            }),
            at: self.at,
            trace_context: self.trace_context.clone(),
        }
    }
}

/// Which unhandled events a consumer asks its log for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// The oldest it has not marked yet, at most this many: a polling round.
    Oldest(u32),
    /// This one event, if the log holds it, it is of a kind the consumer reads and the
    /// consumer has not marked it yet: a delivery from the message broker.
    One(Uuid),
}

impl Scan {
    /// The most events one pass returns.
    pub fn limit(self) -> u32 {
        match self {
            Self::Oldest(n) => n,
            Self::One(_) => 1,
        }
    }
}

/// An event of any log (payments, domain, security notices) as the message broker carries
/// it: the relay publishes `body` as JSON under `routing_key`, with `id` as the message id.
#[derive(Debug, Clone, PartialEq)]
pub struct Relayed {
    /// The event's id (UUIDv7, unique across the logs).
    pub id: Uuid,
    /// `payment.<kind>`, the domain event's type (`offer.sent`, …) or `security.<kind>`.
    pub routing_key: String,
    /// What subscribers read; never secrets.
    pub body: Value,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The trace of the work that recorded it.
    pub trace_context: Option<TraceContext>,
}

/// The consumers' bookkeeping, for operators.
#[async_trait::async_trait]
pub trait ConsumerLog: Send + Sync {
    /// Makes `consumer` handle again every event recorded from `since` on (payment and
    /// domain events): its marks on them are removed and its progress moved back, in one
    /// transaction. Effects already there are kept (each is unique per event), so only the
    /// missing ones are made: a webhook endpoint added later gets the events it missed.
    /// Returns how many marks were removed.
    async fn replay(&self, consumer: &str, since: DateTime<Utc>) -> Result<u64, crate::PortError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_move_has_a_type_endpoints_can_subscribe_to() {
        let (org, id) = (OrgId(Uuid::now_v7()), Uuid::now_v7());
        for s in ContractStatus::ALL {
            let e = DomainEvent::contract_moved(org, id, *s);
            assert!(TYPES.contains(&e.kind.as_str()), "{}", e.kind);
        }
        for s in ProjectStatus::ALL
            .iter()
            .filter(|s| **s != ProjectStatus::Planned)
        {
            let e = DomainEvent::project_moved(org, id, *s);
            assert!(TYPES.contains(&e.kind.as_str()), "{}", e.kind);
        }
        for s in OfferStatus::ALL {
            if let Some(e) = DomainEvent::offer_moved(org, id, *s) {
                assert!(TYPES.contains(&e.kind.as_str()), "{}", e.kind);
            }
        }
    }
}
