//! The middleware stack every request passes through, outermost first.
//!
//! 1. compression;
//! 2. CORS, only for configured origins (preflights are answered here);
//! 3. the edge ([`crate::edge`]): request id, span, deadline, panic, problem documents,
//!    security headers, metrics and the log line, in one layer;
//! 4. the body size limit: a declared `Content-Length` over the route's limit is refused with
//!    413 before any byte of the body is read (uploads have their own, larger limit); bodies
//!    without a declared length are cut by the extractors at the same limit.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use futures::future::Either;
use tower::{Layer, Service, ServiceBuilder};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::Problem;
use crate::problem::REQUEST_ID;
use crate::settings::HttpSettings;

/// Wraps a router in the full stack.
pub fn apply(router: Router, s: &HttpSettings) -> Router {
    let stack = ServiceBuilder::new()
        .layer(CompressionLayer::new())
        // Outside the edge, so its own answers (the deadline's 503, a panic's 500) carry the
        // CORS grant too: a browser app must be able to read them and their request id.
        .option_layer(cors(s))
        .layer(crate::edge::EdgeLayer::new(s.request_timeout, s.behind_tls))
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
        .layer(RefuseOversizeLayer(limit))
        .layer(DefaultBodyLimit::max(limit))
}

/// Refuses a request whose declared `Content-Length` is over the limit, before any byte of its
/// body is read. A plain service (no boxing): it runs in front of every route.
#[derive(Clone, Copy)]
struct RefuseOversizeLayer(usize);

impl<S> Layer<S> for RefuseOversizeLayer {
    type Service = RefuseOversize<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RefuseOversize {
            inner,
            limit: self.0,
        }
    }
}

#[derive(Clone)]
struct RefuseOversize<S> {
    inner: S,
    limit: usize,
}

impl<S> Service<Request> for RefuseOversize<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.limit as u64) {
            Either::Left(ready(Ok(oversize(self.limit))))
        } else {
            Either::Right(self.inner.call(req))
        }
    }
}

fn oversize(limit: usize) -> Response {
    let mut res = Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body is larger than the {limit} bytes this route accepts"),
    )
    .into_response_with(StatusCode::PAYLOAD_TOO_LARGE);
    // The unread body stays on the socket: do not reuse the connection.
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
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
