//! Construction entities as the core sees them.

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    CommissionId, ContractId, ContractStatus, DesignId, EarningId, NoteId, OfferId, OfferStatus,
    ProjectId, ProjectStatus, StepId, StepStatus,
};
use crate::identity::{OrgId, UserId};
use crate::money::Money;

/// A quote from the firm to a client.
#[derive(Debug, Clone)]
pub struct Offer {
    /// Id.
    pub id: OfferId,
    /// Organization.
    pub org_id: OrgId,
    /// The client it is for.
    pub client_id: UserId,
    /// The employee who wrote it.
    pub author_id: UserId,
    /// Title.
    pub title: String,
    /// What the work covers.
    pub scope: String,
    /// Price.
    pub price: Money,
    /// Last day the client may accept.
    pub valid_until: NaiveDate,
    /// Lifecycle state.
    pub status: OfferStatus,
    /// The contract it became.
    pub contract_id: Option<ContractId>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// One scheduled payment of a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instalment {
    /// 1-based position.
    pub seq: u32,
    /// Amount, in the contract's currency.
    pub amount: Money,
    /// Due date.
    pub due_date: NaiveDate,
}

/// An agreement with a client.
#[derive(Debug, Clone)]
pub struct Contract {
    /// Id.
    pub id: ContractId,
    /// Organization.
    pub org_id: OrgId,
    /// The offer it came from.
    pub offer_id: Option<OfferId>,
    /// The client.
    pub client_id: UserId,
    /// Employees responsible for it.
    pub employee_ids: Vec<UserId>,
    /// Title.
    pub title: String,
    /// Terms.
    pub content: String,
    /// Where the signed document is (URL or file reference).
    pub document_ref: Option<String>,
    /// Total value.
    pub total: Money,
    /// Lifecycle state.
    pub status: ContractStatus,
    /// Payment schedule (sums to `total` once set).
    pub instalments: Vec<Instalment>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A building project.
#[derive(Debug, Clone)]
pub struct Project {
    /// Id.
    pub id: ProjectId,
    /// Organization.
    pub org_id: OrgId,
    /// The contract it delivers.
    pub contract_id: Option<ContractId>,
    /// The client (from the contract).
    pub client_id: Option<UserId>,
    /// The member managing it.
    pub manager_id: UserId,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Planned start.
    pub start_date: NaiveDate,
    /// Planned end.
    pub end_date: Option<NaiveDate>,
    /// Lifecycle state.
    pub status: ProjectStatus,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A milestone.
#[derive(Debug, Clone)]
pub struct Step {
    /// Id.
    pub id: StepId,
    /// Project.
    pub project_id: ProjectId,
    /// Order within the project (1-based).
    pub position: i32,
    /// Title.
    pub title: String,
    /// State.
    pub status: StepStatus,
    /// Planned start.
    pub start_date: Option<NaiveDate>,
    /// Planned end.
    pub end_date: Option<NaiveDate>,
    /// When it was completed.
    pub completed_at: Option<DateTime<Utc>>,
}

/// One version of a design document.
#[derive(Debug, Clone)]
pub struct DesignVersion {
    /// 1-based version number.
    pub version: i32,
    /// External location, when referenced by URL.
    pub url: Option<String>,
    /// Stored file name (under the data directory), when uploaded.
    pub file_key: Option<String>,
    /// Original file name as uploaded, sanitised.
    pub file_name: Option<String>,
    /// MIME type.
    pub content_type: Option<String>,
    /// Size in bytes, for uploads.
    pub size_bytes: Option<i64>,
    /// Who added it.
    pub created_by: UserId,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A design document with its history.
#[derive(Debug, Clone)]
pub struct Design {
    /// Id.
    pub id: DesignId,
    /// Project.
    pub project_id: ProjectId,
    /// Title.
    pub title: String,
    /// Versions, oldest first.
    pub versions: Vec<DesignVersion>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A member working on a project (a link, never a copy of the user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    /// Project.
    pub project_id: ProjectId,
    /// The member.
    pub user_id: UserId,
    /// Their role on this project, e.g. "site engineer".
    pub role: String,
    /// When added.
    pub added_at: DateTime<Utc>,
}

/// What a note is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteTarget {
    /// A project.
    Project,
    /// A design.
    Design,
    /// A schedule item.
    Schedule,
}

impl NoteTarget {
    /// Stored text.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Project => "project",
            Self::Design => "design",
            Self::Schedule => "schedule",
        }
    }
}

/// A comment on a project or design.
#[derive(Debug, Clone)]
pub struct Note {
    /// Id.
    pub id: NoteId,
    /// Project it belongs to (for project and design notes; the schedule's project, if any,
    /// for schedule notes).
    pub project_id: Option<ProjectId>,
    /// What it is attached to.
    pub target: NoteTarget,
    /// The design, for design notes.
    pub design_id: Option<DesignId>,
    /// Author.
    pub author_id: UserId,
    /// Text.
    pub body: String,
    /// When someone other than the author marked it read.
    pub read_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Profit or loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EarningKind {
    /// Money made.
    Profit,
    /// Money lost.
    Loss,
}

/// The period an earning covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EarningPeriod {
    /// One month.
    Monthly,
    /// Four months.
    FourMonthly,
    /// Three months.
    Quarterly,
    /// One year.
    Yearly,
}

impl EarningPeriod {
    /// Stored text.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::FourMonthly => "four_monthly",
            Self::Quarterly => "quarterly",
            Self::Yearly => "yearly",
        }
    }

    /// Parses stored text.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Monthly,
            Self::FourMonthly,
            Self::Quarterly,
            Self::Yearly,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

impl EarningKind {
    /// Stored text.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Profit => "profit",
            Self::Loss => "loss",
        }
    }

    /// Parses stored text.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Profit, Self::Loss]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A recorded profit or loss of a project (or of the organization as a whole).
#[derive(Debug, Clone)]
pub struct Earning {
    /// Id.
    pub id: EarningId,
    /// Organization.
    pub org_id: OrgId,
    /// Project, when it is a project earning.
    pub project_id: Option<ProjectId>,
    /// Profit or loss.
    pub kind: EarningKind,
    /// Period length.
    pub period: EarningPeriod,
    /// First day of the period.
    pub period_start: NaiveDate,
    /// Amount, always positive; `kind` gives the sign.
    pub amount: Money,
    /// Title.
    pub title: String,
    /// When it was distributed to commissions.
    pub distributed_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// An employee's share of a project's profits, in basis points.
#[derive(Debug, Clone)]
pub struct Commission {
    /// Id.
    pub id: CommissionId,
    /// Organization.
    pub org_id: OrgId,
    /// Project.
    pub project_id: ProjectId,
    /// Employee.
    pub employee_id: UserId,
    /// Share, basis points (1250 = 12.50 %).
    pub rate_bp: u32,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// What one employee received from one distributed earning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    /// The commission it pays.
    pub commission_id: CommissionId,
    /// The employee.
    pub employee_id: UserId,
    /// Amount.
    pub amount: Money,
}

/// The net of one period's project earnings in one currency, rolled up for the organization.
#[derive(Debug, Clone)]
pub struct CompoundEarning {
    /// Id.
    pub id: EarningId,
    /// Organization.
    pub org_id: OrgId,
    /// Period length.
    pub period: EarningPeriod,
    /// First day of the period.
    pub period_start: NaiveDate,
    /// Net (profits minus losses), may be negative.
    pub net: Money,
    /// The project earnings it was made from.
    pub components: Vec<EarningId>,
    /// Created.
    pub created_at: DateTime<Utc>,
}
