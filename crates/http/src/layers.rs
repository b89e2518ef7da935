//! The middleware stack every request passes through, outermost first.
//!
//! 1. drop a client-supplied `x-request-id` that is not a short token (it ends up in logs);
//! 2. generate a request id when there is none;
//! 3. open one tracing span per request, carrying the id and continuing the caller's W3C trace
//!    (`traceparent`); log the response status and latency;
//! 4. echo the request id on the response;
//! 5. security headers (nosniff, frame deny, referrer policy, CSP; HSTS when behind TLS);
//! 6. CORS, only for configured origins;
//! 7. compression;
//! 8. problem rendering for every error response (see [`crate::problem`]);
//!    then request metrics ([`crate::observe`]), outside what follows so that a panic's 500 and
//!    a deadline's 503 are counted too;
//! 9. a panic becomes a 500 problem instead of a dropped connection;
//! 10. the request deadline: a request still running after `server.request_timeout` is
//!     abandoned with 503 `request_timeout` (never 408, which tells clients *they* were slow
//!     and makes them retry automatically);
//! 11. the body size limit: a declared `Content-Length` over the route's limit is refused with
//!     413 before any byte of the body is read (uploads have their own, larger limit); bodies
//!     without a declared length are cut by the extractors at the same limit.

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::Problem;
use crate::problem::{REQUEST_ID, render_problems};
use crate::settings::HttpSettings;

/// Wraps a router in the full stack.
pub fn apply(router: Router, s: &HttpSettings) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    let hsts = s.behind_tls.then(|| {
        SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        )
    });
    let stack = ServiceBuilder::new()
        .layer(middleware::from_fn(sanitize_request_id))
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(make_span)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .option_layer(hsts)
        .option_layer(cors(s))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(render_problems))
        // Outside the panic catcher and the deadline, so their 500s and 503s are counted.
        .layer(middleware::from_fn(crate::observe::record))
        .layer(CatchPanicLayer::custom(on_panic))
        .layer(middleware::from_fn_with_state(
            s.request_timeout,
            request_deadline,
        ))
        // The default for any route; route groups set their own with [`body_limit`].
        .layer(DefaultBodyLimit::max(s.body_limit_bytes));
    router.layer(stack)
}

/// The body limit for one group of routes: the extractors' limit, and the up-front refusal of a
/// declared length over it. Applied per group, so uploads can have a larger limit.
pub fn body_limit<S: Clone + Send + Sync + 'static>(
    router: utoipa_axum::router::OpenApiRouter<S>,
    limit: usize,
) -> utoipa_axum::router::OpenApiRouter<S> {
    router
        .layer(middleware::from_fn_with_state(
            limit,
            refuse_declared_oversize,
        ))
        .layer(DefaultBodyLimit::max(limit))
}

async fn refuse_declared_oversize(
    axum::extract::State(limit): axum::extract::State<usize>,
    req: Request,
    next: Next,
) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let mut res = Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than the {limit} bytes this route accepts"),
        )
        .into_response_with(StatusCode::PAYLOAD_TOO_LARGE);
        // The unread body stays on the socket: do not reuse the connection.
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return res;
    }
    next.run(req).await
}

async fn request_deadline(
    axum::extract::State(limit): axum::extract::State<std::time::Duration>,
    req: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
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
    }
}

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

fn cors(s: &HttpSettings) -> Option<CorsLayer> {
    if s.cors_allowed_origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = s
        .cors_allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                header::IF_NONE_MATCH,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static(REQUEST_ID),
            ])
            .expose_headers([HeaderName::from_static(REQUEST_ID), header::ETAG])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// A client may correlate with its own id, but only a short token of safe characters: anything
/// else is dropped (and a fresh id generated) so it cannot forge log lines.
async fn sanitize_request_id(mut req: Request, next: Next) -> Response {
    let acceptable = req.headers().get(REQUEST_ID).is_none_or(|v| {
        let b = v.as_bytes();
        !b.is_empty()
            && b.len() <= 128
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || b"-_.:".contains(c))
    });
    if !acceptable {
        req.headers_mut().remove(REQUEST_ID);
    }
    next.run(req).await
}

fn on_panic(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    // The payload may hold request data; log that a panic happened, not what it said.
    tracing::error!(error.code = "internal_error", "request handler panicked");
    Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response_with(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response()
}
