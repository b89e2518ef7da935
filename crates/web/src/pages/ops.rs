//! `/ops`: the operations console for platform operators, over the same probes and records as
//! the resilience and observability APIs: the health of every dependency with its detail
//! (cache hit ratio, outbox backlog, replicas), the circuit breakers with a reset button, the
//! background tasks (the reconciler among them), the newest payment events of every company,
//! and the callbacks this instance refused.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use nestcms_app::identity::operators;
use nestcms_domain::DomainError;
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::ctx::{Frame, Person, Posted};
use crate::fmt;

/// One dependency's probe.
pub(crate) struct Check {
    name: String,
    status: String,
    facts: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "ops.html")]
struct Ops<'a> {
    f: &'a Frame,
    overall: String,
    checks: Vec<Check>,
    breakers: Vec<(String, &'static str, String)>,
    tasks: Vec<(&'static str, u32, String)>,
    events: Vec<(String, String, String, String)>,
    refused: Vec<(String, String, &'static str)>,
}

/// A probe's detail as label and text (nested values as compact JSON).
fn facts(detail: &Value) -> Vec<(String, String)> {
    detail
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.as_str() != "status" && k.as_str() != "breakers")
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Null => "—".to_owned(),
                other => other.to_string(),
            };
            (k.replace('_', " "), text)
        })
        .collect()
}

/// `GET /ops`.
pub async fn console(p: Person) -> Response {
    let state = p.v.state.clone();
    if let Err(e) = operators::require(&state.identity, p.who).await {
        return p.v.refuse(&e);
    }
    let v = p.v;
    let lang = v.frame.lang;
    let report = nestcms_http::routes::health_deps::report(&state).await;
    let checks = report["checks"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| name.as_str() != "breakers")
        .map(|(name, c)| Check {
            name: name.clone(),
            status: c["status"].as_str().unwrap_or("unknown").to_owned(),
            facts: facts(c),
        })
        .collect();
    let events = match state.payments.store.recent_events(50).await {
        Ok(e) => e,
        Err(e) => return v.refuse(&DomainError::Internal(e.to_string())),
    };
    let t = Ops {
        f: &v.frame,
        overall: report["status"].as_str().unwrap_or("unknown").to_owned(),
        checks,
        breakers: state
            .breakers
            .snapshot()
            .into_iter()
            .map(|b| {
                let window = format!("{}/{}", b.window_failures, b.window_calls);
                (b.name, b.state.as_str(), window)
            })
            .collect(),
        tasks: state
            .tasks
            .all()
            .into_iter()
            .map(|(n, s)| (n, s.consecutive_failures, s.last_error.unwrap_or_default()))
            .collect(),
        events: events
            .into_iter()
            .map(|e| {
                (
                    fmt::moment(lang, e.at),
                    e.kind,
                    e.source,
                    e.payment_id.0.to_string(),
                )
            })
            .collect(),
        refused: state
            .callbacks
            .recent()
            .into_iter()
            .map(|r| {
                let from = r.from.map_or_else(|| "—".to_owned(), |a| a.to_string());
                (fmt::moment(lang, r.at), from, r.reason)
            })
            .collect(),
    };
    let html = t.render();
    v.page(StatusCode::OK, html)
}

/// `POST /ops/breakers/{name}/reset`: closes a breaker, as `POST /api/v1/admin/breakers/…`.
pub async fn reset(p: Person, Path(name): Path<String>, _: Posted<IgnoredAny>) -> Response {
    let state = p.v.state.clone();
    if let Err(e) = operators::require(&state.identity, p.who).await {
        return p.v.refuse(&e);
    }
    if state.breakers.reset(&name) {
        tracing::warn!(breaker = %name, operator = %p.who.user, "circuit breaker reset by an operator");
        p.v.to("/ops")
    } else {
        p.v.refuse(&DomainError::NotFound("breaker"))
    }
}
