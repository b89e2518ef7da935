//! Turning what staff type into a tax profile and invoice lines, every broken field named.

use nestcms_domain::error::FieldError;
use nestcms_domain::invoices::{
    Address, Country, LineInput, Quantity, TaxProfile, VatCategory, check_vat_number,
};
use nestcms_domain::percent::parse_percent;
use nestcms_domain::{Currency, DomainError, Money};

/// A tax profile as typed.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    /// ISO 3166 alpha-2 (`SA`, `AE`, `EG`, `KW`, `BH`, `OM`, `QA`).
    pub country: String,
    /// Legal name in English.
    pub legal_name_en: String,
    /// Legal name in Arabic.
    pub legal_name_ar: String,
    /// VAT registration number; required where the country has VAT.
    pub vat_number: Option<String>,
    /// Street and building.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Default rate as a percentage; the country's standard rate when absent.
    pub default_rate: Option<String>,
    /// Whether typed prices include VAT (default yes).
    pub prices_include_vat: Option<bool>,
}

/// A line as typed.
#[derive(Debug, Clone, Default)]
pub struct LineText {
    /// What was supplied.
    pub description: String,
    /// Decimal quantity, up to three decimals.
    pub quantity: String,
    /// Decimal unit price in the invoice's currency.
    pub unit_price: String,
    /// Decimal discount off the line.
    pub discount: Option<String>,
    /// `standard` (default), `zero_rated` or `exempt`.
    pub vat_category: Option<String>,
    /// Percentage; the profile's default when absent.
    pub vat_rate: Option<String>,
}

fn text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    max: usize,
    required: bool,
) -> String {
    let v = value.trim();
    if required && v.is_empty() {
        errors.push(FieldError::new(field, "required", "may not be empty"));
    } else if v.chars().count() > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    }
    v.to_owned()
}

/// Checks a profile.
pub fn profile(i: &ProfileInput) -> Result<TaxProfile, DomainError> {
    let mut errors = Vec::new();
    let country = Country::parse(i.country.trim());
    if country.is_none() {
        errors.push(FieldError::new(
            "/country",
            "unsupported_country",
            "one of SA, AE, EG, KW, BH, OM, QA",
        ));
    }
    let legal_name_en = text(&mut errors, "/legal_name_en", &i.legal_name_en, 200, true);
    let legal_name_ar = text(&mut errors, "/legal_name_ar", &i.legal_name_ar, 200, false);
    for (field, name) in [
        ("/legal_name_en", &legal_name_en),
        ("/legal_name_ar", &legal_name_ar),
    ] {
        if name.len() > 255 {
            errors.push(FieldError::new(
                field,
                "too_long",
                "at most 255 bytes of UTF-8, what the ZATCA QR code holds",
            ));
        }
    }
    let street = text(&mut errors, "/street", &i.street, 200, true);
    let city = text(&mut errors, "/city", &i.city, 100, true);
    let postal_code = text(&mut errors, "/postal_code", &i.postal_code, 20, false);
    let mut vat_number = None;
    let mut default_rate = 0;
    if let Some(c) = country {
        match (c.has_vat(), i.vat_number.as_deref().map(str::trim)) {
            (true, Some(v)) if !v.is_empty() => match check_vat_number(c, v, "/vat_number") {
                Ok(v) => vat_number = Some(v),
                Err(e) => errors.push(e),
            },
            (true, _) => errors.push(FieldError::new(
                "/vat_number",
                "required",
                "a VAT registration number is printed on every tax invoice",
            )),
            (false, Some(v)) if !v.is_empty() => errors.push(FieldError::new(
                "/vat_number",
                "invalid_vat_number",
                format!("{} has no VAT", c.as_str()),
            )),
            (false, _) => {}
        }
        default_rate = match i.default_rate.as_deref() {
            Some(r) => parse_percent(r, "/default_rate").unwrap_or_else(|e| {
                errors.push(e);
                0
            }),
            None => c.default_rate(),
        };
    }
    match country {
        Some(country) if errors.is_empty() => Ok(TaxProfile {
            country,
            legal_name_en,
            legal_name_ar,
            vat_number,
            address: Address {
                street,
                city,
                postal_code,
            },
            default_rate,
            prices_include_vat: i.prices_include_vat.unwrap_or(true),
        }),
        _ => Err(DomainError::Validation(errors)),
    }
}

/// The most lines a document has.
pub const MAX_LINES: usize = 200;

/// Checks lines against the currency and the profile's default rate.
pub fn lines(
    typed: &[LineText],
    currency: Currency,
    default_rate: i32,
) -> Result<Vec<LineInput>, DomainError> {
    let mut errors = Vec::new();
    if typed.len() > MAX_LINES {
        errors.push(FieldError::new(
            "/lines",
            "too_many",
            format!("at most {MAX_LINES} lines"),
        ));
    }
    let mut out = Vec::new();
    for (n, l) in typed.iter().enumerate() {
        let at = |f: &str| format!("/lines/{n}/{f}");
        let description = text(&mut errors, &at("description"), &l.description, 500, true);
        let quantity = Quantity::parse(l.quantity.trim(), &at("quantity"))
            .map_err(|e| errors.push(e))
            .ok();
        let mut amount = |field: &str, v: &str| match Money::parse(v.trim(), currency) {
            Ok(m) if m.minor() >= 0 && m.minor() < Money::MAX_MAJOR * 1000 => Some(m.minor()),
            Ok(_) => {
                errors.push(FieldError::new(
                    at(field),
                    "out_of_range",
                    "zero or more, below 10^12",
                ));
                None
            }
            Err(e) => {
                errors.push(FieldError::new(at(field), e.code(), e.to_string()));
                None
            }
        };
        let unit_price = amount("unit_price", &l.unit_price);
        let discount = amount("discount", l.discount.as_deref().unwrap_or("0"));
        let category = match l.vat_category.as_deref().unwrap_or("standard") {
            "standard" => Some(VatCategory::Standard),
            "zero_rated" => Some(VatCategory::ZeroRated),
            "exempt" => Some(VatCategory::Exempt),
            _ => {
                errors.push(FieldError::new(
                    at("vat_category"),
                    "invalid_vat_category",
                    "standard, zero_rated or exempt",
                ));
                None
            }
        };
        let rate = match (&l.vat_rate, category) {
            (_, Some(VatCategory::ZeroRated | VatCategory::Exempt)) => Some(0),
            (Some(r), _) => parse_percent(r.trim(), &at("vat_rate"))
                .map_err(|e| errors.push(e))
                .ok(),
            (None, _) => Some(default_rate),
        };
        if let (Some(q), Some(u), Some(d), Some(c), Some(r)) =
            (quantity, unit_price, discount, category, rate)
        {
            out.push(LineInput {
                description,
                quantity: q.thousandths(),
                unit_price: u,
                discount: d,
                category: c,
                rate: r,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(DomainError::Validation(errors))
    }
}
