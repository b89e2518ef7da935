//! [`PaymentRepository`] for [`Store`]. Every state change is a conditional UPDATE (`… AND
//! state = $from`) in the same transaction as its events, so a change happens once however many
//! requests race for it; refunds lock the payment row before checking what remains.

use chrono::{DateTime, Utc};
use nestcms_domain::construction::ContractId;
use nestcms_domain::construction::ports::Page;
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::payments::ports::{IdempotencyBinding, PaymentRepository, Reservation};
use nestcms_domain::payments::{
    Payment, PaymentEvent, PaymentId, PaymentState, Refund, RefundId, RefundState,
};
use nestcms_domain::{Currency, Money, PortError};
use sqlx::types::Json;
use uuid::Uuid;

use crate::construction::paged_sql;
use crate::error::port_err;
use crate::identity::unknown;
use crate::outbox::{EventRow, SELECT_EVENT, event_from_row};
use crate::time::Ts;
use crate::{Store, with_pool};

#[derive(sqlx::FromRow)]
struct PaymentRow {
    id: Uuid,
    org_id: Uuid,
    client_id: Uuid,
    contract_id: Option<Uuid>,
    instalment_seq: Option<i64>,
    amount_minor: i64,
    currency: String,
    description: String,
    state: String,
    tran_ref: Option<String>,
    redirect_url: Option<String>,
    page_issued_at: Option<Ts>,
    refunded_minor: i64,
    created_by: Uuid,
    created_at: Ts,
    updated_at: Ts,
}

impl TryFrom<PaymentRow> for Payment {
    type Error = PortError;
    fn try_from(r: PaymentRow) -> Result<Self, PortError> {
        let currency: Currency = r
            .currency
            .parse()
            .map_err(|_| unknown("currency", &r.currency))?;
        Ok(Payment {
            id: PaymentId(r.id),
            org_id: OrgId(r.org_id),
            client_id: UserId(r.client_id),
            contract_id: r.contract_id.map(ContractId),
            instalment_seq: r.instalment_seq.and_then(|s| u32::try_from(s).ok()),
            amount: Money::from_minor(r.amount_minor, currency),
            description: r.description,
            state: PaymentState::parse(&r.state)
                .ok_or_else(|| unknown("payment state", &r.state))?,
            tran_ref: r.tran_ref,
            redirect_url: r.redirect_url,
            page_issued_at: r.page_issued_at.map(|t| t.0),
            refunded: Money::from_minor(r.refunded_minor, currency),
            created_by: UserId(r.created_by),
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
        })
    }
}

const COLS: &str = "id, org_id, client_id, contract_id, CAST(instalment_seq AS BIGINT) AS instalment_seq, amount_minor, currency, description, state, \
    tran_ref, redirect_url, page_issued_at, refunded_minor, created_by, created_at, updated_at";

const INSERT_EVENT: &str = "INSERT INTO payment_events (id, payment_id, kind, actor_id, source, gateway_trace, detail, created_at, traceparent, tracestate) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// Appends events inside an open transaction `$tx`, each with the trace context of the work
/// recording them.
macro_rules! insert_events {
    ($tx:ident, $events:expr) => {
        // Events being recorded carry no context of their own yet: they take the current one.
        let trace = nestcms_telemetry::current();
        for e in $events {
            sqlx::query(INSERT_EVENT)
                .bind(e.id.0)
                .bind(e.payment_id.0)
                .bind(&e.kind)
                .bind(e.actor.map(|a| a.0))
                .bind(&e.source)
                .bind(&e.gateway_trace)
                .bind(Json(&e.detail))
                .bind(Ts(e.at))
                .bind(trace.as_ref().map(|t| t.traceparent.as_str()))
                .bind(trace.as_ref().and_then(|t| t.tracestate.as_deref()))
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// Records, inside an open transaction `$tx`, that the request under idempotency key `$key`
/// produced `$id`; committed or rolled back with the effect itself.
macro_rules! bind_effect {
    ($tx:ident, $key:expr, $id:expr) => {
        if let Some(k) = $key {
            sqlx::query(
                "UPDATE idempotency_keys SET effect_id = $3 WHERE principal = $1 AND key = $2",
            )
            .bind(k.principal.0)
            .bind(&k.key)
            .bind($id.to_string())
            .execute(&mut *$tx)
            .await?;
        }
    };
}

const SELECT_REFUND: &str = "SELECT r.id, r.payment_id, r.amount_minor, p.currency, r.reason, r.state, r.tran_ref, \
     r.created_by, r.created_at, r.settled_at FROM refunds r JOIN payments p ON p.id = r.payment_id";

type RefundRow = (
    Uuid,
    Uuid,
    i64,
    String,
    String,
    String,
    Option<String>,
    Uuid,
    Ts,
    Option<Ts>,
);

fn refund_from_row(row: RefundRow) -> Result<Refund, PortError> {
    let (id, payment, amount, currency, reason, state, tran_ref, by, at, settled) = row;
    let c: Currency = currency
        .parse()
        .map_err(|_| unknown("currency", &currency))?;
    Ok(Refund {
        id: RefundId(id),
        payment_id: PaymentId(payment),
        amount: Money::from_minor(amount, c),
        reason,
        state: RefundState::parse(&state).ok_or_else(|| unknown("refund state", &state))?,
        tran_ref,
        created_by: UserId(by),
        created_at: at.0,
        settled_at: settled.map(|t| t.0),
    })
}

impl Store {
    async fn payment_where(
        &self,
        sql_where: &str,
        org: Option<OrgId>,
        id: PaymentId,
    ) -> Result<Option<Payment>, PortError> {
        let sql = format!(
            "SELECT {COLS} FROM payments WHERE id = $1 AND ($2 IS NULL OR org_id = $2){sql_where}"
        );
        let row = with_pool!(self.primary(), |p| sqlx::query_as::<_, PaymentRow>(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(id.0)
        .bind(org.map(|o| o.0))
        .fetch_optional(p)
        .await)
        .map_err(port_err)?;
        row.map(Payment::try_from).transpose()
    }
}

#[async_trait::async_trait]
impl PaymentRepository for Store {
    async fn insert_payment(
        &self,
        p: &Payment,
        event: &PaymentEvent,
        key: Option<&IdempotencyBinding>,
    ) -> Result<(), PortError> {
        with_pool!(self.primary(), |pool| {
            async {
                let mut tx = pool.begin().await?;
                bind_effect!(tx, key, p.id.0);
                sqlx::query(
                    "INSERT INTO payments (id, org_id, client_id, contract_id, instalment_seq, amount_minor, currency, description, state, \
                     refunded_minor, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $11)",
                )
                .bind(p.id.0)
                .bind(p.org_id.0)
                .bind(p.client_id.0)
                .bind(p.contract_id.map(|c| c.0))
                .bind(p.instalment_seq.map(i64::from))
                .bind(p.amount.minor())
                .bind(p.amount.currency().code())
                .bind(&p.description)
                .bind(p.state.as_str())
                .bind(p.created_by.0)
                .bind(Ts(p.created_at))
                .execute(&mut *tx)
                .await?;
                insert_events!(tx, std::slice::from_ref(event));
                tx.commit().await
            }
            .await
        })
        .map_err(port_err)
    }

    async fn payment(&self, org: OrgId, id: PaymentId) -> Result<Option<Payment>, PortError> {
        self.payment_where("", Some(org), id).await
    }

    async fn payment_by_id(&self, id: PaymentId) -> Result<Option<Payment>, PortError> {
        self.payment_where("", None, id).await
    }

    async fn payments(
        &self,
        org: OrgId,
        client: Option<UserId>,
        state: Option<PaymentState>,
        page: Page,
    ) -> Result<Vec<Payment>, PortError> {
        let sql = paged_sql(
            &format!(
                "SELECT {COLS} FROM payments WHERE org_id = $1 AND ($2 IS NULL OR client_id = $2) AND ($3 IS NULL OR state = $3)"
            ),
            4,
            5,
            &page,
        );
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, PaymentRow>(sql)
            .bind(org.0)
            .bind(client.map(|c| c.0))
            .bind(state.map(PaymentState::as_str))
            .bind(page.cursor)
            .bind(i64::from(page.limit))
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        rows.into_iter().map(Payment::try_from).collect()
    }

    async fn issue_page(
        &self,
        id: PaymentId,
        tran_ref: &str,
        redirect_url: &str,
        at: DateTime<Utc>,
        events: &[PaymentEvent],
    ) -> Result<bool, PortError> {
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                let n = sqlx::query(
                    "UPDATE payments SET state = 'pending', tran_ref = $2, redirect_url = $3, page_issued_at = $4, updated_at = $4 WHERE id = $1 AND state = 'created'",
                )
                .bind(id.0)
                .bind(tran_ref)
                .bind(redirect_url)
                .bind(Ts(at))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return Ok(false);
                }
                insert_events!(tx, events);
                tx.commit().await?;
                Ok::<_, sqlx::Error>(true)
            }
            .await
        })
        .map_err(port_err)
    }

    async fn move_payment(
        &self,
        id: PaymentId,
        from: PaymentState,
        to: PaymentState,
        at: DateTime<Utc>,
        events: &[PaymentEvent],
    ) -> Result<bool, PortError> {
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                let n = sqlx::query(
                    "UPDATE payments SET state = $3, updated_at = $4 WHERE id = $1 AND state = $2",
                )
                .bind(id.0)
                .bind(from.as_str())
                .bind(to.as_str())
                .bind(Ts(at))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return Ok(false);
                }
                insert_events!(tx, events);
                tx.commit().await?;
                Ok::<_, sqlx::Error>(true)
            }
            .await
        })
        .map_err(port_err)
    }

    async fn record_payment_events(&self, events: &[PaymentEvent]) -> Result<(), PortError> {
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                insert_events!(tx, events);
                tx.commit().await
            }
            .await
        })
        .map_err(port_err)
    }

    async fn claim_ipn(
        &self,
        tran_ref: &str,
        ipn_trace: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, PortError> {
        let sql = "INSERT INTO ipn_receipts (tran_ref, ipn_trace, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(tran_ref)
            .bind(ipn_trace)
            .bind(Ts(at))
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1))
        .map_err(port_err)
    }

    async fn reserve_refund(
        &self,
        r: &Refund,
        event: &PaymentEvent,
        key: Option<&IdempotencyBinding>,
    ) -> Result<Reservation, PortError> {
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                // Lock the payment first (row lock / write lock), then read what remains.
                sqlx::query("UPDATE payments SET id = id WHERE id = $1").bind(r.payment_id.0).execute(&mut *tx).await?;
                let (state, amount): (String, i64) = sqlx::query_as("SELECT state, amount_minor FROM payments WHERE id = $1").bind(r.payment_id.0).fetch_one(&mut *tx).await?;
                let state = PaymentState::parse(&state).unwrap_or(PaymentState::Failed);
                if !state.is_refundable() {
                    return Ok(Reservation::NotRefundable(state));
                }
                let reserved: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM refunds WHERE payment_id = $1 AND state <> 'failed'")
                    .bind(r.payment_id.0)
                    .fetch_one(&mut *tx)
                    .await?;
                let remaining = amount - reserved;
                if r.amount.minor() > remaining {
                    return Ok(Reservation::Exceeds { remaining });
                }
                sqlx::query("INSERT INTO refunds (id, payment_id, amount_minor, reason, state, created_by, created_at) VALUES ($1, $2, $3, $4, 'pending', $5, $6)")
                    .bind(r.id.0)
                    .bind(r.payment_id.0)
                    .bind(r.amount.minor())
                    .bind(&r.reason)
                    .bind(r.created_by.0)
                    .bind(Ts(r.created_at))
                    .execute(&mut *tx)
                    .await?;
                insert_events!(tx, std::slice::from_ref(event));
                bind_effect!(tx, key, r.id.0);
                tx.commit().await?;
                Ok::<_, sqlx::Error>(Reservation::Reserved)
            }
            .await
        })
        .map_err(port_err)
    }

    async fn settle_refund(
        &self,
        id: RefundId,
        payment: PaymentId,
        succeeded: bool,
        tran_ref: Option<&str>,
        at: DateTime<Utc>,
        events: &[PaymentEvent],
    ) -> Result<Payment, PortError> {
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                let state = if succeeded { "succeeded" } else { "failed" };
                let amount: Option<i64> = sqlx::query_scalar(
                    "UPDATE refunds SET state = $3, tran_ref = $4, settled_at = $5 WHERE id = $1 AND payment_id = $2 AND state = 'pending' RETURNING amount_minor",
                )
                .bind(id.0)
                .bind(payment.0)
                .bind(state)
                .bind(tran_ref)
                .bind(Ts(at))
                .fetch_optional(&mut *tx)
                .await?;
                if let (Some(amount), true) = (amount, succeeded) {
                    // Write first (the lock), then let the domain name the state.
                    let (total, refunded): (i64, i64) = sqlx::query_as(
                        "UPDATE payments SET refunded_minor = refunded_minor + $2, updated_at = $3 WHERE id = $1 RETURNING amount_minor, refunded_minor",
                    )
                    .bind(payment.0)
                    .bind(amount)
                    .bind(Ts(at))
                    .fetch_one(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE payments SET state = $2 WHERE id = $1")
                        .bind(payment.0)
                        .bind(PaymentState::after_refunds(total, refunded).as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                // Settled by someone else already (the request and the reconciler raced): no
                // second `refund_settled`.
                if amount.is_some() {
                    insert_events!(tx, events);
                }
                tx.commit().await
            }
            .await
        })
        .map_err(port_err)?;
        self.payment_by_id(payment)
            .await?
            .ok_or(PortError::NotFound)
    }

    async fn refunds(&self, payment: PaymentId) -> Result<Vec<Refund>, PortError> {
        let sql = format!("{SELECT_REFUND} WHERE r.payment_id = $1 ORDER BY r.id");
        let rows: Vec<RefundRow> = with_pool!(self.primary(), |p| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.as_str())
        )
        .bind(payment.0)
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        rows.into_iter().map(refund_from_row).collect()
    }

    async fn lease_refund(
        &self,
        id: RefundId,
        at: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<bool, PortError> {
        let sql = "UPDATE refunds SET reconciling_since = $2 WHERE id = $1 AND state = 'pending' \
                   AND (reconciling_since IS NULL OR reconciling_since < $3)";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(id.0)
            .bind(Ts(at))
            .bind(Ts(stale_before))
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1))
        .map_err(port_err)
    }

    async fn pending_refunds(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Refund>, PortError> {
        let sql = format!(
            "{SELECT_REFUND} WHERE r.state = 'pending' AND r.created_at < $1 ORDER BY r.created_at LIMIT $2"
        );
        let rows: Vec<RefundRow> = with_pool!(self.primary(), |p| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.as_str())
        )
        .bind(Ts(before))
        .bind(i64::from(limit))
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        rows.into_iter().map(refund_from_row).collect()
    }

    async fn payment_events(&self, payment: PaymentId) -> Result<Vec<PaymentEvent>, PortError> {
        let sql = format!("{SELECT_EVENT} WHERE e.payment_id = $1 ORDER BY e.id");
        let rows: Vec<EventRow> = with_pool!(self.primary(), |p| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.as_str())
        )
        .bind(payment.0)
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        Ok(rows.into_iter().map(event_from_row).collect())
    }

    async fn recent_events(&self, limit: u32) -> Result<Vec<PaymentEvent>, PortError> {
        let sql = format!("{SELECT_EVENT} ORDER BY e.id DESC LIMIT $1");
        let rows: Vec<EventRow> = with_pool!(self.primary(), |p| sqlx::query_as(
            sqlx::AssertSqlSafe(sql.as_str())
        )
        .bind(i64::from(limit))
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        Ok(rows.into_iter().map(event_from_row).collect())
    }

    async fn unsettled(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Payment>, PortError> {
        let sql = format!(
            "SELECT {COLS} FROM payments WHERE state IN ('pending', 'on_hold') AND page_issued_at < $1 ORDER BY page_issued_at LIMIT $2"
        );
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, PaymentRow>(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(Ts(before))
        .bind(i64::from(limit))
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        rows.into_iter().map(Payment::try_from).collect()
    }
}
