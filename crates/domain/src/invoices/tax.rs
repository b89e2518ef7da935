//! The seller's tax profile: which country's VAT applies, at what default rate, and the
//! registration number that must appear on every tax invoice, checked per country.

use crate::error::FieldError;

/// A country NestCMS invoices in, with its VAT regime (ISO 3166 alpha-2 on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Country {
    /// Saudi Arabia: 15 % VAT, ZATCA e-invoicing.
    #[serde(rename = "SA")]
    Sa,
    /// United Arab Emirates: 5 % VAT.
    #[serde(rename = "AE")]
    Ae,
    /// Egypt: 14 % VAT (construction included since July 2025).
    #[serde(rename = "EG")]
    Eg,
    /// Kuwait: no VAT.
    #[serde(rename = "KW")]
    Kw,
    /// Bahrain: 10 % VAT.
    #[serde(rename = "BH")]
    Bh,
    /// Oman: 5 % VAT.
    #[serde(rename = "OM")]
    Om,
    /// Qatar: no VAT.
    #[serde(rename = "QA")]
    Qa,
}

impl Country {
    /// Every country, in a stable order.
    pub const ALL: [Country; 7] = [
        Self::Sa,
        Self::Ae,
        Self::Eg,
        Self::Kw,
        Self::Bh,
        Self::Om,
        Self::Qa,
    ];

    /// The ISO 3166 alpha-2 code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sa => "SA",
            Self::Ae => "AE",
            Self::Eg => "EG",
            Self::Kw => "KW",
            Self::Bh => "BH",
            Self::Om => "OM",
            Self::Qa => "QA",
        }
    }

    /// The country a code stands for.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The standard VAT rate in basis points (1500 = 15 %).
    pub const fn default_rate(self) -> i32 {
        match self {
            Self::Sa => 1500,
            Self::Ae | Self::Om => 500,
            Self::Eg => 1400,
            Self::Bh => 1000,
            Self::Kw | Self::Qa => 0,
        }
    }

    /// Whether a VAT registration number exists at all there.
    pub const fn has_vat(self) -> bool {
        !matches!(self, Self::Kw | Self::Qa)
    }
}

/// Checks a VAT registration number for `country` and returns it normalised (spaces and
/// dashes removed, letters upper-cased).
///
/// Saudi Arabia: 15 digits, first and last `3`. UAE and Bahrain: 15 digits. Egypt: 9 digits.
/// Oman: `OM` and 10 digits. Kuwait and Qatar have no VAT, so no number is accepted.
pub fn check_vat_number(country: Country, text: &str, field: &str) -> Result<String, FieldError> {
    let n: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    let (ok, rule) = match country {
        Country::Sa => (
            digits(&n, 15) && n.starts_with('3') && n.ends_with('3'),
            "15 digits, beginning and ending with 3",
        ),
        Country::Ae | Country::Bh => (digits(&n, 15), "15 digits"),
        Country::Eg => (digits(&n, 9), "9 digits"),
        Country::Om => (
            n.strip_prefix("OM").is_some_and(|d| digits(d, 10)),
            "OM followed by 10 digits",
        ),
        Country::Kw | Country::Qa => (false, "none: the country has no VAT"),
    };
    if ok {
        Ok(n)
    } else {
        Err(FieldError::new(
            field,
            "invalid_vat_number",
            format!("a {} VAT registration number is {rule}", country.as_str()),
        ))
    }
}

/// Where the seller is, as printed on its invoices.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Address {
    /// Street and building.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
}

/// What an organization's invoices say about it as seller.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TaxProfile {
    /// Where its VAT is due.
    pub country: Country,
    /// Legal name in English.
    pub legal_name_en: String,
    /// Legal name in Arabic (the QR code carries this one when present).
    pub legal_name_ar: String,
    /// VAT registration number, normalised; none where the country has no VAT.
    pub vat_number: Option<String>,
    /// Address.
    pub address: Address,
    /// The rate lines get unless they say otherwise, in basis points.
    pub default_rate: i32,
    /// Whether prices typed on invoices include VAT.
    pub prices_include_vat: bool,
}

impl TaxProfile {
    /// The seller name the ZATCA QR code and Arabic layouts use.
    pub fn seller_name(&self) -> &str {
        if self.legal_name_ar.trim().is_empty() {
            &self.legal_name_en
        } else {
            &self.legal_name_ar
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vat_numbers_are_checked_per_country() {
        assert_eq!(
            check_vat_number(Country::Sa, "300 0000 0000 0003", "/v").as_deref(),
            Ok("300000000000003")
        );
        for bad in [
            "300000000000004",
            "400000000000003",
            "30000000000003",
            "3000000000000a3",
        ] {
            assert!(check_vat_number(Country::Sa, bad, "/v").is_err(), "{bad}");
        }
        assert!(check_vat_number(Country::Ae, "100123456700003", "/v").is_ok());
        assert_eq!(
            check_vat_number(Country::Eg, "123-456-789", "/v").as_deref(),
            Ok("123456789")
        );
        assert_eq!(
            check_vat_number(Country::Om, "om1234567890", "/v").as_deref(),
            Ok("OM1234567890")
        );
        let kw = check_vat_number(Country::Kw, "123", "/v").unwrap_err();
        assert_eq!((kw.field.as_str(), kw.code), ("/v", "invalid_vat_number"));
        assert_eq!(Country::Eg.default_rate(), 1400);
        assert!(!Country::Qa.has_vat());
    }
}
