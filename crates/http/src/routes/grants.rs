//! `/api/v1/orgs/{org_id}/grants`: per-object permissions.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use nestcms_app::identity::grants;
use nestcms_domain::identity::{Grant, GrantId, GrantStatus, ObjectKind, OrgId, UserId, Verb};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth_extract::{Authenticated, Client};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// Path of one grant.
#[derive(Deserialize)]
pub struct GrantPath {
    org_id: uuid::Uuid,
    grant_id: uuid::Uuid,
}

/// A grant to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGrantRequest {
    /// The member receiving it.
    user_id: uuid::Uuid,
    /// `approve`, `read`, `write` or `modify`.
    #[schema(value_type = String, example = "read")]
    verb: Verb,
    /// `project`, `schedule`, `payment`, `design`, `contract`, `offer` or `audit_log`.
    #[schema(value_type = String, example = "audit_log")]
    object_type: ObjectKind,
    /// The object (for `audit_log`, the organization id).
    object_id: uuid::Uuid,
}

/// Filter for listing grants.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GrantFilter {
    /// Only this member's grants.
    user_id: Option<uuid::Uuid>,
}

/// A grant, in force or revoked.
#[derive(Serialize, ToSchema)]
pub struct GrantResponse {
    id: uuid::Uuid,
    user_id: uuid::Uuid,
    #[schema(value_type = String, example = "read")]
    verb: Verb,
    #[schema(value_type = String, example = "audit_log")]
    object_type: ObjectKind,
    object_id: uuid::Uuid,
    #[schema(value_type = String, example = "granted")]
    status: GrantStatus,
    granted_by: uuid::Uuid,
    granted_at: DateTime<Utc>,
    revoked_by: Option<uuid::Uuid>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<&Grant> for GrantResponse {
    fn from(g: &Grant) -> Self {
        Self {
            id: g.id.0,
            user_id: g.user_id.0,
            verb: g.verb,
            object_type: g.object_kind,
            object_id: g.object_id,
            status: g.status,
            granted_by: g.granted_by.0,
            granted_at: g.granted_at,
            revoked_by: g.revoked_by.map(|u| u.0),
            revoked_at: g.revoked_at,
        }
    }
}

/// Grants of an organization.
#[derive(Serialize, ToSchema)]
pub struct GrantList {
    data: Vec<GrantResponse>,
}

/// Grants a verb on one object to a member (owners and admins).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/grants", tag = "grants", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), request_body = CreateGrantRequest, responses(
    (status = 201, description = "Granted", body = GrantResponse),
    (status = 400, description = "Invalid field or grantee not a member", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found or not a member", body = Problem, content_type = "application/problem+json"),
))]
pub async fn create_grant(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiPath(p): ApiPath<OrgPath>,
    ApiJson(b): ApiJson<CreateGrantRequest>,
) -> Result<(StatusCode, Json<GrantResponse>), ApiError> {
    let req = grants::GrantRequest {
        grantee: UserId(b.user_id),
        verb: b.verb,
        kind: b.object_type,
        object: b.object_id,
    };
    let g = grants::create(&state.identity, who, OrgId(p.org_id), req, &client).await?;
    Ok((StatusCode::CREATED, Json(GrantResponse::from(&g))))
}

/// Lists grants (managers and up; anyone may list their own with `user_id`).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/grants", tag = "grants", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), GrantFilter), responses(
    (status = 200, description = "Grants, newest first", body = GrantList),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found or not a member", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_grants(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<OrgPath>,
    ApiQuery(f): ApiQuery<GrantFilter>,
) -> Result<Json<GrantList>, ApiError> {
    let all = grants::list(&state.identity, who, OrgId(p.org_id), f.user_id.map(UserId)).await?;
    Ok(Json(GrantList {
        data: all.iter().map(GrantResponse::from).collect(),
    }))
}

/// Revokes a grant; the access it gave ends on the next request.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/grants/{grant_id}/revoke", tag = "grants", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("grant_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Revoked", body = GrantResponse),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already revoked", body = Problem, content_type = "application/problem+json"),
))]
pub async fn revoke_grant(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiPath(p): ApiPath<GrantPath>,
) -> Result<Json<GrantResponse>, ApiError> {
    let g = grants::revoke(
        &state.identity,
        who,
        OrgId(p.org_id),
        GrantId(p.grant_id),
        &client,
    )
    .await?;
    Ok(Json(GrantResponse::from(&g)))
}
