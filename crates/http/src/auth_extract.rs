//! Extractors for who is calling: [`Authenticated`] (a bearer token with an open session),
//! [`InOrg`] (that caller as a member of the path's organization) and [`Client`] (address and
//! user agent, for throttling and the audit log).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nestcms_app::{Caller, caller};
use nestcms_app::{ClientInfo, Principal};
use nestcms_domain::identity::OrgId;

use crate::error::ApiError;
use crate::state::AppState;

/// The caller, authenticated by `Authorization: Bearer <access token>` whose session is open.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated(pub Principal);

/// Claims already verified earlier in the stack (by the rate limiter), so the token is not
/// decoded twice.
#[derive(Clone)]
pub struct Verified(pub nestcms_auth::jwt::Claims);

/// A 401 that tells the client which scheme to use.
pub struct Unauthorized(ApiError);

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        let mut res = self.0.into_response();
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        res
    }
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Unauthorized;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(Unauthorized(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "send Authorization: Bearer <access_token>",
            )));
        };
        let principal = match parts.extensions.get::<Verified>() {
            Some(Verified(claims)) => state.auth.authenticate_verified(claims).await,
            None => state.auth.authenticate(token).await,
        }
        .map_err(|e| Unauthorized(e.into()))?;
        tracing::Span::current().record("user_id", tracing::field::display(principal.user));
        Ok(Self(principal))
    }
}

/// Where the request came from.
#[derive(Debug, Clone)]
pub struct Client(pub ClientInfo);

/// The client's address: the last `X-Forwarded-For` entry when `server.trust_forwarded_for`
/// (and it is an address), else the socket's peer, canonical (an IPv4 client of a dual-stack
/// listener arrives as `::ffff:a.b.c.d`).
pub(crate) fn client_ip(parts: &Parts, state: &AppState) -> Option<std::net::IpAddr> {
    let forwarded = state
        .http
        .trust_forwarded_for
        .then(|| {
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
        })
        .flatten()
        .and_then(|v| v.rsplit(',').next())
        .and_then(|ip| ip.trim().parse::<std::net::IpAddr>().ok());
    forwarded.or_else(|| {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_canonical())
    })
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = client_ip(parts, state).map(|ip| ip.to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(200).collect());
        Ok(Self(ClientInfo { ip, user_agent }))
    }
}

/// The authenticated caller as a member of the organization named by the path's `org_id`
/// (404 for a non-member, who learns nothing about the organization).
pub struct InOrg(pub Caller);

/// Why [`InOrg`] refused: not signed in (401), or not a member (404).
pub enum InOrgRejection {
    /// No valid token.
    Unauthenticated(Unauthorized),
    /// Not a member, or no such organization.
    Refused(ApiError),
}

impl IntoResponse for InOrgRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthenticated(u) => u.into_response(),
            Self::Refused(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for InOrg {
    type Rejection = InOrgRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Authenticated(who) = Authenticated::from_request_parts(parts, state)
            .await
            .map_err(InOrgRejection::Unauthenticated)?;
        let not_found = || {
            InOrgRejection::Refused(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no resource at this path",
            ))
        };
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found())?;
        let org = params
            .iter()
            .find(|(name, _)| *name == "org_id")
            .and_then(|(_, value)| value.parse::<uuid::Uuid>().ok())
            .ok_or_else(not_found)?;
        caller(&state.identity, who, OrgId(org))
            .await
            .map(Self)
            .map_err(|e| InOrgRejection::Refused(e.into()))
    }
}
