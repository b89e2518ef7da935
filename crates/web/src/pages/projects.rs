//! Projects: the list and a new project on an approved contract (staff); a project with its
//! steps and a progress bar, designs with their versions (links or uploaded files), workers,
//! and notes. Clients see their own projects, their designs and notes, and may add a note.
//! Design files go up and down through [`super::designs`].

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use nestcms_app::construction::contracts;
use nestcms_app::construction::projects::{self, NewProject};
use nestcms_domain::DomainError;
use nestcms_domain::construction::ports::Page;
use nestcms_domain::construction::{ContractId, ContractStatus, ProjectId, StepId, StepStatus};
use nestcms_domain::identity::policy::Action;
use nestcms_domain::identity::{Role, UserId};
use serde::Deserialize;
use std::collections::HashMap;

use super::member_or_return;
use super::offers::NEWEST;
use super::orgs::people;
use crate::ctx::{Frame, Person, Posted};
use crate::fmt;
use crate::pager::{After, Pager};

/// In the order they were made, the first hundred.
const OLDEST: Page = Page {
    cursor: None,
    ascending: true,
    limit: 100,
};

#[derive(Template)]
#[template(path = "projects.html")]
struct Projects<'a> {
    f: &'a Frame,
    org: uuid::Uuid,
    staff: bool,
    projects: Vec<(uuid::Uuid, String, &'static str)>,
    contracts: Vec<(uuid::Uuid, String)>,
    today: NaiveDate,
    pager: Pager,
}

/// `GET /app/o/{org}/projects`.
pub async fn list(p: Person, Path(org): Path<uuid::Uuid>, Query(after): Query<After>) -> Response {
    let (c, v) = member_or_return!(p, org);
    let data = &v.state.construction;
    let page = match after.page() {
        Ok(page) => page,
        Err(e) => return v.refuse(&e),
    };
    let (found, pager) = match projects::list(data, &c, false, None, page).await {
        Ok(found) => {
            let pager = Pager::of(&after, &found, |p| p.id.0, &[]);
            (found.items, pager)
        }
        Err(e) => return v.refuse(&e),
    };
    let open = match contracts::list(data, &c, None, NEWEST).await {
        Ok(k) => k.items,
        Err(e) => return v.refuse(&e),
    };
    let t = Projects {
        f: &v.frame,
        org,
        staff: c.require(Action::ManageProjects).is_ok(),
        projects: found
            .into_iter()
            .map(|p| (p.id.0, p.title, p.status.as_str()))
            .collect(),
        contracts: open
            .into_iter()
            .filter(|k| {
                matches!(
                    k.status,
                    ContractStatus::ApprovedByClient | ContractStatus::Active
                )
            })
            .map(|k| (k.id.0, k.title))
            .collect(),
        today: Utc::now().date_naive(),
        pager,
    };
    let html = t.render();
    v.page(StatusCode::OK, html)
}

/// The new project form.
#[derive(Deserialize)]
pub struct NewProjectForm {
    #[serde(default)]
    title: String,
    contract_id: uuid::Uuid,
    start_date: NaiveDate,
}

/// `POST /app/o/{org}/projects`: managed by the person who creates it.
pub async fn create(
    p: Person,
    Path(org): Path<uuid::Uuid>,
    Posted { form, .. }: Posted<NewProjectForm>,
) -> Response {
    let (c, v) = member_or_return!(p, org);
    let n = NewProject {
        title: form.title,
        description: String::new(),
        contract_id: Some(ContractId(form.contract_id)),
        manager_id: c.user(),
        start_date: form.start_date,
        end_date: None,
    };
    match projects::create(&v.state.identity, &v.state.construction, &c, n).await {
        Ok(p) => v.to(&format!("/app/o/{org}/projects/{}", p.id.0)),
        Err(e) => v.refuse(&e),
    }
}

pub(crate) struct StepRow {
    id: uuid::Uuid,
    title: String,
    status: &'static str,
    next: Option<(&'static str, &'static str)>,
}

pub(crate) struct DesignRow {
    id: uuid::Uuid,
    title: String,
    /// Version, where to open it, what it is, when.
    versions: Vec<(i32, String, String, String)>,
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage<'a> {
    f: &'a Frame,
    org: uuid::Uuid,
    id: uuid::Uuid,
    title: String,
    description: String,
    status: &'static str,
    dates: String,
    done: usize,
    steps: Vec<StepRow>,
    designs: Vec<DesignRow>,
    workers: Vec<(String, String)>,
    notes: Vec<(String, String, String)>,
    people: Vec<(uuid::Uuid, String)>,
    staff: bool,
    can_work: bool,
    can_manage: bool,
}

/// `GET /app/o/{org}/projects/{id}`.
pub async fn show(p: Person, Path((org, id)): Path<(uuid::Uuid, uuid::Uuid)>) -> Response {
    let who = p.who;
    let (c, v) = member_or_return!(p, org);
    let (lang, w) = (v.frame.lang, v.frame.w);
    let data = &v.state.construction;
    let pid = ProjectId(id);
    let loaded = async {
        let project = projects::get(data, &c, pid).await?;
        let steps = projects::steps(data, &c, pid, OLDEST).await?.items;
        let designs = projects::designs(data, &c, pid, OLDEST).await?.items;
        let workers = projects::workers(data, &c, pid, OLDEST).await?.items;
        let notes = projects::notes(data, &c, pid, OLDEST).await?.items;
        Ok::<_, DomainError>((project, steps, designs, workers, notes))
    };
    let (project, steps, designs, workers, notes) = match loaded.await {
        Ok(all) => all,
        Err(e) => return v.refuse(&e),
    };
    // Names of the company's people, for staff (clients see times only).
    let names: HashMap<UserId, (String, Role)> = if c.is_staff() {
        people(&v.state, who, org)
            .await
            .into_iter()
            .map(|(u, n, r)| (u, (n, r)))
            .collect()
    } else {
        HashMap::new()
    };
    let name = |u: UserId| names.get(&u).map_or_else(String::new, |(n, _)| n.clone());
    let can_manage = c.require(Action::ManageProjects).is_ok();
    let on_project =
        workers.iter().any(|x| x.user_id == c.user()) || project.manager_id == c.user();
    let can_work = can_manage || on_project;
    let dates = match project.end_date {
        Some(end) => format!(
            "{} – {}",
            fmt::date(lang, project.start_date),
            fmt::date(lang, end)
        ),
        None => format!("{} – {}", fmt::date(lang, project.start_date), w.open_ended),
    };
    let t = ProjectPage {
        f: &v.frame,
        org,
        id,
        done: steps
            .iter()
            .filter(|s| s.status == StepStatus::Completed)
            .count(),
        steps: steps
            .into_iter()
            .map(|s| StepRow {
                id: s.id.0,
                status: s.status.as_str(),
                next: match s.status {
                    StepStatus::Pending => Some(("in_progress", w.start_step)),
                    StepStatus::InProgress => Some(("completed", w.complete_step)),
                    StepStatus::Completed => None,
                },
                title: s.title,
            })
            .collect(),
        designs: designs
            .into_iter()
            .map(|d| DesignRow {
                id: d.id.0,
                versions: d
                    .versions
                    .iter()
                    .map(|ver| {
                        let (href, label) = match (&ver.url, &ver.file_name) {
                            (Some(url), _) => (url.clone(), url.clone()),
                            (None, name) => (
                                format!(
                                    "/app/o/{org}/projects/{id}/designs/{}/versions/{}/file",
                                    d.id.0, ver.version
                                ),
                                name.clone().unwrap_or_default(),
                            ),
                        };
                        (ver.version, href, label, fmt::moment(lang, ver.created_at))
                    })
                    .collect(),
                title: d.title,
            })
            .collect(),
        workers: workers
            .iter()
            .map(|x| (name(x.user_id), x.role.clone()))
            .collect(),
        notes: notes
            .into_iter()
            .map(|n| (n.body, name(n.author_id), fmt::moment(lang, n.created_at)))
            .collect(),
        people: names
            .iter()
            .filter(|(_, (_, r))| *r != Role::Client)
            .map(|(u, (n, _))| (u.0, n.clone()))
            .collect(),
        staff: c.is_staff(),
        can_work,
        can_manage,
        status: project.status.as_str(),
        title: project.title,
        description: project.description,
        dates,
    };
    let html = t.render();
    v.page(StatusCode::OK, html)
}

/// A title, and for a design its link.
#[derive(Deserialize)]
pub struct Titled {
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    role: String,
    user_id: Option<uuid::Uuid>,
}

/// `POST /app/o/{org}/projects/{id}/{steps|designs|workers|notes}`: adds one.
pub async fn add(
    p: Person,
    Path((org, id, what)): Path<(uuid::Uuid, uuid::Uuid, String)>,
    Posted { form, .. }: Posted<Titled>,
) -> Response {
    let (c, v) = member_or_return!(p, org);
    let (store, data, pid) = (&v.state.identity, &v.state.construction, ProjectId(id));
    let done = match what.as_str() {
        "steps" => projects::add_step(data, &c, pid, &form.title, None, None)
            .await
            .map(drop),
        "designs" => projects::add_design(data, &c, pid, &form.title, &form.url)
            .await
            .map(drop),
        "notes" => projects::add_note(data, &c, pid, &form.body, None)
            .await
            .map(drop),
        "workers" => match form.user_id {
            Some(u) => projects::add_worker(store, data, &c, pid, UserId(u), &form.role)
                .await
                .map(drop),
            None => Err(DomainError::invalid(
                "/user_id",
                "required",
                "choose a person",
            )),
        },
        _ => Err(DomainError::NotFound("page")),
    };
    match done {
        Ok(()) => v.to(&format!("/app/o/{org}/projects/{id}")),
        Err(e) => v.refuse(&e),
    }
}

/// `POST /app/o/{org}/projects/{id}/steps/{step}/{in_progress|completed}`.
pub async fn move_step(
    p: Person,
    Path((org, id, step, to)): Path<(uuid::Uuid, uuid::Uuid, uuid::Uuid, String)>,
    _: Posted<serde::de::IgnoredAny>,
) -> Response {
    let (c, v) = member_or_return!(p, org);
    let Some(to) = StepStatus::parse(&to) else {
        return v.refuse(&DomainError::NotFound("page"));
    };
    match projects::set_step_status(&v.state.construction, &c, ProjectId(id), StepId(step), to)
        .await
    {
        Ok(_) => v.to(&format!("/app/o/{org}/projects/{id}")),
        Err(e) => v.refuse(&e),
    }
}
