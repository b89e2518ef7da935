//! Payments: `/api/v1/orgs/{org_id}/payments…`, the PayTabs webhook, and the browser return.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use nestcms_app::payments::{CallbackError, NewPayment};
use nestcms_domain::construction::ContractId;
use nestcms_domain::identity::UserId;
use nestcms_domain::payments::ports::IdempotencyBinding;
use nestcms_domain::payments::{Payment, PaymentEvent, PaymentId, PaymentState, Refund, RefundId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::common::{List, Order, money_in, money_out, page};
use crate::auth_extract::{Client, InOrg};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery, json_body};
use crate::idempotency::{Attempt, idempotent};
use crate::perimeter::Refusal;
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// Path of one payment.
#[derive(Deserialize)]
pub struct PaymentPath {
    pub(crate) org_id: uuid::Uuid,
    pub(crate) payment_id: uuid::Uuid,
}

/// A payment to create: an instalment (`contract_id` + `instalment`) or an ad-hoc charge
/// (`client_id` + `amount` + `currency`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePaymentRequest {
    client_id: Option<uuid::Uuid>,
    contract_id: Option<uuid::Uuid>,
    /// 1-based instalment position.
    instalment: Option<u32>,
    /// Decimal text with at most the currency's decimals (`"150.000"` KWD).
    amount: Option<String>,
    currency: Option<String>,
    description: String,
}

/// A refund to make.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// Decimal text in the payment's currency.
    amount: String,
    reason: String,
}

/// A payment.
#[derive(Serialize, ToSchema)]
pub struct PaymentResponse {
    id: uuid::Uuid,
    client_id: uuid::Uuid,
    contract_id: Option<uuid::Uuid>,
    instalment: Option<u32>,
    amount: String,
    currency: String,
    description: String,
    /// `created`, `pending`, `on_hold`, `paid`, `declined`, `cancelled`, `expired`, `failed`,
    /// `partially_refunded`, `refunded`.
    state: String,
    tran_ref: Option<String>,
    redirect_url: Option<String>,
    refunded: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&Payment> for PaymentResponse {
    fn from(p: &Payment) -> Self {
        Self {
            id: p.id.0,
            client_id: p.client_id.0,
            contract_id: p.contract_id.map(|c| c.0),
            instalment: p.instalment_seq,
            amount: money_out(p.amount),
            currency: p.amount.currency().code().to_owned(),
            description: p.description.clone(),
            state: p.state.as_str().to_owned(),
            tran_ref: p.tran_ref.clone(),
            redirect_url: p.redirect_url.clone(),
            refunded: money_out(p.refunded),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A refund.
#[derive(Serialize, ToSchema)]
pub struct RefundResponse {
    id: uuid::Uuid,
    amount: String,
    currency: String,
    reason: String,
    /// `pending`, `succeeded`, `failed`.
    state: String,
    tran_ref: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<&Refund> for RefundResponse {
    fn from(r: &Refund) -> Self {
        Self {
            id: r.id.0,
            amount: money_out(r.amount),
            currency: r.amount.currency().code().to_owned(),
            reason: r.reason.clone(),
            state: r.state.as_str().to_owned(),
            tran_ref: r.tran_ref.clone(),
            created_at: r.created_at,
        }
    }
}

/// One line of a payment's history.
#[derive(Serialize, ToSchema)]
pub struct PaymentEventResponse {
    kind: String,
    source: String,
    actor_id: Option<uuid::Uuid>,
    gateway_trace: Option<String>,
    #[schema(value_type = Object)]
    detail: serde_json::Value,
    at: DateTime<Utc>,
}

impl From<&PaymentEvent> for PaymentEventResponse {
    fn from(e: &PaymentEvent) -> Self {
        Self {
            kind: e.kind.clone(),
            source: e.source.clone(),
            actor_id: e.actor.map(|a| a.0),
            gateway_trace: e.gateway_trace.clone(),
            detail: e.detail.clone(),
            at: e.at,
        }
    }
}

/// A payment with its refunds and history.
#[derive(Serialize, ToSchema)]
pub struct PaymentDetails {
    #[serde(flatten)]
    payment: PaymentResponse,
    refunds: Vec<RefundResponse>,
    events: Vec<PaymentEventResponse>,
}

/// Listing filters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentFilter {
    /// Only payments in this state (`created`, `pending`, `on_hold`, `paid`, `declined`,
    /// `cancelled`, `expired`, `failed`, `partially_refunded`, `refunded`).
    #[param(value_type = Option<String>)]
    state: Option<PaymentState>,
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The last id of the previous page.
    starting_after: Option<uuid::Uuid>,
    /// `desc` (newest first, default) or `asc`.
    #[param(value_type = Option<String>)]
    #[serde(default)]
    order: Order,
}

/// The hosted page to send the client to.
#[derive(Serialize, ToSchema)]
pub struct CheckoutResponse {
    redirect_url: String,
    tran_ref: String,
    state: String,
}

/// Creates a payment (owners, admins, managers).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/payments", tag = "payments", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), request_body = CreatePaymentRequest, responses(
    (status = 201, description = "Created", body = PaymentResponse),
    (status = 400, description = "Invalid field (amount with too many decimals, zero, negative…)", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The instalment already has a live payment", body = Problem, content_type = "application/problem+json"),
))]
pub async fn create_payment(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<OrgPath>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let scope = format!("POST /orgs/{}/payments", p.org_id);
    idempotent(&state, c.who, &headers, &scope, &raw, |attempt| async {
        let key = match attempt {
            Attempt::Fresh(key) => key,
            Attempt::Resume(effect) => {
                let id = PaymentId(effect_id(&effect)?);
                let pay = state.payments.get(&c, id).await?;
                return Ok((StatusCode::CREATED, Json(PaymentResponse::from(&pay))));
            }
        };
        let b: CreatePaymentRequest = json_body(&headers, &raw)?;
        create_payment_inner(&state, &c, b, key.as_ref()).await
    })
    .await
}

/// The id an abandoned keyed attempt recorded for its effect.
fn effect_id(effect: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(effect).map_err(|_| ApiError::internal("unreadable idempotency effect"))
}

async fn create_payment_inner(
    state: &AppState,
    c: &nestcms_app::Caller,
    b: CreatePaymentRequest,
    key: Option<&IdempotencyBinding>,
) -> Result<(StatusCode, Json<PaymentResponse>), ApiError> {
    let amount = match (&b.amount, &b.currency) {
        (Some(a), Some(cur)) => Some(money_in(a, cur, "/amount", "/currency")?),
        (Some(_), None) => {
            return Err(ApiError::validation(vec![nestcms_domain::FieldError::new(
                "/currency",
                "required",
                "give the currency of the amount",
            )]));
        }
        _ => None,
    };
    let n = NewPayment {
        client_id: b.client_id.map(UserId),
        contract_id: b.contract_id.map(ContractId),
        instalment: b.instalment,
        amount,
        description: b.description,
    };
    let p = state
        .payments
        .create(&state.identity, &state.construction, c, n, key)
        .await?;
    Ok((StatusCode::CREATED, Json(PaymentResponse::from(&p))))
}

/// Payments (clients see their own), a page at a time, optionally in one state.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/payments", tag = "payments", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), PaymentFilter), responses(
    (status = 200, description = "Payments, newest first unless `order=asc`", body = List<PaymentResponse>),
    (status = 400, description = "A filter not understood or `limit` out of range", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found or not a member", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_payments(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiQuery(f): ApiQuery<PaymentFilter>,
) -> Result<Json<List<PaymentResponse>>, ApiError> {
    let found = state
        .payments
        .list(&c, f.state, page(f.limit, f.starting_after, f.order))
        .await?;
    Ok(Json(List::from_paged(found)))
}

/// A payment with its refunds and event history.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/payments/{payment_id}", tag = "payments", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("payment_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "The payment", body = PaymentDetails),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn get_payment(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<PaymentPath>,
) -> Result<Json<PaymentDetails>, ApiError> {
    let (payment, refunds, events) = state.payments.details(&c, PaymentId(p.payment_id)).await?;
    Ok(Json(PaymentDetails {
        payment: PaymentResponse::from(&payment),
        refunds: refunds.iter().map(RefundResponse::from).collect(),
        events: events.iter().map(PaymentEventResponse::from).collect(),
    }))
}

/// Issues the hosted payment page (the client, or managers); again returns the same page.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/payments/{payment_id}/checkout", tag = "payments", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("payment_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Send the client to redirect_url", body = CheckoutResponse),
    (status = 409, description = "Not payable in its state", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "Gateway unavailable", body = Problem, content_type = "application/problem+json"),
))]
pub async fn checkout(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<PaymentPath>,
    headers: HeaderMap,
) -> Response {
    let scope = format!("POST /orgs/{}/payments/{}/checkout", p.org_id, p.payment_id);
    idempotent(&state, c.who, &headers, &scope, &[], |_| async {
        // Checkout is idempotent by itself (the same live page comes back), so a resumed
        // attempt simply runs again.
        let pay = state.payments.checkout(&c, PaymentId(p.payment_id)).await?;
        let body = CheckoutResponse {
            redirect_url: pay.redirect_url.unwrap_or_default(),
            tran_ref: pay.tran_ref.unwrap_or_default(),
            state: pay.state.as_str().to_owned(),
        };
        Ok((StatusCode::OK, Json(body)))
    })
    .await
}

/// Refunds part or all of a paid payment (owners, admins, managers).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/payments/{payment_id}/refunds", tag = "payments", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("payment_id" = uuid::Uuid, Path)), request_body = RefundRequest, responses(
    (status = 201, description = "Refunded, or pending at the gateway", body = RefundResponse),
    (status = 409, description = "Not refundable in its state", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "More than what remains refundable", body = Problem, content_type = "application/problem+json"),
))]
pub async fn create_refund(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<PaymentPath>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let scope = format!("POST /orgs/{}/payments/{}/refunds", p.org_id, p.payment_id);
    idempotent(&state, c.who, &headers, &scope, &raw, |attempt| async {
        let key = match attempt {
            Attempt::Fresh(key) => key,
            Attempt::Resume(effect) => {
                let id = RefundId(effect_id(&effect)?);
                let r = state
                    .payments
                    .refund_of(&c, PaymentId(p.payment_id), id)
                    .await?;
                return Ok((StatusCode::CREATED, Json(RefundResponse::from(&r))));
            }
        };
        let b: RefundRequest = json_body(&headers, &raw)?;
        let currency = state
            .payments
            .get(&c, PaymentId(p.payment_id))
            .await?
            .amount
            .currency();
        let amount = money_in(&b.amount, currency.code(), "/amount", "/currency")?;
        let r = state
            .payments
            .refund(&c, PaymentId(p.payment_id), amount, &b.reason, key.as_ref())
            .await?;
        Ok((StatusCode::CREATED, Json(RefundResponse::from(&r))))
    })
    .await
}

/// The PayTabs IPN: verified over the exact bytes (`signature` header), confirmed with the
/// gateway, applied once. Answers 200 quickly; a redelivery is harmless.
#[utoipa::path(post, path = "/api/v1/webhooks/paytabs", tag = "payments", request_body(description = "The PayTabs IPN JSON, signed", content(("application/json"))), responses(
    (status = 200, description = "Received"),
    (status = 401, description = "Signature does not verify; nothing changed", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "From outside `paytabs.callback_allow_cidrs`; nothing changed", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many failed verifications from this address", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "Cannot confirm now; retry", body = Problem, content_type = "application/problem+json"),
))]
pub async fn paytabs_webhook(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let addr = client.ip.as_deref().and_then(|ip| ip.parse().ok());
    match state.callbacks.admit(addr) {
        Ok(()) => {}
        Err(Refusal::NotAllowed) => {
            tracing::warn!(client.ip = ?client.ip, "payment callback from outside the allowed networks refused");
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "callback_source_not_allowed",
                "callbacks are accepted only from the gateway's networks",
            ));
        }
        Err(Refusal::OverBudget(wait)) => {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_bad_callbacks",
                "too many callbacks from this address failed verification",
            )
            .with_retry_after(wait.as_secs().max(1)));
        }
    }
    let signature = headers
        .get("signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match state.payments.callback(&body, signature).await {
        Ok(()) => Ok(Json(serde_json::json!({ "status": "received" }))),
        Err(CallbackError::Unverified) => {
            state.callbacks.failed(addr);
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_signature",
                "the signature does not match the body",
            ))
        }
        Err(CallbackError::Retry(e)) => Err(e.into()),
    }
}

async fn finish_return(state: &AppState, fields: Vec<(String, String)>) -> Response {
    match state.payments.browser_return(&fields).await {
        Ok(p) => {
            let target = match &state.payment_result_url {
                Some(url) => format!(
                    "{url}{}payment_id={}&state={}",
                    if url.contains('?') { '&' } else { '?' },
                    p.id,
                    p.state.as_str()
                ),
                None => format!("/api/v1/payments/{}/result", p.id),
            };
            Redirect::to(&target).into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The browser's return from the payment page (GET with a query string).
#[utoipa::path(get, path = "/api/v1/payments/return/paytabs", tag = "payments", responses(
    (status = 303, description = "To the result page"),
    (status = 401, description = "The return could not be verified", body = Problem, content_type = "application/problem+json"),
))]
pub async fn paytabs_return_get(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let fields = url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    finish_return(&state, fields).await
}

/// The browser's return from the payment page (form POST).
#[utoipa::path(post, path = "/api/v1/payments/return/paytabs", tag = "payments", request_body(description = "The signed return form", content(("application/x-www-form-urlencoded"))), responses(
    (status = 303, description = "To the result page"),
    (status = 401, description = "The return could not be verified", body = Problem, content_type = "application/problem+json"),
))]
pub async fn paytabs_return_post(State(state): State<AppState>, body: Bytes) -> Response {
    let fields = url::form_urlencoded::parse(&body).into_owned().collect();
    finish_return(&state, fields).await
}

/// Path of a result page.
#[derive(Deserialize)]
pub struct ResultPath {
    pub(crate) payment_id: uuid::Uuid,
}

/// A plain page telling the client how their payment stands (the true state, from our records).
#[utoipa::path(get, path = "/api/v1/payments/{payment_id}/result", tag = "payments", params(("payment_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "An HTML page", content_type = "text/html"),
    (status = 404, description = "Unknown payment", body = Problem, content_type = "application/problem+json"),
))]
pub async fn payment_result(
    State(state): State<AppState>,
    ApiPath(p): ApiPath<ResultPath>,
) -> Result<Response, ApiError> {
    let pay = state
        .payments
        .store
        .payment_by_id(PaymentId(p.payment_id))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "payment not found"))?;
    let words = match pay.state.as_str() {
        "paid" => "Thank you: your payment was received.",
        "pending" | "on_hold" => {
            "Your payment is being confirmed. This page does not need to stay open."
        }
        "declined" => "Your payment was declined. No money was taken.",
        "cancelled" => "You cancelled the payment. No money was taken.",
        _ => "This payment did not go through.",
    };
    let mut res = Html(format!("<!doctype html><html><head><meta charset=\"utf-8\"><title>Payment</title></head><body><h1>{words}</h1><p>State: {}</p></body></html>", pay.state.as_str())).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}
