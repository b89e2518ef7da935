//! [`ScheduleRepository`] for [`Store`]: schedules with clash detection, and salaries.

use chrono::{DateTime, NaiveDate, Utc};
use nestcms_domain::PortError;
use nestcms_domain::construction::ports::ScheduleRepository;
use nestcms_domain::construction::{
    Note, NoteId, NoteTarget, ProjectId, Salary, SalaryId, SalaryPeriod, Schedule, ScheduleId,
    ScheduleKind, ScheduleStatus,
};
use nestcms_domain::identity::{OrgId, UserId};
use uuid::Uuid;

use super::{money, state};
use crate::error::port_err;
use crate::time::Ts;
use crate::{Store, with_pool};

#[derive(sqlx::FromRow)]
struct ScheduleRow {
    id: Uuid,
    org_id: Uuid,
    kind: String,
    title: String,
    project_id: Option<Uuid>,
    client_id: Option<Uuid>,
    employee_id: Option<Uuid>,
    starts_at: Ts,
    ends_at: Ts,
    status: String,
    created_at: Ts,
}

impl TryFrom<ScheduleRow> for Schedule {
    type Error = PortError;
    fn try_from(r: ScheduleRow) -> Result<Self, PortError> {
        Ok(Schedule {
            id: ScheduleId(r.id),
            org_id: OrgId(r.org_id),
            kind: state(&r.kind, "schedule kind", ScheduleKind::parse)?,
            title: r.title,
            project_id: r.project_id.map(ProjectId),
            client_id: r.client_id.map(UserId),
            employee_id: r.employee_id.map(UserId),
            starts_at: r.starts_at.0,
            ends_at: r.ends_at.0,
            status: state(&r.status, "schedule status", ScheduleStatus::parse)?,
            created_at: r.created_at.0,
        })
    }
}

const COLS: &str = "id, org_id, kind, title, project_id, client_id, employee_id, starts_at, ends_at, status, created_at";

#[async_trait::async_trait]
impl ScheduleRepository for Store {
    async fn insert_schedule_unless_clash(
        &self,
        s: &Schedule,
    ) -> Result<Option<Schedule>, PortError> {
        // The candidates: the same people's items overlapping in time. What counts as a clash
        // is the domain's rule (`Schedule::clashes_with`), applied to each candidate below;
        // this query only narrows the search.
        let clash = format!(
            "SELECT {COLS} FROM schedules WHERE org_id = $1 AND status <> 'cancelled' AND starts_at < $3 AND ends_at > $2 \
             AND (($4 IS NOT NULL AND (client_id = $4 OR employee_id = $4)) OR ($5 IS NOT NULL AND (client_id = $5 OR employee_id = $5))) \
             ORDER BY starts_at"
        );
        let found = with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                // Serialise schedule changes per organization: row lock (PostgreSQL) or the
                // write lock (SQLite), taken before the check.
                sqlx::query("UPDATE orgs SET id = id WHERE id = $1").bind(s.org_id.0).execute(&mut *tx).await?;
                let candidates = sqlx::query_as::<_, ScheduleRow>(sqlx::AssertSqlSafe(clash))
                    .bind(s.org_id.0)
                    .bind(Ts(s.starts_at))
                    .bind(Ts(s.ends_at))
                    .bind(s.client_id.map(|u| u.0))
                    .bind(s.employee_id.map(|u| u.0))
                    .fetch_all(&mut *tx)
                    .await?;
                let first_clash = candidates
                    .into_iter()
                    .map(Schedule::try_from)
                    .find(|e| e.as_ref().map_or(true, |e| s.clashes_with(e)));
                if first_clash.is_some() {
                    return Ok(first_clash);
                }
                sqlx::query(
                    "INSERT INTO schedules (id, org_id, kind, title, project_id, client_id, employee_id, starts_at, ends_at, status, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(s.id.0)
                .bind(s.org_id.0)
                .bind(s.kind.as_str())
                .bind(&s.title)
                .bind(s.project_id.map(|p| p.0))
                .bind(s.client_id.map(|u| u.0))
                .bind(s.employee_id.map(|u| u.0))
                .bind(Ts(s.starts_at))
                .bind(Ts(s.ends_at))
                .bind(s.status.as_str())
                .bind(Ts(s.created_at))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(None)
            }
            .await
        })
        .map_err(port_err)?;
        found.transpose()
    }

    async fn schedules(
        &self,
        org: OrgId,
        person: Option<UserId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Schedule>, PortError> {
        let sql = format!(
            "SELECT {COLS} FROM schedules WHERE org_id = $1 AND starts_at >= $2 AND starts_at < $3 \
             AND ($4 IS NULL OR client_id = $4 OR employee_id = $4) ORDER BY starts_at, id LIMIT 1000"
        );
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, ScheduleRow>(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(org.0)
        .bind(Ts(from))
        .bind(Ts(to))
        .bind(person.map(|u| u.0))
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        rows.into_iter().map(Schedule::try_from).collect()
    }

    async fn schedule(&self, org: OrgId, id: ScheduleId) -> Result<Option<Schedule>, PortError> {
        let sql = format!("SELECT {COLS} FROM schedules WHERE org_id = $1 AND id = $2");
        let row = with_pool!(self.primary(), |p| sqlx::query_as::<_, ScheduleRow>(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(p)
        .await)
        .map_err(port_err)?;
        row.map(Schedule::try_from).transpose()
    }

    async fn insert_schedule_note(&self, schedule: ScheduleId, n: &Note) -> Result<(), PortError> {
        let sql = "INSERT INTO schedule_notes (id, schedule_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5)";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(n.id.0)
            .bind(schedule.0)
            .bind(n.author_id.0)
            .bind(&n.body)
            .bind(Ts(n.created_at))
            .execute(p)
            .await
            .map(|_| ()))
        .map_err(port_err)
    }

    async fn schedule_notes(&self, schedule: ScheduleId) -> Result<Vec<Note>, PortError> {
        let sql = "SELECT n.id, s.project_id, n.author_id, n.body, n.read_at, n.created_at FROM schedule_notes n \
                   JOIN schedules s ON s.id = n.schedule_id WHERE n.schedule_id = $1 ORDER BY n.id";
        let rows: Vec<(Uuid, Option<Uuid>, Uuid, String, Option<Ts>, Ts)> =
            with_pool!(self.primary(), |p| sqlx::query_as(sql)
                .bind(schedule.0)
                .fetch_all(p)
                .await)
            .map_err(port_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, project, author, body, read_at, at)| Note {
                id: NoteId(id),
                project_id: project.map(ProjectId),
                target: NoteTarget::Schedule,
                design_id: None,
                author_id: UserId(author),
                body,
                read_at: read_at.map(|t| t.0),
                created_at: at.0,
            })
            .collect())
    }

    async fn insert_salary(&self, s: &Salary) -> Result<(), PortError> {
        let sql = "INSERT INTO salaries (id, org_id, employee_id, title, amount_minor, currency, period, next_payout_date, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(s.id.0)
            .bind(s.org_id.0)
            .bind(s.employee_id.0)
            .bind(&s.title)
            .bind(s.amount.minor())
            .bind(s.amount.currency().code())
            .bind(s.period.as_str())
            .bind(s.next_payout_date)
            .bind(Ts(s.created_at))
            .execute(p)
            .await
            .map(|_| ()))
        .map_err(port_err)
    }

    async fn salaries(
        &self,
        org: OrgId,
        employee: Option<UserId>,
    ) -> Result<Vec<Salary>, PortError> {
        let sql = "SELECT id, org_id, employee_id, title, amount_minor, currency, period, next_payout_date, created_at FROM salaries \
                   WHERE org_id = $1 AND ($2 IS NULL OR employee_id = $2) ORDER BY employee_id, id";
        type Row = (Uuid, Uuid, Uuid, String, i64, String, String, NaiveDate, Ts);
        let rows: Vec<Row> = with_pool!(self.primary(), |p| sqlx::query_as(sql)
            .bind(org.0)
            .bind(employee.map(|u| u.0))
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        rows.into_iter()
            .map(
                |(id, org, employee, title, amount, currency, period, next, at)| {
                    Ok(Salary {
                        id: SalaryId(id),
                        org_id: OrgId(org),
                        employee_id: UserId(employee),
                        title,
                        amount: money(amount, &currency)?,
                        period: state(&period, "salary period", SalaryPeriod::parse)?,
                        next_payout_date: next,
                        created_at: at.0,
                    })
                },
            )
            .collect()
    }
}
