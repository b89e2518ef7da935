//! The web pages `nestcms serve` shows at `/`: server-rendered HTML (askama templates compiled
//! into the binary, our stylesheet and scripts embedded), over the same use cases as the API.
//! Signing in opens an ordinary session whose tokens live in cookies (HttpOnly, SameSite=Lax,
//! Secure behind TLS) and are rotated like the API's; every form carries a CSRF token; every
//! page has a content security policy without `unsafe-inline`. Every form works without
//! script; htmx and our `app.js` only add to them.
//!
//! Staff get a dashboard, offers, contracts with the instalment editor, payments with their
//! timeline and refunds, and members; a client gets the portal: offers to answer, contracts to
//! approve and pay, receipts.

mod chart;
mod ctx;
mod fmt;
mod i18n;
mod pager;
mod pages;
mod session;
mod states;
mod words;

use axum::Router;
use axum::routing::{get, post};
use nestcms_http::AppState;

use pages::{
    account, assets, contracts, dashboard, designs, earnings, inbox, offers, ops, orgs, payments,
    projects, records, schedules,
};

/// The pages, for [`nestcms_http::router`] to serve beside the API: the one route table of
/// the web layer.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(account::start))
        .route("/signin", post(account::sign_in))
        .route(
            "/register",
            get(account::register_form).post(account::register),
        )
        .route("/signout", post(account::sign_out))
        .route("/lang", post(account::set_lang))
        .route("/app", get(orgs::home))
        .route("/app/orgs", post(orgs::create))
        .route("/app/join", post(orgs::join))
        .route("/app/paid", get(payments::result))
        .route("/app/notifications", get(inbox::inbox))
        .route("/app/o/{org}", get(dashboard::home))
        .route("/app/o/{org}/members", get(orgs::list))
        .route("/app/o/{org}/invitations", post(orgs::invite))
        .route(
            "/app/o/{org}/offers",
            get(offers::list).post(offers::create),
        )
        .route("/app/o/{org}/offers/{id}/{verb}", post(offers::answer))
        .route("/app/o/{org}/contracts", get(contracts::list))
        .route("/app/o/{org}/contracts/{id}", get(contracts::show))
        .route(
            "/app/o/{org}/contracts/{id}/instalments",
            post(contracts::set_instalments),
        )
        .route(
            "/app/o/{org}/contracts/{id}/pay/{seq}",
            post(contracts::pay),
        )
        .route(
            "/app/o/{org}/contracts/{id}/{verb}",
            post(contracts::transition),
        )
        .route("/app/o/{org}/payments", get(payments::list))
        .route("/app/o/{org}/payments/{id}", get(payments::show))
        .route("/app/o/{org}/payments/{id}/refunds", post(payments::refund))
        .route("/app/o/{org}/payments/{id}/receipt", get(payments::receipt))
        .route(
            "/app/o/{org}/projects",
            get(projects::list).post(projects::create),
        )
        .route("/app/o/{org}/projects/{id}", get(projects::show))
        .route("/app/o/{org}/projects/{id}/{what}", post(projects::add))
        .route(
            "/app/o/{org}/projects/{id}/steps/{step}/{to}",
            post(projects::move_step),
        )
        .route(
            "/app/o/{org}/projects/{id}/designs/{design}/versions",
            // The handler bounds the file by `server.upload_limit_bytes` as it reads.
            post(designs::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/app/o/{org}/projects/{id}/designs/{design}/versions/{version}/file",
            get(designs::file),
        )
        .route("/app/o/{org}/members/{user}/role", post(orgs::change_role))
        .route(
            "/app/o/{org}/schedules",
            get(schedules::agenda).post(schedules::create),
        )
        .route(
            "/app/o/{org}/earnings",
            get(earnings::list).post(earnings::record),
        )
        .route(
            "/app/o/{org}/earnings/{id}/distribute",
            post(earnings::distribute),
        )
        .route("/app/o/{org}/commissions", post(earnings::commission))
        .route("/app/o/{org}/invoices", get(records::invoices))
        .route("/app/o/{org}/invoices/{id}/pdf", get(records::invoice_pdf))
        .route("/app/o/{org}/audit", get(records::audit_log))
        .route(
            "/app/o/{org}/articles",
            get(records::articles).post(records::write_article),
        )
        .route("/app/o/{org}/articles/{id}/publish", post(records::publish))
        .route("/ops", get(ops::console))
        .route("/ops/breakers/{name}/reset", post(ops::reset))
        .route("/assets/app.css", get(assets::stylesheet))
        .route("/assets/app.js", get(assets::script))
        .route("/assets/htmx.min.js", get(assets::htmx))
        .merge(pages::docs::routes())
}
