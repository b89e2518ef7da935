//! An event consumer as both ways of feeding it see it. In the embedded mode a loop runs
//! polling rounds over its logs ([`Scan::Oldest`]); at scale the broker delivers each event
//! from the consumer's own queue and the consumer handles that one ([`Scan::One`]). Either
//! way the consumer's marks, written with its effects, make a repeated event change nothing.

use nestcms_domain::PortError;
use nestcms_domain::events::{Scan, TYPES};

/// The routing keys of payment events.
pub const PAYMENT_TOPICS: &[&str] = &["payment.#"];

/// The routing keys of the security events people are told of.
pub const SECURITY_TOPICS: &[&str] = &["security.#"];

/// The routing keys of domain events: one pattern per subject (`offer.#`, `contract.#`, …).
pub fn domain_topics() -> Vec<String> {
    let mut topics: Vec<String> = TYPES
        .iter()
        .filter_map(|t| t.split_once('.'))
        .map(|(subject, _)| format!("{subject}.#"))
        .collect();
    topics.sort();
    topics.dedup();
    topics
}

/// One consumer of the event logs.
#[async_trait::async_trait]
pub trait Consumer: Send + Sync {
    /// The name its marks carry; its queue is named after it (see
    /// [`subscriptions`](super::subscriptions) for the routing keys bound to it).
    fn name(&self) -> &'static str;
    /// Handles what `scan` finds unhandled; returns how many events it handled. An error
    /// leaves the failed event unmarked, to be tried again.
    async fn pass(&self, scan: Scan) -> Result<usize, PortError>;
}

/// The bookkeeping of one pass of a consumer, which reads what its scan finds and handles each
/// event until the log has nothing more for it. An event that fails is left unmarked for later
/// and the others go on (one event that cannot be handled must not hold back every event after
/// it); the pass then reports the first failure.
pub(crate) struct Tally {
    consumer: &'static str,
    handled: usize,
    progress: bool,
    failed: Option<PortError>,
}

impl Tally {
    /// A pass of `consumer`.
    pub(crate) fn new(consumer: &'static str) -> Self {
        Self {
            consumer,
            handled: 0,
            progress: false,
            failed: None,
        }
    }

    /// How handling event `id` went.
    pub(crate) fn record(&mut self, id: uuid::Uuid, outcome: Result<(), PortError>) {
        match outcome {
            Ok(()) => {
                self.handled += 1;
                self.progress = true;
            }
            Err(err) => {
                tracing::warn!(consumer = self.consumer, event.id = %id, error = %err, "event not handled; will retry");
                self.failed.get_or_insert(err);
            }
        }
    }

    /// After handling a read of `read` events: the pass's result when it is over, `None`
    /// when the log may hold more. A full batch that made no progress is all failures, which
    /// come back later.
    pub(crate) fn done(&mut self, scan: Scan, read: usize) -> Option<Result<usize, PortError>> {
        let again = more(scan, read) && self.progress;
        self.progress = false;
        if again {
            return None;
        }
        Some(match self.failed.take() {
            Some(e) => Err(e),
            None => Ok(self.handled),
        })
    }
}

/// Whether a pass that just read `read` events should read again: a full batch of a round
/// may have more behind it; a delivery is about one event.
fn more(scan: Scan, read: usize) -> bool {
    matches!(scan, Scan::Oldest(n) if read >= n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_type_is_routed_to_domain_consumers_and_none_to_payment_ones() {
        let topics = domain_topics();
        for t in TYPES {
            let subject = t.split('.').next().unwrap_or_default();
            assert!(topics.contains(&format!("{subject}.#")), "{t}");
            assert_ne!(subject, "payment", "{t} would reach payment consumers");
            assert_ne!(subject, "security", "{t} would reach security consumers");
        }
        assert!(more(Scan::Oldest(2), 2));
        assert!(!more(Scan::Oldest(2), 1));
        assert!(!more(Scan::One(uuid::Uuid::nil()), 1));
    }
}
