//! `[mail]`: the SMTP server notifications are sent through. Without one, every notification
//! is recorded and read through the API (`GET /api/v1/users/me/notifications`).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{ConfigError, redact_opt};

/// `[mail]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp://user:password@host:587?tls=required`, `smtps://user:password@host:465`, or
    /// `smtp://host:25` (no TLS: a relay on a trusted network). Secret: it holds a password.
    #[serde(serialize_with = "redact_opt")]
    pub smtp_url: Option<SecretString>,
    /// The sender, e.g. `NestCMS <noreply@example.com>`.
    pub from: String,
    /// The most one message may take, connection included.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "NestCMS <noreply@nestcms.invalid>".to_owned(),
            timeout: Duration::from_secs(30),
        }
    }
}

impl MailSettings {
    /// The timeout's range; in production, no password over an unencrypted connection. The
    /// URL's syntax and the sender are checked when the mailer is built, at start.
    pub(super) fn check(&self, production: bool) -> Result<(), ConfigError> {
        if !(1..=300).contains(&self.timeout.as_secs()) {
            return Err(ConfigError(
                "mail.timeout: must be between 1s and 5m".to_owned(),
            ));
        }
        if production && self.smtp_url.as_ref().is_some_and(plain_with_password) {
            return Err(ConfigError(
                "mail.smtp_url: a password over plain SMTP crosses the network unencrypted; \
                 use smtps:// or add ?tls=required"
                    .to_owned(),
            ));
        }
        Ok(())
    }
}

/// An `smtp://` URL with a password and without `tls=required`: lettre would then send the
/// password in the clear unless the server happens to offer STARTTLS.
fn plain_with_password(url: &SecretString) -> bool {
    let Ok(u) = url::Url::parse(url.expose_secret()) else {
        return false;
    };
    u.scheme() == "smtp"
        && u.password().is_some()
        && !u.query_pairs().any(|(k, v)| k == "tls" && v == "required")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(url: &str) -> MailSettings {
        MailSettings {
            smtp_url: Some(SecretString::from(url.to_owned())),
            ..MailSettings::default()
        }
    }

    #[test]
    fn production_refuses_a_password_over_plain_smtp() {
        let plain = with("smtp://billing:s3cret@mail.example:587");
        let err = plain
            .check(true)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("mail.smtp_url") && !err.contains("s3cret"),
            "{err}"
        );
        assert!(
            plain.check(false).is_ok(),
            "development may use a local relay"
        );
        for fine in [
            "smtp://billing:s3cret@mail.example:587?tls=required",
            "smtps://billing:s3cret@mail.example:465",
            "smtp://relay.internal:25",
        ] {
            assert!(with(fine).check(true).is_ok(), "{fine}");
        }
    }
}
