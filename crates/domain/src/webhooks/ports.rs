//! What webhooks need from storage and from the network.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Attempt, Endpoint, EndpointId, Message};
use crate::PortError;
use crate::events::DomainEvent;
use crate::identity::{OrgId, SecurityEvent};
use crate::payments::PaymentEvent;

/// What happens to a message after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer: done.
    Delivered,
    /// Not yet: try again then.
    RetryAt(DateTime<Utc>),
    /// Given up; the endpoint is switched off with this reason when there is one.
    GaveUp {
        /// `gone` (410) or `failing` (retries exhausted).
        disable: Option<&'static str>,
    },
}

/// Endpoints, messages and attempts.
#[async_trait::async_trait]
pub trait WebhookStore: Send + Sync {
    /// Records a new endpoint, with its audit row.
    async fn create_endpoint(&self, e: &Endpoint, audit: &SecurityEvent) -> Result<(), PortError>;
    /// An organization's endpoints, oldest first.
    async fn endpoints_of(&self, org: OrgId) -> Result<Vec<Endpoint>, PortError>;
    /// One endpoint of an organization.
    async fn endpoint(&self, org: OrgId, id: EndpointId) -> Result<Option<Endpoint>, PortError>;
    /// Saves an endpoint's URL, description, types, secrets and switch, with its audit row.
    async fn update_endpoint(&self, e: &Endpoint, audit: &SecurityEvent) -> Result<(), PortError>;
    /// Removes an endpoint with its messages, with its audit row; false when there was none.
    async fn delete_endpoint(
        &self,
        org: OrgId,
        id: EndpointId,
        audit: &SecurityEvent,
    ) -> Result<bool, PortError>;
    /// What `scan` asks for of the payment events of the kinds webhooks report that `consumer` has not
    /// handled yet, oldest first.
    async fn events_unhandled(
        &self,
        consumer: &str,
        scan: crate::events::Scan,
    ) -> Result<Vec<PaymentEvent>, PortError>;
    /// Records the messages an event gives and marks it handled by `consumer`, in one
    /// transaction; doing it again changes nothing.
    async fn fan_out(
        &self,
        consumer: &str,
        event: &PaymentEvent,
        messages: &[Message],
    ) -> Result<(), PortError>;
    /// What `scan` asks for of the domain events (offers, contracts, projects) `consumer` has not handled,
    /// oldest first.
    async fn domain_events_unhandled(
        &self,
        consumer: &str,
        scan: crate::events::Scan,
    ) -> Result<Vec<DomainEvent>, PortError>;
    /// As [`WebhookStore::fan_out`], for a domain event.
    async fn fan_out_domain(
        &self,
        consumer: &str,
        event: &DomainEvent,
        messages: &[Message],
    ) -> Result<(), PortError>;
    /// Records one message due at once (a test send).
    async fn enqueue(&self, m: &Message) -> Result<(), PortError>;
    /// Up to `limit` pending messages due at `now` on enabled endpoints, at most one per
    /// endpoint (its oldest due) and none for an endpoint with an attempt in flight, each
    /// claimed until `lease_until` with its attempt counted, and its endpoint.
    async fn claim_messages(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(Message, Endpoint)>, PortError>;
    /// Logs an attempt and applies its outcome, in one transaction; only the claim of that
    /// attempt may (a claim that lost its lease changes nothing and returns false).
    async fn attempted(&self, a: &Attempt, outcome: Outcome) -> Result<bool, PortError>;
    /// An endpoint's messages, newest first.
    async fn messages_of(
        &self,
        endpoint: EndpointId,
        limit: u32,
    ) -> Result<Vec<Message>, PortError>;
    /// One message of an organization.
    async fn message(&self, org: OrgId, id: Uuid) -> Result<Option<Message>, PortError>;
    /// A message's attempts, first first.
    async fn attempts_of(&self, message: Uuid) -> Result<Vec<Attempt>, PortError>;
    /// Makes a message due again at `now`, its next attempt marked manual.
    async fn redeliver(&self, org: OrgId, id: Uuid, now: DateTime<Utc>) -> Result<bool, PortError>;
}

/// An answer from a receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Its HTTP status.
    pub status: u16,
    /// The start of its body.
    pub excerpt: String,
    /// Its `Retry-After`, in seconds, when it gave one.
    pub retry_after: Option<u64>,
}

/// Why a target URL is not acceptable, or a message could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Not an absolute `https` (or allowed `http`) URL.
    #[error("{0}")]
    Invalid(String),
    /// It resolves to a loopback, private or link-local address the operator has not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No answer: it could not be resolved or reached, or it timed out.
    #[error("{0}")]
    Unreachable(String),
}

/// Signs and sends messages (Standard Webhooks over HTTP in production).
#[async_trait::async_trait]
pub trait WebhookTransport: Send + Sync {
    /// A fresh signing secret (`whsec_` and base64).
    fn new_secret(&self) -> String;
    /// Whether messages may be sent to `url`.
    async fn check_target(&self, url: &str) -> Result<(), TargetError>;
    /// Sends `body` to `url` under `webhook_id`, signed with each of `secrets`.
    async fn send(
        &self,
        url: &str,
        webhook_id: &str,
        secrets: &[String],
        body: &str,
    ) -> Result<Answer, TargetError>;
}
