//! `[notifications]`: when reminders go out, and how long e-mail and SMS are retried.

use std::time::Duration;

use nestcms_domain::retry::RetrySchedule;
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[notifications]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationSettings {
    /// Days before an instalment's due date its client is told it is coming (0 to turn off).
    pub due_soon_days: u32,
    /// Days after the due date an unpaid instalment's client is reminded again, one reminder
    /// per level, e.g. `[1, 7, 14]` (empty to turn off).
    pub overdue_days: Vec<u32>,
    /// The waits between tries of an e-mail or SMS, e.g. `["1m", "5m"]`; absent for the
    /// default (1 min, 5 min, 30 min, 2 h, 12 h).
    pub retry_schedule: Waits,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            due_soon_days: 3,
            overdue_days: vec![1, 7, 14],
            retry_schedule: None,
        }
    }
}

impl NotificationSettings {
    /// Levels in increasing order, each at most a year; a schedule with at least one wait.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if self.due_soon_days > 60 {
            return Err(ConfigError(
                "notifications.due_soon_days: at most 60".to_owned(),
            ));
        }
        let increasing = self.overdue_days.windows(2).all(|w| w[0] < w[1]);
        if !increasing || self.overdue_days.iter().any(|d| *d == 0 || *d > 366) {
            return Err(ConfigError(
                "notifications.overdue_days: increasing days between 1 and 366, e.g. [1, 7, 14]"
                    .to_owned(),
            ));
        }
        check_waits(&self.retry_schedule, "notifications.retry_schedule")
    }

    /// The e-mail and SMS retry schedule in force.
    pub fn schedule(&self) -> RetrySchedule {
        schedule_or(&self.retry_schedule, RetrySchedule::notifications)
    }
}

/// A configured list of waits between attempts.
pub(super) type Waits = Option<Vec<humantime_serde::Serde<Duration>>>;

/// Refuses an empty list (absent means the default).
pub(super) fn check_waits(waits: &Waits, key: &str) -> Result<(), ConfigError> {
    if waits.as_ref().is_some_and(Vec::is_empty) {
        return Err(ConfigError(format!(
            "{key}: give at least one wait, or leave it out for the default"
        )));
    }
    Ok(())
}

/// The configured schedule, or `default`.
pub(super) fn schedule_or(waits: &Waits, default: fn() -> RetrySchedule) -> RetrySchedule {
    waits
        .as_ref()
        .and_then(|w| RetrySchedule::new(w.iter().map(|d| **d).collect()))
        .unwrap_or_else(default)
}
