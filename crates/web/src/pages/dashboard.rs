//! A company's first page: for staff the dashboard (projects and contracts per status, and per
//! currency the earnings, a twelve-month trend chart, the top projects and employees); for a
//! client the portal (offers waiting for them, their contracts).

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Months, Utc};
use nestcms_app::Caller;
use nestcms_app::construction::analytics::{self, Range};
use nestcms_app::construction::{contracts, offers};
use nestcms_domain::construction::OfferStatus;
use nestcms_domain::{DomainError, Money};

use super::member_or_return;
use super::offers::NEWEST;
use crate::ctx::{Frame, Person, Visitor};
use crate::{chart, fmt};

pub(crate) struct CurrencyPanel {
    code: &'static str,
    profit: String,
    loss: String,
    count: String,
    chart: String,
    /// The chart's values, for screen readers.
    values: Vec<(String, String)>,
    top_projects: Vec<(String, String)>,
    top_employees: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard<'a> {
    f: &'a Frame,
    projects: Vec<(String, i64)>,
    contracts: Vec<(String, i64)>,
    currencies: Vec<CurrencyPanel>,
}

#[derive(Template)]
#[template(path = "portal.html")]
struct Portal<'a> {
    f: &'a Frame,
    org: uuid::Uuid,
    offers: usize,
    contracts: Vec<(uuid::Uuid, String, &'static str)>,
}

/// `GET /app/o/{org}`.
pub async fn home(p: Person, Path(org): Path<uuid::Uuid>) -> Response {
    let (c, v) = member_or_return!(p, org);
    if c.is_staff() {
        staff(c, v).await
    } else {
        portal(c, v, org).await
    }
}

async fn staff(c: Caller, v: Visitor) -> Response {
    let data = &v.state.construction;
    let (projects, contracts) = match analytics::status_breakdown(data, &c).await {
        Ok(found) => found,
        // Roles without analytics see the menu only.
        Err(DomainError::Forbidden(_)) => (Vec::new(), Vec::new()),
        Err(e) => return v.refuse(&e),
    };
    let currencies = match panels(&c, &v).await {
        Ok(p) => p,
        Err(DomainError::Forbidden(_)) => Vec::new(),
        Err(e) => return v.refuse(&e),
    };
    let t = Dashboard {
        f: &v.frame,
        projects: projects.into_iter().map(|s| (s.status, s.count)).collect(),
        contracts: contracts.into_iter().map(|s| (s.status, s.count)).collect(),
        currencies,
    };
    {
        let html = t.render();
        v.page(StatusCode::OK, html)
    }
}

/// One panel per currency the company has earnings in.
async fn panels(c: &Caller, v: &Visitor) -> Result<Vec<CurrencyPanel>, DomainError> {
    let data = &v.state.construction;
    let lang = v.frame.lang;
    let today = Utc::now().date_naive();
    let year = Range {
        from: today.checked_sub_months(Months::new(12)),
        to: Some(today),
    };
    let mut out = Vec::new();
    for totals in analytics::earnings_stats(data, c, Range::default()).await? {
        let cur = totals.currency;
        let money = |minor| fmt::money(lang, Money::from_minor(minor, cur));
        let trend = analytics::monthly_trend(data, c, cur, year).await?;
        let points: Vec<(String, i64)> = trend
            .iter()
            .map(|r| (fmt::digits(lang, &r.label), r.net))
            .collect();
        let ranked = |rows: Vec<nestcms_domain::construction::ports::Ranked>| {
            rows.into_iter()
                .map(|r| (r.label, money(r.net)))
                .collect::<Vec<_>>()
        };
        out.push(CurrencyPanel {
            code: cur.code(),
            profit: money(totals.profit),
            loss: money(totals.loss),
            count: fmt::digits(lang, &totals.count.to_string()),
            chart: chart::bars(&points, v.frame.w.trend),
            values: trend
                .iter()
                .map(|r| (fmt::digits(lang, &r.label), money(r.net)))
                .collect(),
            top_projects: ranked(analytics::top_projects(data, c, cur, Range::default(), 5).await?),
            top_employees: ranked(
                analytics::top_employees(data, c, cur, Range::default(), 5).await?,
            ),
        });
    }
    Ok(out)
}

async fn portal(c: Caller, v: Visitor, org: uuid::Uuid) -> Response {
    let data = &v.state.construction;
    let waiting = match offers::list(data, &c, Some(OfferStatus::Review), NEWEST).await {
        Ok(found) => found.items.len(),
        Err(e) => return v.refuse(&e),
    };
    let mine = match contracts::list(data, &c, None, NEWEST).await {
        Ok(found) => found.items,
        Err(e) => return v.refuse(&e),
    };
    let t = Portal {
        f: &v.frame,
        org,
        offers: waiting,
        contracts: mine
            .into_iter()
            .map(|k| (k.id.0, k.title, k.status.as_str()))
            .collect(),
    };
    {
        let html = t.render();
        v.page(StatusCode::OK, html)
    }
}
