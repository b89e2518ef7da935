//! Rules on numbers: instalment schedules and project progress.

use chrono::NaiveDate;

use crate::error::FieldError;
use crate::money::Money;

/// Checks an instalment schedule against a contract total: at least one instalment, each
/// positive and in the contract's currency, due dates strictly increasing, and the amounts
/// summing exactly to the total. Field errors point into the submitted array.
pub fn check_instalments(
    total: Money,
    instalments: &[(Money, NaiveDate)],
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if instalments.is_empty() {
        errors.push(FieldError::new(
            "/",
            "empty_schedule",
            "give at least one instalment",
        ));
    }
    let mut sum: i128 = 0;
    let mut previous: Option<NaiveDate> = None;
    for (i, (amount, due)) in instalments.iter().enumerate() {
        if amount.currency() != total.currency() {
            errors.push(FieldError::new(
                format!("/{i}/amount"),
                "currency_mismatch",
                format!("instalments are in {}", total.currency()),
            ));
        }
        if amount.minor() <= 0 {
            errors.push(FieldError::new(
                format!("/{i}/amount"),
                "amount_not_positive",
                "must be greater than zero",
            ));
        }
        if previous.is_some_and(|p| *due <= p) {
            errors.push(FieldError::new(
                format!("/{i}/due_date"),
                "not_increasing",
                "due dates must increase",
            ));
        }
        previous = Some(*due);
        sum += i128::from(amount.minor());
    }
    if errors.is_empty() && sum != i128::from(total.minor()) {
        let got = Money::from_minor(i64::try_from(sum).unwrap_or(i64::MAX), total.currency());
        errors.push(FieldError::new(
            "/",
            "sum_mismatch",
            format!(
                "instalments sum to {} but the contract total is {}",
                got.amount_string(),
                total.amount_string()
            ),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The most a project's commissions may add up to, in basis points (100 %).
pub const COMMISSION_CAP_BP: u32 = 10_000;

/// Whether a new commission of `new_bp` fits beside commissions totalling `existing_bp`.
/// Storage enforces this under a per-project lock, so concurrent requests cannot both pass.
pub const fn commission_fits(existing_bp: u32, new_bp: u32) -> bool {
    new_bp > 0 && existing_bp.saturating_add(new_bp) <= COMMISSION_CAP_BP
}

/// Progress in tenths of a percent (667 = 66.7 %), rounded half up; 0 when there are no steps.
pub fn progress_permille(completed: u32, total: u32) -> u32 {
    if total == 0 {
        return 0;
    }
    let (c, t) = (u64::from(completed.min(total)), u64::from(total));
    u32::try_from((c * 2000 + t) / (2 * t)).unwrap_or(1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn progress_rounds_to_one_decimal() {
        assert_eq!(progress_permille(2, 3), 667);
        assert_eq!(progress_permille(1, 3), 333);
        assert_eq!(progress_permille(1, 8), 125);
        assert_eq!(progress_permille(0, 0), 0);
        assert_eq!(progress_permille(5, 5), 1000);
        assert_eq!(progress_permille(9, 5), 1000);
    }

    #[test]
    fn instalments_must_sum_exactly_in_the_contract_currency() {
        let total = Money::from_minor(1_500_000, Currency::Kwd);
        let kwd = |m| Money::from_minor(m, Currency::Kwd);
        assert!(
            check_instalments(
                total,
                &[
                    (kwd(500_000), d("2027-01-01")),
                    (kwd(500_000), d("2027-02-01")),
                    (kwd(500_000), d("2027-03-01"))
                ]
            )
            .is_ok()
        );
        let short = check_instalments(
            total,
            &[
                (kwd(500_000), d("2027-01-01")),
                (kwd(999_999), d("2027-02-01")),
            ],
        )
        .err()
        .unwrap_or_default();
        assert_eq!(short[0].code, "sum_mismatch");
        assert!(
            short[0].message.contains("1499.999") && short[0].message.contains("1500.000"),
            "{}",
            short[0].message
        );
        let mixed = check_instalments(
            total,
            &[(Money::from_minor(1_500_000, Currency::Sar), d("2027-01-01"))],
        )
        .err()
        .unwrap_or_default();
        assert_eq!(
            (mixed[0].field.as_str(), mixed[0].code),
            ("/0/amount", "currency_mismatch")
        );
        let dates = check_instalments(
            total,
            &[
                (kwd(750_000), d("2027-02-01")),
                (kwd(750_000), d("2027-01-01")),
            ],
        )
        .err()
        .unwrap_or_default();
        assert_eq!(
            (dates[0].field.as_str(), dates[0].code),
            ("/1/due_date", "not_increasing")
        );
        assert!(check_instalments(total, &[]).is_err());
    }
}
