//! `[bus]`: the message broker several instances share (RabbitMQ), and how consumers read it.
//! Without one, events stay in the database and consumers poll it (the embedded mode).

use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{ConfigError, redact_opt};

/// `[bus]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusSettings {
    /// AMQP URL, e.g. `amqp://user:password@rabbit:5672/%2f` (secret: it holds a password).
    #[serde(serialize_with = "redact_opt")]
    pub url: Option<SecretString>,
    /// The prefix of the exchange (`<namespace>.events`) and of every queue; deployments that
    /// share a broker use one each.
    pub namespace: String,
    /// How many times a consumer is handed an event it fails on before the broker moves it
    /// to the consumer's dead-letter queue (`<namespace>.<consumer>.dead`).
    pub attempts: u32,
    /// How many deliveries each consumer handles at once.
    pub prefetch: u16,
    /// Lets the broker delete queues nobody consumed for this long: for test and review
    /// environments only (in production it would lose events while workers are down).
    #[serde(with = "humantime_serde")]
    pub queue_expiry: Option<Duration>,
    /// How often each consumer also sweeps the database for events it has not handled (those
    /// it dead-lettered while the database was away, those recorded before an upgrade).
    #[serde(with = "humantime_serde")]
    pub sweep_interval: Duration,
}

impl Default for BusSettings {
    fn default() -> Self {
        Self {
            url: None,
            namespace: nestcms_bus::DEFAULT_NAMESPACE.to_owned(),
            attempts: 5,
            prefetch: 8,
            queue_expiry: None,
            sweep_interval: Duration::from_secs(60),
        }
    }
}

impl BusSettings {
    /// Names the broker accepts, and limits that keep a failing event from circling.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let ns = &self.namespace;
        let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if ns.is_empty() || ns.len() > 100 || !ns.chars().all(fine) {
            return Err(ConfigError(
                "bus.namespace: 1 to 100 letters, digits, '-', '_' or '.'".to_owned(),
            ));
        }
        if !(1..=100).contains(&self.attempts) {
            return Err(ConfigError(
                "bus.attempts: must be between 1 and 100".to_owned(),
            ));
        }
        if !(1..=1000).contains(&self.prefetch) {
            return Err(ConfigError(
                "bus.prefetch: must be between 1 and 1000".to_owned(),
            ));
        }
        if self.sweep_interval < Duration::from_secs(1) {
            return Err(ConfigError("bus.sweep_interval: at least 1s".to_owned()));
        }
        if self
            .queue_expiry
            .is_some_and(|e| e < Duration::from_secs(10))
        {
            return Err(ConfigError("bus.queue_expiry: at least 10s".to_owned()));
        }
        Ok(())
    }
}
