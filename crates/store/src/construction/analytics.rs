//! [`AnalyticsRepository`] for [`Store`]. Every query groups or filters by currency: amounts of
//! different currencies are never added. Each query, its index and its plan are described in
//! docs/ANALYTICS.md. They read from a replica when one is configured (a few seconds of
//! staleness is fine for dashboards), except the dashboard's figures, which are kept in memory
//! and therefore read from the primary (see [`crate::access::figures`]).

use nestcms_domain::construction::ProjectId;
use nestcms_domain::construction::ports::{
    AnalyticsRepository, CurrencyTotals, Ranked, Scope, StatusCount, Window,
};
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::{Currency, PortError};
use uuid::Uuid;

use crate::access::figures::{Figure, FigureKey};
use crate::error::port_err;
use crate::identity::unknown;
use crate::{Store, read_pool, sums};

/// Net amount of an earning row: profits add, losses subtract.
const NET: &str = "CASE WHEN kind = 'profit' THEN amount_minor ELSE -amount_minor END";

/// A figure's read: from the primary when its answer is kept, from a replica otherwise.
macro_rules! figure_read {
    ($store:expr, $keep:expr, |$p:ident| $body:expr) => {
        if $keep {
            $crate::with_pool!($store.primary(), |$p| $body)
        } else {
            $crate::read_pool!($store, |$p| $body).await
        }
    };
}

fn currency(code: &str) -> Result<Currency, PortError> {
    code.parse().map_err(|_| unknown("currency", code))
}

#[async_trait::async_trait]
impl AnalyticsRepository for Store {
    async fn project_status_counts(&self, org: OrgId) -> Result<Vec<StatusCount>, PortError> {
        self.projects_of(Scope { org, client: None }, None).await
    }

    async fn contract_status_counts(&self, org: OrgId) -> Result<Vec<StatusCount>, PortError> {
        let sql = "SELECT status, COUNT(*) FROM contracts WHERE org_id = $1 GROUP BY status ORDER BY status";
        let rows: Vec<(String, i64)> =
            read_pool!(self, |p| sqlx::query_as(sql).bind(org.0).fetch_all(p).await)
                .await
                .map_err(port_err)?;
        Ok(status_counts(rows))
    }

    async fn earning_totals(
        &self,
        w: Window,
        project: Option<ProjectId>,
    ) -> Result<Vec<CurrencyTotals>, PortError> {
        let sql = format!(
            "SELECT currency, {}, {}, COUNT(*) \
             FROM earnings WHERE org_id = $1 AND ($2 IS NULL OR period_start >= $2) AND ($3 IS NULL OR period_start <= $3) \
             AND ($4 IS NULL OR project_id = $4) GROUP BY currency ORDER BY currency",
            sums::halves("CASE WHEN kind = 'profit' THEN amount_minor ELSE 0 END"),
            sums::halves("CASE WHEN kind = 'loss' THEN amount_minor ELSE 0 END"),
        );
        type Row = (String, i64, i64, i64, i64, i64);
        let sql = &sql;
        let rows: Vec<Row> = read_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(w.org.0)
            .bind(w.from)
            .bind(w.to)
            .bind(project.map(|p| p.0))
            .fetch_all(p)
            .await)
        .await
        .map_err(port_err)?;
        rows.into_iter()
            .map(|(c, profit_hi, profit_lo, loss_hi, loss_lo, count)| {
                Ok(CurrencyTotals {
                    currency: currency(&c)?,
                    profit: sums::join(profit_hi, profit_lo)?,
                    loss: sums::join(loss_hi, loss_lo)?,
                    count,
                })
            })
            .collect()
    }

    async fn monthly_trend(&self, w: Window, cur: Currency) -> Result<Vec<Ranked>, PortError> {
        // CAST(date AS TEXT) is ISO `YYYY-MM-DD` on both backends, so its first 7 characters are
        // the month on both.
        let sql = format!(
            "SELECT substr(CAST(period_start AS TEXT), 1, 7) AS month, {} FROM earnings \
             WHERE org_id = $1 AND currency = $2 AND ($3 IS NULL OR period_start >= $3) AND ($4 IS NULL OR period_start <= $4) \
             GROUP BY substr(CAST(period_start AS TEXT), 1, 7) ORDER BY month",
            sums::halves(NET)
        );
        let sql = &sql;
        let rows: Vec<(String, i64, i64)> =
            read_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(w.org.0)
                .bind(cur.code())
                .bind(w.from)
                .bind(w.to)
                .fetch_all(p)
                .await)
            .await
            .map_err(port_err)?;
        rows.into_iter()
            .map(|(month, hi, lo)| {
                Ok(Ranked {
                    key: month.clone(),
                    label: month,
                    net: sums::join(hi, lo)?,
                })
            })
            .collect()
    }

    async fn top_projects(
        &self,
        w: Window,
        cur: Currency,
        limit: u32,
    ) -> Result<Vec<Ranked>, PortError> {
        let sql = format!(
            "SELECT t.project_id, p.title, t.hi, t.lo FROM ( \
               SELECT project_id, {halves}, {key} AS rank FROM earnings \
               WHERE org_id = $1 AND currency = $2 AND project_id IS NOT NULL AND ($3 IS NULL OR period_start >= $3) AND ($4 IS NULL OR period_start <= $4) \
               GROUP BY project_id ORDER BY rank DESC, project_id LIMIT $5 \
             ) t JOIN projects p ON p.id = t.project_id ORDER BY t.rank DESC, t.project_id",
            halves = sums::halves_as(NET, "hi", "lo"),
            key = sums::order_key(NET),
        );
        let sql = &sql;
        let rows: Vec<(Uuid, String, i64, i64)> =
            read_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(w.org.0)
                .bind(cur.code())
                .bind(w.from)
                .bind(w.to)
                .bind(i64::from(limit))
                .fetch_all(p)
                .await)
            .await
            .map_err(port_err)?;
        rows.into_iter()
            .map(|(id, title, hi, lo)| {
                Ok(Ranked {
                    key: id.to_string(),
                    label: title,
                    net: sums::join(hi, lo)?,
                })
            })
            .collect()
    }

    async fn top_employees(
        &self,
        w: Window,
        cur: Currency,
        limit: u32,
    ) -> Result<Vec<Ranked>, PortError> {
        // Only public fields of users are read: id and name (the original leaked passwords here).
        let sql = format!(
            "SELECT t.employee_id, u.full_name, t.hi, t.lo FROM ( \
               SELECT employee_id, {halves}, {key} AS rank FROM commission_payouts \
               WHERE org_id = $1 AND currency = $2 AND ($3 IS NULL OR period_start >= $3) AND ($4 IS NULL OR period_start <= $4) \
               GROUP BY employee_id ORDER BY rank DESC, employee_id LIMIT $5 \
             ) t JOIN users u ON u.id = t.employee_id ORDER BY t.rank DESC, t.employee_id",
            halves = sums::halves_as("amount_minor", "hi", "lo"),
            key = sums::order_key("amount_minor"),
        );
        let sql = &sql;
        let rows: Vec<(Uuid, String, i64, i64)> =
            read_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(w.org.0)
                .bind(cur.code())
                .bind(w.from)
                .bind(w.to)
                .bind(i64::from(limit))
                .fetch_all(p)
                .await)
            .await
            .map_err(port_err)?;
        rows.into_iter()
            .map(|(id, name, hi, lo)| {
                Ok(Ranked {
                    key: id.to_string(),
                    label: name,
                    net: sums::join(hi, lo)?,
                })
            })
            .collect()
    }

    async fn projects_of(
        &self,
        scope: Scope,
        member: Option<UserId>,
    ) -> Result<Vec<StatusCount>, PortError> {
        let key = FigureKey::Projects {
            client: scope.client.map(|c| c.0),
            member: member.map(|m| m.0),
        };
        let figure = self.access.figure(scope.org.0, key, |keep| async move {
            let sql = "SELECT status, COUNT(*) FROM projects WHERE org_id = $1 AND ($2 IS NULL OR client_id = $2) \
                       AND ($3 IS NULL OR manager_id = $3 OR id IN (SELECT project_id FROM project_workers WHERE user_id = $3)) \
                       GROUP BY status ORDER BY status";
            let rows: Vec<(String, i64)> = figure_read!(self, keep, |p| sqlx::query_as(sql)
                .bind(scope.org.0)
                .bind(scope.client.map(|c| c.0))
                .bind(member.map(|m| m.0))
                .fetch_all(p)
                .await)
            .map_err(port_err)?;
            Ok(Figure::Counts(status_counts(rows)))
        });
        counts(figure.await?)
    }

    async fn contracts_of(&self, org: OrgId, user: UserId) -> Result<Vec<StatusCount>, PortError> {
        let figure = self.access.figure(org.0, FigureKey::Contracts(user.0), |keep| async move {
            let sql = "SELECT status, COUNT(*) FROM contracts c WHERE org_id = $1 AND (client_id = $2 \
                       OR EXISTS (SELECT 1 FROM contract_employees e WHERE e.contract_id = c.id AND e.user_id = $2)) GROUP BY status ORDER BY status";
            let rows: Vec<(String, i64)> = figure_read!(self, keep, |p| sqlx::query_as(sql)
                .bind(org.0)
                .bind(user.0)
                .fetch_all(p)
                .await)
            .map_err(port_err)?;
            Ok(Figure::Counts(status_counts(rows)))
        });
        counts(figure.await?)
    }

    async fn payouts_of(
        &self,
        org: OrgId,
        user: UserId,
    ) -> Result<Vec<(Currency, i64)>, PortError> {
        let figure = self.access.figure(org.0, FigureKey::Payouts(user.0), |keep| async move {
            let sql = format!(
                "SELECT currency, {} FROM commission_payouts WHERE org_id = $1 AND employee_id = $2 GROUP BY currency ORDER BY currency",
                sums::halves("amount_minor")
            );
            let sql = &sql;
            let rows: Vec<(String, i64, i64)> =
                figure_read!(self, keep, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(org.0)
                    .bind(user.0)
                    .fetch_all(p)
                    .await)
                .map_err(port_err)?;
            let amounts = rows
                .into_iter()
                .map(|(c, hi, lo)| Ok((currency(&c)?, sums::join(hi, lo)?)))
                .collect::<Result<_, PortError>>()?;
            Ok(Figure::Amounts(amounts))
        });
        match figure.await? {
            Figure::Amounts(amounts) => Ok(amounts),
            Figure::Counts(_) => Err(mixed_up()),
        }
    }
}

/// Counts out of a figure kept as counts.
fn counts(figure: Figure) -> Result<Vec<StatusCount>, PortError> {
    match figure {
        Figure::Counts(counts) => Ok(counts),
        Figure::Amounts(_) => Err(mixed_up()),
    }
}

/// A figure of the wrong shape under a key: a bug, reported instead of a panic.
fn mixed_up() -> PortError {
    PortError::Other("a cached figure has the wrong shape for its key".into())
}

/// `(status, count)` rows as [`StatusCount`]s.
fn status_counts(rows: Vec<(String, i64)>) -> Vec<StatusCount> {
    rows.into_iter()
        .map(|(status, count)| StatusCount { status, count })
        .collect()
}
