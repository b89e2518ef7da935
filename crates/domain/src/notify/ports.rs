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
    /// A user's notifications, newest first.
    async fn notifications_of(
        &self,
        user: UserId,
        limit: u32,
    ) -> Result<Vec<Notification>, PortError>;
}
