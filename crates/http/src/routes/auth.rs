//! `/api/v1/auth/*`: register, login, refresh, logout.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use nestcms_app::identity::auth::Registration;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::users::{AddressDto, UserResponse};
use crate::auth_extract::{Authenticated, Client};
use crate::error::{ApiError, Problem};
use crate::extract::ApiJson;
use crate::state::AppState;

/// New account. Fields beyond these (such as `role` or `is_admin`) are ignored: registration
/// always creates a plain user.
#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// Login e-mail (case-insensitive, unique).
    #[serde(deserialize_with = "crate::limits::max::<254, _>")]
    email: String,
    /// At least 12 characters.
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    /// Display name.
    full_name: String,
    /// International form, e.g. `+966 50 123 4567`.
    #[serde(default, deserialize_with = "crate::limits::opt_max::<32, _>")]
    phone: Option<String>,
    /// Postal address.
    address: Option<AddressDto>,
    /// The language of their messages: `en` (default) or `ar`.
    #[serde(default, deserialize_with = "crate::limits::opt_max::<8, _>")]
    language: Option<String>,
}

/// Credentials, plus a TOTP or recovery code when two-factor authentication applies.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login e-mail.
    #[serde(deserialize_with = "crate::limits::max::<254, _>")]
    email: String,
    /// Password.
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    /// 6-digit authenticator code, or a recovery code.
    #[serde(default, deserialize_with = "crate::limits::opt_max::<32, _>")]
    totp_code: Option<String>,
}

/// A refresh token to rotate.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The current refresh token.
    #[serde(deserialize_with = "crate::limits::max::<512, _>")]
    refresh_token: String,
}

/// Tokens for a session.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// Short-lived JWT for `Authorization: Bearer`.
    access_token: String,
    /// Opaque, single-use; exchange at `/auth/refresh` for a new pair.
    refresh_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: u64,
}

impl From<nestcms_app::identity::auth::Tokens> for TokenResponse {
    fn from(t: nestcms_app::identity::auth::Tokens) -> Self {
        Self {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            token_type: "Bearer",
            expires_in: t.expires_in,
        }
    }
}

/// Creates a plain user account.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest, responses(
    (status = 201, description = "Created", body = UserResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "E-mail taken", body = Problem, content_type = "application/problem+json"),
))]
pub async fn register(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<UserResponse>), ApiError> {
    let reg = Registration {
        email: body.email,
        password: body.password,
        full_name: body.full_name,
        phone: body.phone,
        address: body.address.map(Into::into),
        language: body.language,
    };
    let user = state.auth.register(reg, &client).await?;
    Ok((StatusCode::CREATED, Json(UserResponse::from(&user))))
}

/// Opens a session.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, description = "Logged in", body = TokenResponse),
    (status = 401, description = "Wrong credentials (`invalid_credentials`), code needed (`mfa_required`), wrong code (`invalid_mfa_code`)", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many failures; see Retry-After", body = Problem, content_type = "application/problem+json"),
))]
pub async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let tokens = state
        .auth
        .login(
            &body.email,
            &body.password,
            body.totp_code.as_deref(),
            &client,
        )
        .await?;
    Ok(Json(tokens.into()))
}

/// Rotates a refresh token; reusing a rotated one ends the whole session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, description = "New pair", body = TokenResponse),
    (status = 401, description = "Invalid, expired, revoked or reused", body = Problem, content_type = "application/problem+json"),
))]
pub async fn refresh(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    Ok(Json(
        state
            .auth
            .refresh(&body.refresh_token, &client)
            .await?
            .into(),
    ))
}

/// Ends the caller's session (its access and refresh tokens stop working).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "Logged out"),
    (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
))]
pub async fn logout(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
) -> Result<StatusCode, ApiError> {
    state.auth.logout(who, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
