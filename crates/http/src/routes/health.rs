//! Liveness and readiness probes for orchestrators and load balancers.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// How long readiness waits for the database before calling it unreachable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The process is up.
#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    /// Always `ok`.
    pub status: &'static str,
}

/// The instance can serve traffic.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// Always `ready`.
    pub status: &'static str,
    /// Primary database engine: `sqlite` or `postgres`.
    pub database: &'static str,
    /// Migration versions applied.
    pub migrations: Vec<i64>,
    /// Background tasks that failed several rounds in a row, with their last error. Reported,
    /// not disqualifying: a reconciler or relay in trouble must not take the API out of the
    /// load balancer (their work waits; `nestcms_background_failures_total` counts it).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub failing_tasks: std::collections::BTreeMap<&'static str, String>,
}

/// Answers as long as the process can run a handler.
#[utoipa::path(get, path = "/health/live", tag = "health", responses((status = 200, description = "The process is up", body = Liveness)))]
pub async fn live() -> Json<Liveness> {
    Json(Liveness { status: "ok" })
}

/// 200 when the primary database answers and every migration of this build is applied.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "Not ready; `checks` says why", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    let not_ready = |check: &str, why: String| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("{check}: {why}"),
        )
        .with_extension("checks", json!({ check: why }))
    };
    match tokio::time::timeout(PROBE_TIMEOUT, state.system.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => return Err(not_ready("database", "unreachable".into())),
        Err(_) => return Err(not_ready("database", "timed out".into())),
    }
    let schema = state
        .system
        .schema_status()
        .await
        .map_err(|_| not_ready("database", "schema unreadable".into()))?;
    if !schema.is_current() {
        return Err(not_ready(
            "migrations",
            format!(
                "pending versions {:?}; run `nestcms migrate`",
                schema.pending()
            ),
        ));
    }
    Ok(Json(Readiness {
        status: "ready",
        database: state.backend,
        migrations: schema.applied,
        failing_tasks: state.tasks.failing().into_iter().collect(),
    }))
}
