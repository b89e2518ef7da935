//! `[sms]`: the SMS provider's HTTP API. Without one, people who asked for SMS get their
//! messages on the other channels they chose, or in the list read through the API.

use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{ConfigError, redact_opt};

/// `[sms]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSettings {
    /// Where each message is POSTed as JSON (`{"to", "from", "text", "reference"}`).
    pub url: Option<String>,
    /// Sent as a bearer token. Secret.
    #[serde(serialize_with = "redact_opt")]
    pub token: Option<SecretString>,
    /// The sender name or number the provider shows.
    pub from: String,
    /// The most one message may take.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            url: None,
            token: None,
            from: "NestCMS".to_owned(),
            timeout: Duration::from_secs(10),
        }
    }
}

impl SmsSettings {
    /// The timeout's range; in production, a token only over https.
    pub(super) fn check(&self, production: bool) -> Result<(), ConfigError> {
        if !(1..=60).contains(&self.timeout.as_secs()) {
            return Err(ConfigError(
                "sms.timeout: must be between 1s and 60s".to_owned(),
            ));
        }
        let plain = self
            .url
            .as_deref()
            .is_some_and(|u| u.starts_with("http://"));
        if production && plain && self.token.is_some() {
            return Err(ConfigError(
                "sms.url: the token would cross the network unencrypted; use https://".to_owned(),
            ));
        }
        Ok(())
    }
}
