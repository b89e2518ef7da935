//! `[mail]`: the SMTP server notifications are sent through. Without one, every notification
//! is recorded and read through the API (`GET /api/v1/users/me/notifications`).

use std::time::Duration;

use secrecy::SecretString;
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
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if !(1..=300).contains(&self.timeout.as_secs()) {
            return Err(ConfigError(
                "mail.timeout: must be between 1s and 5m".to_owned(),
            ));
        }
        // The URL and the sender are checked when the mailer is built, at start.
        Ok(())
    }
}
