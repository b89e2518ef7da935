//! The payment link a client receives by e-mail or SMS: a page showing what it pays, whose
//! button opens the gateway's page for that one payment without a session (the link is
//! signed, see `nestcms_auth::paylink`); a payment that no longer waits goes to its result
//! page instead.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use nestcms_auth::paylink::LinkError;
use nestcms_domain::DomainError;
use nestcms_domain::markup::escape_html as escape;
use nestcms_domain::payments::{PaymentId, PaymentState};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::payments::ResultPath;
use crate::state::AppState;

/// The link's signature.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// As the message gave it.
    token: String,
}

/// Shows what a payment link pays, with a button that pays it. Opening the link changes
/// nothing (mail scanners and previews fetch links before people do); the button does.
#[utoipa::path(get, path = "/api/v1/payments/{payment_id}/pay", tag = "payments", params(("payment_id" = uuid::Uuid, Path), LinkQuery), responses(
    (status = 200, description = "A page with the amount and a button that pays it", content_type = "text/html"),
    (status = 400, description = "No token", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 303, description = "To the result page, when the payment no longer waits"),
    (status = 403, description = "Not a link made for this payment", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "The payment is gone (its organization was removed)", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 410, description = "The link expired", body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn show_pay_link(
    State(state): State<AppState>,
    ApiPath(p): ApiPath<ResultPath>,
    ApiQuery(q): ApiQuery<LinkQuery>,
) -> Result<Response, ApiError> {
    let id = p.payment_id;
    check(&state, id, &q.token)?;
    let pay = state
        .payments
        .store
        .payment_by_id(PaymentId(id))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "payment not found"))?;
    if !matches!(pay.state, PaymentState::Created | PaymentState::Pending) {
        return Ok(result(id));
    }
    let amount = format!(
        "{} {}",
        pay.amount.amount_string(),
        pay.amount.currency().code()
    );
    let action = format!(
        "/api/v1/payments/{id}/pay?token={}",
        escape(&url::form_urlencoded::byte_serialize(q.token.as_bytes()).collect::<String>())
    );
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Pay {amount}</title></head>\
         <body><h1>{amount}</h1><p>{}</p>\
         <form method=\"post\" action=\"{action}\"><button type=\"submit\">Pay now · ادفع الآن</button></form></body></html>",
        escape(&pay.description)
    );
    let mut res = Html(page).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// Opens the gateway's payment page for the payment a payment link names (the page's button).
#[utoipa::path(post, path = "/api/v1/payments/{payment_id}/pay", tag = "payments", params(("payment_id" = uuid::Uuid, Path), LinkQuery), responses(
    (status = 303, description = "To the gateway's payment page, or to the result page when it no longer waits for payment"),
    (status = 400, description = "No token", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "A checkout for it is under way; retry in a moment", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Not a link made for this payment", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 410, description = "The link expired", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 503, description = "Gateway unavailable", body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn pay_by_link(
    State(state): State<AppState>,
    ApiPath(p): ApiPath<ResultPath>,
    ApiQuery(q): ApiQuery<LinkQuery>,
) -> Result<Response, ApiError> {
    let id = p.payment_id;
    check(&state, id, &q.token)?;
    match state.payments.checkout_by_link(PaymentId(id)).await {
        Ok(pay) => match pay.redirect_url {
            Some(url) => Ok(Redirect::to(&url).into_response()),
            None => Err(ApiError::internal("checkout returned no page")),
        },
        // Paid, cancelled, …: the result page says how it stands.
        Err(DomainError::Conflict {
            code: "not_payable",
            ..
        }) => Ok(result(id)),
        Err(e) => Err(e.into()),
    }
}

fn check(state: &AppState, id: uuid::Uuid, token: &str) -> Result<(), ApiError> {
    match state
        .pay_links
        .check(id, token, chrono::Utc::now().timestamp())
    {
        Ok(()) => Ok(()),
        Err(LinkError::Invalid) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "invalid_payment_link",
            "this link is not valid for this payment; use the link from your latest message",
        )),
        Err(LinkError::Expired) => Err(ApiError::new(
            StatusCode::GONE,
            "payment_link_expired",
            "this payment link has expired; ask the firm for a new one",
        )),
    }
}

fn result(id: uuid::Uuid) -> Response {
    Redirect::to(&format!("/api/v1/payments/{id}/result")).into_response()
}
