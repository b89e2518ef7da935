//! Where each instalment of a contract stands: due, paid or overdue, and the payment behind it.
//!
//! Derived from the payments themselves each time it is read, never stored beside them: a
//! payment that settles, is refunded or fails changes the answer at once, and there is no
//! second record to fall out of step with the first.

use chrono::NaiveDate;

use super::{ContractStatus, Instalment};
use crate::payments::{PaymentId, PaymentState};

/// An instalment's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The contract is not approved (in review, or declined): nothing is owed yet.
    Scheduled,
    /// Not paid; its due date has not passed.
    Due,
    /// Paid (a partial refund leaves it paid; a full refund makes it owed again).
    Paid,
    /// Not paid, and its due date has passed.
    Overdue,
}

impl Standing {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Due => "due",
            Self::Paid => "paid",
            Self::Overdue => "overdue",
        }
    }
}

/// The payment that matters for one instalment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstalmentPayment {
    /// The instalment's position.
    pub seq: u32,
    /// The payment.
    pub payment: PaymentId,
    /// Its state.
    pub state: PaymentState,
    /// The tax invoice issued for it: id and number in the invoice series.
    pub invoice: Option<(uuid::Uuid, i64)>,
}

/// One instalment with its standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledInstalment {
    /// The instalment.
    pub instalment: Instalment,
    /// Due, paid or overdue.
    pub standing: Standing,
    /// The payment that paid it, or the one under way (the latest attempt otherwise).
    pub payment: Option<InstalmentPayment>,
}

/// Each instalment's standing on `today` (the caller's calendar date), given the contract's
/// status and the payments made for it (any number per instalment, in any order: failed
/// attempts, the live one). Until the client approves, nothing is owed.
pub fn standings(
    contract: ContractStatus,
    schedule: &[Instalment],
    payments: &[InstalmentPayment],
    today: NaiveDate,
) -> Vec<ScheduledInstalment> {
    let owed = !matches!(
        contract,
        ContractStatus::Review | ContractStatus::RejectedByClient
    );
    schedule
        .iter()
        .map(|i| {
            let mine = payments.iter().filter(|p| p.seq == i.seq);
            // A paid one wins; then one under way; then the latest attempt (last given).
            let payment = mine
                .clone()
                .find(|p| counts_as_paid(p.state))
                .or_else(|| mine.clone().find(|p| under_way(p.state)))
                .or_else(|| payments.iter().rev().find(|p| p.seq == i.seq))
                .copied();
            let standing = if payment.is_some_and(|p| counts_as_paid(p.state)) {
                Standing::Paid
            } else if !owed {
                Standing::Scheduled
            } else if i.due_date < today {
                Standing::Overdue
            } else {
                Standing::Due
            };
            ScheduledInstalment {
                instalment: i.clone(),
                standing,
                payment,
            }
        })
        .collect()
}

const fn counts_as_paid(s: PaymentState) -> bool {
    matches!(s, PaymentState::Paid | PaymentState::PartiallyRefunded)
}

const fn under_way(s: PaymentState) -> bool {
    matches!(
        s,
        PaymentState::Created | PaymentState::Pending | PaymentState::OnHold
    )
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::Money;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 1, d).unwrap_or_default()
    }

    fn schedule() -> Vec<Instalment> {
        let sar = "SAR".parse().unwrap_or_else(|_| unreachable!());
        (1..=3)
            .map(|seq| Instalment {
                seq,
                amount: Money::from_minor(10_000, sar),
                due_date: day(seq * 10),
            })
            .collect()
    }

    fn paid(seq: u32, state: PaymentState) -> InstalmentPayment {
        InstalmentPayment {
            seq,
            payment: PaymentId(Uuid::now_v7()),
            state,
            invoice: None,
        }
    }

    #[test]
    fn unpaid_instalments_are_due_until_their_date_then_overdue() {
        let s = standings(ContractStatus::Active, &schedule(), &[], day(10));
        let got: Vec<_> = s.iter().map(|i| i.standing).collect();
        assert_eq!(
            got,
            [Standing::Due, Standing::Due, Standing::Due],
            "due on the day"
        );
        let s = standings(ContractStatus::Active, &schedule(), &[], day(11));
        assert_eq!(s[0].standing, Standing::Overdue);
        assert_eq!(s[1].standing, Standing::Due);
    }

    #[test]
    fn a_paid_or_partly_refunded_payment_pays_and_a_full_refund_reopens() {
        let failed = paid(1, PaymentState::Declined);
        let good = paid(1, PaymentState::Paid);
        let s = standings(
            ContractStatus::Active,
            &schedule(),
            &[failed, good],
            day(20),
        );
        assert_eq!(s[0].standing, Standing::Paid);
        assert_eq!(
            s[0].payment,
            Some(good),
            "the paying attempt, not the declined one"
        );
        let part = paid(2, PaymentState::PartiallyRefunded);
        assert_eq!(
            standings(ContractStatus::Active, &schedule(), &[part], day(30))[1].standing,
            Standing::Paid
        );
        let back = paid(1, PaymentState::Refunded);
        let s = standings(ContractStatus::Active, &schedule(), &[back], day(20));
        assert_eq!(
            s[0].standing,
            Standing::Overdue,
            "fully refunded: owed again"
        );
        assert_eq!(s[0].payment, Some(back));
    }

    #[test]
    fn nothing_is_owed_before_the_client_approves() {
        for status in [ContractStatus::Review, ContractStatus::RejectedByClient] {
            let s = standings(status, &schedule(), &[], day(31));
            assert!(
                s.iter().all(|i| i.standing == Standing::Scheduled),
                "{status:?}"
            );
        }
        let s = standings(ContractStatus::ApprovedByClient, &schedule(), &[], day(31));
        assert_eq!(s[0].standing, Standing::Overdue);
    }

    #[test]
    fn a_payment_under_way_is_shown_but_does_not_pay() {
        let pending = paid(3, PaymentState::Pending);
        let earlier = paid(3, PaymentState::Expired);
        let s = standings(
            ContractStatus::Active,
            &schedule(),
            &[earlier, pending],
            day(1),
        );
        assert_eq!(s[2].standing, Standing::Due);
        assert_eq!(s[2].payment, Some(pending));
    }
}
