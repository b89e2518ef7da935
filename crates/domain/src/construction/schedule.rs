//! Schedules (appointments between a client and an employee, and project timelines) and
//! salaries.

use chrono::{DateTime, NaiveDate, Utc};

use super::ProjectId;
use crate::identity::{OrgId, UserId};
use crate::money::Money;
use crate::text::text_enum;

crate::define_id!(
    /// Identifies a schedule item.
    ScheduleId
);
crate::define_id!(
    /// Identifies a salary.
    SalaryId
);

text_enum!(
    /// What a schedule item is.
    ScheduleKind {
        /// A meeting between a client and an employee.
        Appointment => "appointment",
        /// A period of a project's plan.
        Timeline => "timeline",
    }
);

text_enum!(
    /// Where a schedule item stands.
    ScheduleStatus {
        /// Planned.
        Scheduled => "scheduled",
        /// Happened.
        Done => "done",
        /// Called off (no longer blocks the time).
        Cancelled => "cancelled",
    }
);

/// An appointment or a timeline item.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Id.
    pub id: ScheduleId,
    /// Organization.
    pub org_id: OrgId,
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
    /// End (after the start).
    pub ends_at: DateTime<Utc>,
    /// State.
    pub status: ScheduleStatus,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl Schedule {
    /// Whether two items share a person and overlap in time (touching ends do not overlap).
    pub fn clashes_with(&self, other: &Schedule) -> bool {
        let same_person = (self.client_id.is_some()
            && (self.client_id == other.client_id || self.client_id == other.employee_id))
            || (self.employee_id.is_some()
                && (self.employee_id == other.employee_id || self.employee_id == other.client_id));
        same_person
            && other.status != ScheduleStatus::Cancelled
            && self.starts_at < other.ends_at
            && other.starts_at < self.ends_at
    }
}

text_enum!(
    /// How often a salary is paid.
    SalaryPeriod {
        /// Every month.
        Monthly => "monthly",
        /// Every year.
        Yearly => "yearly",
    }
);

/// A periodic payment to an employee.
#[derive(Debug, Clone)]
pub struct Salary {
    /// Id.
    pub id: SalaryId,
    /// Organization.
    pub org_id: OrgId,
    /// Employee.
    pub employee_id: UserId,
    /// Title, e.g. "Site engineer base salary".
    pub title: String,
    /// Amount per period.
    pub amount: Money,
    /// Period.
    pub period: SalaryPeriod,
    /// Next payout.
    pub next_payout_date: NaiveDate,
    /// Created.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + i64::from(h) * 3600, 0).unwrap_or_default()
    }

    fn item(client: Option<UserId>, employee: Option<UserId>, from: u32, to: u32) -> Schedule {
        Schedule {
            id: ScheduleId::new(),
            org_id: OrgId::new(),
            kind: ScheduleKind::Appointment,
            title: "Site visit".into(),
            project_id: None,
            client_id: client,
            employee_id: employee,
            starts_at: at(from),
            ends_at: at(to),
            status: ScheduleStatus::Scheduled,
            created_at: at(0),
        }
    }

    #[test]
    fn overlaps_of_the_same_person_clash_and_touching_ends_do_not() {
        let (a, b, c) = (UserId::new(), UserId::new(), UserId::new());
        let existing = item(Some(a), Some(b), 10, 12);
        assert!(
            item(Some(c), Some(b), 11, 13).clashes_with(&existing),
            "same employee, overlapping"
        );
        assert!(
            item(Some(a), Some(c), 9, 11).clashes_with(&existing),
            "same client"
        );
        assert!(
            !item(Some(a), Some(b), 12, 13).clashes_with(&existing),
            "back to back is fine"
        );
        assert!(
            !item(Some(c), Some(UserId::new()), 10, 12).clashes_with(&existing),
            "other people"
        );
        let cancelled = Schedule {
            status: ScheduleStatus::Cancelled,
            ..existing.clone()
        };
        assert!(
            !item(Some(a), Some(b), 10, 12).clashes_with(&cancelled),
            "cancelled items free the time"
        );
    }
}
