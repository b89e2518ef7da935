//! What sagas need from storage.

use chrono::{DateTime, Utc};

use super::Saga;
use crate::PortError;
use crate::construction::{ContractId, ProjectId};
use crate::identity::{OrgId, UserId};
use crate::payments::{PaymentEvent, PaymentId};

/// Saga state, and the facts its steps look up.
#[async_trait::async_trait]
pub trait SagaStore: Send + Sync {
    /// What `scan` asks for of the payment events that start sagas and that `consumer` has not handled,
    /// oldest first.
    async fn saga_events_unhandled(
        &self,
        consumer: &str,
        scan: crate::events::Scan,
    ) -> Result<Vec<PaymentEvent>, PortError>;
    /// Records the saga an event starts (if any) and the domain event it derives (`also`,
    /// such as `instalment.paid`), and marks the event handled by `consumer`, in one
    /// transaction; doing it again changes nothing.
    async fn begin(
        &self,
        consumer: &str,
        event: &PaymentEvent,
        saga: Option<&Saga>,
        also: Option<&crate::events::DomainEvent>,
    ) -> Result<(), PortError>;
    /// Up to `limit` running sagas due at `now`, each claimed until `lease_until` with its
    /// run counted.
    async fn claim_sagas(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Saga>, PortError>;
    /// Saves a saga's steps and state; only the claim of run `attempt` may (false when its
    /// lease ran out and another took over).
    async fn save_saga(&self, saga: &Saga, attempt: u32) -> Result<bool, PortError>;
    /// A payment's sagas, oldest first.
    async fn sagas_of(&self, org: OrgId, payment: PaymentId) -> Result<Vec<Saga>, PortError>;
    /// Whether a receipt was recorded for an event.
    async fn receipt_recorded(&self, event: uuid::Uuid) -> Result<bool, PortError>;
    /// The planned projects of a contract.
    async fn planned_projects(&self, contract: ContractId) -> Result<Vec<ProjectId>, PortError>;
    /// An organization's owners and admins.
    async fn staff_to_alert(&self, org: OrgId) -> Result<Vec<UserId>, PortError>;
}
