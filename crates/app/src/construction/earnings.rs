//! Earnings, commissions, and their exact distribution.
//!
//! Rounding rule (also in docs/ANALYTICS.md): distributing a profit of `A` minor units over
//! commissions with rates `r1..rn` basis points pays out the pool `P = floor(A × Σr / 10 000)`;
//! the organization keeps `A − P` (less than one minor unit of rounding, plus the share not
//! commissioned). `P` is split in proportion to the rates with the largest-remainder method
//! (`construction::allocate`), so the payouts sum to exactly `P`. With rates summing to 100 %,
//! `P = A`: not a fils is lost or created.

use chrono::{NaiveDate, Utc};
use nestcms_domain::construction::CompoundEarning;
use nestcms_domain::construction::ports::Page;
use nestcms_domain::construction::{
    COMMISSION_CAP_BP, Commission, CommissionId, Earning, EarningId, EarningKind, EarningPeriod,
    Payout, ProjectId, allocate, commission_fits,
};
use nestcms_domain::identity::UserId;
use nestcms_domain::identity::policy::Action;
use nestcms_domain::{DomainError, FieldError, Money, PortError};

use super::{Caller, Data, Paged, STAFF, member_with, paged, projects, text};
use crate::{Store, conflict_if_duplicate, port};

/// A new earning.
pub struct NewEarning {
    /// Project, or none for an organization-level earning.
    pub project_id: Option<ProjectId>,
    /// Profit or loss.
    pub kind: EarningKind,
    /// Period length.
    pub period: EarningPeriod,
    /// First day of the period.
    pub period_start: NaiveDate,
    /// Positive amount.
    pub amount: Money,
    /// Title.
    pub title: String,
}

/// Records an earning.
#[tracing::instrument(name = "earnings.record", skip_all)]
pub async fn record(data: &Data, c: &Caller, n: NewEarning) -> Result<Earning, DomainError> {
    c.require(Action::ManageEarnings)?;
    if let Some(p) = n.project_id {
        projects::get(data, c, p)
            .await
            .map_err(|_| DomainError::invalid("/project_id", "not_found", "no such project"))?;
    }
    let e = Earning {
        id: EarningId::new(),
        org_id: c.org(),
        project_id: n.project_id,
        kind: n.kind,
        period: n.period,
        period_start: n.period_start,
        amount: n.amount,
        title: text(&n.title, "/title", 200)?,
        distributed_at: None,
        created_at: Utc::now(),
    };
    data.insert_earning(&e).await.map_err(port)?;
    Ok(e)
}

/// Earnings, newest first.
#[tracing::instrument(name = "earnings.list", skip_all)]
pub async fn list(
    data: &Data,
    c: &Caller,
    project: Option<ProjectId>,
    page: Page,
) -> Result<Paged<Earning>, DomainError> {
    c.require(Action::ViewAnalytics)?;
    paged(page, |p| data.earnings(c.org(), project, p)).await
}

/// Gives an employee a share of a project's profits. The shares of one project never exceed
/// 100 % together (422 otherwise).
#[tracing::instrument(name = "earnings.set_commission", skip_all)]
pub async fn set_commission(
    store: &Store,
    data: &Data,
    c: &Caller,
    project: ProjectId,
    employee: UserId,
    rate_bp: u32,
) -> Result<Commission, DomainError> {
    c.require(Action::ManageEarnings)?;
    let p = projects::get(data, c, project).await?;
    member_with(
        store,
        c.org(),
        employee,
        STAFF,
        "/employee_id",
        "staff (not a client)",
    )
    .await?;
    if !commission_fits(0, rate_bp) {
        return Err(DomainError::invalid(
            "/percentage",
            "out_of_range",
            "between 0.01 and 100",
        ));
    }
    let k = Commission {
        id: CommissionId::new(),
        org_id: c.org(),
        project_id: p.id,
        employee_id: employee,
        rate_bp,
        created_at: Utc::now(),
    };
    let refused = data
        .insert_commission(&k, COMMISSION_CAP_BP)
        .await
        .map_err(conflict_if_duplicate(
            "already_commissioned",
            "this employee already has a commission on the project",
        ))?;
    if let Some(existing) = refused {
        return Err(over_cap(existing.saturating_add(rate_bp)));
    }
    Ok(k)
}

fn over_cap(total_bp: u32) -> DomainError {
    let e = FieldError::new(
        "/percentage",
        "over_100_percent",
        format!(
            "the project's commissions would total {}",
            nestcms_domain::percent::format_percent(i32::try_from(total_bp).unwrap_or(i32::MAX))
        ),
    );
    DomainError::Unprocessable {
        code: "commissions_exceed_total",
        errors: vec![e],
    }
}

/// The result of a distribution.
pub struct Distribution {
    /// What each employee received.
    pub payouts: Vec<Payout>,
    /// What the organization kept.
    pub retained: Money,
}

/// Distributes a project profit to its commissions, once, in one transaction.
#[tracing::instrument(name = "earnings.distribute", skip_all)]
pub async fn distribute(
    data: &Data,
    c: &Caller,
    id: EarningId,
) -> Result<Distribution, DomainError> {
    c.require(Action::ManageEarnings)?;
    let e = data
        .earning(c.org(), id)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("earning"))?;
    let conflict = |code, message: &str| DomainError::Conflict {
        code,
        message: message.to_owned(),
    };
    if e.distributed_at.is_some() {
        return Err(conflict(
            "already_distributed",
            "this earning has already been distributed",
        ));
    }
    if e.kind != EarningKind::Profit {
        return Err(conflict("not_a_profit", "only profits are distributed"));
    }
    let project = e.project_id.ok_or_else(|| {
        conflict(
            "not_a_project_earning",
            "only project earnings are distributed",
        )
    })?;
    let commissions = data.commissions(project).await.map_err(port)?;
    if commissions.is_empty() {
        return Err(conflict(
            "no_commissions",
            "the project has no commissions to distribute to",
        ));
    }
    let rates: Vec<u32> = commissions.iter().map(|k| k.rate_bp).collect();
    // Checked again here: payouts must never exceed the profit, whatever storage holds.
    let total: u32 = rates.iter().fold(0_u32, |acc, &r| acc.saturating_add(r));
    if !commission_fits(0, total) {
        return Err(over_cap(total));
    }
    let total_bp = i128::from(total);
    let pool = i64::try_from(i128::from(e.amount.minor()) * total_bp / 10_000).unwrap_or(0);
    let currency = e.amount.currency();
    let payouts: Vec<Payout> = commissions
        .iter()
        .zip(allocate(pool, &rates))
        .map(|(k, amount)| Payout {
            commission_id: k.id,
            employee_id: k.employee_id,
            amount: Money::from_minor(amount, currency),
        })
        .collect();
    if !data
        .distribute(c.org(), id, &payouts, Utc::now())
        .await
        .map_err(port)?
    {
        return Err(conflict(
            "already_distributed",
            "this earning has already been distributed",
        ));
    }
    Ok(Distribution {
        payouts,
        retained: Money::from_minor(e.amount.minor() - pool, currency),
    })
}

/// Rolls a period's project earnings in one currency up into an organization-level compound
/// earning, once per period, start and currency.
#[tracing::instrument(name = "earnings.roll_up", skip_all)]
pub async fn roll_up(
    data: &Data,
    c: &Caller,
    period: EarningPeriod,
    start: NaiveDate,
    currency: nestcms_domain::Currency,
) -> Result<CompoundEarning, DomainError> {
    c.require(Action::ManageEarnings)?;
    match data
        .roll_up(
            c.org(),
            EarningId::new(),
            period,
            start,
            currency,
            Utc::now(),
        )
        .await
    {
        Ok(Some(compound)) => Ok(compound),
        Ok(None) => Err(DomainError::Unprocessable {
            code: "nothing_to_roll_up",
            errors: vec![FieldError::new(
                "/period_start",
                "no_earnings",
                "no project earnings for that period and currency",
            )],
        }),
        Err(PortError::Duplicate) => Err(DomainError::Conflict {
            code: "already_rolled_up",
            message: "that period and currency are already rolled up".into(),
        }),
        Err(e) => Err(port(e)),
    }
}

/// Compound earnings, newest period first (managers and up).
#[tracing::instrument(name = "earnings.roll_ups", skip_all)]
pub async fn roll_ups(data: &Data, c: &Caller) -> Result<Vec<CompoundEarning>, DomainError> {
    c.require(Action::ViewAnalytics)?;
    data.compound_earnings(c.org()).await.map_err(port)
}
