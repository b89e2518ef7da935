//! [`AuditRepository`] and [`ThrottleRepository`] for [`Store`].

use chrono::{DateTime, Utc};
use nestcms_domain::PortError;
use nestcms_domain::identity::ports::{AuditRepository, ThrottleRepository};
use nestcms_domain::identity::{EventId, OrgId, SecurityEvent, SessionId, UserId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::port_err;
use crate::time::Ts;
use crate::{Store, with_pool};

/// Appends a security event inside the caller's transaction (`tx`), so the change it records
/// and the row commit or roll back together. A macro because the transaction's type differs per
/// backend inside `with_pool!`.
macro_rules! audit_row {
    ($tx:expr, $e:expr) => {{
        let e: &nestcms_domain::identity::SecurityEvent = $e;
        sqlx::query(
            "INSERT INTO security_events (id, org_id, actor_id, subject_id, session_id, kind, ip, detail, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(e.id.0)
        .bind(e.org_id.map(|o| o.0))
        .bind(e.actor.map(|u| u.0))
        .bind(e.subject.map(|u| u.0))
        .bind(e.session.map(|s| s.0))
        .bind(&e.kind)
        .bind(&e.ip)
        .bind(sqlx::types::Json(&e.detail))
        .bind($crate::time::Ts(e.at))
        .execute(&mut *$tx)
        .await
    }};
}
pub(crate) use audit_row;

#[derive(sqlx::FromRow)]
struct EventRow {
    id: Uuid,
    org_id: Option<Uuid>,
    actor_id: Option<Uuid>,
    subject_id: Option<Uuid>,
    session_id: Option<Uuid>,
    kind: String,
    ip: Option<String>,
    detail: Json<serde_json::Value>,
    created_at: Ts,
}

impl From<EventRow> for SecurityEvent {
    fn from(r: EventRow) -> Self {
        SecurityEvent {
            id: EventId(r.id),
            org_id: r.org_id.map(OrgId),
            actor: r.actor_id.map(UserId),
            subject: r.subject_id.map(UserId),
            session: r.session_id.map(SessionId),
            kind: r.kind,
            ip: r.ip,
            detail: r.detail.0,
            at: r.created_at.0,
        }
    }
}

#[async_trait::async_trait]
impl AuditRepository for Store {
    async fn record_event(&self, e: &SecurityEvent) -> Result<(), PortError> {
        with_pool!(self.primary(), |p| {
            async {
                let mut conn = p.acquire().await?;
                audit_row!(conn, e).map(|_| ())
            }
            .await
        })
        .map_err(port_err)
    }

    async fn org_events(
        &self,
        org: OrgId,
        before: Option<EventId>,
        limit: u32,
    ) -> Result<Vec<SecurityEvent>, PortError> {
        // The organization's own events, plus account events (logins, MFA, sessions) of its
        // current members. Ids are UUIDv7, so id order is time order and the cursor is an id.
        let sql = "SELECT id, org_id, actor_id, subject_id, session_id, kind, ip, detail, created_at FROM security_events \
                   WHERE (org_id = $1 OR (org_id IS NULL AND subject_id IN (SELECT user_id FROM memberships WHERE org_id = $1))) \
                   AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3";
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, EventRow>(sql)
            .bind(org.0)
            .bind(before.map(|b| b.0))
            .bind(i64::from(limit))
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        Ok(rows.into_iter().map(SecurityEvent::from).collect())
    }
}

#[async_trait::async_trait]
impl ThrottleRepository for Store {
    async fn record_failure(
        &self,
        key: &str,
        at: DateTime<Utc>,
        window_start: DateTime<Utc>,
    ) -> Result<u32, PortError> {
        let sql = "INSERT INTO login_failures (key, failures, last_failure_at) VALUES ($1, 1, $2) \
                   ON CONFLICT (key) DO UPDATE SET \
                   failures = CASE WHEN login_failures.last_failure_at < $3 THEN 1 ELSE login_failures.failures + 1 END, \
                   last_failure_at = $2 \
                   RETURNING failures";
        let n: i32 = with_pool!(self.primary(), |p| sqlx::query_scalar(sql)
            .bind(key)
            .bind(Ts(at))
            .bind(Ts(window_start))
            .fetch_one(p)
            .await)
        .map_err(port_err)?;
        Ok(u32::try_from(n).unwrap_or(0))
    }

    async fn failures(&self, key: &str) -> Result<Option<(u32, DateTime<Utc>)>, PortError> {
        let sql = "SELECT failures, last_failure_at FROM login_failures WHERE key = $1";
        let row: Option<(i32, Ts)> = with_pool!(self.primary(), |p| sqlx::query_as(sql)
            .bind(key)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        Ok(row.map(|(n, t)| (u32::try_from(n).unwrap_or(0), t.0)))
    }

    async fn clear_failures(&self, key: &str) -> Result<(), PortError> {
        with_pool!(self.primary(), |p| sqlx::query(
            "DELETE FROM login_failures WHERE key = $1"
        )
        .bind(key)
        .execute(p)
        .await
        .map(|_| ()))
        .map_err(port_err)
    }
}
