//! The consumer that tells people of changes to their account (password, second factor),
//! read from the security audit log, once per change.

use std::sync::Arc;

use chrono::Utc;
use nestcms_domain::PortError;
use nestcms_domain::events::Scan;
use nestcms_domain::notify::Available;
use nestcms_domain::notify::ports::NotificationStore;
use nestcms_domain::notify::security::{AccountChange, security_notice};

use crate::background::{Consumer, Tally};

/// The consumer's name, as its marks record it.
pub const SECURITY_NOTICES: &str = "security-notices";

/// How many changes one round reads at a time.
const BATCH: u32 = 100;

/// Tells people of changes to their account.
#[derive(Clone)]
pub struct SecurityNotices {
    store: Arc<dyn NotificationStore>,
    available: Available,
}

impl SecurityNotices {
    /// A consumer over this port, telling people on the channels `available`.
    pub fn new(store: Arc<dyn NotificationStore>, available: Available) -> Self {
        Self { store, available }
    }

    /// Handles every change not handled yet; returns how many.
    pub async fn round(&self) -> Result<usize, PortError> {
        self.pass(Scan::Oldest(BATCH)).await
    }
}

#[async_trait::async_trait]
impl Consumer for SecurityNotices {
    fn name(&self) -> &'static str {
        SECURITY_NOTICES
    }

    async fn pass(&self, scan: Scan) -> Result<usize, PortError> {
        let mut tally = Tally::new(SECURITY_NOTICES);
        loop {
            let changes = self
                .store
                .account_changes_unhandled(SECURITY_NOTICES, scan)
                .await?;
            for c in &changes {
                tally.record(c.id, self.notice(c).await);
            }
            if let Some(done) = tally.done(scan, changes.len()) {
                return done;
            }
        }
    }
}

impl SecurityNotices {
    async fn notice(&self, c: &AccountChange) -> Result<(), PortError> {
        let to = self.store.recipient(c.user).await?;
        let now = Utc::now();
        let out: Vec<_> = self
            .available
            .channels_for(&to)
            .into_iter()
            .filter_map(|ch| security_notice(c, (to.language, ch), now))
            .collect();
        self.store.handled_change(SECURITY_NOTICES, c, &out).await
    }
}
