//! The one route table, and the OpenAPI document generated from it.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::layers;
use crate::openapi::ApiDoc;
use crate::routes::{
    admin, analytics, articles, audit, auth, contracts, design_files, earnings, exports, grants,
    health, health_deps, invitations, invoice_files, invoices, members, metrics, notifications,
    offers, orgs, paylinks, payments, project_lists, project_parts, projects, receivables, sagas,
    schedules, tax_profile, users, webhooks,
};
use crate::settings::HttpSettings;
use crate::state::AppState;

/// Every documented route. Adding a route here is what puts it in the OpenAPI document.
fn api(http: &HttpSettings) -> OpenApiRouter<AppState> {
    use utoipa::OpenApi;
    let uploads = layers::body_limit(
        OpenApiRouter::new().routes(routes!(design_files::upload_design_file)),
        http.upload_limit_bytes,
    );
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .routes(routes!(health_deps::overall))
        .routes(routes!(health_deps::database_health))
        .routes(routes!(health_deps::replicas_health))
        .routes(routes!(health_deps::cache_health))
        .routes(routes!(health_deps::gateway_health))
        .routes(routes!(health_deps::bus_health))
        .routes(routes!(health_deps::breakers_health))
        .routes(routes!(health_deps::detailed))
        .routes(routes!(metrics::metrics))
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(users::me))
        .routes(routes!(notifications::my_notifications))
        .routes(routes!(notifications::set_language))
        .routes(routes!(
            notifications::my_channels,
            notifications::set_channels
        ))
        .routes(routes!(users::change_password))
        .routes(routes!(users::mfa_begin))
        .routes(routes!(users::mfa_confirm))
        .routes(routes!(users::mfa_disable))
        .routes(routes!(orgs::create_org, orgs::list_orgs))
        .routes(routes!(orgs::get_org, orgs::update_org))
        .routes(routes!(members::list_members))
        .routes(routes!(invitations::invite, invitations::org_invitations))
        .routes(routes!(invitations::revoke_invitation))
        .routes(routes!(invitations::accept_invitation))
        .routes(routes!(invitations::decline_invitation))
        .routes(routes!(members::change_role, members::remove_member))
        .routes(routes!(grants::create_grant, grants::list_grants))
        .routes(routes!(grants::revoke_grant))
        .routes(routes!(audit::list_audit))
        .routes(routes!(offers::create_offer, offers::list_offers))
        .routes(routes!(offers::get_offer))
        .routes(routes!(offers::approve_offer))
        .routes(routes!(offers::reject_offer))
        .routes(routes!(offers::close_offer))
        .routes(routes!(contracts::list_contracts))
        .routes(routes!(contracts::get_contract, contracts::update_contract))
        .routes(routes!(contracts::set_instalments))
        .routes(routes!(contracts::approve_contract))
        .routes(routes!(contracts::reject_contract))
        .routes(routes!(contracts::activate_contract))
        .routes(routes!(contracts::close_contract))
        .routes(routes!(projects::create_project, projects::list_projects))
        .routes(routes!(projects::get_project, projects::update_project))
        .routes(routes!(project_parts::add_step, project_lists::list_steps))
        .routes(routes!(project_parts::update_step))
        .routes(routes!(
            project_parts::add_design,
            project_lists::list_designs
        ))
        .routes(routes!(
            project_parts::add_design_version,
            project_lists::list_design_versions
        ))
        .routes(routes!(
            project_parts::add_worker,
            project_lists::list_workers
        ))
        .routes(routes!(project_parts::add_note, project_lists::list_notes))
        .routes(routes!(project_parts::mark_note_read))
        .routes(routes!(earnings::create_earning, earnings::list_earnings))
        .routes(routes!(earnings::distribute_earning))
        .routes(routes!(earnings::create_rollup, earnings::list_rollups))
        .routes(routes!(earnings::create_commission))
        .routes(routes!(analytics::status_breakdown))
        .routes(routes!(analytics::earnings_stats))
        .routes(routes!(analytics::earnings_trend))
        .routes(routes!(analytics::top_projects))
        .routes(routes!(analytics::top_employees))
        .routes(routes!(analytics::dashboard))
        .routes(routes!(
            schedules::create_schedule,
            schedules::list_schedules
        ))
        .routes(routes!(schedules::create_salary, schedules::list_salaries))
        .routes(routes!(
            schedules::add_schedule_note,
            schedules::list_schedule_notes
        ))
        .routes(routes!(articles::public_articles))
        .routes(routes!(articles::public_article))
        .routes(routes!(articles::create_article, articles::org_articles))
        .routes(routes!(articles::update_article))
        .routes(routes!(design_files::download_design_file))
        .routes(routes!(payments::create_payment, payments::list_payments))
        .routes(routes!(payments::get_payment))
        .routes(routes!(payments::checkout))
        .routes(routes!(payments::create_refund))
        .routes(routes!(sagas::payment_sagas))
        .routes(routes!(
            tax_profile::get_tax_profile,
            tax_profile::put_tax_profile
        ))
        .routes(routes!(invoices::create_invoice, invoices::list_invoices))
        .routes(routes!(
            invoices::get_invoice,
            invoices::update_invoice,
            invoices::delete_invoice
        ))
        .routes(routes!(invoices::issue_invoice))
        .routes(routes!(invoices::credit_invoice))
        .routes(routes!(invoice_files::invoice_pdf))
        .routes(routes!(invoice_files::invoice_ubl))
        .routes(routes!(invoice_files::payment_receipt))
        .routes(routes!(receivables::record_payment))
        .routes(routes!(receivables::statement))
        .routes(routes!(receivables::statement_pdf))
        .routes(routes!(receivables::aging))
        .routes(routes!(exports::invoices_csv))
        .routes(routes!(exports::payments_csv))
        .routes(routes!(
            payments::paytabs_return_get,
            payments::paytabs_return_post
        ))
        .routes(routes!(payments::payment_result))
        .routes(routes!(paylinks::show_pay_link, paylinks::pay_by_link))
        .routes(routes!(webhooks::create_endpoint, webhooks::list_endpoints))
        .routes(routes!(
            webhooks::get_endpoint,
            webhooks::update_endpoint,
            webhooks::delete_endpoint
        ))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::test_endpoint))
        .routes(routes!(webhooks::list_messages))
        .routes(routes!(webhooks::get_message))
        .routes(routes!(webhooks::redeliver_message))
        .routes(routes!(admin::list_breakers))
        .routes(routes!(admin::reset_breaker));
    // The callback's own bound: a PayTabs IPN is a few kilobytes.
    let callbacks = layers::body_limit(
        OpenApiRouter::new().routes(routes!(payments::paytabs_webhook)),
        crate::perimeter::CALLBACK_BODY_LIMIT.min(http.body_limit_bytes),
    );
    layers::body_limit(api, http.body_limit_bytes)
        .merge(uploads)
        .merge(callbacks)
}

/// The OpenAPI 3.1 document of this build.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut spec = api(&HttpSettings::default()).into_openapi();
    crate::openapi::document_common_responses(&mut spec);
    spec
}

/// The full application: routes, `/api/openapi.json`, the web `pages` (another thin layer over
/// the same use cases, kept out of the API's route checks and document), the 404 fallback, and
/// the middleware stack.
pub fn router(state: AppState, pages: Router<AppState>) -> Router {
    let (routes, mut spec) = api(&state.http).split_for_parts();
    crate::openapi::document_common_responses(&mut spec);
    let spec = Arc::new(spec);
    let http = state.http.clone();
    let app = routes
        .route_layer(crate::guard::GuardLayer::new(state.clone()))
        .route(
            "/api/openapi.json",
            get(move || std::future::ready(Json(Arc::clone(&spec)))),
        )
        .merge(pages)
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
