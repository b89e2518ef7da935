//! The consumer that asks clients to act: an offer to review, a contract to approve, told on
//! their channels in their language, once per event (the mark and the messages in one
//! transaction).

use std::sync::Arc;

use chrono::Utc;
use nestcms_domain::PortError;
use nestcms_domain::events::{DomainEvent, Scan};
use nestcms_domain::notify::Available;
use nestcms_domain::notify::ports::NotificationStore;
use nestcms_domain::notify::prompts::{client_of, prompt};

use crate::background::{Consumer, Tally};

/// The consumer's name, as its marks record it.
pub const PROMPTS: &str = "prompts";

/// How many events one round reads at a time.
const BATCH: u32 = 100;

/// Asks clients to act on offers and contracts put before them.
#[derive(Clone)]
pub struct Prompts {
    store: Arc<dyn NotificationStore>,
    available: Available,
}

impl Prompts {
    /// A consumer over this port, telling people on the channels `available`.
    pub fn new(store: Arc<dyn NotificationStore>, available: Available) -> Self {
        Self { store, available }
    }

    /// Handles every domain event not handled yet; returns how many.
    pub async fn round(&self) -> Result<usize, PortError> {
        self.pass(Scan::Oldest(BATCH)).await
    }
}

#[async_trait::async_trait]
impl Consumer for Prompts {
    fn name(&self) -> &'static str {
        PROMPTS
    }

    async fn pass(&self, scan: Scan) -> Result<usize, PortError> {
        let mut tally = Tally::new(PROMPTS);
        loop {
            let events = self.store.domain_events_unhandled(PROMPTS, scan).await?;
            for e in &events {
                tally.record(e.id, self.prompt(e).await);
            }
            if let Some(done) = tally.done(scan, events.len()) {
                return done;
            }
        }
    }
}

impl Prompts {
    async fn prompt(&self, e: &DomainEvent) -> Result<(), PortError> {
        let mut out = Vec::new();
        if let Some(client) = client_of(e) {
            let to = self.store.recipient(client).await?;
            let now = Utc::now();
            for c in self.available.channels_for(&to) {
                out.extend(prompt(e, client, (to.language, c), now));
            }
        }
        self.store.handled_domain(PROMPTS, e, &out).await
    }
}
