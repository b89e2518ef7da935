//! The office's records: invoices and notes (with their PDF), the security audit log, and the
//! articles editor (drafts, then published to the public news pages).

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use nestcms_app::content::{self, ArticleInput};
use nestcms_app::identity::audit;
use nestcms_domain::content::{ArticleId, ArticleStatus};
use nestcms_domain::identity::{EventId, OrgId, UserId};
use nestcms_domain::invoices::InvoiceId;
use nestcms_domain::invoices::ports::InvoiceFilter;
use serde::Deserialize;
use std::collections::HashMap;

use super::member_or_return;
use super::orgs::people;
use crate::ctx::{Frame, Person, Posted};
use crate::fmt;
use crate::pager::{After, PER_PAGE, Pager};

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
    pager: Pager,
}

/// `GET /app/o/{org}/invoices`: staff see every document; a client sees their own issued ones.
pub async fn invoices(
    p: Person,
    Path(org): Path<uuid::Uuid>,
    Query(after): Query<After>,
) -> Response {
    let who = p.who;
    let (c, v) = member_or_return!(p, org);
    let lang = v.frame.lang;
    let before = match after.cursor() {
        Ok(before) => before.map(InvoiceId),
        Err(e) => return v.refuse(&e),
    };
    // One more than a page, to know whether older ones follow.
    let filter = InvoiceFilter {
        issued_only: !c.is_staff(),
        before,
        limit: PER_PAGE + 1,
        ..Default::default()
    };
    let mut found = match v.state.invoices.list(who, OrgId(org), filter).await {
        Ok(found) => found,
        Err(e) => return v.refuse(&e),
    };
    let has_more = found.len() > PER_PAGE as usize;
    found.truncate(PER_PAGE as usize);
    let pager = Pager::new(&after, found.last().map(|i| i.id.0), has_more, &[]);
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
        pager,
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
    pager: Pager,
}

/// `GET /app/o/{org}/audit`: security events, newest first (owners and admins).
pub async fn audit_log(
    p: Person,
    Path(org): Path<uuid::Uuid>,
    Query(after): Query<After>,
) -> Response {
    let who = p.who;
    let (_, v) = member_or_return!(p, org);
    let lang = v.frame.lang;
    let before = match after.cursor() {
        Ok(before) => before.map(EventId),
        Err(e) => return v.refuse(&e),
    };
    let identity = &v.state.identity;
    let (events, pager) = match audit::list(identity, who, OrgId(org), before, PER_PAGE).await {
        Ok((events, has_more)) => {
            let pager = Pager::new(&after, events.last().map(|e| e.id.0), has_more, &[]);
            (events, pager)
        }
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
        pager,
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
    pager: Pager,
}

/// `GET /app/o/{org}/articles`.
pub async fn articles(
    p: Person,
    Path(org): Path<uuid::Uuid>,
    Query(after): Query<After>,
) -> Response {
    let (c, v) = member_or_return!(p, org);
    let before = match after.cursor() {
        Ok(before) => before,
        Err(e) => return v.refuse(&e),
    };
    let (found, pager) = match content::list_own(&v.state.articles, &c, before, PER_PAGE).await {
        Ok(found) => {
            let pager = Pager::of(&after, &found, |a| a.id.0, &[]);
            (found.items, pager)
        }
        Err(e) => return v.refuse(&e),
    };
    let t = Articles {
        f: &v.frame,
        org,
        articles: found
            .into_iter()
            .map(|a| (a.id.0, a.title, a.slug, a.status.as_str()))
            .collect(),
        pager,
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
