//! Health of each dependency, for operators and dashboards: `/health` (overall), one probe per
//! dependency, and `/health/detailed` (all of it, with version and uptime, for the metrics token
//! or a platform operator).
//!
//! Each probe says `healthy`, `degraded` (the service still answers, with less: reads from the
//! database instead of the cache, events waiting in the outbox, a replica out of rotation, the
//! gateway refused) or `unhealthy` (only the primary database can make it so: nothing works
//! without it). Status codes: 200 for healthy and degraded, the word in the body, and 503 for
//! unhealthy, so a load balancer pointed at `/health` keeps a degraded instance. Every check
//! has its own timeout: a hung dependency makes its probe degraded, never slow. The public
//! probes show states and numbers only; error texts are in the detailed report.

use std::time::Duration;

use axum::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use nestcms_resilience::BreakerState;
use serde_json::{Value, json};

use crate::auth_extract::Authenticated;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// How long each dependency check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// How far behind the oldest undelivered event may be before the bus is degraded.
const BACKLOG_AGE: Duration = Duration::from_secs(60);

/// A probe's verdict, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Status {
    Healthy,
    Degraded,
    Unhealthy,
}

impl Status {
    const fn word(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Degraded => "degraded",
            Self::Unhealthy => "unhealthy",
        }
    }
}

/// A probe's verdict and its numbers.
struct Check(Status, Value);

impl Check {
    fn body(self, detailed: bool, errors: Value) -> Value {
        let mut v = self.1;
        v["status"] = json!(self.0.word());
        if detailed && !errors.is_null() {
            v["errors"] = errors;
        }
        v
    }
}

fn answer(c: Check) -> Response {
    let unhealthy = c.0 == Status::Unhealthy;
    let body = c.body(false, Value::Null);
    if unhealthy {
        return unhealthy_problem(&body);
    }
    Json(body).into_response()
}

/// 503 as a problem document (every error answer is one), carrying the report's fields beside
/// the problem's own (`status` is the problem's number there; the word is in `code`).
fn unhealthy_problem(report: &Value) -> Response {
    let mut err = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unhealthy",
        "the primary database is unreachable or its migrations are not applied",
    );
    for (k, v) in report.as_object().into_iter().flatten() {
        if k != "status" {
            err = err.with_extension(k, v.clone());
        }
    }
    err.into_response()
}

async fn database(state: &AppState) -> Check {
    let started = std::time::Instant::now();
    let reachable = matches!(
        tokio::time::timeout(CHECK_TIMEOUT, state.system.ping()).await,
        Ok(Ok(()))
    );
    let wait_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let acquire_ms = match reachable {
        true => tokio::time::timeout(CHECK_TIMEOUT, state.system.acquire_wait())
            .await
            .ok()
            .and_then(Result::ok)
            .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX) as f64 / 1000.0),
        false => None,
    };
    let schema = match reachable {
        true => tokio::time::timeout(CHECK_TIMEOUT, state.system.schema_status())
            .await
            .ok()
            .and_then(Result::ok),
        false => None,
    };
    let pool = state.system.pool_status();
    let current = schema.as_ref().is_some_and(|s| s.is_current());
    // Pool use is reported, not judged: a sample taken while this very probe holds a
    // connection says little, and a pool that is really exhausted shows as a failed ping.
    let status = if reachable && current {
        Status::Healthy
    } else {
        Status::Unhealthy
    };
    Check(
        status,
        json!({
            "engine": state.backend,
            "reachable": reachable,
            "round_trip_ms": wait_ms,
            "acquire_wait_ms": acquire_ms,
            "migrations_applied": schema.as_ref().map(|s| s.applied.len()),
            "migrations_pending": schema.as_ref().map(|s| s.pending()),
            "pool": { "in_use": pool.in_use, "idle": pool.idle, "max": pool.max },
        }),
    )
}

fn replicas(state: &AppState) -> Check {
    let all = state.system.replica_health();
    let out = all.iter().filter(|r| !r.in_rotation).count();
    let list: Vec<Value> = all
        .iter()
        .map(|r| json!({ "name": r.name, "in_rotation": r.in_rotation, "lag_ms": r.lag_ms }))
        .collect();
    let status = if out == 0 {
        Status::Healthy
    } else {
        Status::Degraded
    };
    Check(status, json!({ "replicas": list }))
}

async fn cache(state: &AppState) -> (Check, Value) {
    let key = format!("health:probe:{}", uuid::Uuid::now_v7().simple());
    let started = std::time::Instant::now();
    let round_trip = tokio::time::timeout(CHECK_TIMEOUT, async {
        state.cache.put(&key, "1", Duration::from_secs(5)).await?;
        state.cache.get(&key).await
    })
    .await;
    let (ok, error) = match round_trip {
        Ok(Ok(Some(v))) if v == "1" => (true, Value::Null),
        Ok(Ok(_)) => (false, json!("the probe key did not come back")),
        Ok(Err(e)) => (false, json!(e.to_string())),
        Err(_) => (false, json!("timed out")),
    };
    let hits = state
        .cache_stats
        .hits
        .load(std::sync::atomic::Ordering::Relaxed);
    let misses = state
        .cache_stats
        .misses
        .load(std::sync::atomic::Ordering::Relaxed);
    let ratio = match hits + misses {
        0 => None,
        // Shown rounded to the percent: precision loss is intended.
        #[allow(clippy::cast_precision_loss)]
        n => Some((hits * 100 / n) as f64 / 100.0),
    };
    let status = if ok {
        Status::Healthy
    } else {
        Status::Degraded
    };
    let check = Check(
        status,
        json!({
            "backend": state.cache_backend,
            "round_trip_ms": ok.then(|| u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)),
            "hits": hits,
            "misses": misses,
            "hit_ratio": ratio,
        }),
    );
    (check, error)
}

/// Breakers whose name starts with `prefix` (all when empty), and whether any is not closed.
fn breakers(state: &AppState, prefix: &str, detailed: bool) -> Check {
    let list: Vec<_> = state
        .breakers
        .snapshot()
        .into_iter()
        .filter(|b| b.name.starts_with(prefix))
        .collect();
    let troubled = list.iter().any(|b| b.state != BreakerState::Closed);
    let shown: Vec<Value> = list
        .into_iter()
        .map(|b| {
            let mut v = json!({
                "name": b.name,
                "state": b.state,
                "window_calls": b.window_calls,
                "window_failures": b.window_failures,
                "last_success_at": b.last_success_at,
                "retry_in_ms": b.retry_in_ms,
            });
            if detailed {
                v["last_failure"] = json!(b.last_failure);
            }
            v
        })
        .collect();
    let status = if troubled {
        Status::Degraded
    } else {
        Status::Healthy
    };
    Check(status, json!({ "breakers": shown }))
}

async fn bus(state: &AppState) -> Check {
    let backlog = tokio::time::timeout(CHECK_TIMEOUT, state.outbox.backlog())
        .await
        .ok()
        .and_then(Result::ok);
    let relay_failing = state
        .tasks
        .failing()
        .iter()
        .any(|(name, _)| *name == "relay");
    let broker_open = state
        .breakers
        .snapshot()
        .iter()
        .any(|b| b.name == "rabbitmq" && b.state != BreakerState::Closed);
    let oldest_age_s = backlog
        .and_then(|(_, oldest)| oldest)
        .map(|t| (chrono::Utc::now() - t).num_seconds().max(0));
    let stale = state.bus_configured
        && oldest_age_s.is_some_and(|s| s.unsigned_abs() > BACKLOG_AGE.as_secs());
    let status = if backlog.is_none() || relay_failing || broker_open || stale {
        Status::Degraded
    } else {
        Status::Healthy
    };
    Check(
        status,
        json!({
            "broker": if state.bus_configured { "rabbitmq" } else { "in-process" },
            "relay": if relay_failing { "failing" } else { "ok" },
            "backlog": backlog.map(|(n, _)| n),
            "oldest_age_s": oldest_age_s,
        }),
    )
}

macro_rules! probe {
    ($name:ident, $path:literal, $what:literal, |$state:ident| $check:expr) => {
        #[doc = concat!("Health of ", $what, ".")]
        #[utoipa::path(get, path = $path, tag = "health", responses(
            (status = 200, description = "Healthy or degraded (`status` says which)", body = Object),
            (status = 503, description = "Unhealthy (problem document with the report's fields)", body = Problem, content_type = "application/problem+json"),
        ))]
        pub async fn $name(State($state): State<AppState>) -> Response {
            answer($check)
        }
    };
}

probe!(
    database_health,
    "/health/database",
    "the primary database: reachable, migrations, pool",
    |state| database(&state).await
);
probe!(
    replicas_health,
    "/health/replicas",
    "the read replicas: in rotation, lag",
    |state| replicas(&state)
);
probe!(
    cache_health,
    "/health/cache",
    "the cache: a probe key round trip, hit ratio",
    |state| cache(&state).await.0
);
probe!(
    gateway_health,
    "/health/gateway",
    "PayTabs, from its breakers (nothing is charged)",
    |state| breakers(&state, "paytabs.", false)
);
probe!(
    bus_health,
    "/health/bus",
    "the event bus: relay, outbox backlog and its oldest event",
    |state| bus(&state).await
);
probe!(
    breakers_health,
    "/health/breakers",
    "every circuit breaker",
    |state| breakers(&state, "", false)
);

/// Every probe at once, with the detail behind each when `detailed`.
async fn all(state: &AppState, detailed: bool) -> (Status, Value) {
    let (db, (cache_check, cache_error), bus_check) =
        tokio::join!(database(state), cache(state), bus(state));
    let checks = [
        ("database", db, Value::Null),
        ("replicas", replicas(state), Value::Null),
        ("cache", cache_check, cache_error),
        (
            "gateway",
            breakers(state, "paytabs.", detailed),
            Value::Null,
        ),
        ("bus", bus_check, Value::Null),
        ("breakers", breakers(state, "", detailed), Value::Null),
    ];
    let overall = checks
        .iter()
        .map(|(_, c, _)| c.0)
        .max()
        .unwrap_or(Status::Healthy);
    let mut out = serde_json::Map::new();
    for (name, check, errors) in checks {
        let v = if detailed {
            check.body(true, errors)
        } else {
            json!(check.0.word())
        };
        out.insert(name.to_owned(), v);
    }
    (overall, json!({ "status": overall.word(), "checks": out }))
}

/// Every probe with its detail, and the overall word (for the operations console).
pub async fn report(state: &AppState) -> Value {
    all(state, true).await.1
}

/// Overall health: the word for each dependency.
#[utoipa::path(get, path = "/health", tag = "health", responses(
    (status = 200, description = "Healthy or degraded (`status` says which)", body = Object),
    (status = 503, description = "Unhealthy: the primary database is unreachable or behind (problem document with `checks`)", body = Problem, content_type = "application/problem+json"),
))]
pub async fn overall(State(state): State<AppState>) -> Response {
    match all(&state, false).await {
        (Status::Unhealthy, body) => unhealthy_problem(&body),
        (_, body) => Json(body).into_response(),
    }
}

/// Everything, with error texts, version and uptime (the metrics token or a platform operator).
#[utoipa::path(get, path = "/health/detailed", tag = "health", security(("bearer" = [])), responses(
    (status = 200, description = "Every probe with its detail", body = Object),
    (status = 401, description = "Neither the metrics token nor a signed-in user", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a platform operator", body = Problem, content_type = "application/problem+json"),
))]
pub async fn detailed(State(state): State<AppState>, req: Request) -> Response {
    match detailed_report(&state, req).await {
        Ok(body) => Json(body).into_response(),
        Err(refusal) => refusal,
    }
}

async fn detailed_report(state: &AppState, req: Request) -> Result<Value, Response> {
    let (mut parts, _) = req.into_parts();
    let token = state
        .metrics
        .as_ref()
        .is_some_and(|m| crate::routes::metrics::token_matches(m, &parts.headers));
    if !token {
        let Authenticated(who) = Authenticated::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        nestcms_app::identity::operators::require(&state.identity, who)
            .await
            .map_err(|e| ApiError::from(e).into_response())?;
    }
    let (_, mut body) = all(state, true).await;
    body["version"] = json!(env!("CARGO_PKG_VERSION"));
    body["build"] = json!(option_env!("NESTCMS_BUILD").unwrap_or("dev"));
    body["uptime_s"] = json!(state.started.elapsed().as_secs());
    Ok(body)
}
