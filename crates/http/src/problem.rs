//! The middleware that makes every error response a complete problem document.
//!
//! Errors are produced in many places: our handlers ([`crate::ApiError`]), the router (404,
//! 405), tower layers (timeout, body limit), a caught panic. Rather than teach each of them the
//! format, this layer sits inside the request-id layer and, for any response of status 400 or
//! more, renders the [`Problem`] the response carries (or the generic one for its status) with
//! the request id and path filled in. Headers such as `Allow` and `Retry-After` are kept.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::{PROBLEM_JSON, Problem};

/// The request-id header name, shared with the request-id layers.
pub const REQUEST_ID: &str = "x-request-id";

/// Renders problem bodies for every error response.
pub async fn render_problems(req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let mut problem = res
        .extensions_mut()
        .remove::<Problem>()
        .unwrap_or_else(|| Problem::for_status(status));
    problem.request_id = request_id;
    problem.instance = Some(path);
    let body = serde_json::to_vec(&problem).unwrap_or_else(|_| b"{}".to_vec());
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    Response::from_parts(parts, Body::from(body))
}
