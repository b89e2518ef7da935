//! [`ProjectRepository`] for [`Store`]: projects and steps (designs, workers, notes: `parts`).

use chrono::{DateTime, NaiveDate, Utc};
use nestcms_domain::PortError;
use nestcms_domain::construction::ports::{Page, Scope};
use nestcms_domain::construction::{
    ContractId, Project, ProjectId, ProjectStatus, Step, StepId, StepStatus,
};
use nestcms_domain::events::DomainEvent;
use nestcms_domain::identity::{OrgId, UserId};
use uuid::Uuid;

use super::{paged_sql, state};
use crate::error::port_err;
use crate::time::Ts;
use crate::{Store, with_pool};

#[derive(sqlx::FromRow)]
pub(super) struct ProjectRow {
    id: Uuid,
    org_id: Uuid,
    contract_id: Option<Uuid>,
    client_id: Option<Uuid>,
    manager_id: Uuid,
    title: String,
    description: String,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
    status: String,
    created_at: Ts,
}

impl TryFrom<ProjectRow> for Project {
    type Error = PortError;
    fn try_from(r: ProjectRow) -> Result<Self, PortError> {
        Ok(Project {
            id: ProjectId(r.id),
            org_id: OrgId(r.org_id),
            contract_id: r.contract_id.map(ContractId),
            client_id: r.client_id.map(UserId),
            manager_id: UserId(r.manager_id),
            title: r.title,
            description: r.description,
            start_date: r.start_date,
            end_date: r.end_date,
            status: state(&r.status, "project status", ProjectStatus::parse)?,
            created_at: r.created_at.0,
        })
    }
}

#[derive(sqlx::FromRow)]
struct StepRow {
    id: Uuid,
    project_id: Uuid,
    position: i32,
    title: String,
    status: String,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    completed_at: Option<Ts>,
}

impl TryFrom<StepRow> for Step {
    type Error = PortError;
    fn try_from(r: StepRow) -> Result<Self, PortError> {
        Ok(Step {
            id: StepId(r.id),
            project_id: ProjectId(r.project_id),
            position: r.position,
            title: r.title,
            status: state(&r.status, "step status", StepStatus::parse)?,
            start_date: r.start_date,
            end_date: r.end_date,
            completed_at: r.completed_at.map(|t| t.0),
        })
    }
}

macro_rules! project_select {
    ($where:literal) => {
        concat!(
            "SELECT id, org_id, contract_id, client_id, manager_id, title, description, start_date, end_date, status, created_at FROM projects WHERE ",
            $where
        )
    };
}

const STEP_COLS: &str =
    "id, project_id, position, title, status, start_date, end_date, completed_at";

impl Store {
    pub(super) async fn insert_project_row(&self, p: &Project) -> Result<(), PortError> {
        let sql = "INSERT INTO projects (id, org_id, contract_id, client_id, manager_id, title, description, start_date, end_date, status, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        let write = async {
            with_pool!(self.primary(), |pool| sqlx::query(sql)
                .bind(p.id.0)
                .bind(p.org_id.0)
                .bind(p.contract_id.map(|c| c.0))
                .bind(p.client_id.map(|c| c.0))
                .bind(p.manager_id.0)
                .bind(&p.title)
                .bind(&p.description)
                .bind(p.start_date)
                .bind(p.end_date)
                .bind(p.status.as_str())
                .bind(Ts(p.created_at))
                .execute(pool)
                .await
                .map(|_| ()))
        };
        self.changing_figures(p.org_id.0, write)
            .await
            .map_err(port_err)
    }

    pub(super) async fn project_row(
        &self,
        org: OrgId,
        id: ProjectId,
    ) -> Result<Option<Project>, PortError> {
        let sql = project_select!("org_id = $1 AND id = $2");
        let row = with_pool!(self.primary(), |p| sqlx::query_as::<_, ProjectRow>(sql)
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        row.map(Project::try_from).transpose()
    }

    pub(super) async fn project_rows(
        &self,
        scope: Scope,
        member: Option<UserId>,
        status: Option<ProjectStatus>,
        page: Page,
    ) -> Result<Vec<Project>, PortError> {
        let sql = paged_sql(
            project_select!(
                "org_id = $1 AND ($2 IS NULL OR client_id = $2) AND ($3 IS NULL OR status = $3) \
                 AND ($6 IS NULL OR manager_id = $6 OR id IN (SELECT project_id FROM project_workers WHERE user_id = $6))"
            ),
            4,
            5,
            &page,
        );
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, ProjectRow>(sql)
            .bind(scope.org.0)
            .bind(scope.client.map(|c| c.0))
            .bind(status.map(ProjectStatus::as_str))
            .bind(page.cursor)
            .bind(i64::from(page.limit))
            .bind(member.map(|m| m.0))
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        rows.into_iter().map(Project::try_from).collect()
    }

    pub(super) async fn move_project_row(
        &self,
        org: OrgId,
        id: ProjectId,
        from: ProjectStatus,
        to: ProjectStatus,
    ) -> Result<bool, PortError> {
        let event = DomainEvent::project_moved(org, id.0, to);
        let write = self.move_status(
            "projects",
            (org, id.0),
            (from.as_str(), to.as_str()),
            Some(&event),
        );
        self.changing_figures(org.0, write).await.map_err(port_err)
    }

    pub(super) async fn append_step_row(
        &self,
        project: ProjectId,
        id: StepId,
        title: &str,
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
    ) -> Result<Step, PortError> {
        // The position is computed inside the INSERT, and (project_id, position) is unique: two
        // concurrent appends cannot take the same place (the loser gets a duplicate error).
        let sql = "INSERT INTO project_steps (id, project_id, position, title, status, start_date, end_date) \
                   SELECT $1, $2, COALESCE(MAX(position), 0) + 1, $3, 'pending', $4, $5 FROM project_steps WHERE project_id = $2";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(id.0)
            .bind(project.0)
            .bind(title)
            .bind(start)
            .bind(end)
            .execute(p)
            .await
            .map(|_| ()))
        .map_err(port_err)?;
        let one = format!("SELECT {STEP_COLS} FROM project_steps WHERE id = $1");
        let row = with_pool!(self.primary(), |p| sqlx::query_as::<_, StepRow>(
            sqlx::AssertSqlSafe(one)
        )
        .bind(id.0)
        .fetch_one(p)
        .await)
        .map_err(port_err)?;
        Step::try_from(row)
    }

    pub(super) async fn step_rows(&self, project: ProjectId) -> Result<Vec<Step>, PortError> {
        let sql = format!(
            "SELECT {STEP_COLS} FROM project_steps WHERE project_id = $1 ORDER BY position"
        );
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, StepRow>(
            sqlx::AssertSqlSafe(sql)
        )
        .bind(project.0)
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        rows.into_iter().map(Step::try_from).collect()
    }

    pub(super) async fn move_step_row(
        &self,
        project: ProjectId,
        step: StepId,
        from: StepStatus,
        to: StepStatus,
        at: DateTime<Utc>,
    ) -> Result<bool, PortError> {
        let completed = (to == StepStatus::Completed).then_some(Ts(at));
        let sql = "UPDATE project_steps SET status = $4, completed_at = $5 WHERE project_id = $1 AND id = $2 AND status = $3";
        // The organization comes from the project, inside the same transaction.
        let done = "INSERT INTO domain_events (id, kind, org_id, subject_id, data, created_at, traceparent, tracestate) \
                    SELECT $1, 'project.step_done', org_id, id, $2, $3, $4, $5 FROM projects WHERE id = $6";
        let trace = nestcms_telemetry::current();
        let data = serde_json::json!({ "project_id": project.0, "step_id": step.0 });
        with_pool!(self.primary(), |p| async {
            let mut tx = p.begin().await?;
            let moved = sqlx::query(sql)
                .bind(project.0)
                .bind(step.0)
                .bind(from.as_str())
                .bind(to.as_str())
                .bind(completed)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if moved && to == StepStatus::Completed {
                sqlx::query(done)
                    .bind(uuid::Uuid::now_v7())
                    .bind(sqlx::types::Json(&data))
                    .bind(Ts(at))
                    .bind(trace.as_ref().map(|t| t.traceparent.as_str()))
                    .bind(trace.as_ref().and_then(|t| t.tracestate.as_deref()))
                    .bind(project.0)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await.map(|()| moved)
        }
        .await)
        .map_err(port_err)
    }
}
