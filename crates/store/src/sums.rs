//! Sums of money columns that cannot overflow in SQL, on either backend.
//!
//! SQLite's `SUM` of integers fails with "integer overflow" beyond 64 bits, and PostgreSQL's
//! `SUM(bigint)` is a `numeric` whose cast back to `BIGINT` fails the same way: either turns a
//! dashboard into a 500. Each amount is therefore summed in two halves, the quotient and the
//! remainder of a division by 10^9 (truncating identically on both backends); neither half can
//! overflow before billions of rows, and [`join`] recombines them exactly in 128 bits. A total
//! beyond 64 bits is then a clear refusal ([`OVERFLOW`]), never a wrapped number.

use nestcms_domain::PortError;

/// The constraint name reported when a total does not fit in 64 bits.
pub use nestcms_domain::money::SUM_OVERFLOW as OVERFLOW;

const SPLIT: i128 = 1_000_000_000;

/// SQL for the high and low halves of `SUM(expr)`, as two `BIGINT` columns (0 for no rows).
pub fn halves(expr: &str) -> String {
    format!(
        "CAST(COALESCE(SUM(({expr}) / 1000000000), 0) AS BIGINT), CAST(COALESCE(SUM(({expr}) % 1000000000), 0) AS BIGINT)"
    )
}

/// As [`halves`], naming the two columns.
pub fn halves_as(expr: &str, high: &str, low: &str) -> String {
    format!(
        "CAST(COALESCE(SUM(({expr}) / 1000000000), 0) AS BIGINT) AS {high}, CAST(COALESCE(SUM(({expr}) % 1000000000), 0) AS BIGINT) AS {low}"
    )
}

/// SQL ordering by `SUM(expr)` without overflow (exact on PostgreSQL's numeric, within a float's
/// precision on SQLite, which only matters for ties beyond 2^53 minor units).
pub fn order_key(expr: &str) -> String {
    format!("(SUM(({expr}) / 1000000000) * 1000000000.0 + SUM(({expr}) % 1000000000))")
}

/// The exact total from its halves, or the overflow refusal.
pub fn join(high: i64, low: i64) -> Result<i64, PortError> {
    i64::try_from(i128::from(high) * SPLIT + i128::from(low))
        .map_err(|_| PortError::Constraint(OVERFLOW.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_recombine_exactly_and_refuse_what_does_not_fit() {
        let values: [i64; 3] = [i64::MAX / 2 + 1, -123_456_789_012, 999_999_999];
        let high: i64 = values.iter().map(|v| v / 1_000_000_000).sum();
        let low: i64 = values.iter().map(|v| v % 1_000_000_000).sum();
        let exact = values.iter().map(|&v| i128::from(v)).sum::<i128>();
        assert_eq!(join(high, low).ok().map(i128::from), Some(exact));
        assert!(join(i64::MAX / 1_000_000_000 + 1, 0).is_err());
    }
}
