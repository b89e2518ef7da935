//! [`EventOutbox`] for [`Store`]: the append-only payment event log doubles as the outbox the
//! broker relay drains; deliveries are recorded in `event_deliveries` beside it.

use chrono::{DateTime, Utc};
use nestcms_domain::PortError;
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
    async fn undelivered(&self, limit: u32) -> Result<Vec<PaymentEvent>, PortError> {
        let sql = format!(
            "{SELECT_EVENT} WHERE NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id) \
             ORDER BY e.created_at, e.id LIMIT $1"
        );
        let rows: Vec<EventRow> = with_pool!(self.primary(), |p| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.as_str())
        )
        .bind(i64::from(limit))
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        Ok(rows.into_iter().map(event_from_row).collect())
    }

    async fn backlog(&self) -> Result<(u64, Option<DateTime<Utc>>), PortError> {
        let sql = "SELECT COUNT(*), MIN(e.created_at) FROM payment_events e \
                   WHERE NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id)";
        let (n, oldest): (i64, Option<Ts>) =
            with_pool!(self.primary(), |p| sqlx::query_as(sql).fetch_one(p).await)
                .map_err(port_err)?;
        Ok((u64::try_from(n).unwrap_or(0), oldest.map(|t| t.0)))
    }

    async fn delivered(&self, ids: &[PaymentEventId], at: DateTime<Utc>) -> Result<(), PortError> {
        let sql = "INSERT INTO event_deliveries (event_id, delivered_at) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        with_pool!(self.primary(), |p| async {
            let mut tx = p.begin().await?;
            for id in ids {
                sqlx::query(sql)
                    .bind(id.0)
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
