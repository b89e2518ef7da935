//! `payment/request` and `payment/query`, with PayTabs' authentication, validation and
//! duplicate rules, plus IPN delivery.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use nestcms_paytabs::Amount;
use nestcms_paytabs::signature::ipn_signature;
use nestcms_paytabs::wire::{PaymentResult, Redirect, Transaction};
use rand::Rng;
use serde_json::{Value, json};

use crate::state::{Entry, Simulator, decimals};

/// A PayTabs error: HTTP status plus the `{code, message, trace}` body.
pub(crate) struct Failure {
    status: StatusCode,
    body: Value,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// A PayTabs error body with its HTTP status.
pub(crate) fn failure(sim: &Simulator, status: StatusCode, code: i64, message: &str) -> Failure {
    Failure {
        status,
        body: json!({ "code": code, "message": message, "trace": sim.trace("PMNT") }),
    }
}

/// Takes one from a countdown of injected faults; false once it is at zero.
fn take_one(left: &std::sync::atomic::AtomicU64) -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    left.fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1))
        .is_ok()
}

/// Latency, bursts, outages, random 500s and timeouts, as configured or injected.
pub(crate) async fn faults(sim: &Simulator) -> Option<Response> {
    let f = &sim.config.faults;
    if !f.latency.is_zero() {
        tokio::time::sleep(f.latency).await;
    }
    let in_burst = take_one(&sim.burst_left);
    if in_burst || sim.in_outage() {
        // Asks to be called again in a second, as a gateway shedding load does.
        return Some(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(axum::http::header::RETRY_AFTER, "1")],
                "simulated burst of errors",
            )
                .into_response(),
        );
    }
    if f.error_rate > 0.0 && rand::rng().random_bool(f.error_rate.clamp(0.0, 1.0)) {
        return Some((StatusCode::INTERNAL_SERVER_ERROR, "simulated outage").into_response());
    }
    let hang_now = take_one(&sim.hang_left);
    if hang_now || (f.timeout_rate > 0.0 && rand::rng().random_bool(f.timeout_rate.clamp(0.0, 1.0)))
    {
        tokio::time::sleep(crate::state::HANG).await;
        return Some((StatusCode::GATEWAY_TIMEOUT, "simulated timeout").into_response());
    }
    None
}

/// Checks `authorization` (case-insensitive header name) and `profile_id`; parses the body.
fn authenticate(sim: &Simulator, headers: &HeaderMap, body: &[u8]) -> Result<Value, Failure> {
    let key_ok = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(sim.config.server_key.as_str());
    let body: Value = serde_json::from_slice(body).map_err(|_| {
        failure(
            sim,
            StatusCode::BAD_REQUEST,
            2,
            "Request must be in JSON format with content-type Application/JSON",
        )
    })?;
    let profile_ok = match &body["profile_id"] {
        Value::Number(n) => n.as_u64() == Some(sim.config.profile_id),
        Value::String(s) => s.parse::<u64>().ok() == Some(sim.config.profile_id),
        _ => false,
    };
    if !key_ok || !profile_ok {
        return Err(failure(
            sim,
            StatusCode::UNAUTHORIZED,
            1,
            "Authentication failed. Check authentication header.",
        ));
    }
    Ok(body)
}

/// The fields every `payment/request` shares, validated with PayTabs' codes.
struct Cart {
    tran_type: String,
    cart_id: String,
    description: String,
    currency: String,
    decimals: u32,
    amount: Amount,
}

fn cart(sim: &Simulator, b: &Value) -> Result<Cart, Failure> {
    let bad = |code, msg: &str| failure(sim, StatusCode::BAD_REQUEST, code, msg);
    let cart_id = b["cart_id"]
        .as_str()
        .filter(|s| (1..=64).contains(&s.len()))
        .ok_or_else(|| bad(101, "Cart ID not valid"))?;
    let description = b["cart_description"]
        .as_str()
        .filter(|s| (1..=128).contains(&s.len()))
        .ok_or_else(|| bad(102, "Description not valid"))?;
    let currency = b["cart_currency"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let dec = decimals(&currency).ok_or_else(|| bad(206, "Invalid currency code"))?;
    let amount = match &b["cart_amount"] {
        Value::Number(n) => Amount::parse(&n.to_string(), dec),
        Value::String(s) => Amount::parse(s, dec),
        _ => None,
    }
    .filter(|a| a.minor > 0)
    .ok_or_else(|| bad(2, "Invalid cart amount"))?;
    let tran_type = b["tran_type"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    Ok(Cart {
        tran_type,
        cart_id: cart_id.to_owned(),
        description: description.to_owned(),
        currency,
        decimals: dec,
        amount,
    })
}

fn capitalised(t: &str) -> String {
    let mut c = t.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// `POST /payment/request`.
pub(crate) async fn payment_request(
    State(sim): State<Arc<Simulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = faults(&sim).await {
        return r;
    }
    let b = match authenticate(&sim, &headers, &body) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let c = match cart(&sim, &b) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    // An identical request within the window is a duplicate (§7).
    let fingerprint = format!(
        "{}|{}|{}|{}",
        c.cart_id,
        c.tran_type,
        c.amount.to_decimal(),
        b["tran_ref"].as_str().unwrap_or_default()
    );
    if let Ok(mut recent) = sim.recent.lock() {
        let window = sim.config.duplicate_window;
        recent.retain(|_, at| at.elapsed() < window);
        if recent.contains_key(&fingerprint) {
            return failure(&sim, StatusCode::CONFLICT, 4, "Duplicate Request").into_response();
        }
        recent.insert(fingerprint, Instant::now());
    }
    match c.tran_type.as_str() {
        "sale" | "auth" => create_page(&sim, &b, c),
        "capture" | "void" | "release" | "refund" => follow_up(&sim, &b, c),
        _ => failure(&sim, StatusCode::BAD_REQUEST, 2, "Invalid request").into_response(),
    }
}

fn url_field(b: &Value, key: &str) -> Option<String> {
    b[key]
        .as_str()
        .filter(|u| !u.is_empty() && u.len() <= 255)
        .map(str::to_owned)
}

fn create_page(sim: &Arc<Simulator>, b: &Value, c: Cart) -> Response {
    let tran_ref = sim.next_ref();
    let token: String = (0..28)
        .map(|_| format!("{:02X}", rand::rng().random::<u8>()))
        .collect();
    let amount = c.amount.to_decimal();
    let tran = Transaction {
        tran_ref: tran_ref.clone(),
        previous_tran_ref: None,
        profile_id: Some(sim.config.profile_id),
        cart_id: c.cart_id.clone(),
        cart_description: c.description.clone(),
        cart_currency: c.currency.clone(),
        cart_amount: amount.clone(),
        tran_currency: c.currency.clone(),
        tran_total: amount.clone(),
        tran_type: capitalised(&c.tran_type),
        tran_class: "ECom".into(),
        payment_result: None,
        ipn_trace: None,
        trace: None,
    };
    let entry = Entry {
        tran,
        decimals: c.decimals,
        callback: url_field(b, "callback"),
        return_url: url_field(b, "return"),
        return_using_get: b["return_using_get"].as_bool().unwrap_or(false),
        followed_up: 0,
    };
    let redirect = Redirect {
        tran_ref: tran_ref.clone(),
        tran_type: capitalised(&c.tran_type),
        cart_id: c.cart_id,
        cart_description: c.description,
        cart_currency: c.currency,
        cart_amount: amount,
        redirect_url: format!(
            "{}/payment/page/{token}",
            sim.config.public_url.trim_end_matches('/')
        ),
        return_url: Some(entry.return_url.clone().unwrap_or_else(|| "none".into())),
        profile_id: Some(sim.config.profile_id),
        trace: Some(sim.trace("PMNT")),
    };
    if let (Ok(mut ledger), Ok(mut pages)) = (sim.ledger.lock(), sim.pages.lock()) {
        ledger.insert(tran_ref.clone(), entry);
        pages.insert(token, tran_ref);
    }
    Json(redirect).into_response()
}

fn follow_up(sim: &Arc<Simulator>, b: &Value, c: Cart) -> Response {
    let bad = |msg: &str| failure(sim, StatusCode::BAD_REQUEST, 2, msg).into_response();
    let Some(parent_ref) = b["tran_ref"].as_str() else {
        return bad("tran_ref is required for follow-ups");
    };
    let Ok(mut ledger) = sim.ledger.lock() else {
        return bad("ledger unavailable");
    };
    let Some(parent) = ledger.get_mut(parent_ref) else {
        return bad("Transaction not found");
    };
    let parent_type = parent.tran.tran_type.to_ascii_lowercase();
    let authorised = parent.tran.status() == nestcms_paytabs::wire::Status::Authorised;
    let allowed = match c.tran_type.as_str() {
        "refund" => authorised && (parent_type == "sale" || parent_type == "capture"),
        _ => authorised && parent_type == "auth",
    };
    if !allowed {
        return bad(&format!(
            "{} is not allowed on this transaction",
            capitalised(&c.tran_type)
        ));
    }
    if c.currency != parent.tran.cart_currency {
        return failure(sim, StatusCode::BAD_REQUEST, 206, "Invalid currency code").into_response();
    }
    let total = Amount::parse(&parent.tran.tran_total, parent.decimals).map_or(0, |a| a.minor);
    if parent.followed_up + c.amount.minor > total {
        return bad("Amount exceeds the remaining transaction amount");
    }
    let declined = c.tran_type == "refund" && sim.config.faults.decline_refunds;
    if !declined {
        parent.followed_up += c.amount.minor;
    }
    let amount = c.amount.to_decimal();
    let tran = Transaction {
        tran_ref: sim.next_ref(),
        previous_tran_ref: Some(parent_ref.to_owned()),
        profile_id: Some(sim.config.profile_id),
        cart_id: c.cart_id,
        cart_description: c.description,
        cart_currency: c.currency.clone(),
        cart_amount: amount.clone(),
        tran_currency: c.currency,
        tran_total: amount,
        tran_type: capitalised(&c.tran_type),
        tran_class: "ECom".into(),
        payment_result: Some(result(if declined { "D" } else { "A" })),
        ipn_trace: None,
        trace: Some(sim.trace("PMNT")),
    };
    let entry = Entry {
        tran: tran.clone(),
        decimals: c.decimals,
        callback: url_field(b, "callback"),
        return_url: None,
        return_using_get: false,
        followed_up: 0,
    };
    ledger.insert(tran.tran_ref.clone(), entry.clone());
    drop(ledger);
    deliver_ipn(sim, entry);
    Json(tran).into_response()
}

/// A payment result for a status letter, with PayTabs-like codes.
pub(crate) fn result(status: &str) -> PaymentResult {
    let (code, message) = match status {
        "A" => ("G84718", "Authorised"),
        "H" => ("G84718", "Held for review"),
        "P" => ("600", "Pending"),
        "D" => ("504", "Declined"),
        "C" => ("321", "Cancelled"),
        "X" => ("X01", "Expired"),
        _ => ("400", "Error"),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    PaymentResult {
        response_status: status.into(),
        response_code: code.into(),
        response_message: message.into(),
        transaction_time: Some(format!("@{now}")),
    }
}

/// Sends the IPN for an entry in the background: signed over the exact bytes, retried up to 5
/// times with a growing delay until the receiver answers 200.
pub(crate) fn deliver_ipn(sim: &Arc<Simulator>, entry: Entry) {
    let Some(callback) = entry.callback.clone() else {
        return;
    };
    if sim.config.faults.drop_ipns {
        return;
    }
    let sim = Arc::clone(sim);
    tokio::spawn(async move {
        let mut tran = entry.tran;
        tran.ipn_trace = Some(sim.trace("IPNS"));
        let Ok(body) = serde_json::to_vec(&tran) else {
            return;
        };
        let signature = ipn_signature(&sim.config.server_key, &body);
        for attempt in 0..=5u32 {
            if attempt > 0 {
                tokio::time::sleep(sim.config.ipn_retry_step * attempt).await;
            }
            sim.ipn_attempts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let sent = sim
                .http
                .post(&callback)
                .header("content-type", "application/json")
                .header("signature", &signature)
                .header("client-key", &sim.config.client_key)
                .body(body.clone())
                .send()
                .await;
            if sent.is_ok_and(|r| r.status() == StatusCode::OK) {
                return;
            }
        }
        tracing::warn!(tran_ref = %tran.tran_ref, "simulated IPN not accepted after 5 retries");
    });
}

/// `POST /payment/query`: by `tran_ref` (one object) or `cart_id` (an array).
pub(crate) async fn query(
    State(sim): State<Arc<Simulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = faults(&sim).await {
        return r;
    }
    let b = match authenticate(&sim, &headers, &body) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let Ok(ledger) = sim.ledger.lock() else {
        return failure(
            &sim,
            StatusCode::INTERNAL_SERVER_ERROR,
            2,
            "ledger unavailable",
        )
        .into_response();
    };
    if let Some(tran_ref) = b["tran_ref"].as_str() {
        return match ledger.get(tran_ref) {
            Some(e) => Json(&e.tran).into_response(),
            None => {
                failure(&sim, StatusCode::BAD_REQUEST, 2, "Transaction not found").into_response()
            }
        };
    }
    if let Some(cart_id) = b["cart_id"].as_str() {
        let mut all: Vec<&Transaction> = ledger
            .values()
            .map(|e| &e.tran)
            .filter(|t| t.cart_id == cart_id)
            .collect();
        all.sort_by(|a, b| a.tran_ref.cmp(&b.tran_ref));
        return Json(all).into_response();
    }
    failure(&sim, StatusCode::BAD_REQUEST, 2, "Invalid request").into_response()
}
