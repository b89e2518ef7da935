//! [`ProjectRepository`] for [`Store`]: the trait, with designs, workers and notes.

use chrono::{DateTime, NaiveDate, Utc};
use nestcms_domain::PortError;
use nestcms_domain::construction::ports::{Page, ProjectRepository, Scope};
use nestcms_domain::construction::{
    Design, DesignId, DesignVersion, Note, NoteId, NoteTarget, Project, ProjectId, ProjectStatus,
    Step, StepId, StepStatus, Worker,
};
use nestcms_domain::identity::UserId;
use uuid::Uuid;

use crate::error::port_err;
use crate::identity::unknown;
use crate::time::Ts;
use crate::{Store, with_pool};

#[derive(sqlx::FromRow)]
struct DesignRow {
    id: Uuid,
    project_id: Uuid,
    title: String,
    created_at: Ts,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    design_id: Uuid,
    version: i32,
    url: Option<String>,
    file_key: Option<String>,
    file_name: Option<String>,
    content_type: Option<String>,
    size_bytes: Option<i64>,
    created_by: Uuid,
    created_at: Ts,
}

impl From<VersionRow> for DesignVersion {
    fn from(v: VersionRow) -> Self {
        DesignVersion {
            version: v.version,
            url: v.url,
            file_key: v.file_key,
            file_name: v.file_name,
            content_type: v.content_type,
            size_bytes: v.size_bytes,
            created_by: UserId(v.created_by),
            created_at: v.created_at.0,
        }
    }
}

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: Uuid,
    project_id: Uuid,
    target: String,
    design_id: Option<Uuid>,
    author_id: Uuid,
    body: String,
    read_at: Option<Ts>,
    created_at: Ts,
}

const INSERT_VERSION: &str = "INSERT INTO design_versions (design_id, version, url, file_key, file_name, content_type, size_bytes, created_by, created_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const VERSION_COLS: &str = "v.design_id, v.version, v.url, v.file_key, v.file_name, v.content_type, v.size_bytes, v.created_by, v.created_at";

fn assemble(designs: Vec<DesignRow>, versions: Vec<VersionRow>) -> Vec<Design> {
    let mut out: Vec<Design> = designs
        .into_iter()
        .map(|d| Design {
            id: DesignId(d.id),
            project_id: ProjectId(d.project_id),
            title: d.title,
            versions: Vec::new(),
            created_at: d.created_at.0,
        })
        .collect();
    for v in versions {
        if let Some(d) = out.iter_mut().find(|d| d.id.0 == v.design_id) {
            d.versions.push(v.into());
        }
    }
    out
}

impl Store {
    async fn design_rows(
        &self,
        project: ProjectId,
        only: Option<DesignId>,
    ) -> Result<Vec<Design>, PortError> {
        let designs_sql = "SELECT id, project_id, title, created_at FROM designs WHERE project_id = $1 AND ($2 IS NULL OR id = $2) ORDER BY id";
        let versions_sql = format!(
            "SELECT {VERSION_COLS} FROM design_versions v JOIN designs d ON d.id = v.design_id \
             WHERE d.project_id = $1 AND ($2 IS NULL OR d.id = $2) ORDER BY v.design_id, v.version"
        );
        let (designs, versions) = with_pool!(self.primary(), |p| {
            async {
                let d = sqlx::query_as::<_, DesignRow>(designs_sql)
                    .bind(project.0)
                    .bind(only.map(|o| o.0))
                    .fetch_all(p)
                    .await?;
                let v = sqlx::query_as::<_, VersionRow>(sqlx::AssertSqlSafe(versions_sql))
                    .bind(project.0)
                    .bind(only.map(|o| o.0))
                    .fetch_all(p)
                    .await?;
                Ok::<_, sqlx::Error>((d, v))
            }
            .await
        })
        .map_err(port_err)?;
        Ok(assemble(designs, versions))
    }
}

#[async_trait::async_trait]
impl ProjectRepository for Store {
    async fn insert_project(&self, p: &Project) -> Result<(), PortError> {
        self.insert_project_row(p).await
    }

    async fn project(
        &self,
        org: nestcms_domain::identity::OrgId,
        id: ProjectId,
    ) -> Result<Option<Project>, PortError> {
        self.project_row(org, id).await
    }

    async fn projects(
        &self,
        scope: Scope,
        member: Option<UserId>,
        status: Option<ProjectStatus>,
        page: Page,
    ) -> Result<Vec<Project>, PortError> {
        self.project_rows(scope, member, status, page).await
    }

    async fn move_project(
        &self,
        org: nestcms_domain::identity::OrgId,
        id: ProjectId,
        from: ProjectStatus,
        to: ProjectStatus,
    ) -> Result<bool, PortError> {
        self.move_project_row(org, id, from, to).await
    }

    async fn append_step(
        &self,
        project: ProjectId,
        id: StepId,
        title: &str,
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
    ) -> Result<Step, PortError> {
        self.append_step_row(project, id, title, start, end).await
    }

    async fn steps(&self, project: ProjectId) -> Result<Vec<Step>, PortError> {
        self.step_rows(project).await
    }

    async fn move_step(
        &self,
        project: ProjectId,
        step: StepId,
        from: StepStatus,
        to: StepStatus,
        at: DateTime<Utc>,
    ) -> Result<bool, PortError> {
        self.move_step_row(project, step, from, to, at).await
    }

    async fn insert_design(&self, d: &Design) -> Result<(), PortError> {
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                sqlx::query("INSERT INTO designs (id, project_id, title, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(d.id.0)
                    .bind(d.project_id.0)
                    .bind(&d.title)
                    .bind(Ts(d.created_at))
                    .execute(&mut *tx)
                    .await?;
                for v in &d.versions {
                    sqlx::query(INSERT_VERSION)
                        .bind(d.id.0)
                        .bind(v.version)
                        .bind(&v.url)
                        .bind(&v.file_key)
                        .bind(&v.file_name)
                        .bind(&v.content_type)
                        .bind(v.size_bytes)
                        .bind(v.created_by.0)
                        .bind(Ts(v.created_at))
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await
            }
            .await
        })
        .map_err(port_err)
    }

    async fn add_design_version(
        &self,
        design: DesignId,
        v: &DesignVersion,
    ) -> Result<i32, PortError> {
        // Number computed inside the INSERT; the primary key (design_id, version) rejects a
        // concurrent duplicate.
        let sql = "INSERT INTO design_versions (design_id, version, url, file_key, file_name, content_type, size_bytes, created_by, created_at) \
                   SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8 FROM design_versions WHERE design_id = $1 RETURNING version";
        with_pool!(self.primary(), |p| sqlx::query_scalar::<_, i32>(sql)
            .bind(design.0)
            .bind(&v.url)
            .bind(&v.file_key)
            .bind(&v.file_name)
            .bind(&v.content_type)
            .bind(v.size_bytes)
            .bind(v.created_by.0)
            .bind(Ts(v.created_at))
            .fetch_one(p)
            .await)
        .map_err(port_err)
    }

    async fn design(&self, project: ProjectId, id: DesignId) -> Result<Option<Design>, PortError> {
        Ok(self
            .design_rows(project, Some(id))
            .await?
            .into_iter()
            .next())
    }

    async fn designs(&self, project: ProjectId) -> Result<Vec<Design>, PortError> {
        self.design_rows(project, None).await
    }

    async fn insert_worker(&self, w: &Worker) -> Result<(), PortError> {
        // The worker row names no organization: the project's, for the dashboard figures.
        let org: Uuid = with_pool!(self.primary(), |p| sqlx::query_scalar(
            "SELECT org_id FROM projects WHERE id = $1"
        )
        .bind(w.project_id.0)
        .fetch_one(p)
        .await)
        .map_err(port_err)?;
        let sql = "INSERT INTO project_workers (project_id, user_id, role, added_at) VALUES ($1, $2, $3, $4)";
        let write = async {
            with_pool!(self.primary(), |p| sqlx::query(sql)
                .bind(w.project_id.0)
                .bind(w.user_id.0)
                .bind(&w.role)
                .bind(Ts(w.added_at))
                .execute(p)
                .await
                .map(|_| ()))
        };
        self.changing_figures(org, write).await.map_err(port_err)
    }

    async fn workers(&self, project: ProjectId) -> Result<Vec<Worker>, PortError> {
        let sql = "SELECT project_id, user_id, role, added_at FROM project_workers WHERE project_id = $1 ORDER BY added_at, user_id";
        let rows: Vec<(Uuid, Uuid, String, Ts)> =
            with_pool!(self.primary(), |p| sqlx::query_as(sql)
                .bind(project.0)
                .fetch_all(p)
                .await)
            .map_err(port_err)?;
        Ok(rows
            .into_iter()
            .map(|(p, u, role, at)| Worker {
                project_id: ProjectId(p),
                user_id: UserId(u),
                role,
                added_at: at.0,
            })
            .collect())
    }

    async fn is_on_project(&self, project: ProjectId, user: UserId) -> Result<bool, PortError> {
        let sql = "SELECT EXISTS(SELECT 1 FROM project_workers WHERE project_id = $1 AND user_id = $2) \
                   OR EXISTS(SELECT 1 FROM projects WHERE id = $1 AND manager_id = $2)";
        with_pool!(self.primary(), |p| sqlx::query_scalar::<_, bool>(sql)
            .bind(project.0)
            .bind(user.0)
            .fetch_one(p)
            .await)
        .map_err(port_err)
    }

    async fn insert_note(&self, n: &Note) -> Result<(), PortError> {
        let sql = "INSERT INTO notes (id, project_id, target, design_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(n.id.0)
            .bind(n.project_id.map(|p| p.0))
            .bind(n.target.as_str())
            .bind(n.design_id.map(|d| d.0))
            .bind(n.author_id.0)
            .bind(&n.body)
            .bind(Ts(n.created_at))
            .execute(p)
            .await
            .map(|_| ()))
        .map_err(port_err)
    }

    async fn notes(&self, project: ProjectId) -> Result<Vec<Note>, PortError> {
        let sql = "SELECT id, project_id, target, design_id, author_id, body, read_at, created_at FROM notes WHERE project_id = $1 ORDER BY id";
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, NoteRow>(sql)
            .bind(project.0)
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        rows.into_iter()
            .map(|r| {
                let target = match r.target.as_str() {
                    "project" => NoteTarget::Project,
                    "design" => NoteTarget::Design,
                    other => return Err(unknown("note target", other)),
                };
                Ok(Note {
                    id: NoteId(r.id),
                    project_id: Some(ProjectId(r.project_id)),
                    target,
                    design_id: r.design_id.map(DesignId),
                    author_id: UserId(r.author_id),
                    body: r.body,
                    read_at: r.read_at.map(|t| t.0),
                    created_at: r.created_at.0,
                })
            })
            .collect()
    }

    async fn mark_note_read(
        &self,
        project: ProjectId,
        note: NoteId,
        at: DateTime<Utc>,
    ) -> Result<bool, PortError> {
        let sql =
            "UPDATE notes SET read_at = $3 WHERE project_id = $1 AND id = $2 AND read_at IS NULL";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(project.0)
            .bind(note.0)
            .bind(Ts(at))
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1))
        .map_err(port_err)
    }
}
