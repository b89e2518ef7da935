//! The office's records: invoices and notes (with their PDF), the security audit log, and the
//! articles editor (drafts, then published to the public news pages).

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use nestcms_app::content::{self, ArticleInput};
use nestcms_app::identity::audit;
use nestcms_domain::content::{ArticleId, ArticleStatus};
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::invoices::InvoiceId;
use nestcms_domain::invoices::ports::InvoiceFilter;
use serde::Deserialize;
use std::collections::HashMap;

use super::member_or_return;
use super::orgs::people;
use crate::ctx::{Frame, Person, Posted};
use crate::fmt;

pub(crate) struct InvoiceRow {
    id: uuid::Uuid,
    label: String,
    buyer: String,
    total: String,
    state: &'static str,
    issued: String,
}

#[derive(Template)]
#[template(path = "invoices.html")]
struct Invoices<'a> {
    f: &'a Frame,
    org: uuid::Uuid,
    invoices: Vec<InvoiceRow>,
}

/// `GET /app/o/{org}/invoices`: staff see every document; a client sees their own issued ones.
pub async fn invoices(p: Person, Path(org): Path<uuid::Uuid>) -> Response {
    let who = p.who;
    let (c, v) = member_or_return!(p, org);
    let lang = v.frame.lang;
    let filter = InvoiceFilter {
        issued_only: !c.is_staff(),
        limit: 100,
        ..Default::default()
    };
    let found = match v.state.invoices.list(who, OrgId(org), filter).await {
        Ok(found) => found,
        Err(e) => return v.refuse(&e),
    };
    let rows = found
        .into_iter()
        .map(|i| InvoiceRow {
            id: i.id.0,
            label: i.label(),
            total: fmt::money(lang, i.money(i.totals.gross)),
            state: i.state.as_str(),
            issued: i
                .issued_at
                .map(|t| fmt::moment(lang, t))
                .unwrap_or_default(),
            buyer: i.buyer.name,
        })
        .collect();
    let t = Invoices {
        f: &v.frame,
        org,
        invoices: rows,
    };
    let html = t.render();
    v.page(StatusCode::OK, html)
}

/// `GET /app/o/{org}/invoices/{id}/pdf`.
pub async fn invoice_pdf(p: Person, Path((org, id)): Path<(uuid::Uuid, uuid::Uuid)>) -> Response {
    match p
        .v
        .state
        .invoices
        .pdf(p.who, OrgId(org), InvoiceId(id))
        .await
    {
        Ok((name, pdf)) => crate::ctx::file(
            p.v.out,
            pdf,
            "application/pdf",
            &format!("{name}.pdf"),
            true,
        ),
        Err(e) => p.v.refuse(&e),
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct Audit<'a> {
    f: &'a Frame,
    events: Vec<(String, String, String, String)>,
}

/// `GET /app/o/{org}/audit`: the newest hundred security events (owners and admins).
pub async fn audit_log(p: Person, Path(org): Path<uuid::Uuid>) -> Response {
    let who = p.who;
    let (_, v) = member_or_return!(p, org);
    let lang = v.frame.lang;
    let events = match audit::list(&v.state.identity, who, OrgId(org), None, 100).await {
        Ok((events, _)) => events,
        Err(e) => return v.refuse(&e),
    };
    let names: HashMap<UserId, String> = people(&v.state, who, org)
        .await
        .into_iter()
        .map(|(u, n, _)| (u, n))
        .collect();
    let t = Audit {
        f: &v.frame,
        events: events
            .into_iter()
            .map(|e| {
                let actor = e
                    .actor
                    .and_then(|a| names.get(&a).cloned())
                    .unwrap_or_default();
                (
                    fmt::moment(lang, e.at),
                    e.kind,
                    actor,
                    e.ip.unwrap_or_default(),
                )
            })
            .collect(),
    };
    let html = t.render();
    v.page(StatusCode::OK, html)
}

#[derive(Template)]
#[template(path = "articles.html")]
struct Articles<'a> {
    f: &'a Frame,
    org: uuid::Uuid,
    articles: Vec<(uuid::Uuid, String, String, &'static str)>,
}

/// `GET /app/o/{org}/articles`.
pub async fn articles(p: Person, Path(org): Path<uuid::Uuid>) -> Response {
    let (c, v) = member_or_return!(p, org);
    let found = match content::list_own(&v.state.articles, &c, None, 100).await {
        Ok(found) => found.items,
        Err(e) => return v.refuse(&e),
    };
    let t = Articles {
        f: &v.frame,
        org,
        articles: found
            .into_iter()
            .map(|a| (a.id.0, a.title, a.slug, a.status.as_str()))
            .collect(),
    };
    let html = t.render();
    v.page(StatusCode::OK, html)
}

/// The new article form.
#[derive(Deserialize)]
pub struct Draft {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// `POST /app/o/{org}/articles`: saved as a draft.
pub async fn write_article(
    p: Person,
    Path(org): Path<uuid::Uuid>,
    Posted { form, .. }: Posted<Draft>,
) -> Response {
    let (c, v) = member_or_return!(p, org);
    let input = ArticleInput {
        title: Some(form.title),
        body: Some(form.body),
        slug: None,
        status: Some(ArticleStatus::Draft),
    };
    match content::create(&v.state.articles, &c, input).await {
        Ok(_) => v.to(&format!("/app/o/{org}/articles")),
        Err(e) => v.refuse(&e),
    }
}

/// `POST /app/o/{org}/articles/{id}/publish`.
pub async fn publish(
    p: Person,
    Path((org, id)): Path<(uuid::Uuid, uuid::Uuid)>,
    _: Posted<serde::de::IgnoredAny>,
) -> Response {
    let (c, v) = member_or_return!(p, org);
    let input = ArticleInput {
        status: Some(ArticleStatus::Published),
        ..Default::default()
    };
    match content::update(&v.state.articles, &c, ArticleId(id), input).await {
        Ok(_) => v.to(&format!("/app/o/{org}/articles")),
        Err(e) => v.refuse(&e),
    }
}
