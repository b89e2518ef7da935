//! Exact amounts on the wire (§3.1, §7).
//!
//! PayTabs wants `cart_amount` as a JSON *number* and answers with decimal *strings*. Going
//! through `f64` would turn 0.1 into 0.1000000000000000055…; instead the number is written as
//! the exact decimal text (`serde_json` raw value), and strings are parsed digit by digit.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// An amount in minor units with its number of decimals (2 for SAR, 3 for KWD).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount {
    /// Minor units.
    pub minor: i64,
    /// Decimals of the currency.
    pub decimals: u32,
}

impl Amount {
    /// An amount.
    pub const fn new(minor: i64, decimals: u32) -> Self {
        Self { minor, decimals }
    }

    /// Exact decimal text, e.g. `1500.50`.
    pub fn to_decimal(self) -> String {
        let scale = 10_u64.pow(self.decimals);
        let m = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        if self.decimals == 0 {
            return format!("{sign}{m}");
        }
        format!(
            "{sign}{}.{:0w$}",
            m / scale,
            m % scale,
            w = self.decimals as usize
        )
    }

    /// Parses decimal text with at most `decimals` decimals (fewer are padded).
    pub fn parse(text: &str, decimals: u32) -> Option<Self> {
        let text = text.trim();
        let (neg, digits) = text.strip_prefix('-').map_or((false, text), |r| (true, r));
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > decimals as usize
        {
            return None;
        }
        let mut minor: i64 = whole
            .parse::<i64>()
            .ok()?
            .checked_mul(10_i64.checked_pow(decimals)?)?;
        let mut f: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        for _ in frac.len()..decimals as usize {
            f *= 10;
        }
        minor = minor.checked_add(f)?;
        Some(Self::new(if neg { -minor } else { minor }, decimals))
    }
}

/// Serialises as a JSON number with the exact decimals.
pub fn serialize_number<S: Serializer>(a: &Amount, s: S) -> Result<S::Ok, S::Error> {
    let raw = RawValue::from_string(a.to_decimal()).map_err(serde::ser::Error::custom)?;
    raw.serialize(s)
}

/// Deserialises a decimal string (or number) keeping its text; the caller knows the decimals.
pub fn deserialize_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw: Box<RawValue> = Deserialize::deserialize(d)?;
    let text = raw.get();
    Ok(text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Body {
        #[serde(serialize_with = "serialize_number")]
        cart_amount: Amount,
    }

    #[test]
    fn amounts_go_out_as_exact_json_numbers() -> Result<(), serde_json::Error> {
        assert_eq!(
            serde_json::to_string(&Body {
                cart_amount: Amount::new(150_050, 2)
            })?,
            r#"{"cart_amount":1500.50}"#
        );
        assert_eq!(
            serde_json::to_string(&Body {
                cart_amount: Amount::new(10, 2)
            })?,
            r#"{"cart_amount":0.10}"#
        );
        assert_eq!(
            serde_json::to_string(&Body {
                cart_amount: Amount::new(150_000, 3)
            })?,
            r#"{"cart_amount":150.000}"#
        );
        Ok(())
    }

    #[test]
    fn decimal_text_parses_exactly() {
        assert_eq!(Amount::parse("500.00", 2), Some(Amount::new(50_000, 2)));
        assert_eq!(Amount::parse("700", 2), Some(Amount::new(70_000, 2)));
        assert_eq!(Amount::parse("1.5", 3), Some(Amount::new(1_500, 3)));
        assert_eq!(Amount::parse("1.005", 2), None, "never rounds");
        assert_eq!(Amount::parse("1e3", 2), None);
        assert_eq!(Amount::parse("", 2), None);
    }
}
