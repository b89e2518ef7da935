//! Percentages as integer basis points (20.10 % = 2010), parsed from and shown as decimal text.

use crate::error::FieldError;

/// Parses `"20.1"` or `"20.10"` (at most two decimals, 0 to 100) into basis points.
pub fn parse_percent(text: &str, field: &str) -> Result<i32, FieldError> {
    let bad = || {
        FieldError::new(
            field,
            "invalid_percentage",
            "a percentage from \"0\" to \"100\" with at most two decimals",
        )
    };
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole)
        || (text.contains('.')
            && (frac.is_empty() || frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit())))
    {
        return Err(bad());
    }
    let whole: i32 = whole.parse().map_err(|_| bad())?;
    let frac: i32 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i32>().map_err(|_| bad())? * if frac.len() == 1 { 10 } else { 1 }
    };
    let bp = whole * 100 + frac;
    if bp > 10_000 { Err(bad()) } else { Ok(bp) }
}

/// Shows basis points as a percentage with two decimals (`2010` → `"20.10"`).
pub fn format_percent(bp: i32) -> String {
    format!("{}.{:02}", bp / 100, bp % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_trip_exactly() {
        assert_eq!(parse_percent("20.1", "/p"), Ok(2010));
        assert_eq!(parse_percent("20.10", "/p"), Ok(2010));
        assert_eq!(parse_percent("0", "/p"), Ok(0));
        assert_eq!(parse_percent("100", "/p"), Ok(10_000));
        assert_eq!(format_percent(2010), "20.10");
        assert_eq!(format_percent(5), "0.05");
        for bad in [
            "", "-1", "100.01", "20.123", "abc", "1e2", "20.", ".5", "1000",
        ] {
            assert!(parse_percent(bad, "/p").is_err(), "{bad}");
        }
    }
}
