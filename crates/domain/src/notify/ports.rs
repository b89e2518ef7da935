//! What the notification consumers need from storage.

use crate::PortError;
use crate::identity::UserId;
use crate::payments::PaymentEvent;

use super::Notification;

/// Notifications, and the consumers' marks on the events they handled.
#[async_trait::async_trait]
pub trait NotificationStore: Send + Sync {
    /// Up to `limit` events that moved a payment to `paid` and that `consumer` has not
    /// handled yet, oldest first.
    async fn paid_unhandled(
        &self,
        consumer: &str,
        limit: u32,
    ) -> Result<Vec<PaymentEvent>, PortError>;
    /// Records what an event gave and marks it handled by `consumer`, in one transaction;
    /// doing it again changes nothing.
    async fn handled(
        &self,
        consumer: &str,
        event: &PaymentEvent,
        out: &[Notification],
    ) -> Result<(), PortError>;
    /// The language a user's messages are written in (English for an unknown user).
    async fn language_of(&self, user: UserId) -> Result<crate::identity::Language, PortError>;
    /// Up to `limit` e-mails due at `now`, each claimed until `lease_until` (no other
    /// instance takes it meanwhile), with the number of tries so far, this one included.
    async fn claim_mail(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<(Mail, u32)>, PortError>;
    /// The e-mail went out (on try `attempt`: a claim that lost its lease changes nothing).
    async fn mail_sent(
        &self,
        id: uuid::Uuid,
        attempt: u32,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), PortError>;
    /// It did not: tried again at `retry_at`, or never (`None`: failed for good); only the
    /// claim of try `attempt` may say so.
    async fn mail_failed(
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

/// An e-mail to send for a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The notification's id: the message's `Message-ID`, so a message sent again after a
    /// crash is recognisably the same one.
    pub id: uuid::Uuid,
    /// The recipient's address.
    pub to: String,
    /// The recipient's name.
    pub to_name: String,
    /// One line.
    pub subject: String,
    /// Plain text.
    pub body: String,
    /// Its language (`Content-Language`).
    pub language: crate::identity::Language,
}

/// Why an e-mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The server refused it for good (a 5xx answer, an invalid address): retrying is useless.
    #[error("refused: {0}")]
    Refused(String),
    /// The server could not be reached or answered "later" (4xx, a timeout).
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// Sends e-mail (SMTP in production).
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message.
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;
}
