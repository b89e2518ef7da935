//! `/api/v1/orgs/{org_id}/analytics/*`: per-currency numbers for owners and managers, and each
//! member's own dashboard.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use nestcms_app::construction::analytics::{self, Range};
use nestcms_domain::construction::ports::{Ranked, StatusCount};
use nestcms_domain::{Currency, Money};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::common::money_out;
use super::projects::CurrencyEarnings;
use crate::auth_extract::InOrg;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// Date range and, where needed, the currency.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// First day (earning period start), `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "crate::dates::opt_date")]
    from: Option<NaiveDate>,
    /// Last day.
    #[serde(default, deserialize_with = "crate::dates::opt_date")]
    to: Option<NaiveDate>,
    /// ISO 4217; required by trend and rankings (amounts are never summed across currencies).
    currency: Option<String>,
    /// For rankings: 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

impl AnalyticsQuery {
    fn range(&self) -> Range {
        Range {
            from: self.from,
            to: self.to,
        }
    }

    fn currency(&self) -> Result<Currency, ApiError> {
        let code = self.currency.as_deref().ok_or_else(|| {
            ApiError::validation(vec![nestcms_domain::FieldError::new(
                "?currency",
                "required",
                "give the currency, e.g. currency=SAR",
            )])
        })?;
        code.parse::<Currency>().map_err(|e| {
            ApiError::validation(vec![nestcms_domain::FieldError::new(
                "?currency",
                e.code(),
                e.to_string(),
            )])
        })
    }
}

/// A count per status.
#[derive(Serialize, ToSchema)]
pub struct StatusCountDto {
    status: String,
    count: i64,
}

fn counts(v: Vec<StatusCount>) -> Vec<StatusCountDto> {
    v.into_iter()
        .map(|c| StatusCountDto {
            status: c.status,
            count: c.count,
        })
        .collect()
}

/// Project and contract status breakdowns.
#[derive(Serialize, ToSchema)]
pub struct StatusBreakdown {
    projects: Vec<StatusCountDto>,
    contracts: Vec<StatusCountDto>,
}

/// Earnings per currency.
#[derive(Serialize, ToSchema)]
pub struct EarningsStats {
    /// One entry per currency; empty when there are no earnings.
    data: Vec<CurrencyEarnings>,
}

/// One ranked row.
#[derive(Serialize, ToSchema)]
pub struct RankedDto {
    /// Project id, employee id or month (`YYYY-MM`).
    key: String,
    /// Title, name or month.
    label: String,
    /// Net amount.
    amount: String,
}

/// A ranking or trend in one currency.
#[derive(Serialize, ToSchema)]
pub struct RankedList {
    currency: String,
    data: Vec<RankedDto>,
}

fn ranked(currency: Currency, v: Vec<Ranked>) -> Json<RankedList> {
    Json(RankedList {
        currency: currency.code().to_owned(),
        data: v
            .into_iter()
            .map(|r| RankedDto {
                key: r.key,
                label: r.label,
                amount: money_out(Money::from_minor(r.net, currency)),
            })
            .collect(),
    })
}

/// The caller's own numbers.
#[derive(Serialize, ToSchema)]
pub struct DashboardResponse {
    /// Projects the caller manages or works on (clients: their own), per status.
    projects: Vec<StatusCountDto>,
    /// Contracts where the caller is the client or a responsible employee, per status.
    contracts: Vec<StatusCountDto>,
    /// Commission payouts received, per currency.
    payouts: Vec<CurrencyAmount>,
}

/// An amount in one currency.
#[derive(Serialize, ToSchema)]
pub struct CurrencyAmount {
    currency: String,
    amount: String,
}

/// Project and contract counts per status (managers and up).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/analytics/status", tag = "analytics", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Breakdowns", body = StatusBreakdown),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
))]
pub async fn status_breakdown(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
) -> Result<Json<StatusBreakdown>, ApiError> {
    let (projects, contracts) = analytics::status_breakdown(&state.construction, &c).await?;
    Ok(Json(StatusBreakdown {
        projects: counts(projects),
        contracts: counts(contracts),
    }))
}

/// Profit, loss, net and count per currency over a range.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/analytics/earnings", tag = "analytics", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), AnalyticsQuery), responses(
    (status = 200, description = "Per currency", body = EarningsStats),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
))]
pub async fn earnings_stats(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> Result<Json<EarningsStats>, ApiError> {
    let totals = analytics::earnings_stats(&state.construction, &c, q.range()).await?;
    Ok(Json(EarningsStats {
        data: totals.iter().map(CurrencyEarnings::from).collect(),
    }))
}

/// Net earnings per month in one currency.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/analytics/earnings/trend", tag = "analytics", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), AnalyticsQuery), responses(
    (status = 200, description = "Months, oldest first", body = RankedList),
    (status = 400, description = "Currency missing or unknown", body = Problem, content_type = "application/problem+json"),
))]
pub async fn earnings_trend(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> Result<Json<RankedList>, ApiError> {
    let currency = q.currency()?;
    Ok(ranked(
        currency,
        analytics::monthly_trend(&state.construction, &c, currency, q.range()).await?,
    ))
}

/// Projects with the highest net earnings in one currency.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/analytics/top-projects", tag = "analytics", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), AnalyticsQuery), responses(
    (status = 200, description = "Highest first", body = RankedList),
    (status = 400, description = "Currency missing or unknown", body = Problem, content_type = "application/problem+json"),
))]
pub async fn top_projects(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> Result<Json<RankedList>, ApiError> {
    let currency = q.currency()?;
    Ok(ranked(
        currency,
        analytics::top_projects(
            &state.construction,
            &c,
            currency,
            q.range(),
            q.limit.unwrap_or(10),
        )
        .await?,
    ))
}

/// Employees with the highest commission payouts in one currency.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/analytics/top-employees", tag = "analytics", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), AnalyticsQuery), responses(
    (status = 200, description = "Highest first", body = RankedList),
    (status = 400, description = "Currency missing or unknown", body = Problem, content_type = "application/problem+json"),
))]
pub async fn top_employees(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> Result<Json<RankedList>, ApiError> {
    let currency = q.currency()?;
    Ok(ranked(
        currency,
        analytics::top_employees(
            &state.construction,
            &c,
            currency,
            q.range(),
            q.limit.unwrap_or(10),
        )
        .await?,
    ))
}

/// The caller's dashboard: their projects by status and their payouts per currency.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/analytics/dashboard", tag = "analytics", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "The caller's numbers", body = DashboardResponse),
    (status = 404, description = "Not a member", body = Problem, content_type = "application/problem+json"),
))]
pub async fn dashboard(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
) -> Result<Json<DashboardResponse>, ApiError> {
    let d = analytics::dashboard(&state.construction, &c).await?;
    Ok(Json(DashboardResponse {
        contracts: counts(d.contracts),
        projects: d
            .projects
            .into_iter()
            .map(|(s, n)| StatusCountDto {
                status: s.as_str().to_owned(),
                count: n,
            })
            .collect(),
        payouts: d
            .payouts
            .into_iter()
            .map(|(cur, v)| CurrencyAmount {
                currency: cur.code().to_owned(),
                amount: money_out(Money::from_minor(v, cur)),
            })
            .collect(),
    }))
}
