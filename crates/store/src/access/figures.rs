//! An organization's dashboard figures, served from memory until a write changes them.
//!
//! The dashboard is polled by every member's page and phone, and its counts (projects and
//! contracts per status, payouts per currency) change only when a project, a contract, a
//! worker, a contract employee or a payout of that organization does. Those writes name the
//! organization ([`super::AccessChange::Org`]): on this instance when they end, on the others
//! through the same `NOTIFY` channel and barrier as access changes (migration 0016's
//! triggers). So a warm dashboard costs no query, and the next read after such a write, on any
//! instance, counts again.
//!
//! A figure kept here is always read from the primary, never from a replica: a replica may not
//! have applied the write whose notification just emptied the entry, and keeping its answer
//! would serve the old count until the TTL ends. Uncached reads (the cache off, or the channel
//! down) still go to a replica.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use nestcms_domain::Currency;
use nestcms_domain::construction::ports::StatusCount;
use uuid::Uuid;

use super::{AccessCache, LOOKUPS};

/// Which figure of an organization, for whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FigureKey {
    /// Projects per status, of one client (or all), managed or worked on by one member (or
    /// anyone).
    Projects {
        /// Only this client's.
        client: Option<Uuid>,
        /// Only those this member manages or works on.
        member: Option<Uuid>,
    },
    /// Contracts per status where this user is the client or a responsible employee.
    Contracts(Uuid),
    /// This employee's commission payouts per currency.
    Payouts(Uuid),
}

/// A figure's value.
#[derive(Debug, Clone)]
pub enum Figure {
    /// Counts per status.
    Counts(Vec<StatusCount>),
    /// Amounts in minor units per currency.
    Amounts(Vec<(Currency, i64)>),
}

/// One organization's figures.
pub(super) type OrgFigures = Arc<Mutex<HashMap<FigureKey, Figure>>>;

impl AccessCache {
    /// Serves a figure of `org` from memory, or loads it. `load` is told whether its answer
    /// will be kept: then it must read from the primary (see the module's documentation).
    pub(crate) async fn figure<E, F, Fut>(
        &self,
        org: Uuid,
        key: FigureKey,
        load: F,
    ) -> Result<Figure, E>
    where
        F: FnOnce(bool) -> Fut,
        Fut: Future<Output = Result<Figure, E>>,
    {
        const KIND: &str = "figures";
        if !self.usable() {
            metrics::counter!(LOOKUPS, "kind" => KIND, "result" => "bypass").increment(1);
            return load(false).await;
        }
        let known = self.figures.get(&org).and_then(|of| {
            of.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&key)
                .cloned()
        });
        if let Some(v) = known {
            metrics::counter!(LOOKUPS, "kind" => KIND, "result" => "hit").increment(1);
            return Ok(v);
        }
        metrics::counter!(LOOKUPS, "kind" => KIND, "result" => "miss").increment(1);
        // The organization's entry as it is before the read. A write of this organization
        // removes it (see `forget`): the answer is kept only if the same entry is still there
        // afterwards, so writes of other organizations, logouts and the like do not stop it
        // from being kept. Should a forget come between that check and the insert, the value
        // goes into an entry nothing can reach any more.
        let before = self.figures.get_with(org, OrgFigures::default);
        let value = load(true).await?;
        if self.usable()
            && self
                .figures
                .get(&org)
                .is_some_and(|now| Arc::ptr_eq(&now, &before))
        {
            before
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key, value.clone());
        }
        Ok(value)
    }
}
