//! `/api/v1/users/me*`: the caller's profile, password and two-factor authentication.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use nestcms_app::identity::mfa;
use nestcms_domain::identity::{Address, EmployeeType, Membership, Org, Role, User};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth_extract::{Authenticated, Client};
use crate::error::{ApiError, Problem};
use crate::extract::ApiJson;
use crate::state::AppState;

/// A postal address.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressDto {
    title: Option<String>,
    street: Option<String>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
    zip: Option<String>,
}

impl From<AddressDto> for Address {
    fn from(a: AddressDto) -> Self {
        Address {
            title: a.title,
            street: a.street,
            city: a.city,
            state: a.state,
            country: a.country,
            zip: a.zip,
        }
    }
}

impl From<&Address> for AddressDto {
    fn from(a: &Address) -> Self {
        Self {
            title: a.title.clone(),
            street: a.street.clone(),
            city: a.city.clone(),
            state: a.state.clone(),
            country: a.country.clone(),
            zip: a.zip.clone(),
        }
    }
}

/// A user as the API shows it: never the password hash or TOTP secret.
#[derive(Serialize, ToSchema)]
pub struct UserResponse {
    id: uuid::Uuid,
    email: String,
    full_name: String,
    /// E.164.
    phone: Option<String>,
    address: Option<AddressDto>,
    mfa_enabled: bool,
    /// The language of their messages: `en` or `ar`.
    language: &'static str,
    created_at: DateTime<Utc>,
}

impl From<&User> for UserResponse {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.0,
            email: u.email.as_str().to_owned(),
            full_name: u.full_name.clone(),
            phone: u.phone.as_ref().map(|p| p.as_str().to_owned()),
            address: u.address.as_ref().map(AddressDto::from),
            mfa_enabled: u.mfa_enabled,
            language: u.language.as_str(),
            created_at: u.created_at,
        }
    }
}

/// One of the caller's memberships.
#[derive(Serialize, ToSchema)]
pub struct MyMembership {
    org_id: uuid::Uuid,
    org_title: String,
    #[schema(value_type = String, example = "owner")]
    role: Role,
    #[schema(value_type = Option<String>, example = "engineer")]
    employee_type: Option<EmployeeType>,
}

/// The caller with their memberships.
#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    user: UserResponse,
    memberships: Vec<MyMembership>,
}

/// Password change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[schema(value_type = String, format = Password)]
    current_password: SecretString,
    #[schema(value_type = String, format = Password)]
    new_password: SecretString,
}

/// Result of a password change.
#[derive(Serialize, ToSchema)]
pub struct ChangePasswordResponse {
    /// Sessions other than this one that were ended.
    other_sessions_revoked: u64,
}

/// A TOTP or recovery code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    #[serde(deserialize_with = "crate::limits::max::<32, _>")]
    code: String,
}

/// TOTP enrolment material, shown once.
#[derive(Serialize, ToSchema)]
pub struct EnrolmentResponse {
    /// Base32 secret for manual entry.
    secret: String,
    /// Scan as a QR code.
    otpauth_url: String,
}

/// Single-use recovery codes, shown once.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodesResponse {
    recovery_codes: Vec<String>,
}

/// The caller and their memberships.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])), responses(
    (status = 200, description = "The caller", body = MeResponse),
    (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
))]
pub async fn me(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
) -> Result<Json<MeResponse>, ApiError> {
    let (user, orgs) = state.auth.me(who).await?;
    let memberships = orgs
        .into_iter()
        .map(|(o, m): (Org, Membership)| MyMembership {
            org_id: o.id.0,
            org_title: o.title,
            role: m.role,
            employee_type: m.employee_type,
        })
        .collect();
    Ok(Json(MeResponse {
        user: UserResponse::from(&user),
        memberships,
    }))
}

/// Changes the password; every other session of the caller ends.
#[utoipa::path(post, path = "/api/v1/users/me/password", tag = "users", security(("bearer" = [])), request_body = ChangePasswordRequest, responses(
    (status = 200, description = "Changed", body = ChangePasswordResponse),
    (status = 400, description = "Wrong current password or weak new one", body = Problem, content_type = "application/problem+json"),
))]
pub async fn change_password(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<Json<ChangePasswordResponse>, ApiError> {
    let n = state
        .auth
        .change_password(who, &body.current_password, &body.new_password, &client)
        .await?;
    Ok(Json(ChangePasswordResponse {
        other_sessions_revoked: n,
    }))
}

/// Starts TOTP enrolment.
#[utoipa::path(post, path = "/api/v1/users/me/mfa/totp", tag = "users", security(("bearer" = [])), responses(
    (status = 200, description = "Scan or type the secret, then confirm with a code", body = EnrolmentResponse),
    (status = 409, description = "Already enabled", body = Problem, content_type = "application/problem+json"),
))]
pub async fn mfa_begin(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
) -> Result<Json<EnrolmentResponse>, ApiError> {
    let e = mfa::begin(&state.identity, who).await?;
    Ok(Json(EnrolmentResponse {
        secret: e.secret,
        otpauth_url: e.otpauth_url,
    }))
}

/// Confirms enrolment with a first code; returns recovery codes.
#[utoipa::path(post, path = "/api/v1/users/me/mfa/totp/confirm", tag = "users", security(("bearer" = [])), request_body = CodeRequest, responses(
    (status = 200, description = "Enabled", body = RecoveryCodesResponse),
    (status = 400, description = "Wrong code", body = Problem, content_type = "application/problem+json"),
))]
pub async fn mfa_confirm(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<Json<RecoveryCodesResponse>, ApiError> {
    let codes = mfa::confirm(&state.identity, who, &body.code, &client).await?;
    Ok(Json(RecoveryCodesResponse {
        recovery_codes: codes,
    }))
}

/// Turns TOTP off (needs a valid code; refused where an organization requires it).
#[utoipa::path(post, path = "/api/v1/users/me/mfa/totp/disable", tag = "users", security(("bearer" = [])), request_body = CodeRequest, responses(
    (status = 204, description = "Disabled"),
    (status = 401, description = "Wrong code", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Required by an organization", body = Problem, content_type = "application/problem+json"),
))]
pub async fn mfa_disable(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<axum::http::StatusCode, ApiError> {
    mfa::disable(&state.identity, who, &body.code, &client).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
