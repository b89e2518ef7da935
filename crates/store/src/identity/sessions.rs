//! [`SessionRepository`] for [`Store`]: refresh-token families with rotation and reuse detection.

use chrono::{DateTime, Utc};
use nestcms_domain::PortError;
use nestcms_domain::identity::ports::{NewSession, Rotation, SessionRepository};
use nestcms_domain::identity::{SecurityEvent, SessionId, UserId};
use uuid::Uuid;

use super::audit::audit_row;
use crate::access::AccessChange;
use crate::error::port_err;
use crate::time::Ts;
use crate::{Store, with_pool};

/// Spends a current token. The UPDATE comes first so the transaction holds the write lock (row
/// lock on PostgreSQL, database lock on SQLite) before anything is read: two refreshes with the
/// same token cannot both win.
const SPEND: &str = "UPDATE refresh_tokens SET rotated_at = $2 \
    WHERE token_hash = $1 AND rotated_at IS NULL AND expires_at > $2 \
    AND session_id IN (SELECT id FROM sessions WHERE revoked_at IS NULL) \
    RETURNING session_id";
const INSERT_TOKEN: &str = "INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
const SESSION_USER: &str = "SELECT user_id FROM sessions WHERE id = $1";
const SPENT_TOKEN: &str =
    "SELECT session_id FROM refresh_tokens WHERE token_hash = $1 AND rotated_at IS NOT NULL";
const REVOKE: &str = "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";

#[async_trait::async_trait]
impl SessionRepository for Store {
    async fn insert_session(&self, s: &NewSession, audit: &SecurityEvent) -> Result<(), PortError> {
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                sqlx::query("INSERT INTO sessions (id, user_id, created_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5)")
                    .bind(s.id.0)
                    .bind(s.user.0)
                    .bind(Ts(s.at))
                    .bind(&s.ip)
                    .bind(&s.user_agent)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(INSERT_TOKEN).bind(&s.refresh_hash).bind(s.id.0).bind(Ts(s.at)).bind(Ts(s.refresh_expires_at)).execute(&mut *tx).await?;
                audit_row!(tx, audit)?;
                tx.commit().await
            }
            .await
        })
        .map_err(port_err)
    }

    async fn rotate_refresh(
        &self,
        old_hash: &str,
        new_hash: &str,
        new_expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
        on_reuse: &(dyn Fn(SessionId, UserId) -> SecurityEvent + Sync),
    ) -> Result<Rotation, PortError> {
        let outcome = with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                if let Some(session) = sqlx::query_scalar::<_, Uuid>(SPEND)
                    .bind(old_hash)
                    .bind(Ts(at))
                    .fetch_optional(&mut *tx)
                    .await?
                {
                    sqlx::query(INSERT_TOKEN)
                        .bind(new_hash)
                        .bind(session)
                        .bind(Ts(at))
                        .bind(Ts(new_expires_at))
                        .execute(&mut *tx)
                        .await?;
                    let user: Uuid = sqlx::query_scalar(SESSION_USER)
                        .bind(session)
                        .fetch_one(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    return Ok(Rotation::Rotated {
                        session: SessionId(session),
                        user: UserId(user),
                    });
                }
                let Some(session) = sqlx::query_scalar::<_, Uuid>(SPENT_TOKEN)
                    .bind(old_hash)
                    .fetch_optional(&mut *tx)
                    .await?
                else {
                    return Ok(Rotation::Invalid);
                };
                sqlx::query(REVOKE)
                    .bind(session)
                    .bind(Ts(at))
                    .execute(&mut *tx)
                    .await?;
                let user: Uuid = sqlx::query_scalar(SESSION_USER)
                    .bind(session)
                    .fetch_one(&mut *tx)
                    .await?;
                audit_row!(tx, &on_reuse(SessionId(session), UserId(user)))?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(Rotation::Reused {
                    session: SessionId(session),
                    user: UserId(user),
                })
            }
            .await
        })
        .map_err(port_err);
        if let Ok(Rotation::Reused { session, .. }) = &outcome {
            self.access.forget(AccessChange::Session(session.0));
            self.settle_access().await;
        }
        outcome
    }

    async fn revoke_session(
        &self,
        id: SessionId,
        at: DateTime<Utc>,
        audit: &SecurityEvent,
    ) -> Result<bool, PortError> {
        let forgets = self.access.forgets(AccessChange::Session(id.0));
        let revoked = with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                let revoked = sqlx::query(REVOKE)
                    .bind(id.0)
                    .bind(Ts(at))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
                if !revoked {
                    return Ok(false);
                }
                audit_row!(tx, audit)?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(true)
            }
            .await
        })
        .map_err(port_err);
        // Also after a failure, or when the request is abandoned: the commit may have happened.
        drop(forgets);
        self.settle_access().await;
        revoked
    }

    async fn active_session(&self, id: SessionId) -> Result<Option<UserId>, PortError> {
        let sql = "SELECT user_id FROM sessions WHERE id = $1 AND revoked_at IS NULL";
        let load = async {
            with_pool!(self.primary(), |p| sqlx::query_scalar::<_, Uuid>(sql)
                .bind(id.0)
                .fetch_optional(p)
                .await)
            .map(|u| u.map(UserId))
            .map_err(port_err)
        };
        self.access.session(id.0, load).await
    }
}
