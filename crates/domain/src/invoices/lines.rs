//! Invoice lines and their arithmetic, the one place VAT is computed.
//!
//! Rounding is per line, half up, in the currency's minor units: a line's extended price
//! (quantity × unit price) is rounded, its discount taken off, and its VAT rounded from that.
//! With prices that exclude VAT, VAT = round(net × rate); with prices that include it, VAT =
//! round(gross × rate / (1 + rate)) and net = gross − VAT, so the client is invoiced exactly
//! what they paid. Totals are always the sums of their lines, never recomputed from totals,
//! so an invoice ties out to the halala or the fils however many lines it has.

use crate::error::FieldError;

/// A quantity with up to three decimals, held as thousandths (`2.5` m³ is 2500).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(i64);

impl Quantity {
    /// The largest quantity a line takes (a million units).
    pub const MAX_THOUSANDTHS: i64 = 1_000_000_000;

    /// One unit.
    pub const ONE: Self = Self(1000);

    /// From thousandths.
    pub const fn from_thousandths(t: i64) -> Self {
        Self(t)
    }

    /// In thousandths.
    pub const fn thousandths(self) -> i64 {
        self.0
    }

    /// Parses `"3"`, `"2.5"` or `"0.125"`: positive, at most three decimals.
    pub fn parse(text: &str, field: &str) -> Result<Self, FieldError> {
        let bad = || {
            FieldError::new(
                field,
                "invalid_quantity",
                "a positive decimal quantity with at most three decimals, at most 1000000",
            )
        };
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || whole.len() > 7
            || !digits(whole)
            || frac.len() > 3
            || !digits(frac)
            || (text.contains('.') && frac.is_empty())
        {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = format!("{frac:0<3}").parse().map_err(|_| bad())?;
        let t = whole * 1000 + frac;
        if t <= 0 || t > Self::MAX_THOUSANDTHS {
            return Err(bad());
        }
        Ok(Self(t))
    }
}

impl std::fmt::Display for Quantity {
    /// Without trailing zeros: `2.5`, `3`, `0.125`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (w, r) = (self.0 / 1000, self.0 % 1000);
        if r == 0 {
            write!(f, "{w}")
        } else {
            let frac = format!("{r:03}");
            write!(f, "{w}.{}", frac.trim_end_matches('0'))
        }
    }
}

/// How a line is taxed (the UN/EDIFACT 5305 categories ZATCA uses).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum VatCategory {
    /// Taxed at the line's rate (`S`).
    Standard,
    /// Taxable at 0 % (exports, some medicines; `Z`).
    ZeroRated,
    /// Outside VAT by law (some financial services, bare land; `E`).
    Exempt,
}

impl VatCategory {
    /// The UN/EDIFACT 5305 code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Standard => "S",
            Self::ZeroRated => "Z",
            Self::Exempt => "E",
        }
    }
}

/// One line as typed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineInput {
    /// What was supplied.
    pub description: String,
    /// How much.
    pub quantity: i64,
    /// Price of one unit, in minor units (with or without VAT as the invoice says).
    pub unit_price: i64,
    /// Taken off the extended price, in minor units.
    pub discount: i64,
    /// How it is taxed.
    pub category: VatCategory,
    /// Rate in basis points; 0 unless the category is standard.
    pub rate: i32,
}

/// A line with its amounts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Line {
    /// As typed.
    #[serde(flatten)]
    pub input: LineInput,
    /// Amount before VAT, in minor units.
    pub net: i64,
    /// VAT, in minor units.
    pub vat: i64,
    /// Amount with VAT, in minor units.
    pub gross: i64,
}

/// Why lines do not make an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineError {
    /// A discount larger than the line's extended price.
    DiscountTooLarge,
    /// An amount beyond what an invoice holds.
    TooLarge,
}

/// Half-up division of a non-negative numerator by a positive denominator.
fn div_half_up(num: i128, den: i128) -> i128 {
    (2 * num + den) / (2 * den)
}

/// The largest amount, in minor units, one line or one invoice holds (10^15, as for [`crate::Money`]).
const MAX_MINOR: i128 = 1_000_000_000_000_000;

/// Computes one line. Amounts must be non-negative; a discount beyond the extended price is
/// refused.
pub fn compute(input: LineInput, prices_include_vat: bool) -> Result<Line, LineError> {
    let rate = match input.category {
        VatCategory::Standard => i128::from(input.rate),
        VatCategory::ZeroRated | VatCategory::Exempt => 0,
    };
    let extended = div_half_up(
        i128::from(input.quantity) * i128::from(input.unit_price),
        1000,
    );
    let amount = extended - i128::from(input.discount);
    if amount < 0 {
        return Err(LineError::DiscountTooLarge);
    }
    let (net, vat) = if prices_include_vat {
        let vat = div_half_up(amount * rate, 10_000 + rate);
        (amount - vat, vat)
    } else {
        (amount, div_half_up(amount * rate, 10_000))
    };
    let gross = net + vat;
    if gross > MAX_MINOR {
        return Err(LineError::TooLarge);
    }
    let fit = |v: i128| i64::try_from(v).map_err(|_| LineError::TooLarge);
    Ok(Line {
        net: fit(net)?,
        vat: fit(vat)?,
        gross: fit(gross)?,
        input,
    })
}

/// An invoice's totals and VAT summary, each the sum of its lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    /// Sum of line nets.
    pub net: i64,
    /// Sum of line VAT.
    pub vat: i64,
    /// Sum of line grosses: what the buyer owes.
    pub gross: i64,
    /// Per category and rate: taxable amount and VAT.
    pub breakdown: Vec<VatGroup>,
}

/// The lines of one category and rate, summed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VatGroup {
    /// Category.
    pub category: VatCategory,
    /// Rate in basis points.
    pub rate: i32,
    /// Sum of the lines' nets.
    pub taxable: i64,
    /// Sum of the lines' VAT.
    pub vat: i64,
}

/// Sums lines into totals.
pub fn totals(lines: &[Line]) -> Result<Totals, LineError> {
    let mut t = Totals::default();
    let add = |a: i64, b: i64| {
        a.checked_add(b)
            .filter(|v| i128::from(*v) <= MAX_MINOR)
            .ok_or(LineError::TooLarge)
    };
    for l in lines {
        t.net = add(t.net, l.net)?;
        t.vat = add(t.vat, l.vat)?;
        t.gross = add(t.gross, l.gross)?;
        let rate = if l.input.category == VatCategory::Standard {
            l.input.rate
        } else {
            0
        };
        match t
            .breakdown
            .iter_mut()
            .find(|g| g.category == l.input.category && g.rate == rate)
        {
            Some(g) => {
                g.taxable = add(g.taxable, l.net)?;
                g.vat = add(g.vat, l.vat)?;
            }
            None => t.breakdown.push(VatGroup {
                category: l.input.category,
                rate,
                taxable: l.net,
                vat: l.vat,
            }),
        }
    }
    t.breakdown.sort_by_key(|g| (g.category, -g.rate));
    Ok(t)
}

#[cfg(test)]
mod tests;
