//! `/api/v1/orgs/{org_id}/projects/{project_id}/{steps,designs,workers,notes}`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use nestcms_app::construction::projects;
use nestcms_domain::construction::{
    Design, DesignId, DesignVersion, Note, NoteId, ProjectId, Step, StepId, StepStatus, Worker,
};
use nestcms_domain::identity::UserId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::projects::ProjectPath;
use crate::auth_extract::InOrg;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

/// Path of a project's sub-resource.
#[derive(Deserialize)]
pub struct PartPath {
    pub(crate) project_id: uuid::Uuid,
    pub(crate) part_id: uuid::Uuid,
}

/// A new step.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStepRequest {
    title: String,
    #[serde(default, deserialize_with = "crate::dates::opt_date")]
    start_date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::dates::opt_date")]
    end_date: Option<NaiveDate>,
}

/// A step's new status.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpdate {
    /// `pending`, `in_progress`, `completed`.
    #[schema(value_type = String, example = "completed")]
    status: StepStatus,
}

/// A step.
#[derive(Serialize, ToSchema)]
pub struct StepResponse {
    id: uuid::Uuid,
    position: i32,
    title: String,
    status: String,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    completed_at: Option<DateTime<Utc>>,
}

impl From<&Step> for StepResponse {
    fn from(s: &Step) -> Self {
        Self {
            id: s.id.0,
            position: s.position,
            title: s.title.clone(),
            status: s.status.as_str().to_owned(),
            start_date: s.start_date,
            end_date: s.end_date,
            completed_at: s.completed_at,
        }
    }
}

/// A new design, first version by URL.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDesignRequest {
    title: String,
    /// Where the document is (http or https).
    url: String,
}

/// A new version of a design, by URL.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignVersionRequest {
    url: String,
}

/// One version of a design.
#[derive(Serialize, ToSchema)]
pub struct DesignVersionResponse {
    version: i32,
    url: Option<String>,
    file_name: Option<String>,
    content_type: Option<String>,
    size_bytes: Option<i64>,
    created_by: uuid::Uuid,
    created_at: DateTime<Utc>,
}

impl From<&DesignVersion> for DesignVersionResponse {
    fn from(v: &DesignVersion) -> Self {
        Self {
            version: v.version,
            url: v.url.clone(),
            file_name: v.file_name.clone(),
            content_type: v.content_type.clone(),
            size_bytes: v.size_bytes,
            created_by: v.created_by.0,
            created_at: v.created_at,
        }
    }
}

/// Versions a design shows inline; the rest are listed at `…/designs/{id}/versions`.
pub const INLINE_VERSIONS: usize = 20;

/// A design with its latest versions.
#[derive(Serialize, ToSchema)]
pub struct DesignResponse {
    id: uuid::Uuid,
    title: String,
    /// The latest 20 versions, oldest first (all of them at `…/versions`).
    versions: Vec<DesignVersionResponse>,
    /// How many versions there are in all.
    version_count: usize,
    created_at: DateTime<Utc>,
}

impl From<&Design> for DesignResponse {
    fn from(d: &Design) -> Self {
        let skip = d.versions.len().saturating_sub(INLINE_VERSIONS);
        Self {
            id: d.id.0,
            title: d.title.clone(),
            versions: d.versions[skip..]
                .iter()
                .map(DesignVersionResponse::from)
                .collect(),
            version_count: d.versions.len(),
            created_at: d.created_at,
        }
    }
}

/// A member to put on the project.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddWorkerRequest {
    user_id: uuid::Uuid,
    /// Their role on this project, e.g. `site engineer`.
    role: String,
}

/// A worker (a link to a member).
#[derive(Serialize, ToSchema)]
pub struct WorkerResponse {
    user_id: uuid::Uuid,
    role: String,
    added_at: DateTime<Utc>,
}

impl From<&Worker> for WorkerResponse {
    fn from(w: &Worker) -> Self {
        Self {
            user_id: w.user_id.0,
            role: w.role.clone(),
            added_at: w.added_at,
        }
    }
}

/// A new note.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNoteRequest {
    body: String,
    /// Attach to this design of the project instead of the project itself.
    design_id: Option<uuid::Uuid>,
}

/// A note.
#[derive(Serialize, ToSchema)]
pub struct NoteResponse {
    id: uuid::Uuid,
    /// `project` or `design`.
    target: String,
    design_id: Option<uuid::Uuid>,
    author_id: uuid::Uuid,
    body: String,
    /// When a reader marked it read.
    read_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<&Note> for NoteResponse {
    fn from(n: &Note) -> Self {
        Self {
            id: n.id.0,
            target: n.target.as_str().to_owned(),
            design_id: n.design_id.map(|d| d.0),
            author_id: n.author_id.0,
            body: n.body.clone(),
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

/// Appends a step (managers, the project's manager and workers).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/projects/{project_id}/steps", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path)), request_body = CreateStepRequest, responses(
    (status = 201, description = "Created", body = StepResponse),
    (status = 403, description = "Not on the project", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn add_step(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ProjectPath>,
    ApiJson(b): ApiJson<CreateStepRequest>,
) -> Result<(StatusCode, Json<StepResponse>), ApiError> {
    let s = projects::add_step(
        &state.construction,
        &c,
        ProjectId(p.project_id),
        &b.title,
        b.start_date,
        b.end_date,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(StepResponse::from(&s))))
}

/// Changes a step's status.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/projects/{project_id}/steps/{part_id}", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path), ("part_id" = uuid::Uuid, Path, description = "The step")), request_body = StepUpdate, responses(
    (status = 200, description = "Updated", body = StepResponse),
    (status = 403, description = "Not on the project", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Illegal transition", body = Problem, content_type = "application/problem+json"),
))]
pub async fn update_step(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<PartPath>,
    ApiJson(b): ApiJson<StepUpdate>,
) -> Result<Json<StepResponse>, ApiError> {
    let s = projects::set_step_status(
        &state.construction,
        &c,
        ProjectId(p.project_id),
        StepId(p.part_id),
        b.status,
    )
    .await?;
    Ok(Json(StepResponse::from(&s)))
}

/// Adds a design (first version by URL).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/projects/{project_id}/designs", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path)), request_body = CreateDesignRequest, responses(
    (status = 201, description = "Created", body = DesignResponse),
    (status = 400, description = "Invalid URL", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not on the project", body = Problem, content_type = "application/problem+json"),
))]
pub async fn add_design(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ProjectPath>,
    ApiJson(b): ApiJson<CreateDesignRequest>,
) -> Result<(StatusCode, Json<DesignResponse>), ApiError> {
    let d = projects::add_design(
        &state.construction,
        &c,
        ProjectId(p.project_id),
        &b.title,
        &b.url,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(DesignResponse::from(&d))))
}

/// Adds a version to a design.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/projects/{project_id}/designs/{part_id}/versions", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path), ("part_id" = uuid::Uuid, Path, description = "The design")), request_body = DesignVersionRequest, responses(
    (status = 201, description = "The design with the new version", body = DesignResponse),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn add_design_version(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<PartPath>,
    ApiJson(b): ApiJson<DesignVersionRequest>,
) -> Result<(StatusCode, Json<DesignResponse>), ApiError> {
    let version = projects::url_version(0, &b.url, c.user(), Utc::now())?;
    let d = projects::add_design_version(
        &state.construction,
        &c,
        ProjectId(p.project_id),
        DesignId(p.part_id),
        version,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(DesignResponse::from(&d))))
}

/// Puts a staff member on the project (managers).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/projects/{project_id}/workers", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path)), request_body = AddWorkerRequest, responses(
    (status = 201, description = "Added", body = WorkerResponse),
    (status = 400, description = "Not a staff member", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already on the project", body = Problem, content_type = "application/problem+json"),
))]
pub async fn add_worker(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ProjectPath>,
    ApiJson(b): ApiJson<AddWorkerRequest>,
) -> Result<(StatusCode, Json<WorkerResponse>), ApiError> {
    let w = projects::add_worker(
        &state.identity,
        &state.construction,
        &c,
        ProjectId(p.project_id),
        UserId(b.user_id),
        &b.role,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(WorkerResponse::from(&w))))
}

/// Adds a note to the project or one of its designs.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/projects/{project_id}/notes", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path)), request_body = CreateNoteRequest, responses(
    (status = 201, description = "Added", body = NoteResponse),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn add_note(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ProjectPath>,
    ApiJson(b): ApiJson<CreateNoteRequest>,
) -> Result<(StatusCode, Json<NoteResponse>), ApiError> {
    let n = projects::add_note(
        &state.construction,
        &c,
        ProjectId(p.project_id),
        &b.body,
        b.design_id.map(DesignId),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(NoteResponse::from(&n))))
}

/// Marks a note read.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/projects/{project_id}/notes/{part_id}/read", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path), ("part_id" = uuid::Uuid, Path, description = "The note")), responses(
    (status = 204, description = "Marked read"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Own note", body = Problem, content_type = "application/problem+json"),
))]
pub async fn mark_note_read(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<PartPath>,
) -> Result<StatusCode, ApiError> {
    projects::mark_read(
        &state.construction,
        &c,
        ProjectId(p.project_id),
        NoteId(p.part_id),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
