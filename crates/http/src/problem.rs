//! Making every error response a complete problem document.
//!
//! Errors are produced in many places: our handlers ([`crate::ApiError`]), the router (404,
//! 405), tower layers (body limit), the deadline, a caught panic. Rather than teach each of
//! them the format, [`crate::edge`] passes every response of status 400 or more through
//! [`render_problem`], which renders the [`Problem`] the response carries (or the generic one
//! for its status) with the request id and path filled in. Headers such as `Allow` and
//! `Retry-After` are kept.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;

use crate::error::{PROBLEM_JSON, Problem};

/// Marks an error response that is a page for people (the web pages' refusals), whose own
/// body [`crate::edge`] keeps instead of rendering a problem document.
#[derive(Debug, Clone, Copy)]
pub struct OwnBody;

/// The request-id header name.
pub const REQUEST_ID: &str = "x-request-id";

/// Renders the problem body of an error response (status 400 or more): the [`Problem`] it
/// carries, or the generic one for its status, with the request id and path filled in.
pub fn render_problem(res: Response, request_id: &HeaderValue, path: &str) -> Response {
    let (mut parts, _) = res.into_parts();
    let status = parts.status;
    let mut problem = parts
        .extensions
        .remove::<Problem>()
        .unwrap_or_else(|| Problem::for_status(status));
    problem.request_id = request_id.to_str().ok().map(str::to_owned);
    problem.instance = Some(path.to_owned());
    let body = serde_json::to_vec(&problem).unwrap_or_else(|_| b"{}".to_vec());
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    Response::from_parts(parts, Body::from(body))
}
