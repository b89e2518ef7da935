//! Consumers that turn events into notifications. Each keeps its own marks on the events it
//! handled (written with its messages, in one transaction), so a restart resumes where it
//! stopped and no event gives a message twice, even when several instances run the same
//! consumer at once.

mod links;
mod prompts;
mod reminders;
mod security;

pub use links::{LinkMaker, PAYMENT_LINKS, PaymentLinks};
pub use prompts::{PROMPTS, Prompts};
pub use reminders::Reminders;
pub use security::{SECURITY_NOTICES, SecurityNotices};

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use nestcms_domain::events::Scan;
use nestcms_domain::identity::UserId;
use nestcms_domain::notify::ports::{Courier, CourierError, NotificationStore};
use nestcms_domain::notify::{Available, Channel, Notification, payment_receipt};
use nestcms_domain::payments::PaymentEvent;
use nestcms_domain::payments::ports::PaymentRepository;
use nestcms_domain::retry::RetrySchedule;
use nestcms_domain::{DomainError, PortError};

use crate::background::{Consumer, Tally};

/// The receipts consumer's name, as its marks record it.
pub const RECEIPTS: &str = "receipts";

/// How many events one round reads.
const BATCH: u32 = 100;

/// Sends each paying client a receipt once their payment is paid.
#[derive(Clone)]
pub struct Receipts {
    store: Arc<dyn NotificationStore>,
    payments: Arc<dyn PaymentRepository>,
    available: Available,
}

impl Receipts {
    /// A consumer over these ports; each receipt is queued on every channel its recipient
    /// asked for that is `available`, else recorded on the log channel.
    pub fn new(
        store: Arc<dyn NotificationStore>,
        payments: Arc<dyn PaymentRepository>,
        available: Available,
    ) -> Self {
        Self {
            store,
            payments,
            available,
        }
    }

    /// Handles every payment that became paid and has no receipt yet; returns how many events
    /// it handled.
    pub async fn round(&self) -> Result<usize, PortError> {
        self.pass(Scan::Oldest(BATCH)).await
    }

    async fn receipt(&self, e: &PaymentEvent) -> Result<(), PortError> {
        let out = match self.payments.payment_by_id(e.payment_id).await? {
            Some(p) => {
                let to = self.store.recipient(p.client_id).await?;
                let now = Utc::now();
                self.available
                    .channels_for(&to)
                    .into_iter()
                    .map(|c| payment_receipt(&p, to.language, c, e.id.0, now))
                    .collect()
            }
            None => {
                // Only a deleted payment (its organization removed) has events left behind.
                tracing::warn!(payment.id = %e.payment_id.0, "paid event of a payment that is gone: no receipt");
                Vec::new()
            }
        };
        self.store.handled(RECEIPTS, e, &out).await
    }
}

#[async_trait::async_trait]
impl Consumer for Receipts {
    fn name(&self) -> &'static str {
        RECEIPTS
    }

    async fn pass(&self, scan: Scan) -> Result<usize, PortError> {
        let mut tally = Tally::new(RECEIPTS);
        loop {
            let events = self.store.paid_unhandled(RECEIPTS, scan).await?;
            for e in &events {
                tally.record(e.id.0, self.receipt(e).await);
            }
            if let Some(done) = tally.done(scan, events.len()) {
                return done;
            }
        }
    }
}

/// Sets the channels a user is told on (`email`, `sms`; none leaves only the list read
/// through the API). SMS needs a phone number on their account.
pub async fn set_channels(
    store: &dyn NotificationStore,
    user: UserId,
    names: &[String],
) -> Result<Vec<Channel>, DomainError> {
    let mut channels = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let field = format!("/channels/{i}");
        let c = match Channel::parse(name) {
            Some(c @ (Channel::Email | Channel::Sms)) => c,
            _ => {
                return Err(DomainError::invalid(
                    field,
                    "unknown_channel",
                    "email or sms",
                ));
            }
        };
        if channels.contains(&c) {
            return Err(DomainError::invalid(
                field,
                "duplicate",
                "each channel once",
            ));
        }
        channels.push(c);
    }
    if channels.contains(&Channel::Sms)
        && !store.recipient(user).await.map_err(crate::port)?.has_phone
    {
        let i = channels
            .iter()
            .position(|c| *c == Channel::Sms)
            .unwrap_or(0);
        return Err(DomainError::invalid(
            format!("/channels/{i}"),
            "no_phone",
            "add a phone number to your account to receive SMS",
        ));
    }
    match store
        .set_channels(user, &channels)
        .await
        .map_err(crate::port)?
    {
        true => Ok(channels),
        false => Err(DomainError::NotFound("user")),
    }
}

/// The channels a user asked for.
pub async fn channels_of(
    store: &dyn NotificationStore,
    user: UserId,
) -> Result<Vec<Channel>, DomainError> {
    let r = store.recipient(user).await.map_err(crate::port)?;
    let asked = [(r.email, Channel::Email), (r.sms, Channel::Sms)];
    Ok(asked
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, c)| c)
        .collect())
}

/// A user's notifications, newest first (at most `limit`).
pub async fn notifications_of(
    store: &dyn NotificationStore,
    user: UserId,
    limit: u32,
) -> Result<Vec<Notification>, PortError> {
    store.notifications_of(user, limit).await
}

/// Sends queued notifications of one channel (e-mail, SMS): each claimed for a lease longer
/// than a send may take, so two instances never send the same one at once; one that is
/// refused for good is marked failed, one that cannot be taken now is tried again on the
/// schedule, then marked failed. A crash between the provider's acceptance and the mark sends
/// it again once its lease ends, with the same id (the e-mail's `Message-ID`, the SMS
/// provider's reference), which lets the other side recognise it.
#[derive(Clone)]
pub struct Deliveries {
    store: Arc<dyn NotificationStore>,
    courier: Arc<dyn Courier>,
    channel: Channel,
    schedule: RetrySchedule,
    lease: Duration,
}

impl Deliveries {
    /// Deliveries of `channel` through `courier`, retried on `schedule`, each claimed for
    /// `lease`.
    pub fn new(
        store: Arc<dyn NotificationStore>,
        courier: Arc<dyn Courier>,
        channel: Channel,
        schedule: RetrySchedule,
        lease: Duration,
    ) -> Self {
        Self {
            store,
            courier,
            channel,
            schedule,
            lease,
        }
    }

    /// Sends what is due; returns how many went out.
    pub async fn round(&self) -> Result<usize, PortError> {
        let lease = chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::minutes(5));
        let mut sent = 0;
        // One at a time: each claim's lease covers one send, however many are due.
        for _ in 0..BATCH {
            let now = Utc::now();
            let claimed = self
                .store
                .claim_due(self.channel, now, now + lease, 1)
                .await?;
            let Some((mail, attempts)) = claimed.into_iter().next() else {
                break;
            };
            match self.courier.send(&mail).await {
                Ok(()) => {
                    self.store.sent(mail.id, attempts, Utc::now()).await?;
                    sent += 1;
                }
                Err(e) => {
                    let wait = match &e {
                        CourierError::Refused(_) => None,
                        CourierError::Unavailable(_) => self.schedule.after(attempts, 0.0),
                    };
                    let retry_at = wait
                        .and_then(|w| chrono::Duration::from_std(w).ok())
                        .map(|w| Utc::now() + w);
                    tracing::warn!(notification.id = %mail.id, channel = self.channel.as_str(), attempts, error = %e, retry = retry_at.is_some(), "notification not sent");
                    self.store
                        .not_sent(mail.id, attempts, retry_at, &e.to_string())
                        .await?;
                }
            }
        }
        Ok(sent)
    }
}
