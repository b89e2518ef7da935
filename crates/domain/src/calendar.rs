//! The calendar range the product supports.
//!
//! Construction contracts, schedules and payouts live within a human lifetime; the bound keeps
//! every date far from the edges where databases and date libraries disagree or fail.

/// The earliest year accepted in any date.
pub const MIN_YEAR: i32 = 1900;
/// The latest year accepted in any date.
pub const MAX_YEAR: i32 = 9999;
/// The refusal, as clients read it.
pub const RANGE_MESSAGE: &str = "dates must be between 1900-01-01 and 9999-12-31";

/// Whether `year` lies in the supported range.
pub const fn year_in_range(year: i32) -> bool {
    year >= MIN_YEAR && year <= MAX_YEAR
}
