//! The stylesheet and scripts, embedded in the binary: nothing is fetched from elsewhere.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

static STYLESHEET: &str = include_str!("../../assets/app.css");
static APP_JS: &str = include_str!("../../assets/app.js");
static HTMX: &str = include_str!("../../assets/vendor/htmx-2.0.11.min.js");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    (StatusCode::OK, headers, body).into_response()
}

/// `GET /assets/app.css`.
pub async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET)
}

/// `GET /assets/app.js`.
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

/// `GET /assets/htmx.min.js`.
pub async fn htmx() -> Response {
    asset("text/javascript; charset=utf-8", HTMX)
}
