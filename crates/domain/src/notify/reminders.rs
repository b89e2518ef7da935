//! Instalment reminders: which one an unpaid instalment is owed on a given day, and what it
//! says. A function of the calendar date it is asked about, so the rule is tested on any day
//! and the background task simply asks about today.
//!
//! Each reminder has a stable key (contract, instalment, level), and a notification is unique
//! per key, recipient, kind and channel: asking again on the same day, on another instance or
//! after a restart, tells nobody twice.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{Channel, Kind, Language, Notification};
use crate::Money;
use crate::construction::{ContractId, ContractStatus, Instalment};
use crate::identity::{OrgId, UserId};

/// An instalment falling due or overdue, with what a reminder names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueInstalment {
    /// Organization.
    pub org: OrgId,
    /// Contract.
    pub contract: ContractId,
    /// Its title.
    pub title: String,
    /// Its status (nothing is owed before the client approves).
    pub status: ContractStatus,
    /// Who pays.
    pub client: UserId,
    /// The instalment.
    pub instalment: Instalment,
}

/// A reminder owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// Due within the notice period (or today).
    DueSoon,
    /// Unpaid this many days after its due date (one of the configured levels).
    Overdue(u32),
}

/// When reminders go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderPolicy {
    /// Days of notice before the due date (0: none).
    pub due_soon_days: u32,
    /// Days after the due date, increasing, one reminder each.
    pub overdue_days: Vec<u32>,
}

impl ReminderPolicy {
    /// The reminder an unpaid instalment due on `due` is owed on `today`: the notice when it
    /// falls within it, else the highest overdue level reached (a level missed while
    /// NestCMS was down is not sent late once a higher one is due).
    pub fn owed(&self, due: NaiveDate, today: NaiveDate) -> Option<Reminder> {
        let due_in = (due - today).num_days();
        if due_in >= 0 {
            let notice = i64::from(self.due_soon_days);
            return (self.due_soon_days > 0 && due_in <= notice).then_some(Reminder::DueSoon);
        }
        self.overdue_days
            .iter()
            .rev()
            .find(|l| i64::from(**l) <= -due_in)
            .map(|l| Reminder::Overdue(*l))
    }

    /// The due dates worth looking at on `today`: from a week past the last level (a late
    /// round still sends it) to the end of the notice period.
    pub fn window(&self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let last = self.overdue_days.last().copied().unwrap_or(0);
        let from = today - chrono::Duration::days(i64::from(last) + 7);
        let to = today + chrono::Duration::days(i64::from(self.due_soon_days));
        (from, to)
    }
}

/// The stable key of a reminder: the same instalment and level always give the same one.
/// (A mix of the contract's id with the position and level; not a UUID version, only a key.)
pub fn reminder_key(contract: ContractId, seq: u32, r: Reminder) -> Uuid {
    let level = match r {
        Reminder::DueSoon => 0,
        Reminder::Overdue(days) => u64::from(days) + 1,
    };
    let salt = (u128::from(seq) << 64 | u128::from(level))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
    Uuid::from_u128(contract.0.as_u128() ^ salt)
}

/// The reminder for `d`, in `language`, on `channel`.
pub fn instalment_reminder(
    d: &DueInstalment,
    r: Reminder,
    language: Language,
    channel: Channel,
    at: DateTime<Utc>,
) -> Notification {
    let i = &d.instalment;
    let amount = money(i.amount);
    let (kind, subject, body) = match (r, language) {
        (Reminder::DueSoon, Language::En) => (
            Kind::InstalmentDueSoon,
            format!("Instalment due on {}: {amount}", i.due_date),
            format!(
                "Instalment {} of \u{201c}{}\u{201d}, {amount}, is due on {}.",
                i.seq, d.title, i.due_date
            ),
        ),
        (Reminder::DueSoon, Language::Ar) => (
            Kind::InstalmentDueSoon,
            format!("قسط مستحق في {}: {amount}", i.due_date),
            format!(
                "القسط رقم {} من «{}» بمبلغ {amount} مستحق في {}.",
                i.seq, d.title, i.due_date
            ),
        ),
        (Reminder::Overdue(days), Language::En) => (
            Kind::InstalmentOverdue,
            format!("Overdue instalment: {amount}"),
            format!(
                "Instalment {} of \u{201c}{}\u{201d}, {amount}, was due on {} and is {days} days overdue.",
                i.seq, d.title, i.due_date
            ),
        ),
        (Reminder::Overdue(days), Language::Ar) => (
            Kind::InstalmentOverdue,
            format!("قسط متأخر: {amount}"),
            format!(
                "القسط رقم {} من «{}» بمبلغ {amount} كان مستحقاً في {} ومتأخر {days} يوماً.",
                i.seq, d.title, i.due_date
            ),
        ),
    };
    let key = reminder_key(d.contract, i.seq, r);
    let text = (subject, body);
    Notification::compose(
        (d.client, Some(d.org)),
        kind,
        text,
        (language, channel),
        (key, at),
    )
}

fn money(m: Money) -> String {
    format!("{} {}", m.amount_string(), m.currency().code())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn notice_then_each_level_reached() {
        let p = ReminderPolicy {
            due_soon_days: 3,
            overdue_days: vec![1, 7, 14],
        };
        let due = day("2026-12-10");
        assert_eq!(p.owed(due, day("2026-12-06")), None);
        assert_eq!(p.owed(due, day("2026-12-07")), Some(Reminder::DueSoon));
        assert_eq!(p.owed(due, day("2026-12-10")), Some(Reminder::DueSoon));
        assert_eq!(p.owed(due, day("2026-12-11")), Some(Reminder::Overdue(1)));
        assert_eq!(p.owed(due, day("2026-12-16")), Some(Reminder::Overdue(1)));
        assert_eq!(p.owed(due, day("2026-12-17")), Some(Reminder::Overdue(7)));
        assert_eq!(p.owed(due, day("2027-02-01")), Some(Reminder::Overdue(14)));
        let off = ReminderPolicy {
            due_soon_days: 0,
            overdue_days: vec![],
        };
        assert_eq!(off.owed(due, day("2026-12-09")), None);
        assert_eq!(off.owed(due, day("2026-12-20")), None);
        assert_eq!(
            p.window(day("2026-12-20")),
            (day("2026-11-29"), day("2026-12-23"))
        );
    }

    #[test]
    fn each_instalment_and_level_has_its_own_stable_key() {
        let c = ContractId(Uuid::now_v7());
        let keys = [
            reminder_key(c, 1, Reminder::DueSoon),
            reminder_key(c, 1, Reminder::Overdue(1)),
            reminder_key(c, 1, Reminder::Overdue(7)),
            reminder_key(c, 2, Reminder::DueSoon),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(keys[0], reminder_key(c, 1, Reminder::DueSoon));
    }
}
