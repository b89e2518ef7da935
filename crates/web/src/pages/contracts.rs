//! Contracts: the list, a contract with its instalment schedule, the staff's instalment
//! editor (the running sum shown as they type, a mismatch refused with the reason), the
//! client's approval, the staff's activation and closing, and the client's Pay button.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use nestcms_app::construction::contracts;
use nestcms_domain::construction::standing::Standing;
use nestcms_domain::construction::{Contract, ContractId, ContractStatus};
use nestcms_domain::invoices::DocKind;
use nestcms_domain::payments::PaymentState;
use nestcms_domain::{DomainError, FieldError, Money};
use serde::de::IgnoredAny;

use super::member_or_return;
use crate::ctx::{Frame, Person, Posted};
use crate::fmt;
use crate::pager::{After, Pager};

/// The editor's rows as typed: amount and due date.
type Rows = Vec<(String, String)>;

/// What a refused editor shows again: the rows, the status and the reason.
type Typed = (Rows, StatusCode, String);

pub(crate) struct ContractRow {
    id: uuid::Uuid,
    title: String,
    total: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "contracts.html")]
struct Contracts<'a> {
    f: &'a Frame,
    org: uuid::Uuid,
    contracts: Vec<ContractRow>,
    pager: Pager,
}

/// `GET /app/o/{org}/contracts`.
pub async fn list(p: Person, Path(org): Path<uuid::Uuid>, Query(after): Query<After>) -> Response {
    let (c, v) = member_or_return!(p, org);
    let lang = v.frame.lang;
    let page = match after.page() {
        Ok(page) => page,
        Err(e) => return v.refuse(&e),
    };
    match contracts::list(&v.state.construction, &c, None, page).await {
        Ok(found) => {
            let pager = Pager::of(&after, &found, |k| k.id.0, &[]);
            let rows = found
                .items
                .into_iter()
                .map(|k| ContractRow {
                    id: k.id.0,
                    total: fmt::money(lang, k.total),
                    status: k.status.as_str(),
                    title: k.title,
                })
                .collect();
            let t = Contracts {
                f: &v.frame,
                org,
                contracts: rows,
                pager,
            };
            {
                let html = t.render();
                v.page(StatusCode::OK, html)
            }
        }
        Err(e) => v.refuse(&e),
    }
}

pub(crate) struct Line {
    seq: u32,
    amount: String,
    due: String,
    standing: &'static str,
    invoice: Option<String>,
    payable: bool,
    payment: Option<uuid::Uuid>,
}

#[derive(Template)]
#[template(path = "contract.html")]
struct ContractPage<'a> {
    f: &'a Frame,
    org: uuid::Uuid,
    id: uuid::Uuid,
    title: String,
    content: String,
    status: &'static str,
    total: String,
    client_can_answer: bool,
    moves: Vec<(&'static str, &'static str)>,
    schedule: Vec<Line>,
    editable: bool,
    rows: Vec<(String, String)>,
    currency: &'static str,
    exponent: u32,
    total_plain: String,
    sum_plain: String,
}

/// `GET /app/o/{org}/contracts/{id}`.
pub async fn show(p: Person, Path((org, id)): Path<(uuid::Uuid, uuid::Uuid)>) -> Response {
    render(p, org, id, None).await
}

/// The contract page; `typed` keeps the editor's rows (and the reason) after a refusal.
async fn render(p: Person, org: uuid::Uuid, id: uuid::Uuid, typed: Option<Typed>) -> Response {
    let (c, mut v) = member_or_return!(p, org);
    let lang = v.frame.lang;
    let data = &v.state.construction;
    let k = match contracts::get(data, &c, ContractId(id)).await {
        Ok(k) => k,
        Err(e) => return v.refuse(&e),
    };
    let standing = match contracts::schedule(data, &k).await {
        Ok(s) => s,
        Err(e) => return v.refuse(&e),
    };
    let mine = k.client_id == c.user();
    let approved = matches!(
        k.status,
        ContractStatus::ApprovedByClient | ContractStatus::Active
    );
    let schedule = standing
        .iter()
        .map(|s| Line {
            seq: s.instalment.seq,
            amount: fmt::money(lang, s.instalment.amount),
            due: fmt::date(lang, s.instalment.due_date),
            standing: s.standing.as_str(),
            invoice: s
                .payment
                .as_ref()
                .and_then(|p| p.invoice)
                .map(|(_, n)| DocKind::Invoice.number(n)),
            payable: mine
                && approved
                && matches!(s.standing, Standing::Due | Standing::Overdue)
                && !s
                    .payment
                    .as_ref()
                    .is_some_and(|p| p.state == PaymentState::OnHold),
            payment: s.payment.as_ref().map(|p| p.payment.0),
        })
        .collect();
    let editable = c.is_staff() && k.status == ContractStatus::Review;
    let w = v.frame.w;
    let mut moves = Vec::new();
    if c.is_staff() && k.status == ContractStatus::ApprovedByClient {
        moves.push(("activate", w.activate));
    }
    if c.is_staff() && approved {
        moves.push(("close", w.close));
    }
    let (rows, status) = match typed {
        Some((rows, status, why)) => {
            v.frame.error = Some(why);
            (rows, status)
        }
        None => (editor_rows(&k), StatusCode::OK),
    };
    let sum = k.instalments.iter().map(|i| i.amount.minor()).sum::<i64>();
    let t = ContractPage {
        f: &v.frame,
        org,
        id,
        client_can_answer: mine && k.status == ContractStatus::Review && !k.instalments.is_empty(),
        status: k.status.as_str(),
        total: fmt::money(lang, k.total),
        moves,
        schedule,
        editable,
        rows,
        currency: k.total.currency().code(),
        exponent: k.total.currency().exponent(),
        total_plain: k.total.amount_string(),
        sum_plain: Money::from_minor(sum, k.total.currency()).amount_string(),
        title: k.title,
        content: k.content,
    };
    {
        let html = t.render();
        v.page(status, html)
    }
}

/// The editor's rows: the schedule so far and three empty rows to add to it.
fn editor_rows(k: &Contract) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = k
        .instalments
        .iter()
        .map(|i| (i.amount.amount_string(), i.due_date.to_string()))
        .collect();
    rows.extend(std::iter::repeat_n((String::new(), String::new()), 3));
    rows
}

/// The editor's rows as typed (empty rows dropped), or the row that cannot be read.
fn read_rows(
    pairs: &[(String, String)],
    currency: nestcms_domain::Currency,
) -> (Rows, Result<Vec<(Money, NaiveDate)>, FieldError>) {
    let amounts = pairs
        .iter()
        .filter(|(k, _)| k == "amount")
        .map(|(_, v)| v.trim());
    let dues = pairs
        .iter()
        .filter(|(k, _)| k == "due")
        .map(|(_, v)| v.trim());
    let typed: Vec<(String, String)> = amounts
        .zip(dues)
        .filter(|(a, d)| !a.is_empty() || !d.is_empty())
        .map(|(a, d)| (a.to_owned(), d.to_owned()))
        .collect();
    let parsed = typed
        .iter()
        .enumerate()
        .map(|(i, (a, d))| {
            let field = format!("/instalments/{i}");
            let amount = Money::parse_positive(a, currency).map_err(|e| {
                FieldError::new(format!("{field}/amount"), "invalid_amount", e.to_string())
            })?;
            let due = d.parse::<NaiveDate>().map_err(|_| {
                FieldError::new(format!("{field}/due_date"), "invalid_date", "give a date")
            })?;
            Ok((amount, due))
        })
        .collect();
    (typed, parsed)
}

/// `POST /app/o/{org}/contracts/{id}/instalments`: replaces the schedule.
pub async fn set_instalments(
    p: Person,
    Path((org, id)): Path<(uuid::Uuid, uuid::Uuid)>,
    posted: Posted<IgnoredAny>,
) -> Response {
    let state = p.v.state.clone();
    let caller =
        match nestcms_app::caller(&state.identity, p.who, nestcms_domain::identity::OrgId(org))
            .await
        {
            Ok(c) => c,
            Err(e) => return p.v.refuse(&e),
        };
    let k = match contracts::get(&state.construction, &caller, ContractId(id)).await {
        Ok(k) => k,
        Err(e) => return p.v.refuse(&e),
    };
    let (mut typed, parsed) = read_rows(&posted.pairs, k.total.currency());
    let outcome = match parsed {
        Ok(items) => contracts::set_instalments(&state.construction, &caller, k.id, items).await,
        Err(e) => Err(DomainError::Validation(vec![e])),
    };
    match outcome {
        Ok(_) => p.v.to(&format!("/app/o/{org}/contracts/{id}")),
        Err(e) => {
            let (status, why) = crate::ctx::explain(p.v.frame.lang, &e);
            typed.extend(std::iter::repeat_n((String::new(), String::new()), 2));
            render(p, org, id, Some((typed, status, why))).await
        }
    }
}

/// `POST /app/o/{org}/contracts/{id}/{approve|reject|activate|close}`.
pub async fn transition(
    p: Person,
    Path((org, id, verb)): Path<(uuid::Uuid, uuid::Uuid, String)>,
    _: Posted<IgnoredAny>,
) -> Response {
    let to = match verb.as_str() {
        "approve" => ContractStatus::ApprovedByClient,
        "reject" => ContractStatus::RejectedByClient,
        "activate" => ContractStatus::Active,
        "close" => ContractStatus::Closed,
        _ => return p.v.refuse(&DomainError::NotFound("page")),
    };
    let (c, v) = member_or_return!(p, org);
    match contracts::transition(&v.state.construction, &c, ContractId(id), to).await {
        Ok(_) => v.to(&format!("/app/o/{org}/contracts/{id}")),
        Err(e) => v.refuse(&e),
    }
}

/// `POST /app/o/{org}/contracts/{id}/pay/{seq}`: to the payment page of that instalment.
pub async fn pay(
    p: Person,
    Path((org, id, seq)): Path<(uuid::Uuid, uuid::Uuid, u32)>,
    _: Posted<IgnoredAny>,
) -> Response {
    let (c, v) = member_or_return!(p, org);
    let opened = v
        .state
        .payments
        .pay_instalment(&v.state.construction, &c, ContractId(id), seq)
        .await;
    match opened {
        Ok(payment) => match payment.redirect_url {
            Some(url) => v.to(&url),
            None => v.refuse(&DomainError::Unavailable("the payment page")),
        },
        Err(e) => v.refuse(&e),
    }
}
