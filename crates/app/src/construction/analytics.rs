//! Analytics: per currency always, zeros for empty sets, no secret field of any user.

use chrono::NaiveDate;
use nestcms_domain::construction::StepStatus;
use nestcms_domain::construction::ports::{CurrencyTotals, Ranked, StatusCount, Window};
use nestcms_domain::construction::{ProjectId, ProjectStatus, progress_permille};
use nestcms_domain::identity::policy::Action;
use nestcms_domain::{Currency, DomainError};

use super::{Caller, Data, projects};
use crate::port;

/// A date range.
#[derive(Debug, Clone, Copy, Default)]
pub struct Range {
    /// First day.
    pub from: Option<NaiveDate>,
    /// Last day.
    pub to: Option<NaiveDate>,
}

fn window(c: &Caller, r: Range) -> Result<Window, DomainError> {
    if let (Some(f), Some(t)) = (r.from, r.to)
        && f > t
    {
        return Err(DomainError::invalid(
            "/from",
            "after_to",
            "from must not be after to",
        ));
    }
    Ok(Window {
        org: c.org(),
        from: r.from,
        to: r.to,
    })
}

/// Project and contract counts per status.
#[tracing::instrument(name = "analytics.status_breakdown", skip_all)]
pub async fn status_breakdown(
    data: &Data,
    c: &Caller,
) -> Result<(Vec<StatusCount>, Vec<StatusCount>), DomainError> {
    c.require(Action::ViewAnalytics)?;
    Ok((
        data.project_status_counts(c.org()).await.map_err(port)?,
        data.contract_status_counts(c.org()).await.map_err(port)?,
    ))
}

/// Profit, loss, net and count per currency.
#[tracing::instrument(name = "analytics.earnings_stats", skip_all)]
pub async fn earnings_stats(
    data: &Data,
    c: &Caller,
    r: Range,
) -> Result<Vec<CurrencyTotals>, DomainError> {
    c.require(Action::ViewAnalytics)?;
    data.earning_totals(window(c, r)?, None).await.map_err(port)
}

/// Net per month in one currency.
#[tracing::instrument(name = "analytics.monthly_trend", skip_all)]
pub async fn monthly_trend(
    data: &Data,
    c: &Caller,
    currency: Currency,
    r: Range,
) -> Result<Vec<Ranked>, DomainError> {
    c.require(Action::ViewAnalytics)?;
    data.monthly_trend(window(c, r)?, currency)
        .await
        .map_err(port)
}

/// Top projects by net earnings in one currency.
#[tracing::instrument(name = "analytics.top_projects", skip_all)]
pub async fn top_projects(
    data: &Data,
    c: &Caller,
    currency: Currency,
    r: Range,
    limit: u32,
) -> Result<Vec<Ranked>, DomainError> {
    c.require(Action::ViewAnalytics)?;
    data.top_projects(window(c, r)?, currency, limit.clamp(1, 100))
        .await
        .map_err(port)
}

/// Top employees by commission payouts in one currency.
#[tracing::instrument(name = "analytics.top_employees", skip_all)]
pub async fn top_employees(
    data: &Data,
    c: &Caller,
    currency: Currency,
    r: Range,
    limit: u32,
) -> Result<Vec<Ranked>, DomainError> {
    c.require(Action::ViewAnalytics)?;
    data.top_employees(window(c, r)?, currency, limit.clamp(1, 100))
        .await
        .map_err(port)
}

/// A project with its progress and earnings.
pub struct ProjectDetail {
    /// The project.
    pub project: nestcms_domain::construction::Project,
    /// Steps completed.
    pub steps_completed: u32,
    /// Steps in all.
    pub steps_total: u32,
    /// Progress in tenths of a percent.
    pub progress_permille: u32,
    /// Earnings per currency; `None` for callers who may not read the analytics (clients and
    /// employees must not learn the firm's profit and loss).
    pub earnings: Option<Vec<CurrencyTotals>>,
}

/// Progress of one project (anyone who sees the project), and its earnings for those who may
/// read the analytics.
#[tracing::instrument(name = "analytics.project_detail", skip_all)]
pub async fn project_detail(
    data: &Data,
    c: &Caller,
    id: ProjectId,
) -> Result<ProjectDetail, DomainError> {
    let project = projects::get(data, c, id).await?;
    let steps = data.steps(id).await.map_err(port)?;
    let total = u32::try_from(steps.len()).unwrap_or(u32::MAX);
    let done = u32::try_from(
        steps
            .iter()
            .filter(|s| s.status == StepStatus::Completed)
            .count(),
    )
    .unwrap_or(0);
    let earnings = if c.require(Action::ViewAnalytics).is_ok() {
        let all_time = Window {
            org: c.org(),
            from: None,
            to: None,
        };
        Some(
            data.earning_totals(all_time, Some(id))
                .await
                .map_err(port)?,
        )
    } else {
        None
    };
    Ok(ProjectDetail {
        project,
        steps_completed: done,
        steps_total: total,
        progress_permille: progress_permille(done, total),
        earnings,
    })
}

/// The caller's dashboard: their projects by status and their commission payouts per currency.
pub struct Dashboard {
    /// Projects the caller manages, works on, or (clients) owns, per status.
    pub projects: Vec<(ProjectStatus, i64)>,
    /// Contracts where the caller is the client or a responsible employee, per status.
    pub contracts: Vec<StatusCount>,
    /// Payouts received, per currency.
    pub payouts: Vec<(Currency, i64)>,
}

/// The caller's own numbers.
#[tracing::instrument(name = "analytics.dashboard", skip_all)]
pub async fn dashboard(data: &Data, c: &Caller) -> Result<Dashboard, DomainError> {
    // Three independent counts: asked at once.
    let (counted, contracts, payouts) = tokio::try_join!(
        data.projects_of(c.scope(), c.is_staff().then_some(c.user())),
        data.contracts_of(c.org(), c.user()),
        data.payouts_of(c.org(), c.user()),
    )
    .map_err(port)?;
    let projects = ProjectStatus::ALL
        .iter()
        .map(|s| {
            let n = counted
                .iter()
                .find(|row| row.status == s.as_str())
                .map_or(0, |row| row.count);
            (*s, n)
        })
        .collect();
    Ok(Dashboard {
        projects,
        contracts,
        payouts,
    })
}
