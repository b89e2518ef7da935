//! Request metrics: how many requests, how long they took and how many are in flight, by
//! method, route template (`/api/v1/orgs/{org_id}/…`, never a raw path, so ids never become
//! label values) and status. It sits in the middleware stack (see [`crate::layers`]) outside
//! the panic catcher and the request deadline, so their 500s and 503s are counted; only matched
//! routes are (unmatched paths are the 404 fallback's and would only add noise). It also puts
//! the status on the request's span.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// Requests answered, by method, route and status.
pub const REQUESTS: &str = "nestcms_http_requests_total";
/// Seconds from the request reaching the route to its answer, by method, route and status.
pub const DURATION: &str = "nestcms_http_request_duration_seconds";
/// Requests being handled now, by method and route.
pub const IN_FLIGHT: &str = "nestcms_http_requests_in_flight";

/// The middleware.
pub async fn record(req: Request, next: Next) -> Response {
    let Some(route) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
    else {
        return next.run(req).await;
    };
    let method = req.method().as_str().to_owned();
    let span = tracing::Span::current();
    let in_flight =
        metrics::gauge!(IN_FLIGHT, "method" => method.clone(), "route" => route.clone());
    in_flight.increment(1.0);
    // Decremented even when the client goes away and the handler's future is dropped.
    let _done = scopeguard::guard((), move |()| in_flight.decrement(1.0));
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16();
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
    let labels = [
        ("method", method),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(DURATION, &labels).record(started.elapsed().as_secs_f64());
    res
}
