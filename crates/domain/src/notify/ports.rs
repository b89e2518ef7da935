//! What the notification consumers need from storage.

use crate::PortError;
use crate::identity::UserId;
use crate::payments::PaymentEvent;

use super::{Channel, Notification, Recipient};

/// Notifications, and the consumers' marks on the events they handled.
#[async_trait::async_trait]
pub trait NotificationStore: Send + Sync {
    /// What `scan` asks for of the events that moved a payment to `paid` and that `consumer` has not
    /// handled yet, oldest first.
    async fn paid_unhandled(
        &self,
        consumer: &str,
        scan: crate::events::Scan,
    ) -> Result<Vec<PaymentEvent>, PortError>;
    /// What `scan` asks for of the events that created a payment and that `consumer` has not
    /// handled yet, oldest first.
    async fn created_unhandled(
        &self,
        consumer: &str,
        scan: crate::events::Scan,
    ) -> Result<Vec<PaymentEvent>, PortError>;
    /// Records what an event gave and marks it handled by `consumer`, in one transaction;
    /// doing it again changes nothing.
    async fn handled(
        &self,
        consumer: &str,
        event: &PaymentEvent,
        out: &[Notification],
    ) -> Result<(), PortError>;
    /// What `scan` asks for of the domain events (offers, contracts, projects) `consumer` has not handled,
    /// oldest first.
    async fn domain_events_unhandled(
        &self,
        consumer: &str,
        scan: crate::events::Scan,
    ) -> Result<Vec<crate::events::DomainEvent>, PortError>;
    /// Records what a domain event gave and marks it handled by `consumer`, in one
    /// transaction; doing it again changes nothing.
    async fn handled_domain(
        &self,
        consumer: &str,
        event: &crate::events::DomainEvent,
        out: &[Notification],
    ) -> Result<(), PortError>;
    /// What `scan` asks for of the account changes people are told about (password, second factor) that
    /// `consumer` has not handled, oldest first.
    async fn account_changes_unhandled(
        &self,
        consumer: &str,
        scan: crate::events::Scan,
    ) -> Result<Vec<super::security::AccountChange>, PortError>;
    /// Records the notices of an account change and marks it handled, in one transaction.
    async fn handled_change(
        &self,
        consumer: &str,
        change: &super::security::AccountChange,
        out: &[Notification],
    ) -> Result<(), PortError>;
    /// Records messages that answer no event (reminders), with the domain event `also` (whose
    /// id is a stable key), in one transaction; a message already recorded under the same key,
    /// recipient, kind and channel, or the event already recorded, is kept as it was. Returns
    /// how many messages are new.
    async fn record(
        &self,
        out: &[Notification],
        also: Option<&crate::events::DomainEvent>,
    ) -> Result<u64, PortError>;
    /// The instalments due between `from` and `to` (inclusive) of contracts, with their
    /// contract's title, status and client, in due order.
    async fn instalments_due(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<super::reminders::DueInstalment>, PortError>;
    /// How a user is told: their language, and the channels they asked for that they can be
    /// reached on (English and e-mail for an unknown user).
    async fn recipient(&self, user: UserId) -> Result<Recipient, PortError>;
    /// The channels a user asked for (`email`, `sms`); false for an unknown user.
    async fn set_channels(&self, user: UserId, channels: &[Channel]) -> Result<bool, PortError>;
    /// Up to `limit` messages of `channel` due at `now`, each claimed until `lease_until` (no other
    /// instance takes it meanwhile), with the number of tries so far, this one included.
    async fn claim_due(
        &self,
        channel: Channel,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<(Outgoing, u32)>, PortError>;
    /// The message went out (on try `attempt`: a claim that lost its lease changes nothing).
    async fn sent(
        &self,
        id: uuid::Uuid,
        attempt: u32,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), PortError>;
    /// It did not: tried again at `retry_at`, or never (`None`: failed for good); only the
    /// claim of try `attempt` may say so.
    async fn not_sent(
        &self,
        id: uuid::Uuid,
        attempt: u32,
        retry_at: Option<chrono::DateTime<chrono::Utc>>,
        error: &str,
    ) -> Result<(), PortError>;
    /// A user's notifications, newest first.
    async fn notifications_of(
        &self,
        user: UserId,
        limit: u32,
    ) -> Result<Vec<Notification>, PortError>;
}

/// A notification to send on its channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The notification's id: the message's `Message-ID`, so a message sent again after a
    /// crash is recognisably the same one.
    pub id: uuid::Uuid,
    /// The recipient's address: an e-mail address, or an E.164 phone number for SMS.
    pub to: String,
    /// The recipient's name.
    pub to_name: String,
    /// One line (e-mail only).
    pub subject: String,
    /// Plain text.
    pub body: String,
    /// Its language (`Content-Language`).
    pub language: crate::identity::Language,
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum CourierError {
    /// Refused for good (an SMTP 5xx, an HTTP 4xx, an invalid address): retrying is useless.
    #[error("refused: {0}")]
    Refused(String),
    /// Could not be reached or answered "later" (an SMTP 4xx, HTTP 429 or 5xx, a timeout).
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// Sends messages on one channel: e-mail over SMTP, SMS through a provider's HTTP API.
#[async_trait::async_trait]
pub trait Courier: Send + Sync {
    /// Sends one message.
    async fn send(&self, mail: &Outgoing) -> Result<(), CourierError>;
}
