//! `/api/v1/admin`: what platform operators see and do (the circuit breakers, for now).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use nestcms_app::identity::operators;
use nestcms_resilience::{BreakerState, Snapshot};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth_extract::Authenticated;
use crate::error::{ApiError, Problem};
use crate::extract::ApiPath;
use crate::state::AppState;

/// One circuit breaker.
#[derive(Serialize, ToSchema)]
pub struct BreakerResponse {
    /// e.g. `paytabs.pages`.
    name: String,
    /// `closed`, `open` or `half_open`.
    #[schema(value_type = String, example = "closed")]
    state: BreakerState,
    /// Calls that succeeded since start.
    successes: u64,
    /// Calls that failed or timed out since start.
    failures: u64,
    /// Calls refused while open.
    refused: u64,
    /// Outcomes in the current window.
    window_calls: usize,
    /// Failures among them.
    window_failures: usize,
    /// The last failure, in words.
    last_failure: Option<String>,
    /// When it happened (Unix milliseconds).
    last_failure_at: Option<u64>,
    /// When a call last succeeded (Unix milliseconds).
    last_success_at: Option<u64>,
    /// While open: milliseconds until calls are tried again.
    retry_in_ms: Option<u64>,
}

impl From<Snapshot> for BreakerResponse {
    fn from(s: Snapshot) -> Self {
        let (last_failure, last_failure_at) = s.last_failure.unzip();
        Self {
            name: s.name,
            state: s.state,
            successes: s.successes,
            failures: s.failures,
            refused: s.refused,
            window_calls: s.window_calls,
            window_failures: s.window_failures,
            last_failure,
            last_failure_at,
            last_success_at: s.last_success_at,
            retry_in_ms: s.retry_in_ms,
        }
    }
}

/// Every breaker.
#[derive(Serialize, ToSchema)]
pub struct BreakerList {
    data: Vec<BreakerResponse>,
}

/// Path of one breaker.
#[derive(Deserialize)]
pub struct BreakerPath {
    name: String,
}

/// The circuit breakers of this instance (platform operators).
#[utoipa::path(get, path = "/api/v1/admin/breakers", tag = "admin", security(("bearer" = [])), responses(
    (status = 200, description = "Breakers by name", body = BreakerList),
    (status = 403, description = "Not a platform operator", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_breakers(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
) -> Result<Json<BreakerList>, ApiError> {
    operators::require(&state.identity, who).await?;
    Ok(Json(BreakerList {
        data: state
            .breakers
            .snapshot()
            .into_iter()
            .map(BreakerResponse::from)
            .collect(),
    }))
}

/// Closes a breaker and forgets its window (platform operators).
#[utoipa::path(post, path = "/api/v1/admin/breakers/{name}/reset", tag = "admin", security(("bearer" = [])), params(("name" = String, Path, description = "e.g. `paytabs.pages`")), responses(
    (status = 204, description = "Closed"),
    (status = 403, description = "Not a platform operator", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No breaker by that name", body = Problem, content_type = "application/problem+json"),
))]
pub async fn reset_breaker(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<BreakerPath>,
) -> Result<StatusCode, ApiError> {
    operators::require(&state.identity, who).await?;
    if state.breakers.reset(&p.name) {
        tracing::warn!(breaker = %p.name, operator = %who.user, "circuit breaker reset by an operator");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no breaker by that name",
        ))
    }
}
