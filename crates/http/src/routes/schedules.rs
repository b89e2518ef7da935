//! `/api/v1/orgs/{org_id}/schedules` and `/salaries`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use nestcms_app::construction::schedules::{self, NewSchedule};
use nestcms_domain::construction::{
    ProjectId, Salary, SalaryPeriod, Schedule, ScheduleId, ScheduleKind,
};
use nestcms_domain::identity::UserId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::common::{List, money_in, money_out};
use super::project_lists::PartsQuery;
use super::project_parts::NoteResponse;
use crate::auth_extract::InOrg;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// A new appointment or timeline item.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateScheduleRequest {
    /// `appointment` (needs client_id and employee_id) or `timeline`.
    #[schema(value_type = String, example = "appointment")]
    kind: ScheduleKind,
    title: String,
    project_id: Option<uuid::Uuid>,
    client_id: Option<uuid::Uuid>,
    employee_id: Option<uuid::Uuid>,
    /// RFC 3339.
    #[serde(deserialize_with = "crate::dates::datetime")]
    starts_at: DateTime<Utc>,
    /// RFC 3339, after `starts_at`.
    #[serde(deserialize_with = "crate::dates::datetime")]
    ends_at: DateTime<Utc>,
}

/// A range to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScheduleRange {
    /// Items starting at or after (RFC 3339).
    #[serde(deserialize_with = "crate::dates::datetime")]
    from: DateTime<Utc>,
    /// Items starting before (at most 92 days after `from`).
    #[serde(deserialize_with = "crate::dates::datetime")]
    to: DateTime<Utc>,
    /// Only this person's items (as client or employee).
    person_id: Option<uuid::Uuid>,
}

/// A schedule item.
#[derive(Serialize, ToSchema)]
pub struct ScheduleResponse {
    id: uuid::Uuid,
    kind: String,
    title: String,
    project_id: Option<uuid::Uuid>,
    client_id: Option<uuid::Uuid>,
    employee_id: Option<uuid::Uuid>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    status: String,
}

impl From<&Schedule> for ScheduleResponse {
    fn from(s: &Schedule) -> Self {
        Self {
            id: s.id.0,
            kind: s.kind.as_str().to_owned(),
            title: s.title.clone(),
            project_id: s.project_id.map(|p| p.0),
            client_id: s.client_id.map(|u| u.0),
            employee_id: s.employee_id.map(|u| u.0),
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            status: s.status.as_str().to_owned(),
        }
    }
}

/// Items in order.
#[derive(Serialize, ToSchema)]
pub struct ScheduleList {
    data: Vec<ScheduleResponse>,
}

/// A salary to set.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSalaryRequest {
    employee_id: uuid::Uuid,
    title: String,
    /// Decimal text per period.
    amount: String,
    currency: String,
    /// `monthly` or `yearly`.
    #[schema(value_type = String, example = "monthly")]
    period: SalaryPeriod,
    #[serde(deserialize_with = "crate::dates::date")]
    next_payout_date: NaiveDate,
}

/// A salary.
#[derive(Serialize, ToSchema)]
pub struct SalaryResponse {
    id: uuid::Uuid,
    employee_id: uuid::Uuid,
    title: String,
    amount: String,
    currency: String,
    period: String,
    next_payout_date: NaiveDate,
}

impl From<&Salary> for SalaryResponse {
    fn from(s: &Salary) -> Self {
        Self {
            id: s.id.0,
            employee_id: s.employee_id.0,
            title: s.title.clone(),
            amount: money_out(s.amount),
            currency: s.amount.currency().code().to_owned(),
            period: s.period.as_str().to_owned(),
            next_payout_date: s.next_payout_date,
        }
    }
}

/// Salaries.
#[derive(Serialize, ToSchema)]
pub struct SalaryList {
    data: Vec<SalaryResponse>,
}

/// Schedules an appointment or timeline item (staff); refused when a person is already busy.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/schedules", tag = "schedules", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), request_body = CreateScheduleRequest, responses(
    (status = 201, description = "Scheduled", body = ScheduleResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Overlaps the named item (`schedule_conflict`)", body = Problem, content_type = "application/problem+json"),
))]
pub async fn create_schedule(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiJson(b): ApiJson<CreateScheduleRequest>,
) -> Result<(StatusCode, Json<ScheduleResponse>), ApiError> {
    let n = NewSchedule {
        kind: b.kind,
        title: b.title,
        project_id: b.project_id.map(ProjectId),
        client_id: b.client_id.map(UserId),
        employee_id: b.employee_id.map(UserId),
        starts_at: b.starts_at,
        ends_at: b.ends_at,
    };
    let s = schedules::create(&state.identity, &state.construction, &c, n).await?;
    Ok((StatusCode::CREATED, Json(ScheduleResponse::from(&s))))
}

/// Items starting in a range (clients see their own).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/schedules", tag = "schedules", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ScheduleRange), responses(
    (status = 200, description = "Items by start time", body = ScheduleList),
    (status = 400, description = "Bad range", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_schedules(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiQuery(q): ApiQuery<ScheduleRange>,
) -> Result<Json<ScheduleList>, ApiError> {
    let items = schedules::list(
        &state.construction,
        &c,
        q.person_id.map(UserId),
        q.from,
        q.to,
    )
    .await?;
    Ok(Json(ScheduleList {
        data: items.iter().map(ScheduleResponse::from).collect(),
    }))
}

/// Sets an employee's salary (owners and admins).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/salaries", tag = "schedules", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), request_body = CreateSalaryRequest, responses(
    (status = 201, description = "Set", body = SalaryResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
))]
pub async fn create_salary(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiJson(b): ApiJson<CreateSalaryRequest>,
) -> Result<(StatusCode, Json<SalaryResponse>), ApiError> {
    let amount = money_in(&b.amount, &b.currency, "/amount", "/currency")?;
    let n = schedules::NewSalary {
        employee: UserId(b.employee_id),
        title: b.title,
        amount,
        period: b.period,
        next: b.next_payout_date,
    };
    let s = schedules::set_salary(&state.identity, &state.construction, &c, n).await?;
    Ok((StatusCode::CREATED, Json(SalaryResponse::from(&s))))
}

/// Salaries (all for owners and admins, one's own otherwise).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/salaries", tag = "schedules", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Salaries", body = SalaryList),
))]
pub async fn list_salaries(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
) -> Result<Json<SalaryList>, ApiError> {
    let items = schedules::salaries(&state.construction, &c).await?;
    Ok(Json(SalaryList {
        data: items.iter().map(SalaryResponse::from).collect(),
    }))
}

/// Path of one schedule item.
#[derive(Deserialize)]
pub struct SchedulePath {
    schedule_id: uuid::Uuid,
}

/// A note on a schedule item.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleNoteRequest {
    body: String,
}

/// Adds a note to a schedule item (staff, or its client or employee).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/schedules/{schedule_id}/notes", tag = "schedules", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("schedule_id" = uuid::Uuid, Path)), request_body = ScheduleNoteRequest, responses(
    (status = 201, description = "Added", body = NoteResponse),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn add_schedule_note(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<SchedulePath>,
    ApiJson(b): ApiJson<ScheduleNoteRequest>,
) -> Result<(StatusCode, Json<NoteResponse>), ApiError> {
    let n =
        schedules::add_note(&state.construction, &c, ScheduleId(p.schedule_id), &b.body).await?;
    Ok((StatusCode::CREATED, Json(NoteResponse::from(&n))))
}

/// Notes of a schedule item, oldest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/schedules/{schedule_id}/notes", tag = "schedules", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("schedule_id" = uuid::Uuid, Path), PartsQuery), responses(
    (status = 200, description = "Notes", body = List<NoteResponse>),
    (status = 400, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_schedule_notes(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<SchedulePath>,
    ApiQuery(q): ApiQuery<PartsQuery>,
) -> Result<Json<List<NoteResponse>>, ApiError> {
    let notes =
        schedules::notes(&state.construction, &c, ScheduleId(p.schedule_id), q.page()).await?;
    Ok(Json(List::from_paged(notes)))
}
