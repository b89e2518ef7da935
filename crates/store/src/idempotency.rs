//! [`IdempotencyRepository`] for [`Store`]: one row per (principal, key) holding the request's
//! hash, its state, the stored answer and the id of the effect it committed. The effect id is
//! written by the payment and refund transactions themselves (see `payments.rs`), so an attempt
//! that died after its effect but before its answer is resumed, never repeated.

use chrono::{DateTime, Utc};
use nestcms_domain::PortError;
use nestcms_domain::identity::UserId;
use nestcms_domain::payments::ports::{Idempotency, IdempotencyRepository};

use crate::error::port_err;
use crate::time::Ts;
use crate::{Store, with_pool};

#[async_trait::async_trait]
impl IdempotencyRepository for Store {
    async fn begin(
        &self,
        principal: UserId,
        key: &str,
        hash: &str,
        at: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<Idempotency, PortError> {
        let claimed = with_pool!(self.primary(), |p| sqlx::query(
            "INSERT INTO idempotency_keys (principal, key, request_hash, state, created_at, locked_at) VALUES ($1, $2, $3, 'in_progress', $4, $4) ON CONFLICT DO NOTHING"
        )
        .bind(principal.0)
        .bind(key)
        .bind(hash)
        .bind(Ts(at))
        .execute(p)
        .await
        .map(|r| r.rows_affected() == 1))
        .map_err(port_err)?;
        if claimed {
            return Ok(Idempotency::Run);
        }
        let row: Option<(String, String, Option<i64>, Option<String>, Option<String>)> = with_pool!(self.primary(), |p| sqlx::query_as(
            "SELECT request_hash, state, CAST(status AS BIGINT), response_body, effect_id FROM idempotency_keys WHERE principal = $1 AND key = $2"
        )
        .bind(principal.0)
        .bind(key)
        .fetch_optional(p)
        .await)
        .map_err(port_err)?;
        let Some((stored_hash, state, status, body, effect)) = row else {
            return Ok(Idempotency::InProgress);
        };
        if stored_hash != hash {
            return Ok(Idempotency::Mismatch);
        }
        if state == "done" {
            return Ok(Idempotency::Replay {
                status: status.and_then(|s| u16::try_from(s).ok()).unwrap_or(200),
                body: body.unwrap_or_default(),
            });
        }
        // Still in progress: take it over only if the first attempt was abandoned (its lock is
        // older than any request can live).
        let taken = with_pool!(self.primary(), |p| sqlx::query(
            "UPDATE idempotency_keys SET locked_at = $3 WHERE principal = $1 AND key = $2 AND state = 'in_progress' AND locked_at < $4"
        )
        .bind(principal.0)
        .bind(key)
        .bind(Ts(at))
        .bind(Ts(stale_before))
        .execute(p)
        .await
        .map(|r| r.rows_affected() == 1))
        .map_err(port_err)?;
        Ok(match (taken, effect) {
            (true, Some(effect)) => Idempotency::Resume { effect },
            (true, None) => Idempotency::Run,
            (false, _) => Idempotency::InProgress,
        })
    }

    async fn finish(
        &self,
        principal: UserId,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), PortError> {
        let sql = "UPDATE idempotency_keys SET state = 'done', status = $3, response_body = $4 WHERE principal = $1 AND key = $2";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(principal.0)
            .bind(key)
            .bind(i64::from(status))
            .bind(body)
            .execute(p)
            .await
            .map(|_| ()))
        .map_err(port_err)
    }

    async fn release(&self, principal: UserId, key: &str) -> Result<(), PortError> {
        // No effect yet: forget the key. An effect committed: keep it, unlocked, so the next
        // attempt resumes from that effect at once.
        let forget = "DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2 AND state = 'in_progress' AND effect_id IS NULL";
        let unlock = "UPDATE idempotency_keys SET locked_at = $3 WHERE principal = $1 AND key = $2 AND state = 'in_progress'";
        with_pool!(self.primary(), |p| async {
            sqlx::query(forget)
                .bind(principal.0)
                .bind(key)
                .execute(p)
                .await?;
            sqlx::query(unlock)
                .bind(principal.0)
                .bind(key)
                .bind(Ts(DateTime::<Utc>::UNIX_EPOCH))
                .execute(p)
                .await
                .map(|_| ())
        }
        .await)
        .map_err(port_err)
    }

    async fn purge(&self, before: DateTime<Utc>) -> Result<u64, PortError> {
        let sql = "DELETE FROM idempotency_keys WHERE created_at < $1";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(Ts(before))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))
        .map_err(port_err)
    }
}
