//! What every event consumer (receipts, webhooks) shares in storage: finding the payment
//! events it has not handled, and the mark and progress it writes in the same transaction as
//! its effect.

use chrono::{DateTime, Utc};
use nestcms_domain::PortError;
use nestcms_domain::events::Scan;
use nestcms_domain::payments::PaymentEvent;

use crate::error::port_err;
use crate::outbox::{EventRow, SELECT_EVENT, event_from_row};
use crate::time::Ts;
use crate::{Store, with_pool};

/// How far before the newest event handled a consumer looks again.
const LOOKBACK: chrono::Duration = chrono::Duration::minutes(10);

/// Marks an event handled by a consumer (`$1` consumer, `$2` event id, `$3` now).
pub(crate) const MARK: &str = "INSERT INTO consumer_marks (consumer, event_id, done_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

/// Moves a consumer's progress forward, never back (`$1` consumer, `$2` the event's time).
pub(crate) const PROGRESS: &str = "INSERT INTO consumer_progress (consumer, handled_to) VALUES ($1, $2) \
     ON CONFLICT (consumer) DO UPDATE SET handled_to = CASE WHEN excluded.handled_to > consumer_progress.handled_to \
     THEN excluded.handled_to ELSE consumer_progress.handled_to END";

/// Where a scan of a log `e` looks: `$3` in [`unmarked`]'s clause.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Anchor {
    /// Events from this time on (a polling round).
    Since(Ts),
    /// This one event (a broker delivery).
    Id(uuid::Uuid),
}

/// The tail of every consumer's scan of a log `e`: the events from `$3` on (or the one with
/// id `$3`) that consumer `$1` has not marked, oldest first, at most `$2`.
pub(crate) fn unmarked(anchor: Anchor) -> &'static str {
    match anchor {
        Anchor::Since(_) => {
            "e.created_at >= $3 \
             AND NOT EXISTS (SELECT 1 FROM consumer_marks m WHERE m.consumer = $1 AND m.event_id = e.id) \
             ORDER BY e.created_at, e.id LIMIT $2"
        }
        Anchor::Id(_) => {
            "e.id = $3 \
             AND NOT EXISTS (SELECT 1 FROM consumer_marks m WHERE m.consumer = $1 AND m.event_id = e.id) \
             ORDER BY e.created_at, e.id LIMIT $2"
        }
    }
}

/// Binds an [`Anchor`] as `$3` of a query built with [`unmarked`].
#[macro_export]
macro_rules! bind_anchor {
    ($query:expr, $anchor:expr) => {
        match $anchor {
            $crate::consumers::Anchor::Since(t) => $query.bind(t),
            $crate::consumers::Anchor::Id(id) => $query.bind(id),
        }
    };
}

/// Where `consumer`'s `scan` looks, and how many events it takes at most.
pub(crate) async fn anchor(
    store: &Store,
    consumer: &str,
    scan: Scan,
) -> Result<(Anchor, i64), PortError> {
    let a = match scan {
        Scan::Oldest(_) => Anchor::Since(Ts(since(store, consumer).await?)),
        Scan::One(id) => Anchor::Id(id),
    };
    Ok((a, i64::from(scan.limit())))
}

/// Where `consumer` looks for unmarked events from: a while before the newest it handled.
/// An event becomes visible when its transaction commits, milliseconds (at most a request
/// deadline) after the time it carries, so one that commits late is still found, and the scan
/// never walks the whole history.
async fn since(store: &Store, consumer: &str) -> Result<DateTime<Utc>, PortError> {
    let progress = "SELECT handled_to FROM consumer_progress WHERE consumer = $1";
    let handled_to: Option<Ts> = with_pool!(store.primary(), |p| sqlx::query_scalar(progress)
        .bind(consumer)
        .fetch_optional(p)
        .await)
    .map_err(port_err)?;
    Ok(handled_to.map_or(DateTime::<Utc>::UNIX_EPOCH, |t| t.0 - LOOKBACK))
}

/// The payment events matching `filter` (SQL over `e`, written by this crate, never from
/// input) that `scan` asks for and `consumer` has not marked, oldest first.
pub(crate) async fn unhandled(
    store: &Store,
    consumer: &str,
    filter: &str,
    scan: Scan,
) -> Result<Vec<PaymentEvent>, PortError> {
    let (anchor, limit) = anchor(store, consumer, scan).await?;
    let sql = format!("{SELECT_EVENT} WHERE {filter} AND {}", unmarked(anchor));
    let rows: Vec<EventRow> = with_pool!(store.primary(), |p| {
        let q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(consumer)
            .bind(limit);
        bind_anchor!(q, anchor).fetch_all(p).await
    })
    .map_err(port_err)?;
    Ok(rows.into_iter().map(event_from_row).collect())
}

/// Claims up to `limit` rows of work (e-mail, webhook messages, sagas) one by one: `due`
/// (written by this crate; `$1` now, `$2` limit) selects candidate ids with their attempt
/// counts, and `claim` (`$1` id, `$2` the count seen, `$3` the lease's end) moves each to the
/// lease with a compare-and-set on the count, so of two instances one wins each row. Returns
/// the rows won, with the number of this attempt.
pub(crate) async fn claim(
    store: &Store,
    due: &str,
    claim: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<(uuid::Uuid, u32)>, PortError> {
    let candidates: Vec<(uuid::Uuid, i64)> = with_pool!(store.primary(), |p| sqlx::query_as(
        sqlx::AssertSqlSafe(due)
    )
    .bind(Ts(now))
    .bind(i64::from(limit))
    .fetch_all(p)
    .await)
    .map_err(port_err)?;
    let mut won = Vec::new();
    for (id, attempts) in candidates {
        let mine = with_pool!(store.primary(), |p| sqlx::query(sqlx::AssertSqlSafe(claim))
            .bind(id)
            .bind(attempts)
            .bind(Ts(lease_until))
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1))
        .map_err(port_err)?;
        if mine {
            won.push((id, u32::try_from(attempts + 1).unwrap_or(u32::MAX)));
        }
    }
    Ok(won)
}
