//! What the construction use cases need from storage.

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    Commission, Contract, ContractId, ContractStatus, Design, DesignId, DesignVersion, Earning,
    EarningId, Instalment, Note, Offer, OfferId, OfferStatus, Payout, Project, ProjectId,
    ProjectStatus, Step, StepId, StepStatus, Worker,
};
use crate::identity::{OrgId, UserId};
use crate::money::Currency;
use crate::ports::PortError;

/// A page request: newest (or oldest) first, after a cursor id.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Return items after this id in the chosen order.
    pub cursor: Option<uuid::Uuid>,
    /// Oldest first instead of newest first.
    pub ascending: bool,
    /// At most this many (the store is asked for one more to know `has_more`).
    pub limit: u32,
}

/// Who may appear in a listing: everyone in the organization, or one client's own records.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    /// The organization.
    pub org: OrgId,
    /// Only this client's records (clients see nothing else).
    pub client: Option<UserId>,
}

/// Offers.
#[async_trait::async_trait]
pub trait OfferRepository: Send + Sync {
    /// Stores an offer.
    async fn insert_offer(&self, o: &Offer) -> Result<(), PortError>;
    /// One offer of an organization.
    async fn offer(&self, org: OrgId, id: OfferId) -> Result<Option<Offer>, PortError>;
    /// Offers, newest first.
    async fn offers(
        &self,
        scope: Scope,
        status: Option<OfferStatus>,
        page: Page,
    ) -> Result<Vec<Offer>, PortError>;
    /// Moves an offer from `from` to `to` if it is still in `from`; false otherwise.
    async fn move_offer(
        &self,
        org: OrgId,
        id: OfferId,
        from: OfferStatus,
        to: OfferStatus,
    ) -> Result<bool, PortError>;
    /// In one transaction: the offer moves from `from` to `to` (the conversion the domain
    /// allows, see [`super::OfferStatus::conversion`]), gets the contract's id, and the contract
    /// is stored. False, with nothing written, when the offer was no longer in `from`.
    async fn convert_offer(
        &self,
        offer: OfferId,
        from: super::OfferStatus,
        to: super::OfferStatus,
        contract: &Contract,
    ) -> Result<bool, PortError>;
}

/// Contracts and their instalments.
#[async_trait::async_trait]
pub trait ContractRepository: Send + Sync {
    /// Stores a contract with its employees and instalments.
    async fn insert_contract(&self, c: &Contract) -> Result<(), PortError>;
    /// One contract with employees and instalments.
    async fn contract(&self, org: OrgId, id: ContractId) -> Result<Option<Contract>, PortError>;
    /// Contracts, newest first (instalments not loaded).
    async fn contracts(
        &self,
        scope: Scope,
        status: Option<ContractStatus>,
        page: Page,
    ) -> Result<Vec<Contract>, PortError>;
    /// Replaces the schedule if the contract is still in review; false otherwise.
    async fn replace_instalments(
        &self,
        org: OrgId,
        id: ContractId,
        items: &[Instalment],
    ) -> Result<bool, PortError>;
    /// Replaces title, content, document reference and responsible employees if the contract is
    /// still in review; false otherwise.
    async fn update_contract_terms(&self, c: &Contract) -> Result<bool, PortError>;
    /// Every payment made for the contract's instalments (attempts that failed included),
    /// oldest first.
    async fn instalment_payments(
        &self,
        org: OrgId,
        id: ContractId,
    ) -> Result<Vec<super::standing::InstalmentPayment>, PortError>;
    /// Moves a contract between states if it is still in `from`; false otherwise.
    async fn move_contract(
        &self,
        org: OrgId,
        id: ContractId,
        from: ContractStatus,
        to: ContractStatus,
    ) -> Result<bool, PortError>;
}

/// Projects and what hangs off them.
#[async_trait::async_trait]
pub trait ProjectRepository: Send + Sync {
    /// Stores a project.
    async fn insert_project(&self, p: &Project) -> Result<(), PortError>;
    /// One project.
    async fn project(&self, org: OrgId, id: ProjectId) -> Result<Option<Project>, PortError>;
    /// Projects, newest first; `member` limits to projects the user manages or works on.
    async fn projects(
        &self,
        scope: Scope,
        member: Option<UserId>,
        status: Option<ProjectStatus>,
        page: Page,
    ) -> Result<Vec<Project>, PortError>;
    /// Moves a project between states if it is still in `from`.
    async fn move_project(
        &self,
        org: OrgId,
        id: ProjectId,
        from: ProjectStatus,
        to: ProjectStatus,
    ) -> Result<bool, PortError>;
    /// Appends a step at the end; returns it with its position.
    async fn append_step(
        &self,
        project: ProjectId,
        id: StepId,
        title: &str,
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
    ) -> Result<Step, PortError>;
    /// Steps in order.
    async fn steps(&self, project: ProjectId) -> Result<Vec<Step>, PortError>;
    /// Moves a step if it is still in `from`; sets or clears the completion time.
    async fn move_step(
        &self,
        project: ProjectId,
        step: StepId,
        from: StepStatus,
        to: StepStatus,
        at: DateTime<Utc>,
    ) -> Result<bool, PortError>;
    /// Stores a design with its first version.
    async fn insert_design(&self, d: &Design) -> Result<(), PortError>;
    /// Appends a version; returns its number.
    async fn add_design_version(
        &self,
        design: DesignId,
        v: &DesignVersion,
    ) -> Result<i32, PortError>;
    /// One design of a project, with versions.
    async fn design(&self, project: ProjectId, id: DesignId) -> Result<Option<Design>, PortError>;
    /// Designs of a project, with versions.
    async fn designs(&self, project: ProjectId) -> Result<Vec<Design>, PortError>;
    /// Adds a worker; [`PortError::Duplicate`] when already on the project.
    async fn insert_worker(&self, w: &Worker) -> Result<(), PortError>;
    /// Workers of a project.
    async fn workers(&self, project: ProjectId) -> Result<Vec<Worker>, PortError>;
    /// Whether a user works on (or manages) a project.
    async fn is_on_project(&self, project: ProjectId, user: UserId) -> Result<bool, PortError>;
    /// Stores a note.
    async fn insert_note(&self, n: &Note) -> Result<(), PortError>;
    /// Notes of a project (all targets), oldest first.
    async fn notes(&self, project: ProjectId) -> Result<Vec<Note>, PortError>;
    /// Marks a note read; false when unknown or already read.
    async fn mark_note_read(
        &self,
        project: ProjectId,
        note: super::NoteId,
        at: DateTime<Utc>,
    ) -> Result<bool, PortError>;
}

/// Earnings, commissions and their distribution.
#[async_trait::async_trait]
pub trait EarningRepository: Send + Sync {
    /// Stores an earning.
    async fn insert_earning(&self, e: &Earning) -> Result<(), PortError>;
    /// One earning.
    async fn earning(&self, org: OrgId, id: EarningId) -> Result<Option<Earning>, PortError>;
    /// Earnings, newest first, optionally of one project.
    async fn earnings(
        &self,
        org: OrgId,
        project: Option<ProjectId>,
        page: Page,
    ) -> Result<Vec<Earning>, PortError>;
    /// Stores a commission if the project's commissions, this one included, stay within
    /// `cap_bp`: checked and written in one transaction serialised per project, so concurrent
    /// requests cannot together exceed it. `Some(existing_bp)`, with nothing written, when it
    /// would not fit; [`PortError::Duplicate`] when the employee already has one on the project.
    async fn insert_commission(
        &self,
        c: &Commission,
        cap_bp: u32,
    ) -> Result<Option<u32>, PortError>;
    /// Commissions of a project.
    async fn commissions(&self, project: ProjectId) -> Result<Vec<Commission>, PortError>;
    /// In one transaction: marks the earning distributed (only if it was not) and stores the
    /// payouts. False, with nothing written, when it was already distributed.
    async fn distribute(
        &self,
        org: OrgId,
        earning: EarningId,
        payouts: &[Payout],
        at: DateTime<Utc>,
    ) -> Result<bool, PortError>;
    /// Payouts of an earning.
    async fn payouts(&self, earning: EarningId) -> Result<Vec<Payout>, PortError>;
    /// In one transaction: sums the period's project earnings in `currency` into a compound
    /// earning with `id` and links them. `None` when there is nothing to roll up;
    /// [`PortError::Duplicate`] when that period and currency were already rolled up.
    async fn roll_up(
        &self,
        org: OrgId,
        id: EarningId,
        period: super::EarningPeriod,
        start: NaiveDate,
        currency: Currency,
        at: DateTime<Utc>,
    ) -> Result<Option<super::CompoundEarning>, PortError>;
    /// Compound earnings of an organization, newest period first.
    async fn compound_earnings(&self, org: OrgId)
    -> Result<Vec<super::CompoundEarning>, PortError>;
}

/// A count per status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCount {
    /// Status text.
    pub status: String,
    /// How many.
    pub count: i64,
}

/// Sums of one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotals {
    /// Currency.
    pub currency: Currency,
    /// Sum of profits, minor units.
    pub profit: i64,
    /// Sum of losses, minor units.
    pub loss: i64,
    /// Number of earnings.
    pub count: i64,
}

/// One row of a ranking or trend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    /// The project, employee or month (`YYYY-MM`).
    pub key: String,
    /// Display label (title, name, month).
    pub label: String,
    /// Net amount, minor units.
    pub net: i64,
}

/// Filters of the analytics queries.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// The organization.
    pub org: OrgId,
    /// First day included (earning period start).
    pub from: Option<NaiveDate>,
    /// Last day included.
    pub to: Option<NaiveDate>,
}

/// Read-only aggregate queries (each explained in docs/ANALYTICS.md).
#[async_trait::async_trait]
pub trait AnalyticsRepository: Send + Sync {
    /// Projects per status.
    async fn project_status_counts(&self, org: OrgId) -> Result<Vec<StatusCount>, PortError>;
    /// Contracts per status.
    async fn contract_status_counts(&self, org: OrgId) -> Result<Vec<StatusCount>, PortError>;
    /// Profit, loss and count per currency; `project` narrows to one project.
    async fn earning_totals(
        &self,
        w: Window,
        project: Option<ProjectId>,
    ) -> Result<Vec<CurrencyTotals>, PortError>;
    /// Net earnings per month of one currency, oldest first.
    async fn monthly_trend(&self, w: Window, currency: Currency) -> Result<Vec<Ranked>, PortError>;
    /// Projects with the highest net earnings in one currency.
    async fn top_projects(
        &self,
        w: Window,
        currency: Currency,
        limit: u32,
    ) -> Result<Vec<Ranked>, PortError>;
    /// Employees with the highest commission payouts in one currency.
    async fn top_employees(
        &self,
        w: Window,
        currency: Currency,
        limit: u32,
    ) -> Result<Vec<Ranked>, PortError>;
    /// Projects in `scope`, per status; `member` limits to projects the user manages or works
    /// on. Counted by the database, however many there are.
    async fn projects_of(
        &self,
        scope: Scope,
        member: Option<UserId>,
    ) -> Result<Vec<StatusCount>, PortError>;
    /// Contracts where the user is the client or a responsible employee, per status.
    async fn contracts_of(&self, org: OrgId, user: UserId) -> Result<Vec<StatusCount>, PortError>;
    /// Payouts received by one user per currency.
    async fn payouts_of(&self, org: OrgId, user: UserId)
    -> Result<Vec<(Currency, i64)>, PortError>;
}

/// Schedules and salaries.
#[async_trait::async_trait]
pub trait ScheduleRepository: Send + Sync {
    /// Stores the item unless a non-cancelled item of the same client or employee overlaps it;
    /// returns that item instead. The check and the insert are one transaction, serialised per
    /// organization.
    async fn insert_schedule_unless_clash(
        &self,
        s: &super::Schedule,
    ) -> Result<Option<super::Schedule>, PortError>;
    /// Items of an organization starting in `[from, to)`, optionally of one person (as client
    /// or employee), by start time.
    async fn schedules(
        &self,
        org: OrgId,
        person: Option<UserId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<super::Schedule>, PortError>;
    /// One schedule item.
    async fn schedule(
        &self,
        org: OrgId,
        id: super::ScheduleId,
    ) -> Result<Option<super::Schedule>, PortError>;
    /// Stores a note on a schedule item.
    async fn insert_schedule_note(
        &self,
        schedule: super::ScheduleId,
        n: &super::Note,
    ) -> Result<(), PortError>;
    /// Notes of a schedule item, oldest first.
    async fn schedule_notes(
        &self,
        schedule: super::ScheduleId,
    ) -> Result<Vec<super::Note>, PortError>;
    /// Stores a salary.
    async fn insert_salary(&self, s: &super::Salary) -> Result<(), PortError>;
    /// Salaries of an organization, optionally of one employee.
    async fn salaries(
        &self,
        org: OrgId,
        employee: Option<UserId>,
    ) -> Result<Vec<super::Salary>, PortError>;
}

/// Everything the construction use cases need, as one object.
pub trait ConstructionStore:
    OfferRepository
    + ContractRepository
    + ProjectRepository
    + EarningRepository
    + AnalyticsRepository
    + ScheduleRepository
{
}

impl<T> ConstructionStore for T where
    T: OfferRepository
        + ContractRepository
        + ProjectRepository
        + EarningRepository
        + AnalyticsRepository
        + ScheduleRepository
{
}
