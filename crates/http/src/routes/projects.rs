//! `/api/v1/orgs/{org_id}/projects`: projects, with progress and earnings.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use nestcms_app::construction::analytics::{self, ProjectDetail};
use nestcms_app::construction::projects::{self, NewProject};
use nestcms_domain::Money;
use nestcms_domain::construction::ports::CurrencyTotals;
use nestcms_domain::construction::{ContractId, Project, ProjectId, ProjectStatus};
use nestcms_domain::identity::UserId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::common::{List, Order, money_out, page};
use crate::auth_extract::InOrg;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// Path of one project.
#[derive(Deserialize)]
pub struct ProjectPath {
    /// The organization.
    pub org_id: uuid::Uuid,
    /// The project.
    pub project_id: uuid::Uuid,
}

/// A new project.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProjectRequest {
    title: String,
    #[serde(default)]
    #[serde(deserialize_with = "crate::limits::max::<10000, _>")]
    description: String,
    /// An approved or active contract; the project's client comes from it.
    contract_id: Option<uuid::Uuid>,
    /// A staff member.
    manager_id: uuid::Uuid,
    #[serde(deserialize_with = "crate::dates::date")]
    start_date: NaiveDate,
    #[serde(default, deserialize_with = "crate::dates::opt_date")]
    end_date: Option<NaiveDate>,
}

/// A status change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectUpdate {
    /// `planned`, `active`, `on_hold`, `completed`, `cancelled`.
    #[schema(value_type = String, example = "active")]
    status: ProjectStatus,
}

/// Listing filters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectFilter {
    /// Only projects in this state.
    #[param(value_type = Option<String>)]
    status: Option<ProjectStatus>,
    /// Only projects the caller manages or works on.
    #[serde(default)]
    mine: bool,
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The last id of the previous page.
    starting_after: Option<uuid::Uuid>,
    /// `desc` (newest first, default) or `asc`.
    #[param(value_type = Option<String>)]
    #[serde(default)]
    order: Order,
}

/// Earnings of one currency.
#[derive(Serialize, ToSchema)]
pub struct CurrencyEarnings {
    currency: String,
    profit: String,
    loss: String,
    /// Profit minus loss.
    net: String,
    count: i64,
}

impl From<&CurrencyTotals> for CurrencyEarnings {
    fn from(t: &CurrencyTotals) -> Self {
        let m = |v| money_out(Money::from_minor(v, t.currency));
        Self {
            currency: t.currency.code().to_owned(),
            profit: m(t.profit),
            loss: m(t.loss),
            net: Money::format_wide(i128::from(t.profit) - i128::from(t.loss), t.currency),
            count: t.count,
        }
    }
}

/// A project.
#[derive(Serialize, ToSchema)]
pub struct ProjectResponse {
    id: uuid::Uuid,
    contract_id: Option<uuid::Uuid>,
    client_id: Option<uuid::Uuid>,
    manager_id: uuid::Uuid,
    title: String,
    description: String,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
    /// `planned`, `active`, `on_hold`, `completed`, `cancelled`.
    status: String,
    created_at: DateTime<Utc>,
    /// Percent of steps completed, one decimal, e.g. `"66.7"` (only on single-project reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    progress: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    steps_completed: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    steps_total: Option<u32>,
    /// Per currency (only on single-project reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    earnings: Option<Vec<CurrencyEarnings>>,
}

impl From<&Project> for ProjectResponse {
    fn from(p: &Project) -> Self {
        Self {
            id: p.id.0,
            contract_id: p.contract_id.map(|c| c.0),
            client_id: p.client_id.map(|c| c.0),
            manager_id: p.manager_id.0,
            title: p.title.clone(),
            description: p.description.clone(),
            start_date: p.start_date,
            end_date: p.end_date,
            status: p.status.as_str().to_owned(),
            created_at: p.created_at,
            progress: None,
            steps_completed: None,
            steps_total: None,
            earnings: None,
        }
    }
}

impl From<&ProjectDetail> for ProjectResponse {
    fn from(d: &ProjectDetail) -> Self {
        Self {
            progress: Some(format!(
                "{}.{}",
                d.progress_permille / 10,
                d.progress_permille % 10
            )),
            steps_completed: Some(d.steps_completed),
            steps_total: Some(d.steps_total),
            earnings: d
                .earnings
                .as_ref()
                .map(|e| e.iter().map(CurrencyEarnings::from).collect()),
            ..Self::from(&d.project)
        }
    }
}

/// Creates a project (managers).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/projects", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), request_body = CreateProjectRequest, responses(
    (status = 201, description = "Created", body = ProjectResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Contract not approved", body = Problem, content_type = "application/problem+json"),
))]
pub async fn create_project(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiJson(b): ApiJson<CreateProjectRequest>,
) -> Result<(StatusCode, Json<ProjectResponse>), ApiError> {
    let n = NewProject {
        title: b.title,
        description: b.description,
        contract_id: b.contract_id.map(ContractId),
        manager_id: UserId(b.manager_id),
        start_date: b.start_date,
        end_date: b.end_date,
    };
    let project = projects::create(&state.identity, &state.construction, &c, n).await?;
    Ok((StatusCode::CREATED, Json(ProjectResponse::from(&project))))
}

/// Projects (clients see their own).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/projects", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ProjectFilter), responses(
    (status = 200, description = "Projects, newest first", body = List<ProjectResponse>),
    (status = 404, description = "Not found or not a member", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_projects(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiQuery(f): ApiQuery<ProjectFilter>,
) -> Result<Json<List<ProjectResponse>>, ApiError> {
    let found = projects::list(
        &state.construction,
        &c,
        f.mine,
        f.status,
        page(f.limit, f.starting_after, f.order),
    )
    .await?;
    Ok(Json(List::from_paged(found)))
}

/// One project with progress and earnings per currency.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/projects/{project_id}", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "The project", body = ProjectResponse),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn get_project(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ProjectPath>,
) -> Result<Json<ProjectResponse>, ApiError> {
    let detail =
        analytics::project_detail(&state.construction, &c, ProjectId(p.project_id)).await?;
    Ok(Json(ProjectResponse::from(&detail)))
}

/// Moves a project through its lifecycle (managers).
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/projects/{project_id}", tag = "projects", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path)), request_body = ProjectUpdate, responses(
    (status = 200, description = "Updated", body = ProjectResponse),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Illegal transition", body = Problem, content_type = "application/problem+json"),
))]
pub async fn update_project(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ProjectPath>,
    ApiJson(b): ApiJson<ProjectUpdate>,
) -> Result<Json<ProjectResponse>, ApiError> {
    Ok(Json(ProjectResponse::from(
        &projects::set_status(&state.construction, &c, ProjectId(p.project_id), b.status).await?,
    )))
}
