//! [`NotificationStore`] for [`Store`]: notifications and the consumers' marks, written together.

use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use nestcms_domain::Money;
use nestcms_domain::PortError;
use nestcms_domain::construction::{ContractId, ContractStatus, Instalment};
use nestcms_domain::events::DomainEvent;
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::notify::ports::{NotificationStore, Outgoing};
use nestcms_domain::notify::reminders::DueInstalment;
use nestcms_domain::notify::security::{AccountChange, NOTICED};
use nestcms_domain::notify::{Channel, Kind, Language, Notification, Recipient};
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

impl Store {
    /// Records notifications, and when a consumer made them its mark on the event, in one
    /// transaction; returns how many are new.
    async fn write_notifications(
        &self,
        out: &[Notification],
        handled: Option<(&str, Uuid, DateTime<Utc>)>,
        also: Option<&DomainEvent>,
    ) -> Result<u64, PortError> {
        let insert = "INSERT INTO notifications (id, user_id, org_id, kind, channel, language, subject, body, status, source_event, created_at, next_attempt_at) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING";
        let (mark, progress) = (crate::consumers::MARK, crate::consumers::PROGRESS);
        let now = Utc::now();
        with_pool!(self.primary(), |p| async {
            let mut tx = p.begin().await?;
            let mut new = 0;
            for n in out {
                new += sqlx::query(insert)
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
                    // E-mail and SMS are due at once; the log has nothing left to do.
                    .bind((n.status == "queued").then_some(Ts(n.at)))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            if let Some(e) = also {
                crate::events::insert_domain_event!(
                    tx,
                    e,
                    crate::events::INSERT_DOMAIN_EVENT_ONCE
                )?;
            }
            if let Some((consumer, event, at)) = handled {
                sqlx::query(mark)
                    .bind(consumer)
                    .bind(event)
                    .bind(Ts(now))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(progress)
                    .bind(consumer)
                    .bind(Ts(at))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await.map(|()| new)
        }
        .await)
        .map_err(port_err)
    }
}

#[async_trait::async_trait]
impl NotificationStore for Store {
    async fn paid_unhandled(
        &self,
        consumer: &str,
        scan: nestcms_domain::events::Scan,
    ) -> Result<Vec<PaymentEvent>, PortError> {
        // `->>` reads a JSON member on both backends (SQLite 3.38 and later).
        let paid = "e.kind = 'state_changed' AND e.detail ->> 'to' = 'paid'";
        crate::consumers::unhandled(self, consumer, paid, scan).await
    }

    async fn created_unhandled(
        &self,
        consumer: &str,
        scan: nestcms_domain::events::Scan,
    ) -> Result<Vec<PaymentEvent>, PortError> {
        crate::consumers::unhandled(self, consumer, "e.kind = 'created'", scan).await
    }

    async fn handled(
        &self,
        consumer: &str,
        event: &PaymentEvent,
        out: &[Notification],
    ) -> Result<(), PortError> {
        self.write_notifications(out, Some((consumer, event.id.0, event.at)), None)
            .await
            .map(|_| ())
    }

    async fn domain_events_unhandled(
        &self,
        consumer: &str,
        scan: nestcms_domain::events::Scan,
    ) -> Result<Vec<DomainEvent>, PortError> {
        Store::domain_events_unhandled(self, consumer, scan).await
    }

    async fn handled_domain(
        &self,
        consumer: &str,
        event: &DomainEvent,
        out: &[Notification],
    ) -> Result<(), PortError> {
        self.write_notifications(out, Some((consumer, event.id, event.at)), None)
            .await
            .map(|_| ())
    }

    async fn account_changes_unhandled(
        &self,
        consumer: &str,
        scan: nestcms_domain::events::Scan,
    ) -> Result<Vec<AccountChange>, PortError> {
        let (anchor, limit) = crate::consumers::anchor(self, consumer, scan).await?;
        let sql = format!(
            "SELECT e.id, e.subject_id, e.kind, e.ip, e.created_at FROM security_events e \
             WHERE {} AND {}",
            noticed_clause(),
            crate::consumers::unmarked(anchor)
        );
        let rows: Vec<(Uuid, Uuid, String, Option<String>, Ts)> = with_pool!(self.primary(), |p| {
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(consumer)
                .bind(limit);
            crate::bind_anchor!(q, anchor).fetch_all(p).await
        })
        .map_err(port_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, user, kind, ip, at)| AccountChange {
                id,
                user: UserId(user),
                kind,
                ip,
                at: at.0,
            })
            .collect())
    }

    async fn handled_change(
        &self,
        consumer: &str,
        change: &AccountChange,
        out: &[Notification],
    ) -> Result<(), PortError> {
        self.write_notifications(out, Some((consumer, change.id, change.at)), None)
            .await
            .map(|_| ())
    }

    async fn record(
        &self,
        out: &[Notification],
        also: Option<&DomainEvent>,
    ) -> Result<u64, PortError> {
        self.write_notifications(out, None, also).await
    }

    async fn instalments_due(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DueInstalment>, PortError> {
        // Nothing is owed on a contract in review or declined by its client.
        let sql = "SELECT k.org_id, k.id, k.title, k.status, k.client_id, k.currency, CAST(i.seq AS BIGINT), i.amount_minor, i.due_date \
                   FROM instalments i JOIN contracts k ON k.id = i.contract_id \
                   WHERE i.due_date >= $1 AND i.due_date <= $2 AND k.status NOT IN ('review', 'rejected_by_client') \
                   ORDER BY i.due_date, k.id, i.seq";
        type Row = (
            Uuid,
            Uuid,
            String,
            String,
            Uuid,
            String,
            i64,
            i64,
            NaiveDate,
        );
        let rows: Vec<Row> = with_pool!(self.primary(), |p| sqlx::query_as(sql)
            .bind(from)
            .bind(to)
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        rows.into_iter()
            .map(
                |(org, contract, title, status, client, currency, seq, minor, due)| {
                    let currency = currency
                        .parse()
                        .map_err(|_| unknown("currency", &currency))?;
                    Ok(DueInstalment {
                        org: OrgId(org),
                        contract: ContractId(contract),
                        title,
                        status: ContractStatus::parse(&status)
                            .ok_or_else(|| unknown("contract status", &status))?,
                        client: UserId(client),
                        instalment: Instalment {
                            seq: u32::try_from(seq)
                                .map_err(|_| unknown("instalment", &seq.to_string()))?,
                            amount: Money::from_minor(minor, currency),
                            due_date: due,
                        },
                    })
                },
            )
            .collect()
    }

    async fn recipient(&self, user: UserId) -> Result<Recipient, PortError> {
        let sql = "SELECT language, notify_channels, phone IS NOT NULL FROM users WHERE id = $1";
        let row: Option<(String, String, bool)> =
            with_pool!(self.primary(), |p| sqlx::query_as(sql)
                .bind(user.0)
                .fetch_optional(p)
                .await)
            .map_err(port_err)?;
        let Some((language, channels, phone)) = row else {
            return Ok(Recipient {
                language: Language::default(),
                email: true,
                sms: false,
                has_phone: false,
            });
        };
        let asked = |c: Channel| channels.split(',').any(|s| s == c.as_str());
        Ok(Recipient {
            language: Language::parse(&language).unwrap_or_default(),
            email: asked(Channel::Email),
            sms: phone && asked(Channel::Sms),
            has_phone: phone,
        })
    }

    async fn set_channels(&self, user: UserId, channels: &[Channel]) -> Result<bool, PortError> {
        let list: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
        let sql = "UPDATE users SET notify_channels = $2 WHERE id = $1";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(user.0)
            .bind(list.join(","))
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1))
        .map_err(port_err)
    }

    async fn claim_due(
        &self,
        channel: Channel,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(Outgoing, u32)>, PortError> {
        // The channel is one of the enum's own names, never input.
        let due = format!(
            "SELECT id, CAST(attempts AS BIGINT) FROM notifications WHERE status = 'queued' AND channel = '{}' \
             AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2",
            channel.as_str()
        );
        let claim = "UPDATE notifications SET next_attempt_at = $3, attempts = attempts + 1 \
                     WHERE id = $1 AND status = 'queued' AND attempts = $2";
        // The address is read when it is sent: a person who changed theirs since gets it there.
        let load = "SELECT n.subject, n.body, n.language, \
                    CASE WHEN n.channel = 'sms' THEN COALESCE(u.phone, '') ELSE u.email END, u.full_name \
                    FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.id = $1";
        let won = crate::consumers::claim(self, &due, claim, now, lease_until, limit).await?;
        let mut claimed = Vec::new();
        for (id, tries) in won {
            type MailRow = (String, String, String, String, String);
            let row: Option<MailRow> = with_pool!(self.primary(), |p| sqlx::query_as(load)
                .bind(id)
                .fetch_optional(p)
                .await)
            .map_err(port_err)?;
            if let Some((subject, body, language, to, to_name)) = row {
                let mail = Outgoing {
                    id,
                    to,
                    to_name,
                    subject,
                    body,
                    language: Language::parse(&language).unwrap_or_default(),
                };
                claimed.push((mail, tries));
            }
        }
        Ok(claimed)
    }

    async fn sent(&self, id: Uuid, attempt: u32, at: DateTime<Utc>) -> Result<(), PortError> {
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

    async fn not_sent(
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
        let error: String = error.chars().filter(|c| *c != '\0').take(500).collect();
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
        channel: known(&channel, &["log", "email", "sms"])
            .ok_or_else(|| unknown("channel", &channel))?,
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

/// The security events people are told of (`e`): account changes of a known user. The kinds
/// are the domain's own constants, never input.
pub(crate) fn noticed_clause() -> String {
    let kinds = NOTICED
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("e.kind IN ({kinds}) AND e.subject_id IS NOT NULL")
}
