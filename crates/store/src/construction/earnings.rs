//! [`EarningRepository`] for [`Store`]: earnings, commissions, distribution.

use chrono::{DateTime, NaiveDate, Utc};
use nestcms_domain::construction::ports::{EarningRepository, Page};
use nestcms_domain::construction::{
    Commission, CommissionId, CompoundEarning, Earning, EarningId, EarningKind, EarningPeriod,
    Payout, ProjectId,
};
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::{Currency, PortError};
use uuid::Uuid;

use super::{money, paged_sql, state};
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
        let sql = paged_sql(
            earning_select!("org_id = $1 AND ($2 IS NULL OR project_id = $2)"),
            3,
            4,
            &page,
        );
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, EarningRow>(sql)
            .bind(org.0)
            .bind(project.map(|p| p.0))
            .bind(page.cursor)
            .bind(i64::from(page.limit))
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        rows.into_iter().map(Earning::try_from).collect()
    }

    async fn insert_commission(
        &self,
        c: &Commission,
        cap_bp: u32,
    ) -> Result<Option<u32>, PortError> {
        let sql = "INSERT INTO commissions (id, org_id, project_id, employee_id, rate_bp, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                // Writing the project row first serialises commission changes per project (a
                // row lock on PostgreSQL, the write lock on SQLite).
                sqlx::query("UPDATE projects SET id = id WHERE id = $1").bind(c.project_id.0).execute(&mut *tx).await?;
                let existing: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(SUM(rate_bp), 0) AS BIGINT) FROM commissions WHERE project_id = $1")
                    .bind(c.project_id.0)
                    .fetch_one(&mut *tx)
                    .await?;
                let existing = u32::try_from(existing).unwrap_or(u32::MAX);
                if existing.saturating_add(c.rate_bp) > cap_bp {
                    return Ok(Some(existing));
                }
                sqlx::query(sql)
                    .bind(c.id.0)
                    .bind(c.org_id.0)
                    .bind(c.project_id.0)
                    .bind(c.employee_id.0)
                    .bind(i64::from(c.rate_bp))
                    .bind(Ts(c.created_at))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(None)
            }
            .await
        })
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
        let write = async {
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
        };
        self.changing_figures(org.0, write).await.map_err(port_err)
    }

    async fn roll_up(
        &self,
        org: OrgId,
        id: EarningId,
        period: EarningPeriod,
        start: NaiveDate,
        currency: Currency,
        at: DateTime<Utc>,
    ) -> Result<Option<CompoundEarning>, PortError> {
        let parts_sql = "SELECT id, CASE WHEN kind = 'profit' THEN amount_minor ELSE -amount_minor END FROM earnings \
                         WHERE org_id = $1 AND period = $2 AND period_start = $3 AND currency = $4 AND project_id IS NOT NULL ORDER BY id";
        let parts = with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                sqlx::query("UPDATE orgs SET id = id WHERE id = $1").bind(org.0).execute(&mut *tx).await?;
                let parts: Vec<(Uuid, i64)> =
                    sqlx::query_as(parts_sql).bind(org.0).bind(period.as_str()).bind(start).bind(currency.code()).fetch_all(&mut *tx).await?;
                // Checked: a sum that leaves 64 bits is refused, never wrapped into a loss.
                let Some(net) = parts.iter().try_fold(0_i64, |acc, (_, v)| acc.checked_add(*v)) else {
                    return Ok(None);
                };
                if parts.is_empty() {
                    return Ok(Some((parts, net)));
                }
                sqlx::query("INSERT INTO compound_earnings (id, org_id, period, period_start, currency, net_minor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id.0)
                    .bind(org.0)
                    .bind(period.as_str())
                    .bind(start)
                    .bind(currency.code())
                    .bind(net)
                    .bind(Ts(at))
                    .execute(&mut *tx)
                    .await?;
                for (earning, _) in &parts {
                    sqlx::query("INSERT INTO compound_components (compound_id, earning_id) VALUES ($1, $2)").bind(id.0).bind(earning).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(Some((parts, net)))
            }
            .await
        })
        .map_err(port_err)?;
        let Some((parts, net)) = parts else {
            return Err(PortError::Constraint(crate::sums::OVERFLOW.into()));
        };
        if parts.is_empty() {
            return Ok(None);
        }
        Ok(Some(CompoundEarning {
            id,
            org_id: org,
            period,
            period_start: start,
            net: nestcms_domain::Money::from_minor(net, currency),
            components: parts.into_iter().map(|(e, _)| EarningId(e)).collect(),
            created_at: at,
        }))
    }

    async fn compound_earnings(&self, org: OrgId) -> Result<Vec<CompoundEarning>, PortError> {
        let sql = "SELECT c.id, c.period, c.period_start, c.currency, c.net_minor, c.created_at, k.earning_id FROM compound_earnings c \
                   JOIN compound_components k ON k.compound_id = c.id WHERE c.org_id = $1 ORDER BY c.period_start DESC, c.id, k.earning_id";
        type Row = (Uuid, String, NaiveDate, String, i64, Ts, Uuid);
        let rows: Vec<Row> = with_pool!(self.primary(), |p| sqlx::query_as(sql)
            .bind(org.0)
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        let mut out: Vec<CompoundEarning> = Vec::new();
        for (id, period, start, currency, net, at, component) in rows {
            if out.last().is_none_or(|c| c.id.0 != id) {
                out.push(CompoundEarning {
                    id: EarningId(id),
                    org_id: org,
                    period: state(&period, "earning period", EarningPeriod::parse)?,
                    period_start: start,
                    net: money(net, &currency)?,
                    components: Vec::new(),
                    created_at: at.0,
                });
            }
            if let Some(last) = out.last_mut() {
                last.components.push(EarningId(component));
            }
        }
        Ok(out)
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
