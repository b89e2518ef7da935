//! `GET /metrics`: Prometheus text for the operator's scraper, behind a bearer token (payment
//! volumes and failure counts are not public), and absent (404) unless a token is configured.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Counters and gauges in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "health", security(("bearer" = [])), responses(
    (status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"),
    (status = 401, description = "Missing or wrong token", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No metrics token configured", body = Problem, content_type = "application/problem+json"),
))]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(m) = &state.metrics else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "metrics_disabled",
            "metrics are served only when metrics.token is configured",
        )
        .into_response();
    };
    if !token_matches(m, &headers) {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "metrics_unauthorized",
            "send the configured metrics token as a bearer token",
        )
        .into_response();
    }
    let mut res = (m.render)().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}

/// Whether the request carries the metrics token as its bearer token.
pub(crate) fn token_matches(m: &crate::state::Metrics, headers: &HeaderMap) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compare digests so neither the length nor a common prefix shows in the timing.
    let expected = Sha256::digest(m.token.expose_secret().as_bytes());
    bool::from(Sha256::digest(given.as_bytes()).ct_eq(&expected))
}
