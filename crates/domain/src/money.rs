//! Money as integer minor units plus an ISO 4217 currency.
//!
//! Floats cannot represent 0.10 exactly and the original NestCMS summed amounts across currencies;
//! this module makes both mistakes unrepresentable. An amount is an `i64` count of the currency's
//! minor unit (halala, fils, piastre, cent), arithmetic is checked and refuses to mix currencies,
//! and the only text form is a decimal string with exactly the currency's number of decimals
//! (`"1500.50"` SAR, `"150.000"` KWD).

use std::fmt;
use std::str::FromStr;

/// The constraint a storage port reports when a total of stored amounts does not fit in 64
/// bits; the use cases answer it as 422 `amount_too_large`.
pub const SUM_OVERFLOW: &str = "amount_sum_overflow";

/// A currency NestCMS can price and charge in, with its ISO 4217 minor-unit exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    /// Saudi riyal.
    Sar,
    /// UAE dirham.
    Aed,
    /// Kuwaiti dinar (3 decimals).
    Kwd,
    /// Bahraini dinar (3 decimals).
    Bhd,
    /// Omani rial (3 decimals).
    Omr,
    /// Jordanian dinar (3 decimals).
    Jod,
    /// Iraqi dinar (3 decimals).
    Iqd,
    /// Qatari riyal.
    Qar,
    /// Egyptian pound.
    Egp,
    /// US dollar.
    Usd,
    /// Euro.
    Eur,
    /// Pound sterling.
    Gbp,
}

impl Currency {
    /// Every supported currency, in a stable order.
    pub const ALL: [Currency; 12] = [
        Self::Sar,
        Self::Aed,
        Self::Kwd,
        Self::Bhd,
        Self::Omr,
        Self::Jod,
        Self::Iqd,
        Self::Qar,
        Self::Egp,
        Self::Usd,
        Self::Eur,
        Self::Gbp,
    ];

    /// The three-letter ISO 4217 code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Sar => "SAR",
            Self::Aed => "AED",
            Self::Kwd => "KWD",
            Self::Bhd => "BHD",
            Self::Omr => "OMR",
            Self::Jod => "JOD",
            Self::Iqd => "IQD",
            Self::Qar => "QAR",
            Self::Egp => "EGP",
            Self::Usd => "USD",
            Self::Eur => "EUR",
            Self::Gbp => "GBP",
        }
    }

    /// How many decimal digits the minor unit has (2 for SAR, 3 for KWD).
    pub const fn exponent(self) -> u32 {
        match self {
            Self::Kwd | Self::Bhd | Self::Omr | Self::Jod | Self::Iqd => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| MoneyError::UnknownCurrency(s.chars().take(8).collect()))
    }
}

/// Why a text or an operation does not make a valid amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not an ISO 4217 code NestCMS supports.
    #[error("unsupported currency {0:?}")]
    UnknownCurrency(String),
    /// Not a plain decimal number (no exponent, no spaces, no thousands separators).
    #[error("not a decimal amount")]
    Malformed,
    /// More decimals than the currency's minor unit has.
    #[error("{currency} amounts have at most {max} decimals")]
    TooManyDecimals {
        /// The currency of the amount.
        currency: Currency,
        /// Its exponent.
        max: u32,
    },
    /// A sign where only a positive amount makes sense.
    #[error("amount must be greater than zero")]
    NotPositive,
    /// Beyond what 64-bit minor units hold.
    #[error("amount is too large")]
    Overflow,
    /// Above the largest amount any money field accepts ([`Money::MAX_MAJOR`] major units).
    #[error("amount must be less than 1000000000000 (one trillion) units of the currency")]
    AboveMaximum,
    /// Arithmetic between two currencies.
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
}

impl MoneyError {
    /// A stable machine code for API errors.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::UnknownCurrency(_) => "unsupported_currency",
            Self::Malformed => "malformed_amount",
            Self::TooManyDecimals { .. } => "too_many_decimals",
            Self::NotPositive => "amount_not_positive",
            Self::Overflow | Self::AboveMaximum => "amount_too_large",
            Self::CurrencyMismatch(..) => "currency_mismatch",
        }
    }
}

/// An exact amount of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// Every money field accepts amounts below this many major units (10^12: far above any
    /// real contract, far below overflow). At most 10^15 minor units (three decimals) each, so
    /// at least 9,223 of them add up without leaving 64 bits, and sums are checked anyway.
    pub const MAX_MAJOR: i64 = 1_000_000_000_000;

    /// An amount from minor units (e.g. `150050` SAR halalas is 1500.50 SAR).
    pub const fn from_minor(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Zero of a currency.
    pub const fn zero(currency: Currency) -> Self {
        Self::from_minor(0, currency)
    }

    /// The amount in minor units.
    pub const fn minor(self) -> i64 {
        self.minor
    }

    /// The currency.
    pub const fn currency(self) -> Currency {
        self.currency
    }

    /// Parses a decimal string that may be negative (profit or loss).
    ///
    /// Fewer decimals than the exponent are accepted (`"1500"`, `"1500.5"`); more are refused,
    /// never rounded, because silently dropping a fils is losing money.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, frac) = match digits.split_once('.') {
            Some((w, f)) => (w, f),
            None => (digits, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || !all_digits(frac)
            || (digits.contains('.') && frac.is_empty())
        {
            return Err(MoneyError::Malformed);
        }
        let exp = currency.exponent();
        if frac.len() > exp as usize {
            return Err(MoneyError::TooManyDecimals { currency, max: exp });
        }
        let scale = 10_i64.pow(exp);
        let whole: i64 = whole.parse().map_err(|_| MoneyError::AboveMaximum)?;
        if whole >= Self::MAX_MAJOR {
            return Err(MoneyError::AboveMaximum);
        }
        let mut frac_minor: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| MoneyError::Malformed)?
        };
        for _ in frac.len()..exp as usize {
            frac_minor *= 10;
        }
        let magnitude = whole
            .checked_mul(scale)
            .and_then(|w| w.checked_add(frac_minor))
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::from_minor(
            if negative { -magnitude } else { magnitude },
            currency,
        ))
    }

    /// Parses an amount that must be strictly positive (prices, charges, refunds).
    pub fn parse_positive(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let money = Self::parse(text, currency)?;
        if money.minor <= 0 {
            return Err(MoneyError::NotPositive);
        }
        Ok(money)
    }

    /// Adds two amounts of the same currency.
    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|m| Self::from_minor(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Adds up amounts of one currency; `Overflow` instead of wrapping, `CurrencyMismatch` if
    /// they are not all in `currency`.
    pub fn checked_sum(
        currency: Currency,
        amounts: impl IntoIterator<Item = Money>,
    ) -> Result<Self, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Self::zero(currency), Self::checked_add)
    }

    /// Subtracts an amount of the same currency.
    pub fn checked_sub(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_sub(other.minor)
            .map(|m| Self::from_minor(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    fn same_currency(self, other: Self) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// The amount as a decimal string with exactly the currency's decimals, without the code.
    pub fn amount_string(self) -> String {
        Self::format_wide(i128::from(self.minor), self.currency)
    }

    /// Like [`Money::amount_string`] for a 128-bit count of minor units (a difference of two
    /// totals, which may not fit in 64 bits).
    pub fn format_wide(minor: i128, currency: Currency) -> String {
        let exp = currency.exponent();
        let scale = 10_u128.pow(exp);
        let magnitude = minor.unsigned_abs();
        let sign = if minor < 0 { "-" } else { "" };
        format!(
            "{sign}{}.{:0width$}",
            magnitude / scale,
            magnitude % scale,
            width = exp as usize
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

#[cfg(test)]
mod tests;
