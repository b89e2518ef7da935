//! The hosted payment page a person sees, its buttons, and the test hook that does the same.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use nestcms_paytabs::signature::return_signature;
use serde::Deserialize;
use serde_json::json;

use crate::handlers::{Failure, deliver_ipn, failure, result};
use crate::state::{Entry, Simulator};

/// What a completion asks for.
#[derive(Deserialize)]
pub(crate) struct Completion {
    response_status: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Sets the outcome, sends the IPN, and returns the signed browser-return fields.
fn complete(
    sim: &Arc<Simulator>,
    token: &str,
    status: &str,
) -> Result<(Entry, Vec<(String, String)>), Failure> {
    let status = status.trim().to_ascii_uppercase();
    if !["A", "D", "C", "H", "E", "P", "X"].contains(&status.as_str()) {
        return Err(failure(
            sim,
            StatusCode::BAD_REQUEST,
            2,
            "response_status must be one of A, D, C, H, E, P, X",
        ));
    }
    let tran_ref = sim
        .pages
        .lock()
        .ok()
        .and_then(|p| p.get(token).cloned())
        .ok_or_else(|| failure(sim, StatusCode::NOT_FOUND, 2, "Unknown payment page"))?;
    let entry = {
        let mut ledger = sim.ledger.lock().map_err(|_| {
            failure(
                sim,
                StatusCode::INTERNAL_SERVER_ERROR,
                2,
                "ledger unavailable",
            )
        })?;
        let entry = ledger
            .get_mut(&tran_ref)
            .ok_or_else(|| failure(sim, StatusCode::NOT_FOUND, 2, "Unknown payment page"))?;
        let current = entry
            .tran
            .payment_result
            .as_ref()
            .map(|r| r.response_status.clone());
        if current.as_deref().is_some_and(|s| s != "P" && s != "H") {
            return Err(failure(
                sim,
                StatusCode::CONFLICT,
                4,
                "This payment page is already completed",
            ));
        }
        entry.tran.payment_result = Some(result(&status));
        entry.clone()
    };
    deliver_ipn(sim, entry.clone());
    let r = result(&status);
    let mut fields: Vec<(String, String)> = vec![
        ("acquirerMessage".into(), String::new()),
        ("acquirerRRN".into(), String::new()),
        ("cartId".into(), entry.tran.cart_id.clone()),
        ("customerEmail".into(), String::new()),
        ("respCode".into(), r.response_code),
        ("respMessage".into(), r.response_message),
        ("respStatus".into(), status),
        ("token".into(), String::new()),
        ("tranRef".into(), entry.tran.tran_ref.clone()),
    ];
    let signature = return_signature(&sim.config.server_key, &fields);
    fields.push(("signature".into(), signature));
    Ok((entry, fields))
}

/// `GET /payment/page/{token}`: the sandbox page with Approve, Decline and Cancel.
pub(crate) async fn show(State(sim): State<Arc<Simulator>>, Path(token): Path<String>) -> Response {
    let tran_ref = sim.pages.lock().ok().and_then(|p| p.get(&token).cloned());
    let entry = tran_ref.and_then(|r| sim.ledger.lock().ok().and_then(|l| l.get(&r).cloned()));
    let Some(e) = entry else {
        return (
            StatusCode::NOT_FOUND,
            Html("<h1>Unknown payment page</h1>".to_owned()),
        )
            .into_response();
    };
    let button = |status: &str, label: &str| {
        format!(
            r#"<form method="post" action="{token}/pay"><input type="hidden" name="response_status" value="{status}"><button>{label}</button></form>"#
        )
    };
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>PayTabs sandbox</title></head><body>\
         <p><strong>SANDBOX — PayTabs simulator. No real payment is made.</strong></p>\
         <h1>{} {}</h1><p>{}</p><p>Reference {}</p>{}{}{}</body></html>",
        escape(&e.tran.cart_amount),
        escape(&e.tran.cart_currency),
        escape(&e.tran.cart_description),
        escape(&e.tran.tran_ref),
        button("A", "Approve"),
        button("D", "Decline"),
        button("C", "Cancel"),
    );
    let mut res = Html(html).into_response();
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static("default-src 'none'; form-action *"),
    );
    res
}

/// `POST /payment/page/{token}/pay`: a person pressed a button; the browser goes back to the
/// merchant with the signed result (a form POST, or a GET when `return_using_get`).
pub(crate) async fn pay(
    State(sim): State<Arc<Simulator>>,
    Path(token): Path<String>,
    Form(c): Form<Completion>,
) -> Response {
    let (entry, fields) = match complete(&sim, &token, &c.response_status) {
        Ok(done) => done,
        Err(r) => return r.into_response(),
    };
    let Some(return_url) = entry.return_url else {
        return Html(
            "<!doctype html><p>SANDBOX: payment page completed. You can close this window.</p>"
                .to_owned(),
        )
        .into_response();
    };
    if entry.return_using_get {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&fields)
            .finish();
        let sep = if return_url.contains('?') { '&' } else { '?' };
        return Redirect::to(&format!("{return_url}{sep}{query}")).into_response();
    }
    let inputs: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                r#"<input type="hidden" name="{}" value="{}">"#,
                escape(k),
                escape(v)
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{}\">{inputs}<noscript><button>Continue</button></noscript></form></body>",
        escape(&return_url)
    ))
    .into_response()
}

/// `POST /payment/page/{token}/complete`: the test hook; JSON in, the signed return fields out.
pub(crate) async fn complete_hook(
    State(sim): State<Arc<Simulator>>,
    Path(token): Path<String>,
    Json(c): Json<Completion>,
) -> Response {
    match complete(&sim, &token, &c.response_status) {
        Ok((entry, fields)) => {
            let map: serde_json::Map<String, serde_json::Value> =
                fields.into_iter().map(|(k, v)| (k, json!(v))).collect();
            Json(json!({ "tran_ref": entry.tran.tran_ref, "response_status": c.response_status.to_ascii_uppercase(), "return_url": entry.return_url, "return_fields": map })).into_response()
        }
        Err(r) => r.into_response(),
    }
}
