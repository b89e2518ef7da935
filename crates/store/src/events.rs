//! Domain events in storage: written inside the transaction of the change they report
//! ([`insert_domain_event!`], [`Store::move_status`]), read by consumers like payment events.

use nestcms_domain::PortError;
use nestcms_domain::events::{DomainEvent, Relayed, Scan};
use nestcms_domain::identity::OrgId;
use nestcms_domain::payments::model::TraceContext;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::port_err;
use crate::time::Ts;
use crate::{Store, with_pool};

pub(crate) const INSERT_DOMAIN_EVENT: &str = "INSERT INTO domain_events (id, kind, org_id, subject_id, data, created_at, traceparent, tracestate) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// As [`INSERT_DOMAIN_EVENT`] for an event whose id is a stable key: written once, however
/// often it is recorded.
pub(crate) const INSERT_DOMAIN_EVENT_ONCE: &str = "INSERT INTO domain_events (id, kind, org_id, subject_id, data, created_at, traceparent, tracestate) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING";

/// Appends a domain event inside an open transaction `$tx`, with the trace context of the
/// work recording it.
macro_rules! insert_domain_event {
    ($tx:ident, $e:expr) => {
        $crate::events::insert_domain_event!($tx, $e, $crate::events::INSERT_DOMAIN_EVENT)
    };
    ($tx:ident, $e:expr, $sql:expr) => {{
        let e: &nestcms_domain::events::DomainEvent = $e;
        let trace = nestcms_telemetry::current();
        sqlx::query($sql)
            .bind(e.id)
            .bind(&e.kind)
            .bind(e.org.0)
            .bind(e.subject)
            .bind(sqlx::types::Json(&e.data))
            .bind($crate::time::Ts(e.at))
            .bind(trace.as_ref().map(|t| t.traceparent.as_str()))
            .bind(trace.as_ref().and_then(|t| t.tracestate.as_deref()))
            .execute(&mut *$tx)
            .await
    }};
}
pub(crate) use insert_domain_event;

type Row = (
    Uuid,
    String,
    Uuid,
    Uuid,
    Json<serde_json::Value>,
    Ts,
    Option<String>,
    Option<String>,
);

const SELECT: &str = "SELECT e.id, e.kind, e.org_id, e.subject_id, e.data, e.created_at, e.traceparent, e.tracestate FROM domain_events e";

fn event(r: Row) -> DomainEvent {
    let (id, kind, org, subject, data, at, traceparent, tracestate) = r;
    DomainEvent {
        id,
        kind,
        org: OrgId(org),
        subject,
        data: data.0,
        at: at.0,
        trace_context: traceparent.map(|traceparent| TraceContext {
            traceparent,
            tracestate,
        }),
    }
}

impl Store {
    /// Moves a row of `table` (offers, contracts, projects: `org_id`, `id`, `status`) from
    /// `from` to `to` and, when it moved, records `event`, in one transaction.
    pub(crate) async fn move_status(
        &self,
        table: &'static str,
        (org, id): (OrgId, Uuid),
        (from, to): (&str, &str),
        event: Option<&DomainEvent>,
    ) -> Result<bool, sqlx::Error> {
        let sql =
            format!("UPDATE {table} SET status = $4 WHERE org_id = $1 AND id = $2 AND status = $3");
        with_pool!(self.primary(), |p| async {
            let mut tx = p.begin().await?;
            let moved = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(org.0)
                .bind(id)
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if !moved {
                return Ok(false);
            }
            if let Some(e) = event {
                insert_domain_event!(tx, e)?;
            }
            tx.commit().await.map(|()| true)
        }
        .await)
    }

    /// Up to `limit` domain events the broker has not confirmed, oldest first.
    pub(crate) async fn domain_undelivered(&self, limit: u32) -> Result<Vec<Relayed>, PortError> {
        let sql = format!(
            "{SELECT} WHERE {} ORDER BY e.created_at, e.id LIMIT $1",
            crate::outbox::UNDELIVERED
        );
        let rows: Vec<Row> = with_pool!(self.primary(), |p| sqlx::query_as(sqlx::AssertSqlSafe(
            sql.as_str()
        ))
        .bind(i64::from(limit))
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        Ok(rows.into_iter().map(|r| event(r).relayed()).collect())
    }

    /// The domain events `scan` asks for that `consumer` has not marked, oldest first; a
    /// round looks from a while before the newest it handled. (A consumer of both logs uses a
    /// name per log: progress through one says nothing of the other.)
    pub(crate) async fn domain_events_unhandled(
        &self,
        consumer: &str,
        scan: Scan,
    ) -> Result<Vec<DomainEvent>, PortError> {
        let (anchor, limit) = crate::consumers::anchor(self, consumer, scan).await?;
        let sql = format!("{SELECT} WHERE {}", crate::consumers::unmarked(anchor));
        let rows: Vec<Row> = with_pool!(self.primary(), |p| {
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(consumer)
                .bind(limit);
            crate::bind_anchor!(q, anchor).fetch_all(p).await
        })
        .map_err(port_err)?;
        Ok(rows.into_iter().map(event).collect())
    }
}

#[async_trait::async_trait]
impl nestcms_domain::events::ConsumerLog for Store {
    async fn replay(
        &self,
        consumer: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, PortError> {
        let unmark = "DELETE FROM consumer_marks WHERE consumer = $1 AND event_id IN \
                      (SELECT id FROM payment_events WHERE created_at >= $2 \
                       UNION SELECT id FROM domain_events WHERE created_at >= $2 \
                       UNION SELECT id FROM security_events WHERE created_at >= $2)";
        // At scale the consumer reads a queue: the relay publishes these events again (the
        // other consumers find them marked and only acknowledge them).
        let republish = "DELETE FROM event_deliveries WHERE event_id IN \
                      (SELECT id FROM payment_events WHERE created_at >= $1 \
                       UNION SELECT id FROM domain_events WHERE created_at >= $1 \
                       UNION SELECT id FROM security_events WHERE created_at >= $1)";
        let back =
            "UPDATE consumer_progress SET handled_to = $2 WHERE consumer = $1 AND handled_to > $2";
        with_pool!(self.primary(), |p| async {
            let mut tx = p.begin().await?;
            let removed = sqlx::query(unmark)
                .bind(consumer)
                .bind(Ts(since))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query(back)
                .bind(consumer)
                .bind(Ts(since))
                .execute(&mut *tx)
                .await?;
            sqlx::query(republish)
                .bind(Ts(since))
                .execute(&mut *tx)
                .await?;
            tx.commit().await.map(|()| removed)
        }
        .await)
        .map_err(port_err)
    }
}
