//! The primary database's circuit breaker, at the edge of the API.
//!
//! Every query of a request goes to the primary through one pool, and sqlx offers no hook
//! around a failed acquire, so the breaker (`database` in the registry) watches requests
//! instead of queries: an API request whose answer is 503 `database_unavailable` (the one
//! mapping of an unreachable database, see `nestcms_app::storage_error`) counts as a failure,
//! any other answer as a success. Once open, API requests are answered 503
//! `database_unavailable` with `Retry-After` at once, instead of each waiting out
//! `database.acquire_timeout` against a database that is down; health probes, metrics and the
//! web pages are not behind it, so readiness still reports the database itself.

use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use nestcms_resilience::{BreakerConfig, CallError};

use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The stable code of every answer given because the database is unreachable.
pub const CODE: &str = "database_unavailable";

/// The database breaker's settings for a server whose requests end at `request_timeout`.
pub fn breaker_config(request_timeout: Duration) -> BreakerConfig {
    BreakerConfig {
        // The request deadline (outside this layer) bounds every request: no second timer.
        timeout: Duration::MAX,
        // A slow request says nothing about the database: slowness does not open it.
        slow_call: request_timeout + Duration::from_secs(1),
        slow_percent: 100,
        open_for: Duration::from_secs(5),
        ..BreakerConfig::default()
    }
}

/// The answer while the database cannot be reached.
pub fn unavailable(retry_after_secs: u64) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        CODE,
        "the database is not answering; try again shortly",
    )
    .with_retry_after(retry_after_secs)
}

/// The middleware.
pub async fn gate<F, Fut>(state: &AppState, req: Request, next: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let api = req
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|m| m.as_str().starts_with("/api/"));
    if !api || !state.http.database_breaker {
        return next(req).await;
    }
    let outcome = state
        .database
        .call(
            || async move {
                let res = next(req).await;
                let down = res
                    .extensions()
                    .get::<Problem>()
                    .is_some_and(|p| p.code == CODE);
                if down { Err(res) } else { Ok(res) }
            },
            |_| true,
        )
        .await;
    match outcome {
        Ok(res) | Err(CallError::Failed(res)) => res,
        Err(CallError::Open { retry_after }) => {
            let secs = retry_after.as_millis().div_ceil(1000);
            unavailable(u64::try_from(secs).unwrap_or(u64::MAX).max(1)).into_response()
        }
        Err(CallError::Timeout) => unavailable(1).into_response(),
    }
}
