//! The paginated lists of a project's parts: steps, designs, design versions, workers, notes.
//!
//! Same cursor contract as every other list (`limit` 1 to 100, `starting_after`, `has_more`,
//! `order`), except that these read oldest first by default, which is how a project's parts
//! are read (steps in position order, notes as a conversation).

use axum::Json;
use axum::extract::State;
use nestcms_app::construction::projects;
use nestcms_domain::construction::ports::Page;
use nestcms_domain::construction::{DesignId, ProjectId};
use serde::Deserialize;
use utoipa::IntoParams;

use super::common::{List, Order};
use super::project_parts::{
    DesignResponse, DesignVersionResponse, NoteResponse, PartPath, StepResponse, WorkerResponse,
};
use super::projects::ProjectPath;
use crate::auth_extract::InOrg;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

/// Paging of a project's parts.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartsQuery {
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The last id of the previous page.
    starting_after: Option<uuid::Uuid>,
    /// `asc` (oldest first, default) or `desc`.
    #[param(value_type = Option<String>)]
    order: Option<Order>,
}

impl PartsQuery {
    /// The page asked for.
    pub fn page(&self) -> Page {
        Page {
            ascending: !matches!(self.order, Some(Order::Desc)),
            cursor: self.starting_after,
            limit: self.limit.unwrap_or(50),
        }
    }
}

/// Paging of a design's versions (the cursor is a version number).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionsQuery {
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The last version number of the previous page.
    starting_after: Option<i32>,
    /// `asc` (oldest first, default) or `desc`.
    #[param(value_type = Option<String>)]
    order: Option<Order>,
}

/// Steps in order.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/projects/{project_id}/steps", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path), PartsQuery), responses(
    (status = 200, description = "Steps", body = List<StepResponse>),
    (status = 400, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_steps(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ProjectPath>,
    ApiQuery(q): ApiQuery<PartsQuery>,
) -> Result<Json<List<StepResponse>>, ApiError> {
    let page = projects::steps(&state.construction, &c, ProjectId(p.project_id), q.page()).await?;
    Ok(Json(List::from_paged(page)))
}

/// Designs with their latest versions.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/projects/{project_id}/designs", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path), PartsQuery), responses(
    (status = 200, description = "Designs", body = List<DesignResponse>),
    (status = 400, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_designs(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ProjectPath>,
    ApiQuery(q): ApiQuery<PartsQuery>,
) -> Result<Json<List<DesignResponse>>, ApiError> {
    let page =
        projects::designs(&state.construction, &c, ProjectId(p.project_id), q.page()).await?;
    Ok(Json(List::from_paged(page)))
}

/// Every version of one design.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/projects/{project_id}/designs/{part_id}/versions", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path), ("part_id" = uuid::Uuid, Path, description = "The design"), VersionsQuery), responses(
    (status = 200, description = "Versions", body = List<DesignVersionResponse>),
    (status = 400, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_design_versions(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<PartPath>,
    ApiQuery(q): ApiQuery<VersionsQuery>,
) -> Result<Json<List<DesignVersionResponse>>, ApiError> {
    let page = Page {
        ascending: !matches!(q.order, Some(Order::Desc)),
        cursor: None,
        limit: q.limit.unwrap_or(50),
    };
    let versions = projects::design_versions(
        &state.construction,
        &c,
        ProjectId(p.project_id),
        DesignId(p.part_id),
        page,
        q.starting_after,
    )
    .await?;
    Ok(Json(List::from_paged(versions)))
}

/// Workers on the project.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/projects/{project_id}/workers", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path), PartsQuery), responses(
    (status = 200, description = "Workers (the cursor is a user id)", body = List<WorkerResponse>),
    (status = 400, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_workers(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ProjectPath>,
    ApiQuery(q): ApiQuery<PartsQuery>,
) -> Result<Json<List<WorkerResponse>>, ApiError> {
    let page =
        projects::workers(&state.construction, &c, ProjectId(p.project_id), q.page()).await?;
    Ok(Json(List::from_paged(page)))
}

/// Notes on the project and its designs.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/projects/{project_id}/notes", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path), PartsQuery), responses(
    (status = 200, description = "Notes", body = List<NoteResponse>),
    (status = 400, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_notes(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ProjectPath>,
    ApiQuery(q): ApiQuery<PartsQuery>,
) -> Result<Json<List<NoteResponse>>, ApiError> {
    let page = projects::notes(&state.construction, &c, ProjectId(p.project_id), q.page()).await?;
    Ok(Json(List::from_paged(page)))
}
