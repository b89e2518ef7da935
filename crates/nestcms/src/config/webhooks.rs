//! `[webhooks]`: how outgoing webhooks are sent and retried, and whether they may reach the
//! operator's own network.

use std::time::Duration;

use nestcms_domain::webhooks::RetrySchedule;
use serde::{Deserialize, Serialize};

use super::ConfigError;
use super::notifications::{Waits, check_waits, schedule_or};

/// `[webhooks]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Lets endpoints resolve to loopback, private or link-local addresses, and use plain
    /// `http://`: for receivers inside the operator's own network, and tests. Off by default,
    /// so an organization cannot make NestCMS probe the network it runs in.
    pub allow_private_networks: bool,
    /// The most one attempt may take, connection included.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// The waits between attempts, e.g. `["5s", "5m", "30m"]`; absent for the default
    /// (5 s up to 24 h, ten attempts over about 75 hours).
    pub retry_schedule: Waits,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private_networks: false,
            timeout: Duration::from_secs(15),
            retry_schedule: None,
        }
    }
}

impl WebhookSettings {
    /// The timeout's range, and a schedule with at least one wait.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if !(1..=60).contains(&self.timeout.as_secs()) {
            return Err(ConfigError(
                "webhooks.timeout: must be between 1s and 60s".to_owned(),
            ));
        }
        check_waits(&self.retry_schedule, "webhooks.retry_schedule")
    }

    /// The schedule in force.
    pub fn schedule(&self) -> RetrySchedule {
        schedule_or(&self.retry_schedule, RetrySchedule::webhooks)
    }
}
