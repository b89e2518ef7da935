//! What every event consumer (receipts, webhooks) shares in storage: finding the payment
//! events it has not handled, and the mark and progress it writes in the same transaction as
//! its effect.

use chrono::{DateTime, Utc};
use nestcms_domain::PortError;
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

/// The events of a log `e` from `$3` on that consumer `$1` has not marked, oldest first,
/// at most `$2`: the tail of every consumer's scan.
pub(crate) const UNMARKED: &str = "e.created_at >= $3 \
     AND NOT EXISTS (SELECT 1 FROM consumer_marks m WHERE m.consumer = $1 AND m.event_id = e.id) \
     ORDER BY e.created_at, e.id LIMIT $2";

/// Where `consumer` looks for unmarked events from: a while before the newest it handled.
/// An event becomes visible when its transaction commits, milliseconds (at most a request
/// deadline) after the time it carries, so one that commits late is still found, and the scan
/// never walks the whole history.
pub(crate) async fn since(store: &Store, consumer: &str) -> Result<DateTime<Utc>, PortError> {
    let progress = "SELECT handled_to FROM consumer_progress WHERE consumer = $1";
    let handled_to: Option<Ts> = with_pool!(store.primary(), |p| sqlx::query_scalar(progress)
        .bind(consumer)
        .fetch_optional(p)
        .await)
    .map_err(port_err)?;
    Ok(handled_to.map_or(DateTime::<Utc>::UNIX_EPOCH, |t| t.0 - LOOKBACK))
}

/// Up to `limit` events matching `filter` (SQL over `e`, written by this crate, never from
/// input) that `consumer` has not marked, oldest first.
pub(crate) async fn unhandled(
    store: &Store,
    consumer: &str,
    filter: &str,
    limit: u32,
) -> Result<Vec<PaymentEvent>, PortError> {
    let since = since(store, consumer).await?;
    let sql = format!("{SELECT_EVENT} WHERE {filter} AND {UNMARKED}");
    let rows: Vec<EventRow> = with_pool!(store.primary(), |p| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(consumer)
    .bind(i64::from(limit))
    .bind(Ts(since))
    .fetch_all(p)
    .await)
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
