//! `/api/v1/orgs/{org_id}/earnings` and project commissions.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use nestcms_app::construction::earnings::{self, NewEarning};
use nestcms_domain::construction::{
    Commission, Earning, EarningId, EarningKind, EarningPeriod, ProjectId,
};
use nestcms_domain::identity::UserId;
use nestcms_domain::percent::{format_percent, parse_percent};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::common::{List, Order, money_in, money_out, page};
use super::projects::ProjectPath;
use crate::auth_extract::InOrg;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// Path of one earning.
#[derive(Deserialize)]
pub struct EarningPath {
    earning_id: uuid::Uuid,
}

/// A profit or loss to record.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEarningRequest {
    /// The project, or none for an organization-level earning.
    project_id: Option<uuid::Uuid>,
    /// `profit` or `loss`.
    #[schema(value_type = String, example = "profit")]
    kind: EarningKind,
    /// `monthly`, `four_monthly`, `quarterly`, `yearly`.
    #[schema(value_type = String, example = "monthly")]
    period: EarningPeriod,
    /// First day of the period.
    #[serde(deserialize_with = "crate::dates::date")]
    period_start: NaiveDate,
    /// Positive decimal text; `kind` gives the sign.
    amount: String,
    currency: String,
    title: String,
}

/// Listing filters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EarningFilter {
    /// Only this project's earnings.
    project_id: Option<uuid::Uuid>,
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

/// An earning.
#[derive(Serialize, ToSchema)]
pub struct EarningResponse {
    id: uuid::Uuid,
    project_id: Option<uuid::Uuid>,
    kind: String,
    period: String,
    period_start: NaiveDate,
    amount: String,
    currency: String,
    title: String,
    distributed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<&Earning> for EarningResponse {
    fn from(e: &Earning) -> Self {
        Self {
            id: e.id.0,
            project_id: e.project_id.map(|p| p.0),
            kind: e.kind.as_str().to_owned(),
            period: e.period.as_str().to_owned(),
            period_start: e.period_start,
            amount: money_out(e.amount),
            currency: e.amount.currency().code().to_owned(),
            title: e.title.clone(),
            distributed_at: e.distributed_at,
            created_at: e.created_at,
        }
    }
}

/// A commission to give.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommissionRequest {
    employee_id: uuid::Uuid,
    /// Share of the project's profits, e.g. `"12.5"`.
    percentage: String,
}

/// A commission.
#[derive(Serialize, ToSchema)]
pub struct CommissionResponse {
    id: uuid::Uuid,
    project_id: uuid::Uuid,
    employee_id: uuid::Uuid,
    percentage: String,
}

impl From<&Commission> for CommissionResponse {
    fn from(k: &Commission) -> Self {
        Self {
            id: k.id.0,
            project_id: k.project_id.0,
            employee_id: k.employee_id.0,
            percentage: format_percent(i32::try_from(k.rate_bp).unwrap_or(i32::MAX)),
        }
    }
}

/// One employee's payout.
#[derive(Serialize, ToSchema)]
pub struct PayoutResponse {
    employee_id: uuid::Uuid,
    amount: String,
}

/// The result of a distribution.
#[derive(Serialize, ToSchema)]
pub struct DistributionResponse {
    currency: String,
    payouts: Vec<PayoutResponse>,
    /// What the organization keeps (the share not commissioned and sub-unit rounding).
    retained: String,
}

/// Records an earning (owners and admins).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/earnings", tag = "earnings", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), request_body = CreateEarningRequest, responses(
    (status = 201, description = "Recorded", body = EarningResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
))]
pub async fn create_earning(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiJson(b): ApiJson<CreateEarningRequest>,
) -> Result<(StatusCode, Json<EarningResponse>), ApiError> {
    let n = NewEarning {
        project_id: b.project_id.map(ProjectId),
        kind: b.kind,
        period: b.period,
        period_start: b.period_start,
        amount: money_in(&b.amount, &b.currency, "/amount", "/currency")?,
        title: b.title,
    };
    let e = earnings::record(&state.construction, &c, n).await?;
    Ok((StatusCode::CREATED, Json(EarningResponse::from(&e))))
}

/// Earnings, newest first (managers and up).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/earnings", tag = "earnings", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), EarningFilter), responses(
    (status = 200, description = "Earnings", body = List<EarningResponse>),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_earnings(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiQuery(f): ApiQuery<EarningFilter>,
) -> Result<Json<List<EarningResponse>>, ApiError> {
    let found = earnings::list(
        &state.construction,
        &c,
        f.project_id.map(ProjectId),
        page(f.limit, f.starting_after, f.order),
    )
    .await?;
    Ok(Json(List::from_paged(found)))
}

/// Distributes a project profit to its commissions, exactly and once.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/earnings/{earning_id}/distribute", tag = "earnings", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("earning_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Distributed", body = DistributionResponse),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already distributed, a loss, or no commissions", body = Problem, content_type = "application/problem+json"),
))]
pub async fn distribute_earning(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<EarningPath>,
) -> Result<Json<DistributionResponse>, ApiError> {
    let d = earnings::distribute(&state.construction, &c, EarningId(p.earning_id)).await?;
    Ok(Json(DistributionResponse {
        currency: d.retained.currency().code().to_owned(),
        payouts: d
            .payouts
            .iter()
            .map(|po| PayoutResponse {
                employee_id: po.employee_id.0,
                amount: money_out(po.amount),
            })
            .collect(),
        retained: money_out(d.retained),
    }))
}

/// Gives an employee a share of the project's profits (owners and admins; at most 100 % in all).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/projects/{project_id}/commissions", tag = "earnings", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path)), request_body = CreateCommissionRequest, responses(
    (status = 201, description = "Created", body = CommissionResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already commissioned", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Commissions would exceed 100 %", body = Problem, content_type = "application/problem+json"),
))]
pub async fn create_commission(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ProjectPath>,
    ApiJson(b): ApiJson<CreateCommissionRequest>,
) -> Result<(StatusCode, Json<CommissionResponse>), ApiError> {
    let bp =
        parse_percent(&b.percentage, "/percentage").map_err(|e| ApiError::validation(vec![e]))?;
    let k = earnings::set_commission(
        &state.identity,
        &state.construction,
        &c,
        ProjectId(p.project_id),
        UserId(b.employee_id),
        u32::try_from(bp).unwrap_or(0),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CommissionResponse::from(&k))))
}

/// A period to roll up.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollUpRequest {
    /// `monthly`, `four_monthly`, `quarterly`, `yearly`.
    #[schema(value_type = String, example = "monthly")]
    period: EarningPeriod,
    #[serde(deserialize_with = "crate::dates::date")]
    period_start: NaiveDate,
    currency: String,
}

/// An organization-level compound earning.
#[derive(Serialize, ToSchema)]
pub struct CompoundResponse {
    id: uuid::Uuid,
    period: String,
    period_start: NaiveDate,
    /// Profits minus losses of the project earnings it was made from.
    net: String,
    currency: String,
    /// The project earnings it was made from.
    earning_ids: Vec<uuid::Uuid>,
    created_at: DateTime<Utc>,
}

impl From<&nestcms_domain::construction::CompoundEarning> for CompoundResponse {
    fn from(c: &nestcms_domain::construction::CompoundEarning) -> Self {
        Self {
            id: c.id.0,
            period: c.period.as_str().to_owned(),
            period_start: c.period_start,
            net: money_out(c.net),
            currency: c.net.currency().code().to_owned(),
            earning_ids: c.components.iter().map(|e| e.0).collect(),
            created_at: c.created_at,
        }
    }
}

/// Compound earnings.
#[derive(Serialize, ToSchema)]
pub struct CompoundList {
    data: Vec<CompoundResponse>,
}

/// Rolls a period's project earnings in one currency up into an organization earning (once).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/earnings/rollups", tag = "earnings", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), request_body = RollUpRequest, responses(
    (status = 201, description = "Rolled up", body = CompoundResponse),
    (status = 409, description = "Already rolled up", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "No project earnings for that period", body = Problem, content_type = "application/problem+json"),
))]
pub async fn create_rollup(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiJson(b): ApiJson<RollUpRequest>,
) -> Result<(StatusCode, Json<CompoundResponse>), ApiError> {
    let currency = b
        .currency
        .parse()
        .map_err(|e: nestcms_domain::MoneyError| {
            ApiError::validation(vec![nestcms_domain::FieldError::new(
                "/currency",
                e.code(),
                e.to_string(),
            )])
        })?;
    let r = earnings::roll_up(&state.construction, &c, b.period, b.period_start, currency).await?;
    Ok((StatusCode::CREATED, Json(CompoundResponse::from(&r))))
}

/// Compound earnings, newest period first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/earnings/rollups", tag = "earnings", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Compound earnings", body = CompoundList),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_rollups(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
) -> Result<Json<CompoundList>, ApiError> {
    let all = earnings::roll_ups(&state.construction, &c).await?;
    Ok(Json(CompoundList {
        data: all.iter().map(CompoundResponse::from).collect(),
    }))
}
