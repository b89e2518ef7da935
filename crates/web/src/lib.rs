//! The web pages `nestcms serve` shows at `/`: server-rendered HTML (askama templates compiled
//! into the binary, our own stylesheet embedded, no script), over the same use cases as the
//! API. Signing in opens an ordinary session whose tokens live in cookies (HttpOnly,
//! SameSite=Lax, Secure behind TLS) and are rotated like the API's; every form carries a CSRF
//! token; every page has a content security policy without `unsafe-inline`.
//!
//! This is the first part of the web app: sign-in (with the second factor when asked),
//! the signed-in person's organizations, sign-out; the workspaces build on it.

mod i18n;
mod pages;
mod session;

use axum::Router;
use axum::routing::{get, post};
use nestcms_http::AppState;

/// The pages, for [`nestcms_http::router`] to serve beside the API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::start))
        .route("/signin", post(pages::sign_in))
        .route("/app", get(pages::home))
        .route("/signout", post(pages::sign_out))
        .route("/assets/app.css", get(pages::stylesheet))
}
