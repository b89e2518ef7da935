//! [`EarningRepository`] for [`Store`]: earnings, commissions, distribution.

use chrono::{DateTime, NaiveDate, Utc};
use nestcms_domain::PortError;
use nestcms_domain::construction::ports::{EarningRepository, Page};
use nestcms_domain::construction::{
    Commission, CommissionId, Earning, EarningId, EarningKind, EarningPeriod, Payout, ProjectId,
};
use nestcms_domain::identity::{OrgId, UserId};
use uuid::Uuid;

use super::{money, state};
use crate::error::port_err;
use crate::time::Ts;
use crate::{Store, with_pool};

#[derive(sqlx::FromRow)]
struct EarningRow {
    id: Uuid,
    org_id: Uuid,
    project_id: Option<Uuid>,
    kind: String,
    period: String,
    period_start: NaiveDate,
    amount_minor: i64,
    currency: String,
    title: String,
    distributed_at: Option<Ts>,
    created_at: Ts,
}

impl TryFrom<EarningRow> for Earning {
    type Error = PortError;
    fn try_from(r: EarningRow) -> Result<Self, PortError> {
        Ok(Earning {
            id: EarningId(r.id),
            org_id: OrgId(r.org_id),
            project_id: r.project_id.map(ProjectId),
            kind: state(&r.kind, "earning kind", EarningKind::parse)?,
            period: state(&r.period, "earning period", EarningPeriod::parse)?,
            period_start: r.period_start,
            amount: money(r.amount_minor, &r.currency)?,
            title: r.title,
            distributed_at: r.distributed_at.map(|t| t.0),
            created_at: r.created_at.0,
        })
    }
}

macro_rules! earning_select {
    ($where:literal) => {
        concat!(
            "SELECT id, org_id, project_id, kind, period, period_start, amount_minor, currency, title, distributed_at, created_at FROM earnings WHERE ",
            $where
        )
    };
}

#[async_trait::async_trait]
impl EarningRepository for Store {
    async fn insert_earning(&self, e: &Earning) -> Result<(), PortError> {
        let sql = "INSERT INTO earnings (id, org_id, project_id, kind, period, period_start, amount_minor, currency, title, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(e.id.0)
            .bind(e.org_id.0)
            .bind(e.project_id.map(|p| p.0))
            .bind(e.kind.as_str())
            .bind(e.period.as_str())
            .bind(e.period_start)
            .bind(e.amount.minor())
            .bind(e.amount.currency().code())
            .bind(&e.title)
            .bind(Ts(e.created_at))
            .execute(p)
            .await
            .map(|_| ()))
        .map_err(port_err)
    }

    async fn earning(&self, org: OrgId, id: EarningId) -> Result<Option<Earning>, PortError> {
        let sql = earning_select!("org_id = $1 AND id = $2");
        let row = with_pool!(self.primary(), |p| sqlx::query_as::<_, EarningRow>(sql)
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        row.map(Earning::try_from).transpose()
    }

    async fn earnings(
        &self,
        org: OrgId,
        project: Option<ProjectId>,
        page: Page,
    ) -> Result<Vec<Earning>, PortError> {
        let sql = earning_select!(
            "org_id = $1 AND ($2 IS NULL OR project_id = $2) AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
        );
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, EarningRow>(sql)
            .bind(org.0)
            .bind(project.map(|p| p.0))
            .bind(page.before)
            .bind(i64::from(page.limit))
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        rows.into_iter().map(Earning::try_from).collect()
    }

    async fn insert_commission(&self, c: &Commission) -> Result<(), PortError> {
        let sql = "INSERT INTO commissions (id, org_id, project_id, employee_id, rate_bp, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(c.id.0)
            .bind(c.org_id.0)
            .bind(c.project_id.0)
            .bind(c.employee_id.0)
            .bind(i64::from(c.rate_bp))
            .bind(Ts(c.created_at))
            .execute(p)
            .await
            .map(|_| ()))
        .map_err(port_err)
    }

    async fn commissions(&self, project: ProjectId) -> Result<Vec<Commission>, PortError> {
        let sql = "SELECT id, org_id, project_id, employee_id, CAST(rate_bp AS BIGINT), created_at FROM commissions WHERE project_id = $1 ORDER BY employee_id";
        let rows: Vec<(Uuid, Uuid, Uuid, Uuid, i64, Ts)> =
            with_pool!(self.primary(), |p| sqlx::query_as(sql)
                .bind(project.0)
                .fetch_all(p)
                .await)
            .map_err(port_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, org, project, employee, bp, at)| Commission {
                id: CommissionId(id),
                org_id: OrgId(org),
                project_id: ProjectId(project),
                employee_id: UserId(employee),
                rate_bp: u32::try_from(bp).unwrap_or(0),
                created_at: at.0,
            })
            .collect())
    }

    async fn distribute(
        &self,
        org: OrgId,
        earning: EarningId,
        payouts: &[Payout],
        at: DateTime<Utc>,
    ) -> Result<bool, PortError> {
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                let row: Option<(String, NaiveDate)> = sqlx::query_as(
                    "UPDATE earnings SET distributed_at = $3 WHERE org_id = $1 AND id = $2 AND distributed_at IS NULL RETURNING currency, period_start",
                )
                .bind(org.0)
                .bind(earning.0)
                .bind(Ts(at))
                .fetch_optional(&mut *tx)
                .await?;
                let Some((currency, period_start)) = row else {
                    return Ok(false);
                };
                for po in payouts {
                    sqlx::query(
                        "INSERT INTO commission_payouts (earning_id, commission_id, org_id, employee_id, amount_minor, currency, period_start, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(earning.0)
                    .bind(po.commission_id.0)
                    .bind(org.0)
                    .bind(po.employee_id.0)
                    .bind(po.amount.minor())
                    .bind(&currency)
                    .bind(period_start)
                    .bind(Ts(at))
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(true)
            }
            .await
        })
        .map_err(port_err)
    }

    async fn payouts(&self, earning: EarningId) -> Result<Vec<Payout>, PortError> {
        let sql = "SELECT commission_id, employee_id, amount_minor, currency FROM commission_payouts WHERE earning_id = $1 ORDER BY employee_id";
        let rows: Vec<(Uuid, Uuid, i64, String)> =
            with_pool!(self.primary(), |p| sqlx::query_as(sql)
                .bind(earning.0)
                .fetch_all(p)
                .await)
            .map_err(port_err)?;
        rows.into_iter()
            .map(|(c, e, amount, currency)| {
                Ok(Payout {
                    commission_id: CommissionId(c),
                    employee_id: UserId(e),
                    amount: money(amount, &currency)?,
                })
            })
            .collect()
    }
}
