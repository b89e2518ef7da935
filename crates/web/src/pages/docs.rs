//! `/docs`: interactive documentation of `/api/openapi.json` (Swagger UI, its files vendored
//! into the binary by `utoipa-swagger-ui`'s `vendored` feature: nothing from a CDN).
//!
//! Its own content security policy: Swagger UI sets inline `style` attributes as it draws, so
//! this page alone allows inline styles; scripts stay `'self'` only, and it may call only our
//! own API.

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::response::Response;
use nestcms_http::AppState;
use utoipa_swagger_ui::{Config, SwaggerUi};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The documentation pages.
pub fn routes() -> Router<AppState> {
    let ui = SwaggerUi::new("/docs").config(
        Config::from("/api/openapi.json")
            .try_it_out_enabled(true)
            .persist_authorization(false),
    );
    Router::from(ui).layer(axum::middleware::map_response(policy))
}

async fn policy(mut res: Response) -> Response {
    res.headers_mut()
        .insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    res.extensions_mut().insert(nestcms_http::problem::OwnBody);
    res
}
