//! [`SagaStore`] for [`Store`]: saga state, written with the consumer's mark on the event
//! that started it, and claimed run by run like every other piece of background work.

use chrono::{DateTime, Utc};
use nestcms_domain::PortError;
use nestcms_domain::construction::{ContractId, ProjectId};
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::payments::{PaymentEvent, PaymentId};
use nestcms_domain::sagas::ports::SagaStore;
use nestcms_domain::sagas::{Saga, SagaKind, SagaState, Step};
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::port_err;
use crate::identity::unknown;
use crate::time::Ts;
use crate::{Store, with_pool};

type Row = (
    Uuid,
    String,
    Uuid,
    Uuid,
    Uuid,
    String,
    Json<Vec<Step>>,
    i64,
    Option<Ts>,
    Option<String>,
    Ts,
    Ts,
);

const SELECT: &str = "SELECT id, kind, org_id, payment_id, event_id, state, steps, CAST(attempts AS BIGINT), next_attempt_at, last_error, created_at, updated_at FROM sagas";

fn saga(r: Row) -> Result<Saga, PortError> {
    let (id, kind, org, payment, event, state, steps, attempts, next, error, created, updated) = r;
    Ok(Saga {
        id,
        kind: SagaKind::parse(&kind).ok_or_else(|| unknown("saga kind", &kind))?,
        org: OrgId(org),
        payment: PaymentId(payment),
        event_id: event,
        state: SagaState::parse(&state).ok_or_else(|| unknown("saga state", &state))?,
        steps: steps.0,
        attempts: u32::try_from(attempts).unwrap_or(0),
        next_attempt_at: next.map(|t| t.0),
        last_error: error,
        created_at: created.0,
        updated_at: updated.0,
    })
}

#[async_trait::async_trait]
impl SagaStore for Store {
    async fn saga_events_unhandled(
        &self,
        consumer: &str,
        scan: nestcms_domain::events::Scan,
    ) -> Result<Vec<PaymentEvent>, PortError> {
        let starts = "((e.kind = 'state_changed' AND e.detail ->> 'to' = 'paid') OR e.kind = 'refund_settled')";
        crate::consumers::unhandled(self, consumer, starts, scan).await
    }

    async fn begin(
        &self,
        consumer: &str,
        event: &PaymentEvent,
        s: Option<&Saga>,
        also: Option<&nestcms_domain::events::DomainEvent>,
    ) -> Result<(), PortError> {
        let insert = "INSERT INTO sagas (id, kind, org_id, payment_id, event_id, state, steps, attempts, next_attempt_at, created_at, updated_at) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $9) ON CONFLICT DO NOTHING";
        let (mark, progress) = (crate::consumers::MARK, crate::consumers::PROGRESS);
        with_pool!(self.primary(), |p| async {
            let mut tx = p.begin().await?;
            if let Some(s) = s {
                sqlx::query(insert)
                    .bind(s.id)
                    .bind(s.kind.as_str())
                    .bind(s.org.0)
                    .bind(s.payment.0)
                    .bind(s.event_id)
                    .bind(s.state.as_str())
                    .bind(Json(&s.steps))
                    .bind(s.next_attempt_at.map(Ts))
                    .bind(Ts(s.created_at))
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some(e) = also {
                crate::events::insert_domain_event!(tx, e)?;
            }
            sqlx::query(mark)
                .bind(consumer)
                .bind(event.id.0)
                .bind(Ts(Utc::now()))
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

    async fn claim_sagas(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Saga>, PortError> {
        let due = "SELECT id, CAST(attempts AS BIGINT) FROM sagas WHERE state = 'running' AND next_attempt_at <= $1 \
                   ORDER BY next_attempt_at LIMIT $2";
        let claim = "UPDATE sagas SET next_attempt_at = $3, attempts = attempts + 1 \
                     WHERE id = $1 AND state = 'running' AND attempts = $2";
        let won = crate::consumers::claim(self, due, claim, now, lease_until, limit).await?;
        let load = format!("{SELECT} WHERE id = $1");
        let mut claimed = Vec::new();
        for (id, _) in won {
            let row: Option<Row> = with_pool!(self.primary(), |p| sqlx::query_as(
                sqlx::AssertSqlSafe(load.as_str())
            )
            .bind(id)
            .fetch_optional(p)
            .await)
            .map_err(port_err)?;
            if let Some(r) = row {
                claimed.push(saga(r)?);
            }
        }
        Ok(claimed)
    }

    async fn save_saga(&self, s: &Saga, attempt: u32) -> Result<bool, PortError> {
        let sql = "UPDATE sagas SET state = $3, steps = $4, next_attempt_at = $5, last_error = $6, updated_at = $7 \
                   WHERE id = $1 AND attempts = $2 AND state = 'running'";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(s.id)
            .bind(i64::from(attempt))
            .bind(s.state.as_str())
            .bind(Json(&s.steps))
            .bind(s.next_attempt_at.map(Ts))
            .bind(&s.last_error)
            .bind(Ts(s.updated_at))
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1))
        .map_err(port_err)
    }

    async fn sagas_of(&self, org: OrgId, payment: PaymentId) -> Result<Vec<Saga>, PortError> {
        let sql = format!("{SELECT} WHERE org_id = $1 AND payment_id = $2 ORDER BY created_at, id");
        let rows: Vec<Row> = with_pool!(self.primary(), |p| sqlx::query_as(sqlx::AssertSqlSafe(
            sql.as_str()
        ))
        .bind(org.0)
        .bind(payment.0)
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        rows.into_iter().map(saga).collect()
    }

    async fn receipt_recorded(&self, event: Uuid) -> Result<bool, PortError> {
        let sql = "SELECT COUNT(*) FROM notifications WHERE source_event = $1 AND kind = 'payment_receipt'";
        let n: i64 = with_pool!(self.primary(), |p| sqlx::query_scalar(sql)
            .bind(event)
            .fetch_one(p)
            .await)
        .map_err(port_err)?;
        Ok(n > 0)
    }

    async fn planned_projects(&self, contract: ContractId) -> Result<Vec<ProjectId>, PortError> {
        let sql =
            "SELECT id FROM projects WHERE contract_id = $1 AND status = 'planned' ORDER BY id";
        let ids: Vec<Uuid> = with_pool!(self.primary(), |p| sqlx::query_scalar(sql)
            .bind(contract.0)
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        Ok(ids.into_iter().map(ProjectId).collect())
    }

    async fn staff_to_alert(&self, org: OrgId) -> Result<Vec<UserId>, PortError> {
        let sql = "SELECT user_id FROM memberships WHERE org_id = $1 AND role IN ('owner', 'admin') ORDER BY user_id";
        let ids: Vec<Uuid> = with_pool!(self.primary(), |p| sqlx::query_scalar(sql)
            .bind(org.0)
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        Ok(ids.into_iter().map(UserId).collect())
    }
}
