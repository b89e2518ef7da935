//! The consumer that sends a client the payment link of an instalment the firm asks them to
//! pay, once per payment, on their channels, in their language.

use std::sync::Arc;

use chrono::Utc;
use nestcms_domain::PortError;
use nestcms_domain::events::Scan;
use nestcms_domain::notify::Available;
use nestcms_domain::notify::links::{payment_link, wants_link};
use nestcms_domain::notify::ports::NotificationStore;
use nestcms_domain::payments::ports::PaymentRepository;
use nestcms_domain::payments::{PaymentEvent, PaymentId};

use crate::background::{Consumer, Tally};

/// The consumer's name, as its marks record it.
pub const PAYMENT_LINKS: &str = "payment-links";

/// How many events one round reads at a time.
const BATCH: u32 = 100;

/// Makes the link that pays a payment (signed, with the service's public address).
pub type LinkMaker = Arc<dyn Fn(PaymentId) -> String + Send + Sync>;

/// Sends payment links.
#[derive(Clone)]
pub struct PaymentLinks {
    store: Arc<dyn NotificationStore>,
    payments: Arc<dyn PaymentRepository>,
    available: Available,
    link: LinkMaker,
}

impl PaymentLinks {
    /// A consumer over these ports, with links made by `link`.
    pub fn new(
        store: Arc<dyn NotificationStore>,
        payments: Arc<dyn PaymentRepository>,
        available: Available,
        link: LinkMaker,
    ) -> Self {
        Self {
            store,
            payments,
            available,
            link,
        }
    }

    /// Handles every payment created and not handled yet; returns how many events.
    pub async fn round(&self) -> Result<usize, PortError> {
        self.pass(Scan::Oldest(BATCH)).await
    }

    async fn send(&self, e: &PaymentEvent) -> Result<(), PortError> {
        let mut out = Vec::new();
        if let Some(p) = self.payments.payment_by_id(e.payment_id).await?
            && wants_link(e, &p)
        {
            let to = self.store.recipient(p.client_id).await?;
            let link = (self.link)(p.id);
            let now = Utc::now();
            for c in self.available.channels_for(&to) {
                out.push(payment_link(&p, &link, (to.language, c), (e.id.0, now)));
            }
        }
        self.store.handled(PAYMENT_LINKS, e, &out).await
    }
}

#[async_trait::async_trait]
impl Consumer for PaymentLinks {
    fn name(&self) -> &'static str {
        PAYMENT_LINKS
    }

    async fn pass(&self, scan: Scan) -> Result<usize, PortError> {
        let mut tally = Tally::new(PAYMENT_LINKS);
        loop {
            let events = self.store.created_unhandled(PAYMENT_LINKS, scan).await?;
            for e in &events {
                tally.record(e.id.0, self.send(e).await);
            }
            if let Some(done) = tally.done(scan, events.len()) {
                return done;
            }
        }
    }
}
