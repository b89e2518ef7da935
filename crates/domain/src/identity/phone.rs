//! Phone numbers in E.164 form (`+966501234567`).

use crate::error::FieldError;

/// A phone number normalised to E.164: `+`, country code, subscriber number, 8 to 15 digits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Accepts common written forms (`+966 50 123 4567`, `00966-50-123-4567`, `(+971) 4 123 4567`)
    /// and normalises them. A number without its international prefix is refused: the country
    /// cannot be guessed safely.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let compact: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
            .collect();
        let digits = if let Some(rest) = compact.strip_prefix('+') {
            rest
        } else if let Some(rest) = compact.strip_prefix("00") {
            rest
        } else {
            return Err(FieldError::new(
                field,
                "invalid_phone",
                "expected an international number starting with + and the country code",
            ));
        };
        if !digits.chars().all(|c| c.is_ascii_digit())
            || digits.starts_with('0')
            || !(8..=15).contains(&digits.len())
        {
            return Err(FieldError::new(
                field,
                "invalid_phone",
                "expected + followed by 8 to 15 digits, country code first",
            ));
        }
        Ok(Self(format!("+{digits}")))
    }

    /// The E.164 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuilds from storage.
    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::Phone;

    #[test]
    fn written_forms_normalise_to_e164() {
        for (raw, want) in [
            ("+966 50 123 4567", "+966501234567"),
            ("00966-50-123-4567", "+966501234567"),
            ("(+971) 4.123.4567", "+97141234567"),
            ("+965 2222 3333", "+96522223333"),
        ] {
            assert_eq!(
                Phone::parse(raw, "/phone").map(|p| p.0),
                Ok(want.to_owned()),
                "{raw}"
            );
        }
    }

    #[test]
    fn numbers_without_country_or_of_wrong_length_are_refused() {
        for bad in [
            "0501234567",
            "+0501234567",
            "+96650",
            "+9665012345678901",
            "+9665O1234567",
            "",
        ] {
            assert!(Phone::parse(bad, "/phone").is_err(), "{bad}");
        }
    }
}
