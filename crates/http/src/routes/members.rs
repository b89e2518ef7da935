//! `/api/v1/orgs/{org_id}/members`: who belongs to an organization, with which role. People
//! join by invitation (`routes::invitations`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use nestcms_app::identity::members;
use nestcms_domain::identity::{EmployeeType, Membership, OrgId, Role, User, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth_extract::{Authenticated, Client};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath};
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// Path of one member.
#[derive(Deserialize)]
pub struct MemberPath {
    org_id: uuid::Uuid,
    user_id: uuid::Uuid,
}

/// A new role.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRoleRequest {
    #[schema(value_type = String, example = "manager")]
    role: Role,
    #[schema(value_type = Option<String>, example = "engineer")]
    employee_type: Option<EmployeeType>,
}

/// A member (public fields of the user only).
#[derive(Serialize, ToSchema)]
pub struct MemberResponse {
    user_id: uuid::Uuid,
    email: String,
    full_name: String,
    #[schema(value_type = String, example = "employee")]
    role: Role,
    #[schema(value_type = Option<String>, example = "engineer")]
    employee_type: Option<EmployeeType>,
    joined_at: DateTime<Utc>,
}

impl MemberResponse {
    fn new(m: &Membership, u: &User) -> Self {
        Self {
            user_id: u.id.0,
            email: u.email.as_str().to_owned(),
            full_name: u.full_name.clone(),
            role: m.role,
            employee_type: m.employee_type,
            joined_at: m.created_at,
        }
    }
}

/// Members of an organization.
#[derive(Serialize, ToSchema)]
pub struct MemberList {
    data: Vec<MemberResponse>,
}

/// Lists members (not visible to clients).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/members", tag = "members", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Members", body = MemberList),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found or not a member", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_members(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<OrgPath>,
) -> Result<Json<MemberList>, ApiError> {
    let all = members::list(&state.identity, who, OrgId(p.org_id)).await?;
    Ok(Json(MemberList {
        data: all.iter().map(|(m, u)| MemberResponse::new(m, u)).collect(),
    }))
}

/// Changes a member's role (owners and admins; only owners touch the owner role; the last
/// owner keeps it).
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/members/{user_id}", tag = "members", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("user_id" = uuid::Uuid, Path)), request_body = ChangeRoleRequest, responses(
    (status = 200, description = "Changed", body = MemberResponse),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Last owner, or MFA missing", body = Problem, content_type = "application/problem+json"),
))]
pub async fn change_role(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiPath(p): ApiPath<MemberPath>,
    ApiJson(body): ApiJson<ChangeRoleRequest>,
) -> Result<Json<MemberResponse>, ApiError> {
    let (org, user) = (OrgId(p.org_id), UserId(p.user_id));
    let m = members::change_role(
        &state.identity,
        who,
        org,
        user,
        body.role,
        body.employee_type,
        &client,
    )
    .await?;
    let u = state
        .identity
        .user_by_id(user)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "member not found"))?;
    Ok(Json(MemberResponse::new(&m, &u)))
}

/// Removes a member (or leaves, when it is yourself).
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/members/{user_id}", tag = "members", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("user_id" = uuid::Uuid, Path)), responses(
    (status = 204, description = "Removed"),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Last owner", body = Problem, content_type = "application/problem+json"),
))]
pub async fn remove_member(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiPath(p): ApiPath<MemberPath>,
) -> Result<StatusCode, ApiError> {
    members::remove(
        &state.identity,
        who,
        OrgId(p.org_id),
        UserId(p.user_id),
        &client,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
