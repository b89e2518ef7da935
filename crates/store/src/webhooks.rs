//! [`WebhookStore`] for [`Store`]: endpoints, the messages events give them, and the attempt
//! log, with the consumer's marks written in the same transaction as its messages.

use chrono::{DateTime, Utc};
use nestcms_domain::PortError;
use nestcms_domain::events::DomainEvent;
use nestcms_domain::identity::{OrgId, SecurityEvent};
use nestcms_domain::payments::PaymentEvent;
use nestcms_domain::webhooks::ports::{Outcome, WebhookStore};
use nestcms_domain::webhooks::{
    Attempt, Endpoint, EndpointId, Message, MessageStatus, SigningSecret,
};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::port_err;
use crate::identity::audit::audit_row;
use crate::identity::unknown;
use crate::time::Ts;
use crate::{Store, with_pool};

/// A secret as stored in the endpoint's JSON column.
#[derive(Serialize, Deserialize)]
struct StoredSecret {
    secret: String,
    expires_at: Option<DateTime<Utc>>,
}

type EndpointRow = (
    Uuid,
    Uuid,
    String,
    String,
    Json<Vec<String>>,
    Json<Vec<StoredSecret>>,
    String,
    Option<String>,
    Ts,
);

const SELECT_ENDPOINT: &str = "SELECT id, org_id, url, description, event_types, secrets, status, disabled_reason, created_at FROM webhook_endpoints";

type MessageRow = (
    Uuid,
    Uuid,
    Uuid,
    Uuid,
    String,
    String,
    String,
    i64,
    Option<Ts>,
    String,
    Ts,
    Option<Ts>,
);

const SELECT_MESSAGE: &str = "SELECT id, endpoint_id, org_id, event_id, event_type, payload, status, CAST(attempts AS BIGINT), next_attempt_at, next_trigger, created_at, delivered_at FROM webhook_messages";

fn endpoint(r: EndpointRow) -> Endpoint {
    let (id, org, url, description, types, secrets, status, reason, created) = r;
    Endpoint {
        id: EndpointId(id),
        org: OrgId(org),
        url,
        description,
        event_types: types.0,
        secrets: secrets
            .0
            .into_iter()
            .map(|s| SigningSecret {
                secret: s.secret,
                expires_at: s.expires_at,
            })
            .collect(),
        enabled: status == "enabled",
        disabled_reason: reason,
        created_at: created.0,
    }
}

fn message(r: MessageRow) -> Result<Message, PortError> {
    let (id, endpoint, org, event, event_type, payload, status, attempts, next, trigger, at, done) =
        r;
    Ok(Message {
        id,
        endpoint: EndpointId(endpoint),
        org: OrgId(org),
        event_id: event,
        event_type,
        payload,
        status: MessageStatus::parse(&status)
            .ok_or_else(|| unknown("webhook message status", &status))?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        next_attempt_at: next.map(|t| t.0),
        created_at: at.0,
        delivered_at: done.map(|t| t.0),
        trigger,
    })
}

fn stored_secrets(e: &Endpoint) -> Json<Vec<StoredSecret>> {
    Json(
        e.secrets
            .iter()
            .map(|s| StoredSecret {
                secret: s.secret.clone(),
                expires_at: s.expires_at,
            })
            .collect(),
    )
}

fn status_of(e: &Endpoint) -> &'static str {
    if e.enabled { "enabled" } else { "disabled" }
}

const INSERT_MESSAGE: &str = "INSERT INTO webhook_messages (id, endpoint_id, org_id, event_id, event_type, payload, status, attempts, next_attempt_at, next_trigger, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8, $9) ON CONFLICT DO NOTHING";

impl Store {
    /// Writes an endpoint, new or changed (never moving it to another organization), with its
    /// audit row, in one transaction.
    async fn save_endpoint(&self, e: &Endpoint, audit: &SecurityEvent) -> Result<(), PortError> {
        let sql = "INSERT INTO webhook_endpoints (id, org_id, url, description, event_types, secrets, status, disabled_reason, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                   ON CONFLICT (id) DO UPDATE SET url = excluded.url, description = excluded.description, \
                   event_types = excluded.event_types, secrets = excluded.secrets, status = excluded.status, \
                   disabled_reason = excluded.disabled_reason WHERE webhook_endpoints.org_id = excluded.org_id";
        with_pool!(self.primary(), |p| async {
            let mut tx = p.begin().await?;
            sqlx::query(sql)
                .bind(e.id.0)
                .bind(e.org.0)
                .bind(&e.url)
                .bind(&e.description)
                .bind(Json(&e.event_types))
                .bind(stored_secrets(e))
                .bind(status_of(e))
                .bind(&e.disabled_reason)
                .bind(Ts(e.created_at))
                .execute(&mut *tx)
                .await?;
            audit_row!(tx, audit)?;
            tx.commit().await
        }
        .await)
        .map_err(port_err)
    }

    /// Records messages, and when they come from a consumer its mark on the event, in one
    /// transaction; a message already recorded for its (endpoint, event) is kept as it was.
    async fn insert_messages(
        &self,
        messages: &[Message],
        handled: Option<(&str, Uuid, DateTime<Utc>)>,
    ) -> Result<(), PortError> {
        let (mark, progress) = (crate::consumers::MARK, crate::consumers::PROGRESS);
        with_pool!(self.primary(), |p| async {
            let mut tx = p.begin().await?;
            for m in messages {
                sqlx::query(INSERT_MESSAGE)
                    .bind(m.id)
                    .bind(m.endpoint.0)
                    .bind(m.org.0)
                    .bind(m.event_id)
                    .bind(&m.event_type)
                    .bind(&m.payload)
                    .bind(m.next_attempt_at.map(Ts))
                    .bind(&m.trigger)
                    .bind(Ts(m.created_at))
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some((consumer, event, at)) = handled {
                sqlx::query(mark)
                    .bind(consumer)
                    .bind(event)
                    .bind(Ts(Utc::now()))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(progress)
                    .bind(consumer)
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

#[async_trait::async_trait]
impl WebhookStore for Store {
    async fn create_endpoint(&self, e: &Endpoint, audit: &SecurityEvent) -> Result<(), PortError> {
        self.save_endpoint(e, audit).await
    }

    async fn endpoints_of(&self, org: OrgId) -> Result<Vec<Endpoint>, PortError> {
        let sql = format!("{SELECT_ENDPOINT} WHERE org_id = $1 ORDER BY created_at, id");
        let rows: Vec<EndpointRow> = with_pool!(self.primary(), |p| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.as_str())
        )
        .bind(org.0)
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        Ok(rows.into_iter().map(endpoint).collect())
    }

    async fn endpoint(&self, org: OrgId, id: EndpointId) -> Result<Option<Endpoint>, PortError> {
        let sql = format!("{SELECT_ENDPOINT} WHERE org_id = $1 AND id = $2");
        let row: Option<EndpointRow> = with_pool!(self.primary(), |p| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.as_str())
        )
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(p)
        .await)
        .map_err(port_err)?;
        Ok(row.map(endpoint))
    }

    async fn update_endpoint(&self, e: &Endpoint, audit: &SecurityEvent) -> Result<(), PortError> {
        self.save_endpoint(e, audit).await
    }

    async fn delete_endpoint(
        &self,
        org: OrgId,
        id: EndpointId,
        audit: &SecurityEvent,
    ) -> Result<bool, PortError> {
        let sql = "DELETE FROM webhook_endpoints WHERE org_id = $1 AND id = $2";
        with_pool!(self.primary(), |p| async {
            let mut tx = p.begin().await?;
            let gone = sqlx::query(sql)
                .bind(org.0)
                .bind(id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if gone {
                audit_row!(tx, audit)?;
            }
            tx.commit().await.map(|()| gone)
        }
        .await)
        .map_err(port_err)
    }

    async fn events_unhandled(
        &self,
        consumer: &str,
        scan: nestcms_domain::events::Scan,
    ) -> Result<Vec<PaymentEvent>, PortError> {
        let reported = "e.kind IN ('state_changed', 'refund_settled')";
        crate::consumers::unhandled(self, consumer, reported, scan).await
    }

    async fn fan_out(
        &self,
        consumer: &str,
        event: &PaymentEvent,
        messages: &[Message],
    ) -> Result<(), PortError> {
        self.insert_messages(messages, Some((consumer, event.id.0, event.at)))
            .await
    }

    async fn domain_events_unhandled(
        &self,
        consumer: &str,
        scan: nestcms_domain::events::Scan,
    ) -> Result<Vec<DomainEvent>, PortError> {
        Store::domain_events_unhandled(self, consumer, scan).await
    }

    async fn fan_out_domain(
        &self,
        consumer: &str,
        event: &DomainEvent,
        messages: &[Message],
    ) -> Result<(), PortError> {
        self.insert_messages(messages, Some((consumer, event.id, event.at)))
            .await
    }

    async fn enqueue(&self, m: &Message) -> Result<(), PortError> {
        self.insert_messages(std::slice::from_ref(m), None).await
    }

    async fn claim_messages(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(Message, Endpoint)>, PortError> {
        // The oldest due message of each endpoint that has no attempt in flight, oldest first:
        // an endpoint with a backlog or a slow receiver takes one sender slot, like the others.
        let due = "SELECT m.id, CAST(m.attempts AS BIGINT) FROM webhook_messages m \
                   JOIN webhook_endpoints e ON e.id = m.endpoint_id \
                   WHERE m.status = 'pending' AND m.next_attempt_at <= $1 AND e.status = 'enabled' \
                   AND NOT EXISTS (SELECT 1 FROM webhook_messages l WHERE l.endpoint_id = m.endpoint_id \
                       AND l.status = 'pending' AND l.leased_until > $1) \
                   AND NOT EXISTS (SELECT 1 FROM webhook_messages o WHERE o.endpoint_id = m.endpoint_id \
                       AND o.status = 'pending' AND o.next_attempt_at <= $1 \
                       AND (o.next_attempt_at < m.next_attempt_at OR (o.next_attempt_at = m.next_attempt_at AND o.id < m.id))) \
                   ORDER BY m.next_attempt_at LIMIT $2";
        let claim = "UPDATE webhook_messages SET next_attempt_at = $3, leased_until = $3, attempts = attempts + 1 \
                     WHERE id = $1 AND status = 'pending' AND attempts = $2";
        let won = crate::consumers::claim(self, due, claim, now, lease_until, limit).await?;
        let load = format!("{SELECT_MESSAGE} WHERE id = $1");
        let mut claimed = Vec::new();
        for (id, _) in won {
            let row: Option<MessageRow> = with_pool!(self.primary(), |p| sqlx::query_as(
                sqlx::AssertSqlSafe(load.as_str())
            )
            .bind(id)
            .fetch_optional(p)
            .await)
            .map_err(port_err)?;
            let Some(m) = row.map(message).transpose()? else {
                continue;
            };
            if let Some(e) = self.endpoint(m.org, m.endpoint).await? {
                claimed.push((m, e));
            }
        }
        Ok(claimed)
    }

    async fn attempted(&self, a: &Attempt, outcome: Outcome) -> Result<bool, PortError> {
        let settle = "UPDATE webhook_messages SET status = $3, next_attempt_at = $4, delivered_at = $5, leased_until = NULL \
                      WHERE id = $1 AND attempts = $2 AND status = 'pending'";
        let log = "INSERT INTO webhook_attempts (message_id, attempt, at, status_code, excerpt, duration_ms, trigger) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
        let disable = "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $2 \
                       WHERE id = (SELECT endpoint_id FROM webhook_messages WHERE id = $1) AND status = 'enabled'";
        let (status, next, delivered, off) = match outcome {
            Outcome::Delivered => (MessageStatus::Delivered, None, Some(Ts(a.at)), None),
            Outcome::RetryAt(t) => (MessageStatus::Pending, Some(Ts(t)), None, None),
            Outcome::GaveUp { disable } => (MessageStatus::Failed, None, None, disable),
        };
        let duration = i64::try_from(a.duration_ms).unwrap_or(i64::MAX);
        // A receiver's answer may hold NUL bytes, which PostgreSQL text refuses: the attempt
        // must be logged whatever it answered.
        let excerpt = a.excerpt.replace('\0', "\u{FFFD}");
        with_pool!(self.primary(), |p| async {
            let mut tx = p.begin().await?;
            let current = sqlx::query(settle)
                .bind(a.message)
                .bind(i64::from(a.number))
                .bind(status.as_str())
                .bind(next)
                .bind(delivered)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if !current {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query(log)
                .bind(a.message)
                .bind(i64::from(a.number))
                .bind(Ts(a.at))
                .bind(a.status_code.map(i32::from))
                .bind(&excerpt)
                .bind(duration)
                .bind(&a.trigger)
                .execute(&mut *tx)
                .await?;
            if let Some(reason) = off {
                sqlx::query(disable)
                    .bind(a.message)
                    .bind(reason)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await.map(|()| true)
        }
        .await)
        .map_err(port_err)
    }

    async fn messages_of(
        &self,
        endpoint: EndpointId,
        limit: u32,
    ) -> Result<Vec<Message>, PortError> {
        let sql = format!(
            "{SELECT_MESSAGE} WHERE endpoint_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        let rows: Vec<MessageRow> = with_pool!(self.primary(), |p| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.as_str())
        )
        .bind(endpoint.0)
        .bind(i64::from(limit))
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        rows.into_iter().map(message).collect()
    }

    async fn message(&self, org: OrgId, id: Uuid) -> Result<Option<Message>, PortError> {
        let sql = format!("{SELECT_MESSAGE} WHERE org_id = $1 AND id = $2");
        let row: Option<MessageRow> = with_pool!(self.primary(), |p| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.as_str())
        )
        .bind(org.0)
        .bind(id)
        .fetch_optional(p)
        .await)
        .map_err(port_err)?;
        row.map(message).transpose()
    }

    async fn attempts_of(&self, message: Uuid) -> Result<Vec<Attempt>, PortError> {
        let sql = "SELECT CAST(attempt AS BIGINT), at, CAST(status_code AS BIGINT), excerpt, duration_ms, trigger \
                   FROM webhook_attempts WHERE message_id = $1 ORDER BY attempt";
        type Row = (i64, Ts, Option<i64>, String, i64, String);
        let rows: Vec<Row> = with_pool!(self.primary(), |p| sqlx::query_as(sql)
            .bind(message)
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        Ok(rows
            .into_iter()
            .map(|(n, at, code, excerpt, ms, trigger)| Attempt {
                message,
                number: u32::try_from(n).unwrap_or(0),
                at: at.0,
                status_code: code.and_then(|c| u16::try_from(c).ok()),
                excerpt,
                duration_ms: u64::try_from(ms).unwrap_or(0),
                trigger,
            })
            .collect())
    }

    async fn redeliver(&self, org: OrgId, id: Uuid, now: DateTime<Utc>) -> Result<bool, PortError> {
        // A message still being retried keeps its schedule (and may be on the wire now).
        let sql = "UPDATE webhook_messages SET status = 'pending', next_attempt_at = $3, next_trigger = 'manual' \
                   WHERE org_id = $1 AND id = $2 AND status <> 'pending'";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(org.0)
            .bind(id)
            .bind(Ts(now))
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1))
        .map_err(port_err)
    }
}
