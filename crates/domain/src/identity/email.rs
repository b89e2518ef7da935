//! E-mail addresses, normalised so uniqueness is case-insensitive.

use crate::error::FieldError;

/// A syntactically plausible, lower-cased e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Trims, lower-cases and checks the shape `local@domain.tld`. Deliverability is not checked.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let invalid = |msg: &str| FieldError::new(field, "invalid_email", msg);
        let email = raw.trim().to_lowercase();
        if email.len() > 254 {
            return Err(invalid("an e-mail address has at most 254 characters"));
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(invalid("expected an address like name@example.com"));
        };
        let label_ok = |l: &str| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        if !local_ok || labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) {
            return Err(invalid("expected an address like name@example.com"));
        }
        Ok(Self(email))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuilds from storage, where it was normalised on the way in.
    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Eng.Sara@Example.COM ", "/email").map(|e| e.0),
            Ok("eng.sara@example.com".into())
        );
        assert!(Email::parse("o'brien+quotes@sub.example.sa", "/email").is_ok());
    }

    #[test]
    fn implausible_addresses_are_rejected_with_the_field() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@-x.com",
            ".a@b.com",
            "a..b@c.com",
            "a@b..com",
        ] {
            let err = Email::parse(bad, "/email").err();
            assert_eq!(
                err.map(|e| (e.field, e.code)),
                Some(("/email".into(), "invalid_email")),
                "{bad:?}"
            );
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65)), "/email").is_err());
    }
}
