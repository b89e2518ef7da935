//! The edge of every request, as one layer with one boxed future per request.
//!
//! What it does, in the order a request meets it:
//! 1. a client-supplied `x-request-id` that is not a short token is dropped (it ends up in
//!    logs), and an id is generated when there is none;
//! 2. one tracing span per request, carrying the id and continuing the caller's W3C trace
//!    (`traceparent`);
//! 3. the request deadline: a request still running after `server.request_timeout` is
//!    abandoned with 503 `request_timeout` (never 408, which tells clients *they* were slow and
//!    makes them retry automatically);
//! 4. a panic becomes a 500 problem instead of a dropped connection;
//! 5. every error response becomes a complete problem document (see [`crate::problem`]);
//! 6. the request id is echoed, and the security headers are set (nosniff, frame deny,
//!    referrer policy, CSP; HSTS behind TLS) unless the handler set its own;
//! 7. request metrics ([`crate::observe`]) and the span's status, counting the deadline's 503s
//!    and the panics' 500s too;
//! 8. one log line with the status and the latency (target [`ACCESS_LOG`]).
//!
//! These were nine tower layers, five of them `from_fn` middlewares, each boxing its own future
//! and a clone of the service below it, and moving the request's future through every level:
//! on the smallest requests that bookkeeping cost more than the work (see docs/PERFORMANCE.md).
//! Written by hand because no library layer does these together; the guarantees are the same.

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::FutureExt as _;
use futures::future::BoxFuture;
use tower::{Layer, Service};
use tracing::Instrument as _;

use crate::error::Problem;
use crate::problem::{REQUEST_ID, render_problem};

/// The target of the request's span, which the telemetry setup names to turn it (and only
/// it, without an exporter) into an OpenTelemetry span, so log lines get trace ids.
pub const REQUEST_SPANS: &str = "nestcms::request";

/// The target of the one line per request, so a quiet configuration can keep it
/// (`log.level = "warn,nestcms::access=info"`).
pub const ACCESS_LOG: &str = "nestcms::access";

/// The layer; see the module documentation.
#[derive(Clone)]
pub struct EdgeLayer {
    cfg: Arc<Edge>,
}

struct Edge {
    request_timeout: Duration,
    behind_tls: bool,
}

impl EdgeLayer {
    /// An edge that abandons requests after `request_timeout` and sends HSTS when
    /// `behind_tls`.
    pub fn new(request_timeout: Duration, behind_tls: bool) -> Self {
        Self {
            cfg: Arc::new(Edge {
                request_timeout,
                behind_tls,
            }),
        }
    }
}

impl<S> Layer<S> for EdgeLayer {
    type Service = EdgeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EdgeService {
            inner,
            cfg: Arc::clone(&self.cfg),
        }
    }
}

/// The service [`EdgeLayer`] wraps around the application.
#[derive(Clone)]
pub struct EdgeService<S> {
    inner: S,
    cfg: Arc<Edge>,
}

impl<S> Service<Request> for EdgeService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let inner = take_ready(&mut self.inner);
        Box::pin(serve(Arc::clone(&self.cfg), inner, req))
    }
}

/// The service that was polled ready, to handle this request; a clone takes its place and
/// waits for the next one (tower's rule for services moved into a future).
pub(crate) fn take_ready<S: Clone>(service: &mut S) -> S {
    let clone = service.clone();
    std::mem::replace(service, clone)
}

async fn serve<S>(cfg: Arc<Edge>, mut inner: S, mut req: Request) -> Result<Response, Infallible>
where
    S: Service<Request, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    let id = request_id(req.headers_mut());
    let span = make_span(&req);
    let started = Instant::now();
    let uri = req.uri().clone();
    let seen = crate::observe::Seen::start(&req);
    let limit = cfg.request_timeout;
    let handled =
        AssertUnwindSafe(async move { tokio::time::timeout(limit, inner.call(req)).await })
            .catch_unwind()
            .instrument(span.clone())
            .await;
    let res = match handled {
        Ok(Ok(Ok(res))) => res,
        Ok(Ok(Err(never))) => match never {},
        Ok(Err(_elapsed)) => span.in_scope(|| deadline_passed(limit)),
        Err(_panic) => span.in_scope(on_panic),
    };
    let failed = res.status().is_client_error() || res.status().is_server_error();
    let mut res = if failed && res.extensions().get::<crate::problem::OwnBody>().is_none() {
        render_problem(res, &id, uri.path())
    } else {
        res
    };
    let status = res.status();
    set_headers(res.headers_mut(), id, cfg.behind_tls);
    if let Some(seen) = seen {
        seen.finish(status.as_u16(), started);
    }
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        tracing::info!(
            target: ACCESS_LOG,
            status = status.as_u16(),
            latency_ms,
            "finished processing request"
        );
    });
    Ok(res)
}

/// The request's id: the client's when it is a short token of safe characters (so it cannot
/// forge log lines), otherwise a new one, set on the request for everything below.
fn request_id(headers: &mut HeaderMap) -> HeaderValue {
    if let Some(v) = headers.get(REQUEST_ID) {
        let b = v.as_bytes();
        let acceptable = !b.is_empty()
            && b.len() <= 128
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || b"-_.:".contains(c));
        if acceptable {
            return v.clone();
        }
    }
    let mut buf = uuid::Uuid::encode_buffer();
    let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
    // A hyphenated UUID is always a valid header value.
    let id = HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static("-"));
    headers.insert(REQUEST_ID, id.clone());
    id
}

/// The request's span, named after its route template.
fn make_span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    // The stack is a `Router::layer`, so routing has matched by now: the trace names the span
    // after the route template, never the raw path (ids would make every span name unique).
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let name = match route {
        Some(route) => format!("{} {route}", req.method()),
        None => req.method().to_string(),
    };
    // The path only: query strings can carry signatures and tokens.
    let span = tracing::info_span!(
        target: REQUEST_SPANS,
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %id,
        user_id = tracing::field::Empty,
        otel.kind = "server",
        otel.name = name,
        otel.status_code = tracing::field::Empty,
        http.route = route,
        http.response.status_code = tracing::field::Empty,
    );
    // A caller's W3C `traceparent` makes this request a step of the caller's trace.
    nestcms_telemetry::adopt_parent(&span, req.headers());
    span
}

/// The request id and the security headers a handler did not set itself.
fn set_headers(headers: &mut HeaderMap, id: HeaderValue, behind_tls: bool) {
    let mut fixed: [(HeaderName, &'static str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        ),
    ];
    let count = if behind_tls { 5 } else { 4 };
    for (name, value) in fixed[..count].iter_mut() {
        if !headers.contains_key(&*name) {
            headers.insert(name.clone(), HeaderValue::from_static(value));
        }
    }
    headers
        .entry(HeaderName::from_static(REQUEST_ID))
        .or_insert(id);
}

fn deadline_passed(limit: Duration) -> Response {
    tracing::warn!(
        timeout_ms = limit.as_millis() as u64,
        "request abandoned at server.request_timeout"
    );
    let mut res = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "request_timeout",
        "the request took longer than the server allows and was abandoned; it may be retried",
    )
    .into_response_with(StatusCode::SERVICE_UNAVAILABLE);
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

fn on_panic() -> Response {
    // The payload may hold request data; log that a panic happened, not what it said.
    tracing::error!(error.code = "internal_error", "request handler panicked");
    Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response_with(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response()
}
