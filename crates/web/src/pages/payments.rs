//! Payments: the list with a state filter, a payment with its event timeline and refunds, the
//! staff's refund form, and the page a client comes back to from the payment page, which shows
//! the state from our records (not what the return claimed) and updates itself while pending.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use nestcms_domain::identity::OrgId;
use nestcms_domain::identity::policy::Action;
use nestcms_domain::payments::ports::{Idempotency, IdempotencyBinding};
use nestcms_domain::payments::{PaymentEvent, PaymentId, PaymentState};
use nestcms_domain::{DomainError, Money};
use serde::Deserialize;

use super::member_or_return;
use crate::ctx::{Frame, Person, Posted, Visitor};
use crate::fmt;
use crate::i18n::Lang;
use crate::pager::{After, Pager};

pub(crate) struct PaymentRow {
    id: uuid::Uuid,
    description: String,
    amount: String,
    state: &'static str,
    at: String,
}

#[derive(Template)]
#[template(path = "payments.html")]
struct Payments<'a> {
    f: &'a Frame,
    org: uuid::Uuid,
    payments: Vec<PaymentRow>,
    states: Vec<&'static str>,
    filter: String,
    pager: Pager,
}

/// `?state=` on the list.
#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    state: String,
}

/// `GET /app/o/{org}/payments`: newest first, a page at a time, optionally in one state (the
/// store filters, so older payments in that state are reached too).
pub async fn list(
    p: Person,
    Path(org): Path<uuid::Uuid>,
    Query(q): Query<Filter>,
    Query(after): Query<After>,
) -> Response {
    let (c, v) = member_or_return!(p, org);
    let lang = v.frame.lang;
    let state = if q.state.is_empty() {
        None
    } else {
        match PaymentState::parse(&q.state) {
            Some(s) => Some(s),
            None => {
                let e = DomainError::invalid("?state", "invalid", "no payment is in that state");
                return v.refuse(&e);
            }
        }
    };
    let page = match after.page() {
        Ok(page) => page,
        Err(e) => return v.refuse(&e),
    };
    let found = match v.state.payments.list(&c, state, page).await {
        Ok(found) => found,
        Err(e) => return v.refuse(&e),
    };
    let pager = Pager::of(&after, &found, |p| p.id.0, &[("state", &q.state)]);
    let rows = found
        .items
        .into_iter()
        .map(|p| PaymentRow {
            id: p.id.0,
            amount: fmt::money(lang, p.amount),
            state: p.state.as_str(),
            at: fmt::moment(lang, p.created_at),
            description: p.description,
        })
        .collect();
    let states = [
        "paid",
        "pending",
        "partially_refunded",
        "refunded",
        "declined",
        "on_hold",
    ];
    let t = Payments {
        f: &v.frame,
        org,
        payments: rows,
        states: states.to_vec(),
        filter: q.state,
        pager,
    };
    {
        let html = t.render();
        v.page(StatusCode::OK, html)
    }
}

#[derive(Template)]
#[template(path = "payment.html")]
struct PaymentPage<'a> {
    f: &'a Frame,
    org: uuid::Uuid,
    id: uuid::Uuid,
    description: String,
    state: &'static str,
    amount: String,
    refunded: String,
    refund_key: String,
    currency: &'static str,
    tran_ref: Option<String>,
    receipt: bool,
    events: Vec<(String, String, String)>,
    refunds: Vec<(String, String, &'static str)>,
    can_refund: bool,
}

/// What an event adds to its name on the timeline.
fn detail(lang: Lang, e: &PaymentEvent) -> String {
    let d = &e.detail;
    let text = |k: &str| {
        d.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let w = lang.words();
    match e.kind.as_str() {
        "state_changed" => format!("{} → {}", w.state(&text("from")), w.state(&text("to"))),
        "created" | "refund_requested" | "refund_settled" => {
            let amount = text("amount");
            if amount.is_empty() {
                String::new()
            } else {
                format!("{} {}", fmt::digits(lang, &amount), text("currency"))
            }
        }
        _ => text("tran_ref"),
    }
}

/// `GET /app/o/{org}/payments/{id}`.
pub async fn show(p: Person, Path((org, id)): Path<(uuid::Uuid, uuid::Uuid)>) -> Response {
    render(p, org, id, None).await
}

async fn render(p: Person, org: uuid::Uuid, id: uuid::Uuid, error: Option<String>) -> Response {
    let (c, mut v) = member_or_return!(p, org);
    let lang = v.frame.lang;
    let (pay, refunds, events) = match v.state.payments.details(&c, PaymentId(id)).await {
        Ok(found) => found,
        Err(e) => return v.refuse(&e),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    v.frame.error = error;
    let refundable = matches!(
        pay.state,
        PaymentState::Paid | PaymentState::PartiallyRefunded
    );
    let t = PaymentPage {
        f: &v.frame,
        org,
        id,
        state: pay.state.as_str(),
        amount: fmt::money(lang, pay.amount),
        refunded: if pay.refunded.minor() == 0 {
            String::new()
        } else {
            fmt::money(lang, pay.refunded)
        },
        refund_key: crate::session::nonce(),
        currency: pay.amount.currency().code(),
        tran_ref: pay.tran_ref.clone(),
        receipt: pay.state == PaymentState::Paid || pay.refunded.minor() > 0,
        events: events
            .iter()
            .map(|e| (fmt::moment(lang, e.at), e.kind.clone(), detail(lang, e)))
            .collect(),
        refunds: refunds
            .iter()
            .map(|r| {
                (
                    fmt::money(lang, r.amount),
                    r.reason.clone(),
                    r.state.as_str(),
                )
            })
            .collect(),
        can_refund: refundable && c.require(Action::ManageContracts).is_ok(),
        description: pay.description,
    };
    {
        let html = t.render();
        v.page(status, html)
    }
}

/// The refund form. `key` is drawn once with the form: pressed twice (a double click, a
/// resent form), the second press finds the first under the same idempotency key and refunds
/// nothing more.
#[derive(Deserialize)]
pub struct RefundForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    key: String,
}

/// `POST /app/o/{org}/payments/{id}/refunds`.
pub async fn refund(
    p: Person,
    Path((org, id)): Path<(uuid::Uuid, uuid::Uuid)>,
    Posted { form, .. }: Posted<RefundForm>,
) -> Response {
    let state = p.v.state.clone();
    let back = format!("/app/o/{org}/payments/{id}");
    let c = match nestcms_app::caller(&state.identity, p.who, OrgId(org)).await {
        Ok(c) => c,
        Err(e) => return p.v.refuse(&e),
    };
    let key = form.key.trim();
    if key.len() != 43
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        let why = p.v.frame.w.bad_form.to_owned();
        return p.v.message(StatusCode::BAD_REQUEST, why);
    }
    // The same form pressed again carries the same key and the same fields.
    let hash = format!(
        "web refund {id} {} {}",
        form.amount.trim(),
        form.reason.trim()
    );
    let now = chrono::Utc::now();
    let stale = now - chrono::Duration::hours(1);
    let claim = state
        .idempotency
        .begin(c.user(), key, &hash, now, stale)
        .await;
    match claim {
        Ok(Idempotency::Run) => {}
        // Done already, or still under way: the payment's page shows how it stands.
        Ok(Idempotency::Replay { .. } | Idempotency::Resume { .. } | Idempotency::InProgress) => {
            return p.v.to(&back);
        }
        Ok(Idempotency::Mismatch) => {
            let why = p.v.frame.w.bad_form.to_owned();
            return p.v.message(StatusCode::UNPROCESSABLE_ENTITY, why);
        }
        Err(e) => return p.v.refuse(&DomainError::Internal(e.to_string())),
    }
    let binding = IdempotencyBinding {
        principal: c.user(),
        key: key.to_owned(),
    };
    let outcome = async {
        let pay = state.payments.get(&c, PaymentId(id)).await?;
        let amount = Money::parse_positive(form.amount.trim(), pay.amount.currency())
            .map_err(|e| DomainError::invalid("/amount", "invalid_amount", e.to_string()))?;
        state
            .payments
            .refund(&c, pay.id, amount, &form.reason, Some(&binding))
            .await
    }
    .await;
    match outcome {
        Ok(_) => {
            if let Err(e) = state.idempotency.finish(c.user(), key, 303, "").await {
                tracing::warn!(error = %e, "refund form key not closed");
            }
            p.v.to(&back)
        }
        Err(e) => {
            if let Err(e) = state.idempotency.release(c.user(), key).await {
                tracing::warn!(error = %e, "refund form key not released");
            }
            let why = crate::ctx::explain(p.v.frame.lang, &e).1;
            render(p, org, id, Some(why)).await
        }
    }
}

#[derive(Template)]
#[template(path = "paid.html")]
struct Paid<'a> {
    f: &'a Frame,
    headline: &'static str,
    state: &'static str,
    amount: String,
    waiting: bool,
    back: Option<String>,
}

/// `?payment_id=` from the payment page's return.
#[derive(Deserialize)]
pub struct Returned {
    payment_id: uuid::Uuid,
}

/// `GET /app/paid?payment_id=…`: how the payment stands in our records. Anyone holding the
/// payment's id sees its state and amount (as with a pay link); the way back to the contract
/// is shown to a signed-in member who may see it.
pub async fn result(v: Visitor, Query(q): Query<Returned>) -> Response {
    let found = v
        .state
        .payments
        .store
        .payment_by_id(PaymentId(q.payment_id))
        .await;
    let pay = match found {
        Ok(Some(p)) => p,
        Ok(None) => return v.refuse(&DomainError::NotFound("payment")),
        Err(e) => return v.refuse(&DomainError::Internal(e.to_string())),
    };
    let mut back = None;
    if let (Some(who), Some(k)) = (v.who, pay.contract_id)
        && let Ok(c) = nestcms_app::caller(&v.state.identity, who, pay.org_id).await
        && c.sees(Some(pay.client_id))
    {
        back = Some(format!("/app/o/{}/contracts/{}", pay.org_id.0, k.0));
    }
    let w = v.frame.w;
    let (headline, waiting) = match pay.state {
        PaymentState::Paid | PaymentState::PartiallyRefunded | PaymentState::Refunded => {
            (w.paid_headline, false)
        }
        PaymentState::Created | PaymentState::Pending | PaymentState::OnHold => {
            (w.pending_headline, true)
        }
        _ => (w.failed_headline, false),
    };
    let t = Paid {
        f: &v.frame,
        headline,
        state: pay.state.as_str(),
        amount: fmt::money(v.frame.lang, pay.amount),
        waiting,
        back,
    };
    {
        let html = t.render();
        v.page(StatusCode::OK, html)
    }
}

/// `GET /app/o/{org}/payments/{id}/receipt`: the receipt PDF (staff, or the client who paid).
pub async fn receipt(p: Person, Path((org, id)): Path<(uuid::Uuid, uuid::Uuid)>) -> Response {
    let made =
        p.v.state
            .invoices
            .receipt(p.who, OrgId(org), PaymentId(id))
            .await;
    match made {
        Ok((name, pdf)) => crate::ctx::file(p.v.out, pdf, "application/pdf", &name, true),
        Err(e) => p.v.refuse(&e),
    }
}
