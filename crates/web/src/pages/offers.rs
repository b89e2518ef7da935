//! Offers: staff write them to a client; the client approves (it becomes a contract in
//! review) or rejects.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Days, NaiveDate, Utc};
use nestcms_app::construction::offers::{self, NewOffer};
use nestcms_app::identity::members;
use nestcms_domain::construction::ports::Page;
use nestcms_domain::construction::{OfferId, OfferStatus};
use nestcms_domain::identity::{OrgId, Role, UserId};
use nestcms_domain::{Currency, Money};
use serde::Deserialize;

use super::member_or_return;
use crate::ctx::{Frame, Person, Posted};
use crate::fmt;
use crate::pager::{After, Pager};

/// The newest hundred, for pickers and summaries (the lists page with [`crate::pager`]).
pub(crate) const NEWEST: Page = Page {
    cursor: None,
    ascending: false,
    limit: 100,
};

pub(crate) struct OfferRow {
    id: uuid::Uuid,
    title: String,
    scope: String,
    price: String,
    valid_until: String,
    status: &'static str,
    can_answer: bool,
    contract: Option<uuid::Uuid>,
}

#[derive(Template)]
#[template(path = "offers.html")]
struct Offers<'a> {
    f: &'a Frame,
    org: uuid::Uuid,
    staff: bool,
    offers: Vec<OfferRow>,
    clients: Vec<(uuid::Uuid, String)>,
    currencies: Vec<&'static str>,
    default_valid: NaiveDate,
    pager: Pager,
}

/// `GET /app/o/{org}/offers`.
pub async fn list(p: Person, Path(org): Path<uuid::Uuid>, Query(after): Query<After>) -> Response {
    show(p, org, &after, None).await
}

async fn show(p: Person, org: uuid::Uuid, after: &After, error: Option<String>) -> Response {
    let who = p.who;
    let (c, mut v) = member_or_return!(p, org);
    let lang = v.frame.lang;
    let page = match after.page() {
        Ok(page) => page,
        Err(e) => return v.refuse(&e),
    };
    let (found, pager) = match offers::list(&v.state.construction, &c, None, page).await {
        Ok(found) => {
            let pager = Pager::of(after, &found, |o| o.id.0, &[]);
            (found.items, pager)
        }
        Err(e) => return v.refuse(&e),
    };
    let clients = if c.is_staff() {
        match members::list(&v.state.identity, who, OrgId(org)).await {
            Ok(all) => all
                .into_iter()
                .filter(|(m, _)| m.role == Role::Client)
                .map(|(m, u)| {
                    (
                        m.user_id.0,
                        format!("{} ({})", u.full_name, u.email.as_str()),
                    )
                })
                .collect(),
            // Managers may not list members: they pick from nobody and see why.
            Err(_) => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    v.frame.error = error;
    let t = Offers {
        f: &v.frame,
        org,
        staff: c.is_staff(),
        offers: found
            .into_iter()
            .map(|o| OfferRow {
                id: o.id.0,
                can_answer: o.client_id == c.user() && matches!(o.status, OfferStatus::Review),
                title: o.title,
                scope: o.scope,
                price: fmt::money(lang, o.price),
                valid_until: fmt::date(lang, o.valid_until),
                status: o.status.as_str(),
                contract: o.contract_id.map(|k| k.0),
            })
            .collect(),
        clients,
        currencies: Currency::ALL.iter().map(|c| c.code()).collect(),
        default_valid: Utc::now().date_naive() + Days::new(30),
        pager,
    };
    {
        let html = t.render();
        v.page(status, html)
    }
}

/// The new offer form.
#[derive(Deserialize)]
pub struct NewOfferForm {
    client_id: uuid::Uuid,
    #[serde(default)]
    title: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    currency: String,
    valid_until: NaiveDate,
}

/// `POST /app/o/{org}/offers`.
pub async fn create(
    p: Person,
    Path(org): Path<uuid::Uuid>,
    Posted { form, .. }: Posted<NewOfferForm>,
) -> Response {
    let price = form
        .currency
        .parse::<Currency>()
        .ok()
        .and_then(|cur| Money::parse_positive(form.price.trim(), cur).ok());
    let Some(price) = price else {
        let message = format!("{}: {}", p.v.frame.w.price, form.price);
        return show(p, org, &After::default(), Some(message)).await;
    };
    let n = NewOffer {
        client_id: UserId(form.client_id),
        title: form.title,
        scope: form.scope,
        price,
        valid_until: form.valid_until,
    };
    let state = p.v.state.clone();
    let (c, v) = member_or_return!(p, org);
    match offers::create(&state.identity, &state.construction, &c, n).await {
        Ok(_) => v.to(&format!("/app/o/{org}/offers")),
        Err(e) => v.refuse(&e),
    }
}

/// `POST /app/o/{org}/offers/{id}/{approve|reject}`: the client's answer.
pub async fn answer(
    p: Person,
    Path((org, id, verb)): Path<(uuid::Uuid, uuid::Uuid, String)>,
    _: Posted<serde::de::IgnoredAny>,
) -> Response {
    let (c, v) = member_or_return!(p, org);
    let data = &v.state.construction;
    let done = match verb.as_str() {
        "approve" => offers::approve(data, &c, OfferId(id))
            .await
            .map(|k| Some(k.id.0)),
        "reject" => offers::reject(data, &c, OfferId(id)).await.map(|_| None),
        _ => return v.refuse(&nestcms_domain::DomainError::NotFound("page")),
    };
    match done {
        Ok(Some(contract)) => v.to(&format!("/app/o/{org}/contracts/{contract}")),
        Ok(None) => v.to(&format!("/app/o/{org}/offers")),
        Err(e) => v.refuse(&e),
    }
}
