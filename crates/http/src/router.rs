//! The one route table, and the OpenAPI document generated from it.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, FieldProblem, Problem};
use crate::layers;
use crate::routes::health;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "NestCMS API",
        description = "Offers, contracts, projects and PayTabs payments for construction companies. \
                       Every error is an RFC 9457 problem document (`application/problem+json`) with a stable `code`.",
        license(name = "AGPL-3.0-only", identifier = "AGPL-3.0-only")
    ),
    components(schemas(Problem, FieldProblem)),
    tags((name = "health", description = "Probes for orchestrators"))
)]
struct ApiDoc;

/// Every documented route. Adding a route here is what puts it in the OpenAPI document.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
}

/// The OpenAPI 3.1 document of this build.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

/// The full application: routes, `/api/openapi.json`, the 404 fallback, and the middleware stack.
pub fn router(state: AppState) -> Router {
    let (routes, spec) = api().split_for_parts();
    let spec = Arc::new(spec);
    let http = state.http.clone();
    let app = routes
        .route(
            "/api/openapi.json",
            get(move || std::future::ready(Json(Arc::clone(&spec)))),
        )
        .fallback(not_found)
        .with_state(state);
    layers::apply(app, &http)
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no resource at this path",
    )
}
