//! [`EventOutbox`] for [`Store`]: the append-only event logs (payment events, domain events,
//! and the security events people are told of) double as the outbox the broker relay drains;
//! deliveries are recorded in `event_deliveries` beside them.

use chrono::{DateTime, Utc};
use nestcms_domain::PortError;
use nestcms_domain::events::Relayed;
use nestcms_domain::identity::UserId;
use nestcms_domain::payments::model::{PaymentEventId, TraceContext};
use nestcms_domain::payments::ports::EventOutbox;
use nestcms_domain::payments::{PaymentEvent, PaymentId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::port_err;
use crate::time::Ts;
use crate::{Store, with_pool};

/// The columns [`event_from_row`] reads, for any query over `payment_events e`.
pub(crate) const SELECT_EVENT: &str = "SELECT e.id, e.payment_id, e.kind, e.actor_id, e.source, e.gateway_trace, e.detail, e.created_at, e.traceparent, e.tracestate FROM payment_events e";

pub(crate) type EventRow = (
    Uuid,
    Uuid,
    String,
    Option<Uuid>,
    String,
    Option<String>,
    Json<serde_json::Value>,
    Ts,
    Option<String>,
    Option<String>,
);

#[async_trait::async_trait]
impl EventOutbox for Store {
    async fn undelivered(&self, limit: u32) -> Result<Vec<Relayed>, PortError> {
        let n = i64::from(limit);
        let sql =
            format!("{SELECT_EVENT} WHERE {UNDELIVERED} ORDER BY e.created_at, e.id LIMIT $1");
        let rows: Vec<EventRow> = with_pool!(self.primary(), |p| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.as_str())
        )
        .bind(n)
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        let mut out: Vec<Relayed> = rows
            .into_iter()
            .map(|r| event_from_row(r).relayed())
            .collect();
        out.extend(self.domain_undelivered(limit).await?);
        let sql = format!(
            "SELECT e.id, e.subject_id, e.kind, e.created_at FROM security_events e \
             WHERE {} AND {UNDELIVERED} ORDER BY e.created_at, e.id LIMIT $1",
            crate::notify::noticed_clause()
        );
        let rows: Vec<(Uuid, Uuid, String, Ts)> = with_pool!(self.primary(), |p| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.as_str())
        )
        .bind(n)
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        out.extend(rows.into_iter().map(|(id, user, kind, at)| Relayed {
            id,
            routing_key: format!("security.{kind}"),
            body: serde_json::json!({ "id": id, "kind": kind, "user_id": user, "at": at.0 }),
            at: at.0,
            trace_context: None,
        }));
        // Oldest first across the logs, `limit` at most: the rest waits for the next batch.
        out.sort_by_key(|e| (e.at, e.id));
        out.truncate(limit as usize);
        Ok(out)
    }

    async fn backlog(&self) -> Result<(u64, Option<DateTime<Utc>>), PortError> {
        let sql = format!(
            "SELECT COUNT(*), MIN(e.created_at) FROM payment_events e WHERE {UNDELIVERED} \
             UNION ALL SELECT COUNT(*), MIN(e.created_at) FROM domain_events e WHERE {UNDELIVERED} \
             UNION ALL SELECT COUNT(*), MIN(e.created_at) FROM security_events e WHERE {} AND {UNDELIVERED}",
            crate::notify::noticed_clause()
        );
        let logs: Vec<(i64, Option<Ts>)> = with_pool!(self.primary(), |p| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.as_str())
        )
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        let n = logs.iter().map(|(n, _)| *n).sum::<i64>();
        let oldest = logs.iter().filter_map(|(_, t)| t.map(|t| t.0)).min();
        Ok((u64::try_from(n).unwrap_or(0), oldest))
    }

    async fn delivered(&self, ids: &[Uuid], at: DateTime<Utc>) -> Result<(), PortError> {
        let sql = "INSERT INTO event_deliveries (event_id, delivered_at) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        with_pool!(self.primary(), |p| async {
            let mut tx = p.begin().await?;
            for id in ids {
                sqlx::query(sql)
                    .bind(id)
                    .bind(Ts(at))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }
        .await)
        .map_err(port_err)
    }
}

/// The events of a log `e` the broker has not confirmed yet.
pub(crate) const UNDELIVERED: &str =
    "NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id)";

/// A `payment_events` row as the domain's event.
pub(crate) fn event_from_row(row: EventRow) -> PaymentEvent {
    let (id, payment, kind, actor, source, trace, detail, at, traceparent, tracestate) = row;
    PaymentEvent {
        id: PaymentEventId(id),
        payment_id: PaymentId(payment),
        kind,
        actor: actor.map(UserId),
        source,
        gateway_trace: trace,
        detail: detail.0,
        at: at.0,
        trace_context: traceparent.map(|traceparent| TraceContext {
            traceparent,
            tracestate,
        }),
    }
}
