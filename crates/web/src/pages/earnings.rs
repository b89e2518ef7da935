//! Earnings and commissions: the company's profits and losses (staff who may see them), a
//! form to record one, distribution of a project profit to its commissions, and a form to set
//! an employee's share of a project.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use nestcms_app::construction::earnings::{self, NewEarning};
use nestcms_app::construction::projects;
use nestcms_domain::construction::{EarningId, EarningKind, EarningPeriod, ProjectId};
use nestcms_domain::identity::policy::Action;
use nestcms_domain::identity::{Role, UserId};
use nestcms_domain::{Currency, DomainError, Money};
use serde::Deserialize;

use super::member_or_return;
use super::offers::NEWEST;
use super::orgs::people;
use crate::ctx::{Frame, Person, Posted};
use crate::fmt;
use crate::pager::{After, Pager};

pub(crate) struct Row {
    id: uuid::Uuid,
    title: String,
    kind: &'static str,
    period: String,
    amount: String,
    distributable: bool,
    distributed: bool,
}

#[derive(Template)]
#[template(path = "earnings.html")]
struct Earnings<'a> {
    f: &'a Frame,
    org: uuid::Uuid,
    can_manage: bool,
    earnings: Vec<Row>,
    projects: Vec<(uuid::Uuid, String)>,
    staff_people: Vec<(uuid::Uuid, String)>,
    currencies: Vec<&'static str>,
    today: NaiveDate,
    pager: Pager,
}

/// `GET /app/o/{org}/earnings`.
pub async fn list(p: Person, Path(org): Path<uuid::Uuid>, Query(after): Query<After>) -> Response {
    let who = p.who;
    let (c, v) = member_or_return!(p, org);
    let lang = v.frame.lang;
    let data = &v.state.construction;
    let page = match after.page() {
        Ok(page) => page,
        Err(e) => return v.refuse(&e),
    };
    let (found, pager) = match earnings::list(data, &c, None, page).await {
        Ok(found) => {
            let pager = Pager::of(&after, &found, |e| e.id.0, &[]);
            (found.items, pager)
        }
        Err(e) => return v.refuse(&e),
    };
    let can_manage = c.require(Action::ManageEarnings).is_ok();
    let projects = projects::list(data, &c, false, None, NEWEST)
        .await
        .map(|p| p.items.into_iter().map(|p| (p.id.0, p.title)).collect())
        .unwrap_or_default();
    let t = Earnings {
        f: &v.frame,
        org,
        can_manage,
        earnings: found
            .into_iter()
            .map(|e| Row {
                id: e.id.0,
                kind: e.kind.as_str(),
                period: fmt::date(lang, e.period_start),
                amount: fmt::money(lang, e.amount),
                distributable: can_manage
                    && e.kind == EarningKind::Profit
                    && e.project_id.is_some()
                    && e.distributed_at.is_none(),
                distributed: e.distributed_at.is_some(),
                title: e.title,
            })
            .collect(),
        projects,
        staff_people: people(&v.state, who, org)
            .await
            .into_iter()
            .filter(|(_, _, r)| *r != Role::Client)
            .map(|(u, n, _)| (u.0, n))
            .collect(),
        currencies: Currency::ALL.iter().map(|c| c.code()).collect(),
        today: Utc::now().date_naive(),
        pager,
    };
    let html = t.render();
    v.page(StatusCode::OK, html)
}

/// The record form.
#[derive(Deserialize)]
pub struct Record {
    #[serde(default)]
    title: String,
    #[serde(default)]
    project_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    period_start: NaiveDate,
}

/// `POST /app/o/{org}/earnings`: a monthly profit or loss.
pub async fn record(
    p: Person,
    Path(org): Path<uuid::Uuid>,
    Posted { form, .. }: Posted<Record>,
) -> Response {
    let (c, v) = member_or_return!(p, org);
    let made = async {
        let currency = form.currency.parse::<Currency>().map_err(|_| {
            DomainError::invalid("/currency", "invalid_currency", "choose a currency")
        })?;
        let amount = Money::parse_positive(form.amount.trim(), currency)
            .map_err(|e| DomainError::invalid("/amount", "invalid_amount", e.to_string()))?;
        let n = NewEarning {
            project_id: form.project_id.parse::<uuid::Uuid>().ok().map(ProjectId),
            kind: EarningKind::parse(&form.kind)
                .ok_or_else(|| DomainError::invalid("/kind", "invalid_kind", "profit or loss"))?,
            period: EarningPeriod::Monthly,
            period_start: form.period_start,
            amount,
            title: form.title,
        };
        earnings::record(&v.state.construction, &c, n).await
    };
    match made.await {
        Ok(_) => v.to(&format!("/app/o/{org}/earnings")),
        Err(e) => v.refuse(&e),
    }
}

/// `POST /app/o/{org}/earnings/{id}/distribute`.
pub async fn distribute(
    p: Person,
    Path((org, id)): Path<(uuid::Uuid, uuid::Uuid)>,
    _: Posted<serde::de::IgnoredAny>,
) -> Response {
    let (c, v) = member_or_return!(p, org);
    match earnings::distribute(&v.state.construction, &c, EarningId(id)).await {
        Ok(_) => v.to(&format!("/app/o/{org}/earnings")),
        Err(e) => v.refuse(&e),
    }
}

/// The commission form; the share in percent with up to two decimals.
#[derive(Deserialize)]
pub struct Share {
    project_id: uuid::Uuid,
    employee_id: uuid::Uuid,
    #[serde(default)]
    rate: String,
}

/// `POST /app/o/{org}/commissions`.
pub async fn commission(
    p: Person,
    Path(org): Path<uuid::Uuid>,
    Posted { form, .. }: Posted<Share>,
) -> Response {
    let (c, v) = member_or_return!(p, org);
    // Percent with two decimals is basis points: parsed as an amount of a 2-decimal currency.
    let rate = Money::parse(form.rate.trim(), Currency::Sar)
        .ok()
        .and_then(|m| u32::try_from(m.minor()).ok());
    let Some(rate_bp) = rate else {
        return v.refuse(&DomainError::invalid(
            "/rate",
            "invalid_rate",
            "a percentage such as 12.5",
        ));
    };
    let (store, data) = (&v.state.identity, &v.state.construction);
    let set = earnings::set_commission(
        store,
        data,
        &c,
        ProjectId(form.project_id),
        UserId(form.employee_id),
        rate_bp,
    )
    .await;
    match set {
        Ok(_) => v.to(&format!("/app/o/{org}/earnings")),
        Err(e) => v.refuse(&e),
    }
}
