//! Schedules (appointments, project timelines) and salaries.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use nestcms_domain::construction::{
    Note, NoteId, NoteTarget, ProjectId, Salary, SalaryId, SalaryPeriod, Schedule, ScheduleId,
    ScheduleKind, ScheduleStatus,
};
use nestcms_domain::identity::policy::Action;
use nestcms_domain::identity::{Role, UserId};
use nestcms_domain::{DomainError, Money};

use super::{Caller, Data, Paged, STAFF, member_with, projects, text};
use crate::{Store, port};
use nestcms_domain::construction::ports::Page;

/// A new schedule item.
pub struct NewSchedule {
    /// Appointment or timeline.
    pub kind: ScheduleKind,
    /// Title.
    pub title: String,
    /// Project it belongs to.
    pub project_id: Option<ProjectId>,
    /// Client attending.
    pub client_id: Option<UserId>,
    /// Employee attending or responsible.
    pub employee_id: Option<UserId>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
}

/// Schedules an item; refused with 409 naming the clashing item when the same client or
/// employee is already busy then.
#[tracing::instrument(name = "schedules.create", skip_all)]
pub async fn create(
    store: &Store,
    data: &Data,
    c: &Caller,
    n: NewSchedule,
) -> Result<Schedule, DomainError> {
    c.require(Action::ViewAllRecords)?;
    if n.ends_at <= n.starts_at {
        return Err(DomainError::invalid(
            "/ends_at",
            "before_start",
            "the end must be after the start",
        ));
    }
    if n.ends_at - n.starts_at > Duration::days(366) {
        return Err(DomainError::invalid(
            "/ends_at",
            "too_long",
            "an item lasts at most a year",
        ));
    }
    if n.kind == ScheduleKind::Appointment && (n.client_id.is_none() || n.employee_id.is_none()) {
        return Err(DomainError::invalid(
            "/client_id",
            "required",
            "an appointment needs a client_id and an employee_id",
        ));
    }
    if let Some(u) = n.client_id {
        member_with(store, c.org(), u, &[Role::Client], "/client_id", "a client").await?;
    }
    if let Some(u) = n.employee_id {
        member_with(
            store,
            c.org(),
            u,
            STAFF,
            "/employee_id",
            "staff (not a client)",
        )
        .await?;
    }
    if let Some(p) = n.project_id {
        projects::get(data, c, p)
            .await
            .map_err(|_| DomainError::invalid("/project_id", "not_found", "no such project"))?;
    }
    let item = Schedule {
        id: ScheduleId::new(),
        org_id: c.org(),
        kind: n.kind,
        title: text(&n.title, "/title", 200)?,
        project_id: n.project_id,
        client_id: n.client_id,
        employee_id: n.employee_id,
        starts_at: n.starts_at,
        ends_at: n.ends_at,
        status: ScheduleStatus::Scheduled,
        created_at: Utc::now(),
    };
    match data
        .insert_schedule_unless_clash(&item)
        .await
        .map_err(port)?
    {
        None => Ok(item),
        Some(other) => Err(DomainError::Conflict {
            code: "schedule_conflict",
            message: format!(
                "overlaps \"{}\" ({}) from {} to {}",
                other.title,
                other.id,
                other
                    .starts_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                other
                    .ends_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        }),
    }
}

/// Items starting in a range (at most 92 days); clients see their own.
#[tracing::instrument(name = "schedules.list", skip_all)]
pub async fn list(
    data: &Data,
    c: &Caller,
    person: Option<UserId>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Schedule>, DomainError> {
    if to <= from || to - from > Duration::days(92) {
        return Err(DomainError::invalid(
            "?to",
            "bad_range",
            "give a range of at most 92 days, to after from",
        ));
    }
    let person = if c.is_staff() { person } else { Some(c.user()) };
    data.schedules(c.org(), person, from, to)
        .await
        .map_err(port)
}

/// A salary to set.
pub struct NewSalary {
    /// The employee.
    pub employee: UserId,
    /// Title.
    pub title: String,
    /// Amount per period.
    pub amount: Money,
    /// Period.
    pub period: SalaryPeriod,
    /// Next payout.
    pub next: NaiveDate,
}

/// Sets an employee's salary (owners and admins).
#[tracing::instrument(name = "schedules.set_salary", skip_all)]
pub async fn set_salary(
    store: &Store,
    data: &Data,
    c: &Caller,
    n: NewSalary,
) -> Result<Salary, DomainError> {
    let NewSalary {
        employee,
        title,
        amount,
        period,
        next,
    } = n;
    c.require(Action::ManageEarnings)?;
    member_with(
        store,
        c.org(),
        employee,
        STAFF,
        "/employee_id",
        "staff (not a client)",
    )
    .await?;
    let s = Salary {
        id: SalaryId::new(),
        org_id: c.org(),
        employee_id: employee,
        title: text(&title, "/title", 200)?,
        amount,
        period,
        next_payout_date: next,
        created_at: Utc::now(),
    };
    data.insert_salary(&s).await.map_err(port)?;
    Ok(s)
}

/// Salaries: all for owners and admins, one's own for everyone else.
#[tracing::instrument(name = "schedules.salaries", skip_all)]
pub async fn salaries(data: &Data, c: &Caller) -> Result<Vec<Salary>, DomainError> {
    let only = if c.require(Action::ManageEarnings).is_ok() {
        None
    } else {
        Some(c.user())
    };
    data.salaries(c.org(), only).await.map_err(port)
}

/// One schedule item the caller may see (staff, or the client or employee on it).
#[tracing::instrument(name = "schedules.get", skip_all)]
pub async fn get(data: &Data, c: &Caller, id: ScheduleId) -> Result<Schedule, DomainError> {
    match data.schedule(c.org(), id).await.map_err(port)? {
        Some(s)
            if c.is_staff() || s.client_id == Some(c.user()) || s.employee_id == Some(c.user()) =>
        {
            Ok(s)
        }
        _ => Err(DomainError::NotFound("schedule")),
    }
}

/// Adds a note to a schedule item (anyone who sees it).
#[tracing::instrument(name = "schedules.add_note", skip_all)]
pub async fn add_note(
    data: &Data,
    c: &Caller,
    id: ScheduleId,
    body: &str,
) -> Result<Note, DomainError> {
    let s = get(data, c, id).await?;
    let note = Note {
        id: NoteId::new(),
        project_id: s.project_id,
        target: NoteTarget::Schedule,
        design_id: None,
        author_id: c.user(),
        body: text(body, "/body", 10_000)?,
        read_at: None,
        created_at: Utc::now(),
    };
    data.insert_schedule_note(s.id, &note).await.map_err(port)?;
    Ok(note)
}

/// Notes of a schedule item, oldest first.
#[tracing::instrument(name = "schedules.notes", skip_all)]
pub async fn notes(
    data: &Data,
    c: &Caller,
    id: ScheduleId,
    page: Page,
) -> Result<Paged<Note>, DomainError> {
    let s = get(data, c, id).await?;
    let all = data.schedule_notes(s.id).await.map_err(port)?;
    super::page_slice(all, page, page.cursor.map(NoteId), |n| n.id)
}
