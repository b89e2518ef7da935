//! Database settings, validated before anything connects.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

use crate::error::StoreError;
use crate::pool::Backend;

/// How to reach the primary database and its optional read replicas.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DbSettings {
    /// `sqlite://path/to/file.db` or `postgres://user:pass@host/db`. When absent the binary uses
    /// `sqlite://<data-dir>/nestcms.db`. Secret because it may carry a password.
    #[serde(serialize_with = "ser_opt_url")]
    pub url: Option<SecretString>,
    /// PostgreSQL read replicas for reads that tolerate staleness.
    #[serde(serialize_with = "ser_urls")]
    pub replicas: Vec<SecretString>,
    /// Upper bound of open connections per pool.
    pub max_connections: u32,
    /// Connections kept open while idle.
    pub min_connections: u32,
    /// How long a request waits for a free connection before failing with 503.
    #[serde(with = "humantime_serde")]
    pub acquire_timeout: Duration,
    /// PostgreSQL `statement_timeout`: a runaway query is cancelled after this.
    #[serde(with = "humantime_serde")]
    pub statement_timeout: Duration,
    /// SQLite `busy_timeout`: how long a writer waits for the single write lock.
    #[serde(with = "humantime_serde")]
    pub busy_timeout: Duration,
    /// A replica further behind than this is skipped until it catches up.
    #[serde(with = "humantime_serde")]
    pub replica_max_lag: Duration,
    /// How often replica health and lag are checked.
    #[serde(with = "humantime_serde")]
    pub replica_check_interval: Duration,
    /// A statement slower than this is counted (`nestcms_db_slow_queries_total`) and logged
    /// with its name and SQL text.
    #[serde(with = "humantime_serde")]
    pub slow_query_threshold: Duration,
    /// How long an open session, a membership or a grant may be served from memory (`0s`
    /// turns that cache off). Writes invalidate at once on every instance; this only bounds
    /// what a silently lost invalidation channel could hide.
    #[serde(with = "humantime_serde")]
    pub access_cache_ttl: Duration,
    /// Apply pending migrations when `serve` starts.
    pub auto_migrate: bool,
}

impl Default for DbSettings {
    fn default() -> Self {
        Self {
            url: None,
            replicas: Vec::new(),
            max_connections: 16,
            min_connections: 1,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(30),
            busy_timeout: Duration::from_secs(5),
            replica_max_lag: Duration::from_secs(10),
            replica_check_interval: Duration::from_secs(5),
            slow_query_threshold: Duration::from_millis(500),
            access_cache_ttl: Duration::from_secs(30),
            auto_migrate: true,
        }
    }
}

impl DbSettings {
    /// Checks every value that serde's types cannot, naming the key at fault. An absent `url`
    /// stands for the default SQLite file.
    pub fn validate(&self) -> Result<(), StoreError> {
        self.validate_for(self.url.as_ref().map_or("sqlite:", |u| u.expose_secret()))
    }

    /// Like [`DbSettings::validate`], for the primary URL actually in use.
    pub fn validate_for(&self, primary_url: &str) -> Result<(), StoreError> {
        let bad = |key, message: &str| {
            Err(StoreError::Config {
                key,
                message: message.to_owned(),
            })
        };
        let primary = Backend::from_url(primary_url)?;
        if self.max_connections == 0 {
            return bad(
                "database.max_connections",
                "expected an integer of at least 1",
            );
        }
        if self.min_connections > self.max_connections {
            return bad(
                "database.min_connections",
                "must not exceed database.max_connections",
            );
        }
        if self.acquire_timeout.is_zero() {
            return bad(
                "database.acquire_timeout",
                "expected a positive duration such as \"5s\"",
            );
        }
        for replica in &self.replicas {
            if Backend::from_url(replica.expose_secret()).ok() != Some(Backend::Postgres) {
                return bad("database.replicas", "expected postgres:// URLs");
            }
        }
        if !self.replicas.is_empty() && primary != Backend::Postgres {
            return bad(
                "database.replicas",
                "read replicas need a postgres:// primary",
            );
        }
        Ok(())
    }
}

/// Masks the password of a database URL so it can be logged or printed.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            if u.password().is_some() && u.set_password(Some("REDACTED")).is_err() {
                return "REDACTED".to_owned();
            }
            u.set_query(u.query().map(|_| "REDACTED"));
            u.to_string()
        }
        Err(_) => "REDACTED".to_owned(),
    }
}

fn ser_opt_url<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(url) => s.serialize_some(&redact_url(url.expose_secret())),
        None => s.serialize_none(),
    }
}

fn ser_urls<S: Serializer>(v: &[SecretString], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|u| redact_url(u.expose_secret())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_passwords_and_query_strings() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db:5432/nest"),
            "postgres://app:REDACTED@db:5432/nest"
        );
        assert_eq!(
            redact_url("postgres://db/nest?password=x"),
            "postgres://db/nest?REDACTED"
        );
        assert_eq!(
            redact_url("sqlite://./data/nestcms.db"),
            "sqlite://./data/nestcms.db"
        );
        assert_eq!(redact_url("::garbage::"), "REDACTED");
    }

    #[test]
    fn validation_names_the_key_at_fault() {
        let s = DbSettings {
            url: Some("mysql://x".into()),
            ..DbSettings::default()
        };
        assert!(
            s.validate()
                .is_err_and(|e| e.to_string().starts_with("database.url"))
        );
        let s = DbSettings {
            max_connections: 2,
            min_connections: 3,
            ..DbSettings::default()
        };
        assert!(
            s.validate()
                .is_err_and(|e| e.to_string().starts_with("database.min_connections"))
        );
        let s = DbSettings {
            replicas: vec!["postgres://r/db".into()],
            ..DbSettings::default()
        };
        assert!(
            s.validate()
                .is_err_and(|e| e.to_string().contains("postgres:// primary"))
        );
        assert!(DbSettings::default().validate().is_ok());
    }
}
