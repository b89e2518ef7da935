//! The construction business: offers, contracts, projects and what hangs off them, earnings.
//!
//! The original NestCMS lost fields between its DTOs and schemas, copied users into projects as
//! "workers", assigned instead of compared when converting offers, and summed amounts across
//! currencies. Here every lifecycle is an explicit transition table, money is [`crate::Money`],
//! workers are links to members, and every split of money is exact ([`allocate`]).

mod allocate;
pub(crate) mod lifecycle;
mod model;
pub mod ports;
mod rules;
mod schedule;
pub mod standing;
pub mod upload;

pub use allocate::allocate;
pub use lifecycle::{ContractStatus, OfferStatus, ProjectStatus, StepStatus};
pub use model::*;
pub use rules::{COMMISSION_CAP_BP, check_instalments, commission_fits, progress_permille};
pub use schedule::{
    Salary, SalaryId, SalaryPeriod, Schedule, ScheduleId, ScheduleKind, ScheduleStatus,
};

crate::define_id!(
    /// Identifies an offer.
    OfferId
);
crate::define_id!(
    /// Identifies a contract.
    ContractId
);
crate::define_id!(
    /// Identifies a project.
    ProjectId
);
crate::define_id!(
    /// Identifies a project step.
    StepId
);
crate::define_id!(
    /// Identifies a design.
    DesignId
);
crate::define_id!(
    /// Identifies a note.
    NoteId
);
crate::define_id!(
    /// Identifies an earning.
    EarningId
);
crate::define_id!(
    /// Identifies a commission.
    CommissionId
);
