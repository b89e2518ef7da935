//! Invitations: `/api/v1/orgs/{org_id}/invitations` for the organization that invites, and
//! `/api/v1/invitations/{accept,decline}` for the person invited, who answers with the token
//! the inviter passed on.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use nestcms_app::identity::invitations;
use nestcms_domain::identity::{EmployeeType, Invitation, InvitationId, OrgId, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth_extract::{Authenticated, Client};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath};
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// Path of one of an organization's invitations.
#[derive(Deserialize)]
pub struct OrgInvitationPath {
    org_id: uuid::Uuid,
    invitation_id: uuid::Uuid,
}

/// The token the inviter passed on.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The `accept_token` of the invitation (`inv_…`).
    #[serde(deserialize_with = "crate::limits::max::<128, _>")]
    token: String,
}

/// Whom to invite, with which role.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    #[serde(deserialize_with = "crate::limits::max::<254, _>")]
    email: String,
    /// `owner`, `admin`, `manager`, `employee` or `client`.
    #[schema(value_type = String, example = "employee")]
    role: Role,
    /// For employees: `engineer`, `worker`, `supervisor`, `accountant`, `designer`, `other`.
    #[schema(value_type = Option<String>, example = "engineer")]
    employee_type: Option<EmployeeType>,
}

/// An invitation.
#[derive(Serialize, ToSchema)]
pub struct InvitationResponse {
    id: uuid::Uuid,
    org_id: uuid::Uuid,
    /// Only when it is created: the token to pass to the invitee (never shown again), who
    /// answers with it at `POST /api/v1/invitations/accept` or `…/decline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    accept_token: Option<String>,
    email: String,
    #[schema(value_type = String, example = "employee")]
    role: Role,
    #[schema(value_type = Option<String>, example = "engineer")]
    employee_type: Option<EmployeeType>,
    /// `pending`, `accepted`, `declined` or `revoked`.
    status: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl InvitationResponse {
    fn new(i: &Invitation, accept_token: Option<String>) -> Self {
        Self {
            id: i.id.0,
            org_id: i.org_id.0,
            accept_token,
            email: i.email.as_str().to_owned(),
            role: i.role,
            employee_type: i.employee_type,
            status: i.status.as_str().to_owned(),
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

/// Invitations.
#[derive(Serialize, ToSchema)]
pub struct InvitationList {
    data: Vec<InvitationResponse>,
}

/// The membership an accepted invitation created.
#[derive(Serialize, ToSchema)]
pub struct JoinedResponse {
    org_id: uuid::Uuid,
    #[schema(value_type = String, example = "employee")]
    role: Role,
    #[schema(value_type = Option<String>, example = "engineer")]
    employee_type: Option<EmployeeType>,
    joined_at: DateTime<Utc>,
}

/// Invites an e-mail to join (owners and admins; only owners invite owners). The answer is the
/// same whether or not an account uses the address; it carries the token to pass on.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/invitations", tag = "members", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), request_body = InviteRequest, responses(
    (status = 201, description = "Invited", body = InvitationResponse),
    (status = 400, description = "Invalid e-mail or role", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found or not a member", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "An invitation to this e-mail is pending", body = Problem, content_type = "application/problem+json"),
))]
pub async fn invite(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiPath(p): ApiPath<OrgPath>,
    ApiJson(body): ApiJson<InviteRequest>,
) -> Result<(StatusCode, Json<InvitationResponse>), ApiError> {
    let sent = invitations::invite(
        &state.identity,
        who,
        OrgId(p.org_id),
        &body.email,
        body.role,
        body.employee_type,
        &client,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(InvitationResponse::new(&sent.invitation, Some(sent.token))),
    ))
}

/// Pending invitations of the organization (owners and admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/invitations", tag = "members", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Pending invitations, newest first", body = InvitationList),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found or not a member", body = Problem, content_type = "application/problem+json"),
))]
pub async fn org_invitations(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<OrgPath>,
) -> Result<Json<InvitationList>, ApiError> {
    let all = invitations::pending(&state.identity, who, OrgId(p.org_id)).await?;
    Ok(Json(InvitationList {
        data: all
            .iter()
            .map(|i| InvitationResponse::new(i, None))
            .collect(),
    }))
}

/// Withdraws a pending invitation.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/invitations/{invitation_id}", tag = "members", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("invitation_id" = uuid::Uuid, Path)), responses(
    (status = 204, description = "Withdrawn"),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found or not a member", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "No longer pending", body = Problem, content_type = "application/problem+json"),
))]
pub async fn revoke_invitation(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiPath(p): ApiPath<OrgInvitationPath>,
) -> Result<StatusCode, ApiError> {
    invitations::revoke(
        &state.identity,
        who,
        OrgId(p.org_id),
        InvitationId(p.invitation_id),
        &client,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accepts an invitation with its token, signed in with the invited e-mail: the caller joins.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "members", security(("bearer" = [])), request_body = AnswerRequest, responses(
    (status = 200, description = "Joined", body = JoinedResponse),
    (status = 404, description = "No such invitation for the caller", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Answered, withdrawn, expired, already a member, or two-factor authentication needed first", body = Problem, content_type = "application/problem+json"),
))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiJson(body): ApiJson<AnswerRequest>,
) -> Result<Json<JoinedResponse>, ApiError> {
    let m = invitations::accept(&state.identity, who, &body.token, &client).await?;
    Ok(Json(JoinedResponse {
        org_id: m.org_id.0,
        role: m.role,
        employee_type: m.employee_type,
        joined_at: m.created_at,
    }))
}

/// Declines an invitation with its token, signed in with the invited e-mail.
#[utoipa::path(post, path = "/api/v1/invitations/decline", tag = "members", security(("bearer" = [])), request_body = AnswerRequest, responses(
    (status = 204, description = "Declined"),
    (status = 404, description = "No such invitation for the caller", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Answered, withdrawn or expired", body = Problem, content_type = "application/problem+json"),
))]
pub async fn decline_invitation(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiJson(body): ApiJson<AnswerRequest>,
) -> Result<StatusCode, ApiError> {
    invitations::decline(&state.identity, who, &body.token, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
