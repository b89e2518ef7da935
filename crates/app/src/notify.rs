//! Consumers that turn events into notifications. Each keeps its own marks on the events it
//! handled (written with its messages, in one transaction), so a restart resumes where it
//! stopped and no event gives a message twice, even when several instances run the same
//! consumer at once.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use nestcms_domain::PortError;
use nestcms_domain::identity::UserId;
use nestcms_domain::notify::ports::NotificationStore;
use nestcms_domain::notify::{Notification, payment_receipt};
use nestcms_domain::payments::PaymentEvent;
use nestcms_domain::payments::ports::PaymentRepository;
use tokio::sync::broadcast;

/// The receipts consumer's name, as its marks record it.
pub const RECEIPTS: &str = "receipts";

/// How many events one round reads.
const BATCH: u32 = 100;

/// Sends each paying client a receipt once their payment is paid.
#[derive(Clone)]
pub struct Receipts {
    store: Arc<dyn NotificationStore>,
    payments: Arc<dyn PaymentRepository>,
    by_email: bool,
}

impl Receipts {
    /// A consumer over these ports; its receipts are queued for e-mail when `by_email` (a
    /// mailer is configured), else recorded on the log channel.
    pub fn new(
        store: Arc<dyn NotificationStore>,
        payments: Arc<dyn PaymentRepository>,
        by_email: bool,
    ) -> Self {
        Self {
            store,
            payments,
            by_email,
        }
    }

    /// Handles every payment that became paid and has no receipt yet; returns how many events
    /// it handled. An event that fails is left for the next round and the others go on (one
    /// event that cannot be handled must not hold back every receipt after it); the round then
    /// reports the first failure.
    pub async fn round(&self) -> Result<usize, PortError> {
        let mut handled = 0;
        let mut failed = None;
        loop {
            let events = self.store.paid_unhandled(RECEIPTS, BATCH).await?;
            let mut progress = false;
            for e in &events {
                match self.receipt(e).await {
                    Ok(()) => {
                        handled += 1;
                        progress = true;
                    }
                    Err(err) => {
                        tracing::warn!(event.id = %e.id.0, error = %err, "receipt not recorded; will retry");
                        failed.get_or_insert(err);
                    }
                }
            }
            // A short batch is the end; a full one that made no progress is all failures,
            // which the next round tries again.
            if events.len() < BATCH as usize || !progress {
                return failed.map_or(Ok(handled), Err);
            }
        }
    }

    async fn receipt(&self, e: &PaymentEvent) -> Result<(), PortError> {
        let out = match self.payments.payment_by_id(e.payment_id).await? {
            Some(p) => {
                let language = self.store.language_of(p.client_id).await?;
                vec![payment_receipt(
                    &p,
                    language,
                    self.by_email,
                    e.id.0,
                    Utc::now(),
                )]
            }
            None => {
                // Only a deleted payment (its organization removed) has events left behind.
                tracing::warn!(payment.id = %e.payment_id.0, "paid event of a payment that is gone: no receipt");
                Vec::new()
            }
        };
        self.store.handled(RECEIPTS, e, &out).await
    }

    /// Runs rounds until `stop` completes: at once when a payment event is recorded on this
    /// instance, and every `every` for those recorded elsewhere (another instance, a worker).
    pub async fn run(
        self,
        events: broadcast::Receiver<PaymentEvent>,
        every: Duration,
        stop: impl Future<Output = ()>,
        report: impl Fn(Result<(), String>),
    ) {
        crate::background::rounds(RECEIPTS, every, Some(events), stop, report, || self.round())
            .await;
    }
}

/// A user's notifications, newest first (at most `limit`).
pub async fn notifications_of(
    store: &dyn NotificationStore,
    user: UserId,
    limit: u32,
) -> Result<Vec<Notification>, PortError> {
    store.notifications_of(user, limit).await
}

/// How many times an e-mail is tried before it is given up, and the waits between tries.
const RETRIES: [Duration; 5] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(12 * 3600),
];

/// Sends queued e-mail notifications: each claimed for a lease longer than a send may take,
/// so two instances never send the same one at once; one that the server refuses for good is
/// marked failed, one it cannot take now is tried again later (1 min, 5 min, 30 min, 2 h,
/// 12 h), then marked failed. A crash between the server's acceptance and the mark sends it
/// again once its lease ends, with the same `Message-ID`, which mail systems recognise.
#[derive(Clone)]
pub struct Deliveries {
    store: Arc<dyn NotificationStore>,
    mailer: Arc<dyn nestcms_domain::notify::ports::Mailer>,
    lease: Duration,
}

impl Deliveries {
    /// Deliveries through `mailer`, each claimed for `lease`.
    pub fn new(
        store: Arc<dyn NotificationStore>,
        mailer: Arc<dyn nestcms_domain::notify::ports::Mailer>,
        lease: Duration,
    ) -> Self {
        Self {
            store,
            mailer,
            lease,
        }
    }

    /// Sends what is due; returns how many went out.
    pub async fn round(&self) -> Result<usize, PortError> {
        use nestcms_domain::notify::ports::MailError;
        let lease = chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::minutes(5));
        let mut sent = 0;
        // One at a time: each claim's lease covers one send, however many are due.
        for _ in 0..BATCH {
            let now = Utc::now();
            let Some((mail, attempts)) = self.store.claim_mail(now, now + lease, 1).await?.pop()
            else {
                break;
            };
            match self.mailer.send(&mail).await {
                Ok(()) => {
                    self.store.mail_sent(mail.id, attempts, Utc::now()).await?;
                    sent += 1;
                }
                Err(e) => {
                    let wait = match &e {
                        MailError::Refused(_) => None,
                        MailError::Unavailable(_) => {
                            RETRIES.get(attempts.saturating_sub(1) as usize).copied()
                        }
                    };
                    let retry_at = wait
                        .and_then(|w| chrono::Duration::from_std(w).ok())
                        .map(|w| Utc::now() + w);
                    tracing::warn!(notification.id = %mail.id, attempts, error = %e, retry = retry_at.is_some(), "e-mail not sent");
                    self.store
                        .mail_failed(mail.id, attempts, retry_at, &e.to_string())
                        .await?;
                }
            }
        }
        Ok(sent)
    }

    /// Runs rounds every `every` until `stop` completes.
    pub async fn run(
        self,
        every: Duration,
        stop: impl Future<Output = ()>,
        report: impl Fn(Result<(), String>),
    ) {
        let none: Option<broadcast::Receiver<()>> = None;
        crate::background::rounds("mail", every, none, stop, report, || self.round()).await;
    }
}
