//! `GET /metrics`: Prometheus text for the operator's scraper, behind a bearer token (payment
//! volumes and failure counts are not public), and absent (404) unless a token is configured.

use std::time::Duration;

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
    sample(&state).await;
    let mut res = (m.render)().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}

/// Gauges read from their source at scrape time, so they are current whatever the traffic:
/// the primary pool and how long taking a connection from it takes, each replica's lag and rotation, the outbox backlog and its oldest event.
#[allow(
    clippy::cast_precision_loss,
    reason = "gauges are floats; these counts stay far below 2^52"
)]
async fn sample(state: &AppState) {
    let pool = state.system.pool_status();
    for (which, n) in [
        ("in_use", pool.in_use),
        ("idle", pool.idle),
        ("max", pool.max),
    ] {
        metrics::gauge!("nestcms_db_pool_connections", "state" => which).set(f64::from(n));
    }
    let acquire = tokio::time::timeout(Duration::from_secs(1), state.system.acquire_wait()).await;
    if let Ok(Ok(wait)) = acquire {
        metrics::gauge!("nestcms_db_acquire_wait_seconds").set(wait.as_secs_f64());
    }
    for r in state.system.replica_health() {
        metrics::gauge!("nestcms_replica_lag_seconds", "replica" => r.name.clone())
            .set(r.lag_ms as f64 / 1000.0);
        metrics::gauge!("nestcms_replica_in_rotation", "replica" => r.name).set(if r.in_rotation {
            1.0
        } else {
            0.0
        });
    }
    let backlog = tokio::time::timeout(Duration::from_secs(1), state.outbox.backlog()).await;
    if let Ok(Ok((n, oldest))) = backlog {
        metrics::gauge!("nestcms_outbox_backlog").set(n as f64);
        let age = oldest.map_or(0, |t| (chrono::Utc::now() - t).num_seconds().max(0));
        metrics::gauge!("nestcms_outbox_oldest_age_seconds").set(age as f64);
    }
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
