//! `/api/v1/orgs` and `/api/v1/orgs/{org_id}`: organizations.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use nestcms_app::identity::orgs::{self, OrgInput};
use nestcms_domain::identity::{Membership, Org, OrgId, OrgStatus, Role};
use nestcms_domain::percent::{format_percent, parse_percent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::users::AddressDto;
use crate::auth_extract::{Authenticated, Client};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

/// Path of every organization-scoped route.
#[derive(Deserialize)]
pub struct OrgPath {
    /// The organization.
    pub org_id: uuid::Uuid,
}

/// Fields to set on an organization; all optional on update, `title` required on create.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct OrgRequest {
    title: Option<String>,
    description: Option<String>,
    /// `open` or `closed`.
    #[schema(value_type = Option<String>, example = "open")]
    status: Option<OrgStatus>,
    address: Option<AddressDto>,
    /// Decimal text, e.g. `"20.10"`.
    profit_percentage: Option<String>,
    /// Owners and admins must log in with a second factor.
    require_mfa: Option<bool>,
}

impl OrgRequest {
    fn into_input(self) -> Result<OrgInput, ApiError> {
        let profit_bp = match &self.profit_percentage {
            Some(p) => Some(
                parse_percent(p, "/profit_percentage")
                    .map_err(|e| ApiError::validation(vec![e]))?,
            ),
            None => None,
        };
        Ok(OrgInput {
            title: self.title,
            description: self.description,
            status: self.status,
            address: self.address.map(Into::into),
            profit_bp,
            require_mfa: self.require_mfa,
        })
    }
}

/// An organization, with the caller's role in it.
#[derive(Serialize, ToSchema)]
pub struct OrgResponse {
    id: uuid::Uuid,
    title: String,
    description: String,
    #[schema(value_type = String, example = "open")]
    status: OrgStatus,
    address: Option<AddressDto>,
    /// Decimal text with two decimals.
    profit_percentage: String,
    require_mfa: bool,
    created_at: DateTime<Utc>,
    #[schema(value_type = String, example = "owner")]
    my_role: Role,
}

impl OrgResponse {
    fn new(o: &Org, m: &Membership) -> Self {
        Self {
            id: o.id.0,
            title: o.title.clone(),
            description: o.description.clone(),
            status: o.status,
            address: o.address.as_ref().map(AddressDto::from),
            profit_percentage: format_percent(o.profit_bp),
            require_mfa: o.require_mfa,
            created_at: o.created_at,
            my_role: m.role,
        }
    }
}

/// The caller's organizations.
#[derive(Serialize, ToSchema)]
pub struct OrgList {
    data: Vec<OrgResponse>,
}

/// Creates an organization; the caller becomes its owner.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", security(("bearer" = [])), request_body = OrgRequest, responses(
    (status = 201, description = "Created", body = OrgResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
))]
pub async fn create_org(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiJson(body): ApiJson<OrgRequest>,
) -> Result<(StatusCode, Json<OrgResponse>), ApiError> {
    let (org, m) = orgs::create(&state.identity, who, body.into_input()?, &client).await?;
    Ok((StatusCode::CREATED, Json(OrgResponse::new(&org, &m))))
}

/// Organizations the caller belongs to.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", security(("bearer" = [])), responses(
    (status = 200, description = "The caller's organizations", body = OrgList),
))]
pub async fn list_orgs(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
) -> Result<Json<OrgList>, ApiError> {
    let (_, mine) = state.auth.me(who).await?;
    Ok(Json(OrgList {
        data: mine.iter().map(|(o, m)| OrgResponse::new(o, m)).collect(),
    }))
}

/// One organization the caller belongs to (404 otherwise).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}", tag = "orgs", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "The organization", body = OrgResponse),
    (status = 404, description = "Not found or not a member", body = Problem, content_type = "application/problem+json"),
))]
pub async fn get_org(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<OrgPath>,
) -> Result<Json<OrgResponse>, ApiError> {
    let (org, m) = orgs::get(&state.identity, who, OrgId(p.org_id)).await?;
    Ok(Json(OrgResponse::new(&org, &m)))
}

/// Updates an organization (owners and admins).
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}", tag = "orgs", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), request_body = OrgRequest, responses(
    (status = 200, description = "Updated", body = OrgResponse),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found or not a member", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "MFA cannot be required yet (`admins_without_mfa`)", body = Problem, content_type = "application/problem+json"),
))]
pub async fn update_org(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiPath(p): ApiPath<OrgPath>,
    ApiJson(body): ApiJson<OrgRequest>,
) -> Result<Json<OrgResponse>, ApiError> {
    let org_id = OrgId(p.org_id);
    let org = orgs::update(&state.identity, who, org_id, body.into_input()?, &client).await?;
    let m = orgs::membership(&state.identity, who, org_id).await?;
    Ok(Json(OrgResponse::new(&org, &m)))
}
