//! The OpenAPI document's frame (info, tags, security scheme) and the responses every operation
//! can give whatever its handler says.
//!
//! Some answers come from the stack rather than the handler: 401 from the bearer extractor,
//! 400/413/415 from body and query extraction, 404 for an unknown id in the path, 503 when a
//! request outlives its deadline or the database is unreachable, 500 for a bug. Listing them by
//! hand on 80 operations drifts (schemathesis found 138 undocumented statuses), so
//! [`document_common_responses`] adds each to every operation it can happen on.

use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

use crate::error::{FieldProblem, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "NestCMS API",
        description = "Offers, contracts, projects and PayTabs payments for construction companies. \
                       Every error is an RFC 9457 problem document (`application/problem+json`) with a stable `code`.",
        license(name = "AGPL-3.0-only", identifier = "AGPL-3.0-only")
    ),
    components(schemas(Problem, FieldProblem)),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Probes for orchestrators"),
        (name = "auth", description = "Accounts and sessions"),
        (name = "users", description = "The caller's profile, password and two-factor authentication"),
        (name = "orgs", description = "Organizations"),
        (name = "members", description = "Who belongs to an organization"),
        (name = "grants", description = "Per-object permissions"),
        (name = "webhooks", description = "Outgoing webhooks (Standard Webhooks v1)"),
        (name = "audit", description = "Security audit log"),
        (name = "offers", description = "Quotes to clients"),
        (name = "contracts", description = "Agreements and instalment schedules"),
        (name = "invoices", description = "Tax invoices, credit and debit notes, the seller's tax profile"),
        (name = "projects", description = "Projects, steps, designs, workers, notes"),
        (name = "earnings", description = "Earnings, commissions, distribution"),
        (name = "analytics", description = "Numbers per currency"),
        (name = "schedules", description = "Appointments, timelines and salaries"),
        (name = "articles", description = "Public news and guides"),
        (name = "payments", description = "Payments through PayTabs"),
        (name = "admin", description = "Platform operators: circuit breakers"),
    )
)]
pub(crate) struct ApiDoc;

/// Declares the `bearer` security scheme the protected routes name.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Adds the stack's responses to every operation that can give them, keeping any the
/// operation documents itself.
pub fn document_common_responses(spec: &mut utoipa::openapi::OpenApi) {
    for (path, item) in spec.paths.paths.iter_mut() {
        let limited = path.starts_with("/api/") && !path.starts_with("/api/v1/webhooks/");
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ];
        for op in ops.into_iter().flatten() {
            add_common(op, limited);
        }
        if let Some(get) = item.get.as_mut() {
            document_not_modified(get);
        }
    }
}

/// A `GET` answering JSON may answer 304 (see [`crate::conditional`]).
fn document_not_modified(op: &mut Operation) {
    let json = matches!(
        op.responses.responses.get("200"),
        Some(RefOr::T(r)) if r.content.contains_key("application/json")
    );
    if json {
        op.responses
            .responses
            .entry("304".to_owned())
            .or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description(
                            "Not modified: the `ETag` sent in `If-None-Match` still matches; no body",
                        )
                        .build(),
                )
            });
    }
}

fn add_common(op: &mut Operation, rate_limited: bool) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| {
        params
            .iter()
            .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
    };
    let (in_path, in_query) = (has(ParameterIn::Path), has(ParameterIn::Query));
    let body = op.request_body.is_some();
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut add = |status: &str, description: &str, when: bool| {
        if when && !op.responses.responses.contains_key(status) {
            op.responses
                .responses
                .insert(status.to_owned(), problem(description));
        }
    };
    add(
        "400",
        "Invalid input; `errors[].field` names it",
        body || in_query,
    );
    add("401", "Missing, invalid or expired access token", secured);
    add(
        "404",
        "No such resource (or not visible to the caller)",
        in_path,
    );
    add("413", "The body is larger than the server accepts", body);
    add("415", "The body is not `application/json`", body);
    add(
        "429",
        "Over a rate limit; see `Retry-After`, `RateLimit-Policy` and `RateLimit`",
        rate_limited,
    );
    add("500", "A bug; quote the request id when reporting it", true);
    add(
        "503",
        "A dependency is unavailable or the request outlived `server.request_timeout`; retry later",
        true,
    );
}

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}
