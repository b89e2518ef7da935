//! [`NotificationStore`] for [`Store`]: notifications and the consumers' marks, written together.

use chrono::{DateTime, Utc};
use nestcms_domain::PortError;
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::notify::ports::{Mail, NotificationStore};
use nestcms_domain::notify::{Kind, Language, Notification};
use nestcms_domain::payments::PaymentEvent;
use uuid::Uuid;

use crate::error::port_err;
use crate::identity::unknown;
use crate::time::Ts;
use crate::{Store, with_pool};

type Row = (
    Uuid,
    Uuid,
    Option<Uuid>,
    String,
    String,
    String,
    String,
    String,
    String,
    Uuid,
    Ts,
);

#[async_trait::async_trait]
impl NotificationStore for Store {
    async fn paid_unhandled(
        &self,
        consumer: &str,
        limit: u32,
    ) -> Result<Vec<PaymentEvent>, PortError> {
        // `->>` reads a JSON member on both backends (SQLite 3.38 and later).
        let paid = "e.kind = 'state_changed' AND e.detail ->> 'to' = 'paid'";
        crate::consumers::unhandled(self, consumer, paid, limit).await
    }

    async fn handled(
        &self,
        consumer: &str,
        event: &PaymentEvent,
        out: &[Notification],
    ) -> Result<(), PortError> {
        let insert = "INSERT INTO notifications (id, user_id, org_id, kind, channel, language, subject, body, status, source_event, created_at, next_attempt_at) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING";
        let (mark, progress) = (crate::consumers::MARK, crate::consumers::PROGRESS);
        let now = Utc::now();
        with_pool!(self.primary(), |p| async {
            let mut tx = p.begin().await?;
            for n in out {
                sqlx::query(insert)
                    .bind(n.id)
                    .bind(n.user.0)
                    .bind(n.org.map(|o| o.0))
                    .bind(n.kind.as_str())
                    .bind(n.channel)
                    .bind(n.language.as_str())
                    .bind(&n.subject)
                    .bind(&n.body)
                    .bind(n.status)
                    .bind(n.source_event)
                    .bind(Ts(n.at))
                    // E-mail is due at once; other channels have nothing left to do.
                    .bind((n.status == "queued").then_some(Ts(n.at)))
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(mark)
                .bind(consumer)
                .bind(event.id.0)
                .bind(Ts(now))
                .execute(&mut *tx)
                .await?;
            sqlx::query(progress)
                .bind(consumer)
                .bind(Ts(event.at))
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        .await)
        .map_err(port_err)
    }

    async fn language_of(&self, user: UserId) -> Result<Language, PortError> {
        let sql = "SELECT language FROM users WHERE id = $1";
        let tag: Option<String> = with_pool!(self.primary(), |p| sqlx::query_scalar(sql)
            .bind(user.0)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        Ok(tag.and_then(|t| Language::parse(&t)).unwrap_or_default())
    }

    async fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(Mail, u32)>, PortError> {
        let due = "SELECT id, CAST(attempts AS BIGINT) FROM notifications WHERE status = 'queued' AND next_attempt_at <= $1 \
                   ORDER BY next_attempt_at LIMIT $2";
        let candidates: Vec<(Uuid, i64)> = with_pool!(self.primary(), |p| sqlx::query_as(due)
            .bind(Ts(now))
            .bind(i64::from(limit))
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        // Compare and set on the number of tries, per message: of two instances claiming the
        // same one, one wins.
        let claim = "UPDATE notifications SET next_attempt_at = $3, attempts = attempts + 1 \
                     WHERE id = $1 AND status = 'queued' AND attempts = $2";
        let load = "SELECT n.subject, n.body, n.language, u.email, u.full_name \
                    FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.id = $1";
        let mut claimed = Vec::new();
        for (id, attempts) in candidates {
            let won = with_pool!(self.primary(), |p| sqlx::query(claim)
                .bind(id)
                .bind(attempts)
                .bind(Ts(lease_until))
                .execute(p)
                .await
                .map(|r| r.rows_affected() == 1))
            .map_err(port_err)?;
            if !won {
                continue;
            }
            type MailRow = (String, String, String, String, String);
            let row: Option<MailRow> = with_pool!(self.primary(), |p| sqlx::query_as(load)
                .bind(id)
                .fetch_optional(p)
                .await)
            .map_err(port_err)?;
            if let Some((subject, body, language, to, to_name)) = row {
                let mail = Mail {
                    id,
                    to,
                    to_name,
                    subject,
                    body,
                    language: Language::parse(&language).unwrap_or_default(),
                };
                let tries = u32::try_from(attempts + 1).unwrap_or(u32::MAX);
                claimed.push((mail, tries));
            }
        }
        Ok(claimed)
    }

    async fn mail_sent(&self, id: Uuid, attempt: u32, at: DateTime<Utc>) -> Result<(), PortError> {
        // Only the claim that is still current may settle it (not one whose lease ran out).
        let sql = "UPDATE notifications SET status = 'sent', sent_at = $2, last_error = NULL \
                   WHERE id = $1 AND status = 'queued' AND attempts = $3";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(id)
            .bind(Ts(at))
            .bind(i64::from(attempt))
            .execute(p)
            .await
            .map(|_| ()))
        .map_err(port_err)
    }

    async fn mail_failed(
        &self,
        id: Uuid,
        attempt: u32,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
    ) -> Result<(), PortError> {
        let status = if retry_at.is_some() {
            "queued"
        } else {
            "failed"
        };
        let sql = "UPDATE notifications SET status = $2, next_attempt_at = $3, last_error = $4 \
                   WHERE id = $1 AND status = 'queued' AND attempts = $5";
        // The error is the server's answer, cut short: it names no secret.
        let error: String = error.chars().take(500).collect();
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(id)
            .bind(status)
            .bind(retry_at.map(Ts))
            .bind(&error)
            .bind(i64::from(attempt))
            .execute(p)
            .await
            .map(|_| ()))
        .map_err(port_err)
    }

    async fn notifications_of(
        &self,
        user: UserId,
        limit: u32,
    ) -> Result<Vec<Notification>, PortError> {
        let sql = "SELECT id, user_id, org_id, kind, channel, language, subject, body, status, source_event, created_at \
                   FROM notifications WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2";
        let rows: Vec<Row> = with_pool!(self.primary(), |p| sqlx::query_as(sql)
            .bind(user.0)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        rows.into_iter().map(notification).collect()
    }
}

fn notification(r: Row) -> Result<Notification, PortError> {
    let (id, user, org, kind, channel, language, subject, body, status, source_event, at) = r;
    Ok(Notification {
        id,
        user: UserId(user),
        org: org.map(OrgId),
        kind: Kind::parse(&kind).ok_or_else(|| unknown("notification kind", &kind))?,
        channel: known(&channel, &["log", "email"]).ok_or_else(|| unknown("channel", &channel))?,
        language: Language::parse(&language).ok_or_else(|| unknown("language", &language))?,
        subject,
        body,
        status: known(&status, &["recorded", "queued", "sent", "failed"])
            .ok_or_else(|| unknown("status", &status))?,
        source_event,
        at: at.0,
    })
}

/// The static name among `names` equal to `s`.
fn known(s: &str, names: &[&'static str]) -> Option<&'static str> {
    names.iter().copied().find(|n| *n == s)
}
