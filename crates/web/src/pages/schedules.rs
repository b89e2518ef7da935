//! Schedules: the next thirty days as an agenda (times in UTC, said so), each item that
//! overlaps another of the same person marked as a conflict; staff add items, and the use case
//! refuses one that would overlap (the reason is shown).

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, NaiveDateTime, Utc};
use nestcms_app::construction::schedules::{self, NewSchedule};
use nestcms_domain::DomainError;
use nestcms_domain::construction::{Schedule, ScheduleKind};
use nestcms_domain::identity::{Role, UserId};
use serde::Deserialize;
use std::collections::HashMap;

use super::member_or_return;
use super::orgs::people;
use crate::ctx::{Frame, Person, Posted};
use crate::fmt;

pub(crate) struct Item {
    time: String,
    title: String,
    kind: &'static str,
    who: String,
    conflict: bool,
}

#[derive(Template)]
#[template(path = "schedules.html")]
struct Agenda<'a> {
    f: &'a Frame,
    org: uuid::Uuid,
    staff: bool,
    days: Vec<(String, Vec<Item>)>,
    staff_people: Vec<(uuid::Uuid, String)>,
    clients: Vec<(uuid::Uuid, String)>,
}

/// Whether `s` overlaps another item of the same employee or client.
fn clashes(s: &Schedule, all: &[Schedule]) -> bool {
    let same = |o: &Schedule| {
        (s.employee_id.is_some() && s.employee_id == o.employee_id)
            || (s.client_id.is_some() && s.client_id == o.client_id)
    };
    all.iter()
        .any(|o| o.id != s.id && same(o) && o.starts_at < s.ends_at && s.starts_at < o.ends_at)
}

/// `GET /app/o/{org}/schedules`.
pub async fn agenda(p: Person, Path(org): Path<uuid::Uuid>) -> Response {
    let who = p.who;
    let (c, v) = member_or_return!(p, org);
    let (lang, w) = (v.frame.lang, v.frame.w);
    let from = Utc::now() - Duration::hours(12);
    let all = match schedules::list(
        &v.state.construction,
        &c,
        None,
        from,
        from + Duration::days(30),
    )
    .await
    {
        Ok(all) => all,
        Err(e) => return v.refuse(&e),
    };
    let everyone = if c.is_staff() {
        people(&v.state, who, org).await
    } else {
        Vec::new()
    };
    let names: HashMap<UserId, String> = everyone.iter().map(|(u, n, _)| (*u, n.clone())).collect();
    let mut days: Vec<(String, Vec<Item>)> = Vec::new();
    for s in &all {
        let day = fmt::date(lang, s.starts_at.date_naive());
        let who = [s.employee_id, s.client_id]
            .into_iter()
            .flatten()
            .filter_map(|u| names.get(&u).cloned())
            .collect::<Vec<_>>()
            .join(" · ");
        let item = Item {
            time: fmt::digits(
                lang,
                &format!(
                    "{}–{}",
                    s.starts_at.format("%H:%M"),
                    s.ends_at.format("%H:%M")
                ),
            ),
            title: s.title.clone(),
            kind: if s.kind == ScheduleKind::Appointment {
                w.appointment
            } else {
                w.timeline_item
            },
            who,
            conflict: clashes(s, &all),
        };
        match days.last_mut() {
            Some((d, items)) if *d == day => items.push(item),
            _ => days.push((day, vec![item])),
        }
    }
    let pick = |roles: &[Role]| {
        everyone
            .iter()
            .filter(|(_, _, r)| roles.contains(r))
            .map(|(u, n, _)| (u.0, n.clone()))
            .collect::<Vec<_>>()
    };
    let t = Agenda {
        f: &v.frame,
        org,
        staff: c.is_staff(),
        days,
        staff_people: pick(&[Role::Owner, Role::Admin, Role::Manager, Role::Employee]),
        clients: pick(&[Role::Client]),
    };
    let html = t.render();
    v.page(StatusCode::OK, html)
}

/// The new item form (`datetime-local` values, read as UTC).
#[derive(Deserialize)]
pub struct NewItem {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    employee_id: String,
    #[serde(default)]
    client_id: String,
}

fn moment(text: &str, field: &str) -> Result<chrono::DateTime<Utc>, DomainError> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .map(|t| t.and_utc())
        .map_err(|_| DomainError::invalid(field, "invalid_time", "give a date and time"))
}

fn person(text: &str) -> Option<UserId> {
    text.parse::<uuid::Uuid>().ok().map(UserId)
}

/// `POST /app/o/{org}/schedules`.
pub async fn create(
    p: Person,
    Path(org): Path<uuid::Uuid>,
    Posted { form, .. }: Posted<NewItem>,
) -> Response {
    let (c, v) = member_or_return!(p, org);
    let made = async {
        let n = NewSchedule {
            kind: ScheduleKind::parse(&form.kind)
                .ok_or_else(|| DomainError::invalid("/kind", "invalid_kind", "choose a kind"))?,
            title: form.title,
            project_id: None,
            client_id: person(&form.client_id),
            employee_id: person(&form.employee_id),
            starts_at: moment(&form.starts_at, "/starts_at")?,
            ends_at: moment(&form.ends_at, "/ends_at")?,
        };
        schedules::create(&v.state.identity, &v.state.construction, &c, n).await
    };
    match made.await {
        Ok(_) => v.to(&format!("/app/o/{org}/schedules")),
        Err(e) => v.refuse(&e),
    }
}
