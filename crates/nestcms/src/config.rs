//! Layered, validated configuration.
//!
//! Precedence, lowest first: built-in defaults, an optional TOML file (`--config` or
//! `NESTCMS_CONFIG`), environment variables `NESTCMS__SECTION__KEY`, then command-line flags.
//! Unknown keys are errors (a typo must not silently fall back to a default), and every error
//! names the key and what it expects.

use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use nestcms_http::HttpSettings;
use nestcms_store::DbSettings;
use secrecy::SecretString;
use serde::{Deserialize, Serialize, Serializer};

mod bus;
mod mail;
mod notifications;
mod ranges;
mod sms;
mod telemetry;
mod webhooks;

pub use bus::BusSettings;
pub use mail::MailSettings;
pub use notifications::NotificationSettings;
pub use sms::SmsSettings;
pub use telemetry::TelemetrySettings;
pub use webhooks::WebhookSettings;

/// Deployment mode: production refuses to invent secrets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Local use: missing secrets are generated and kept in the data directory.
    #[default]
    Development,
    /// Real deployments: missing secrets are a start-up error.
    Production,
}

/// Log output shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line, for collectors.
    #[default]
    Json,
    /// Human-readable, for terminals.
    Pretty,
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// Line format.
    pub format: LogFormat,
    /// A tracing filter such as `info` or `nestcms=debug,sqlx=warn`; `RUST_LOG` wins when set.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Json,
            level: "info".to_owned(),
        }
    }
}

/// `[auth]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Key that signs access tokens; at least 32 bytes. Required in production.
    #[serde(serialize_with = "redact_opt")]
    pub jwt_secret: Option<SecretString>,
    /// Lifetime of access tokens.
    #[serde(with = "humantime_serde")]
    pub access_token_ttl: Duration,
    /// Lifetime of refresh tokens.
    #[serde(with = "humantime_serde")]
    pub refresh_token_ttl: Duration,
    /// Password hashes computed at once; 0 means one less than the number of cores.
    pub hash_parallelism: usize,
    /// Accounts one client address may register per hour; more get 429.
    pub registrations_per_hour: u32,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            hash_parallelism: 0,
            registrations_per_hour: 20,
        }
    }
}

/// `[cache]`: where cached public answers live. Without a URL, in this process's memory (one
/// instance); with one, in Redis, shared by every instance.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheSettings {
    /// Redis URL, e.g. `redis://:password@cache:6379/0` (secret: it may hold a password).
    #[serde(serialize_with = "redact_opt")]
    pub url: Option<SecretString>,
    /// Start of every Redis key, so deployments can share one Redis.
    pub prefix: String,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            url: None,
            prefix: "nestcms".into(),
        }
    }
}

/// `[metrics]`: the Prometheus text endpoint `GET /metrics`, for an operator's scraper.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Bearer token the scraper sends (secret); without one, `/metrics` is not served (404),
    /// since payment volumes are nobody else's business.
    #[serde(serialize_with = "redact_opt")]
    pub token: Option<SecretString>,
}

/// `[paytabs]`: the payment gateway. Without a server key, a built-in simulator (a sandbox)
/// is mounted at `/sim/paytabs`; production refuses to start that way.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaytabsSettings {
    /// Merchant profile id.
    pub profile_id: Option<u64>,
    /// Server key (secret).
    #[serde(serialize_with = "redact_opt")]
    pub server_key: Option<SecretString>,
    /// Region code (`SAU`, `ARE`, `KWT`, …) selecting the host.
    pub region: String,
    /// Overrides the region's host (e.g. an external simulator).
    pub base_url: Option<String>,
    /// This service's public URL, for callback and return URLs [default: http://LISTEN].
    pub public_base_url: Option<String>,
    /// Page the browser lands on after paying (`payment_id` and `state` appended) [default:
    /// the web app's `/app/paid`].
    pub result_page_url: Option<String>,
    /// Gateway call timeout.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Payments pending longer than this are asked about by the reconciler.
    #[serde(with = "humantime_serde")]
    pub reconcile_after: Duration,
    /// A page without an outcome after this long is expired.
    #[serde(with = "humantime_serde")]
    pub page_ttl: Duration,
    /// How often the reconciler runs.
    #[serde(with = "humantime_serde")]
    pub reconcile_interval: Duration,
    /// Built-in simulator only: never deliver IPNs (to exercise reconciliation).
    pub simulator_drop_ipns: bool,
    /// Networks callbacks may come from (CIDRs such as `"203.0.113.0/24"`); empty allows any
    /// source. The client address is taken from `X-Forwarded-For` only with
    /// `server.trust_forwarded_for`.
    pub callback_allow_cidrs: Vec<String>,
}

impl Default for PaytabsSettings {
    fn default() -> Self {
        Self {
            profile_id: None,
            server_key: None,
            region: "SAU".into(),
            base_url: None,
            public_base_url: None,
            result_page_url: None,
            timeout: Duration::from_secs(20),
            reconcile_after: Duration::from_secs(600),
            page_ttl: Duration::from_secs(1800),
            reconcile_interval: Duration::from_secs(60),
            simulator_drop_ipns: false,
            callback_allow_cidrs: Vec::new(),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `development` (default) or `production`.
    pub env: Environment,
    /// Where the SQLite file, uploads and generated development secrets live.
    pub data_dir: PathBuf,
    /// `[log]`.
    pub log: LogSettings,
    /// `[server]`.
    pub server: HttpSettings,
    /// `[database]`.
    pub database: DbSettings,
    /// `[auth]`.
    pub auth: AuthSettings,
    /// `[paytabs]`.
    pub paytabs: PaytabsSettings,
    /// `[metrics]`.
    pub metrics: MetricsSettings,
    /// `[bus]`.
    pub bus: BusSettings,
    /// `[cache]`.
    pub cache: CacheSettings,
    /// `[telemetry]`.
    pub telemetry: TelemetrySettings,
    /// `[mail]`.
    pub mail: MailSettings,
    /// `[sms]`.
    pub sms: SmsSettings,
    /// `[notifications]`.
    pub notifications: NotificationSettings,
    /// `[webhooks]`.
    pub webhooks: WebhookSettings,
    /// `[background]`.
    pub background: BackgroundSettings,
    /// `[sagas]`.
    pub sagas: SagaSettings,
}

/// `[sagas]`: what a payment sets in motion.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SagaSettings {
    /// Whether paying a contract's first instalment activates its planned projects.
    pub activate_project_on_first_payment: bool,
}

impl Default for SagaSettings {
    fn default() -> Self {
        Self {
            activate_project_on_first_payment: true,
        }
    }
}

/// `[background]`: where the background work (reconciler, consumers, senders, relay) runs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackgroundSettings {
    /// Whether `serve` runs it too (the default). Set false on web instances when
    /// `nestcms worker` runs it instead; every instance may run it at once safely.
    pub in_serve: bool,
}

impl Default for BackgroundSettings {
    fn default() -> Self {
        Self { in_serve: true }
    }
}

/// Values given on the command line, applied over everything else.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    /// `--listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--log-format`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
}

/// A configuration that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Loads from the layers described in the module docs and validates the result.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed("NESTCMS__").split("__"));
        if let Some(listen) = &overrides.listen {
            figment = figment.merge(Serialized::default("server.listen", listen));
        }
        if let Some(dir) = &overrides.data_dir {
            figment = figment.merge(Serialized::default("data_dir", dir));
        }
        if let Some(format) = overrides.log_format {
            figment = figment.merge(Serialized::default("log.format", format));
        }
        let config: Config = figment.extract().map_err(|e| ConfigError(describe(e)))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks cross-field rules and values serde's types cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.server
            .validate()
            .map_err(|(key, msg)| ConfigError(format!("{key}: {msg}")))?;
        self.database
            .validate()
            .map_err(|e| ConfigError(e.to_string()))?;
        ranges::check(self)?;
        self.telemetry.check()?;
        self.mail.check(self.env == Environment::Production)?;
        self.webhooks.check()?;
        self.bus.check()?;
        self.sms.check(self.env == Environment::Production)?;
        self.notifications.check()?;
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError("data_dir: expected a directory path".into()));
        }
        if self
            .log
            .level
            .parse::<tracing_subscriber::EnvFilter>()
            .is_err()
        {
            return Err(ConfigError(format!(
                "log.level: {:?} is not a tracing filter such as \"info\"",
                self.log.level
            )));
        }
        Ok(())
    }

    /// The configuration as TOML with every secret redacted.
    pub fn redacted_toml(&self) -> Result<String, ConfigError> {
        toml::to_string_pretty(self).map_err(|e| ConfigError(e.to_string()))
    }
}

fn describe(e: figment::Error) -> String {
    e.into_iter()
        .map(|err| {
            let key = if err.path.is_empty() {
                "(top level)".to_owned()
            } else {
                err.path.join(".")
            };
            let source = err
                .metadata
                .as_ref()
                .map(|m| format!(" (from {})", m.name))
                .unwrap_or_default();
            format!("{key}: {}{source}", err.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn redact_opt<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_some("REDACTED"),
        None => s.serialize_none(),
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            env: Environment::default(),
            data_dir: PathBuf::from("./data"),
            log: LogSettings::default(),
            server: HttpSettings::default(),
            database: DbSettings::default(),
            auth: AuthSettings::default(),
            paytabs: PaytabsSettings::default(),
            metrics: MetricsSettings::default(),
            bus: BusSettings::default(),
            cache: CacheSettings::default(),
            telemetry: TelemetrySettings::default(),
            mail: MailSettings::default(),
            sms: SmsSettings::default(),
            notifications: NotificationSettings::default(),
            webhooks: WebhookSettings::default(),
            background: BackgroundSettings::default(),
            sagas: SagaSettings::default(),
        }
    }
}
