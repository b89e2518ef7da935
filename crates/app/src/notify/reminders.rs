//! Reminders for instalments falling due and overdue, on the days [`ReminderPolicy`] says.
//! A round is asked about one calendar date (UTC, like the contract's standing): the
//! background task asks about today, a test about any day it likes.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use nestcms_domain::PortError;
use nestcms_domain::construction::ContractId;
use nestcms_domain::construction::ports::ContractRepository;
use nestcms_domain::construction::standing::{InstalmentPayment, Standing, standings};
use nestcms_domain::events::DomainEvent;
use nestcms_domain::notify::Available;
use nestcms_domain::notify::ports::NotificationStore;
use nestcms_domain::notify::reminders::{ReminderPolicy, instalment_reminder};

/// Sends the reminders owed.
#[derive(Clone)]
pub struct Reminders {
    store: Arc<dyn NotificationStore>,
    contracts: Arc<dyn ContractRepository>,
    policy: ReminderPolicy,
    available: Available,
}

impl Reminders {
    /// Reminders by `policy`, on the channels `available`.
    pub fn new(
        store: Arc<dyn NotificationStore>,
        contracts: Arc<dyn ContractRepository>,
        policy: ReminderPolicy,
        available: Available,
    ) -> Self {
        Self {
            store,
            contracts,
            policy,
            available,
        }
    }

    /// Records every reminder owed on `today` not recorded yet; returns how many are new.
    /// A paid instalment is left alone.
    pub async fn round(&self, today: NaiveDate) -> Result<usize, PortError> {
        let (from, to) = self.policy.window(today);
        let due = self.store.instalments_due(from, to).await?;
        let mut payments: HashMap<ContractId, Vec<InstalmentPayment>> = HashMap::new();
        let mut new = 0;
        for d in &due {
            let Some(r) = self.policy.owed(d.instalment.due_date, today) else {
                continue;
            };
            let paid = match payments.get(&d.contract) {
                Some(p) => p,
                None => {
                    let p = self
                        .contracts
                        .instalment_payments(d.org, d.contract)
                        .await?;
                    payments.entry(d.contract).or_insert(p)
                }
            };
            let standing = standings(d.status, std::slice::from_ref(&d.instalment), paid, today);
            let owed = standing
                .first()
                .is_some_and(|s| matches!(s.standing, Standing::Due | Standing::Overdue));
            if !owed {
                continue;
            }
            let to = self.store.recipient(d.client).await?;
            let now = Utc::now();
            let out: Vec<_> = self
                .available
                .channels_for(&to)
                .into_iter()
                .map(|c| instalment_reminder(d, r, to.language, c, now))
                .collect();
            let reminded = DomainEvent::instalment_reminded(d, r);
            new += usize::try_from(self.store.record(&out, Some(&reminded)).await?).unwrap_or(0);
        }
        Ok(new)
    }
}
