//! The sane range of every duration, size and count in the configuration.
//!
//! A value outside its range would start a service that then panics (a zero interval), hangs
//! (a pool of four billion connections), or fails every request (a refresh lifetime that
//! overflows date arithmetic). One table here checks them all at start, so the message names
//! the key and the range before anything runs.

use std::time::Duration;

use super::{Config, ConfigError, Environment};

const SEC: Duration = Duration::from_secs(1);
const MIN: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);
const MIB: u64 = 1024 * 1024;

/// Checks every range, then the values that must parse (URLs, the region).
pub fn check(c: &Config) -> Result<(), ConfigError> {
    let ms = Duration::from_millis;
    let s = &c.server;
    duration("server.request_timeout", s.request_timeout, ms(100), HOUR)?;
    duration(
        "server.shutdown_grace",
        s.shutdown_grace,
        Duration::ZERO,
        10 * MIN,
    )?;
    duration(
        "server.header_read_timeout",
        s.header_read_timeout,
        ms(100),
        5 * MIN,
    )?;
    duration("server.idle_timeout", s.idle_timeout, ms(100), HOUR)?;
    count(
        "server.max_connections",
        s.max_connections as u64,
        1,
        1_000_000,
    )?;
    for (class, b) in [
        ("auth", &s.rate_limits.auth),
        ("money", &s.rate_limits.money),
        ("api", &s.rate_limits.api),
    ] {
        duration(
            &format!("server.rate_limits.{class}.window"),
            b.window,
            SEC,
            DAY,
        )?;
    }
    count(
        "server.body_limit_bytes",
        s.body_limit_bytes as u64,
        1024,
        64 * MIB,
    )?;
    count(
        "server.upload_limit_bytes",
        s.upload_limit_bytes as u64,
        1024,
        1024 * MIB,
    )?;
    let d = &c.database;
    count(
        "database.max_connections",
        u64::from(d.max_connections),
        1,
        1000,
    )?;
    count(
        "database.min_connections",
        u64::from(d.min_connections),
        0,
        1000,
    )?;
    duration(
        "database.acquire_timeout",
        d.acquire_timeout,
        ms(100),
        5 * MIN,
    )?;
    duration(
        "database.statement_timeout",
        d.statement_timeout,
        ms(100),
        DAY,
    )?;
    duration(
        "database.busy_timeout",
        d.busy_timeout,
        Duration::ZERO,
        5 * MIN,
    )?;
    duration("database.replica_max_lag", d.replica_max_lag, ms(100), DAY)?;
    duration(
        "database.slow_query_threshold",
        d.slow_query_threshold,
        ms(1),
        HOUR,
    )?;
    duration(
        "database.access_cache_ttl",
        d.access_cache_ttl,
        Duration::ZERO,
        10 * MIN,
    )?;
    duration(
        "database.replica_check_interval",
        d.replica_check_interval,
        ms(100),
        HOUR,
    )?;
    let a = &c.auth;
    duration("auth.access_token_ttl", a.access_token_ttl, 10 * SEC, DAY)?;
    duration(
        "auth.refresh_token_ttl",
        a.refresh_token_ttl,
        MIN,
        400 * DAY,
    )?;
    count("auth.hash_parallelism", a.hash_parallelism as u64, 0, 64)?;
    count(
        "auth.registrations_per_hour",
        u64::from(a.registrations_per_hour),
        1,
        1_000_000,
    )?;
    let p = &c.paytabs;
    duration("paytabs.timeout", p.timeout, SEC, 5 * MIN)?;
    duration(
        "paytabs.reconcile_after",
        p.reconcile_after,
        Duration::ZERO,
        30 * DAY,
    )?;
    duration("paytabs.page_ttl", p.page_ttl, MIN, 30 * DAY)?;
    duration(
        "paytabs.reconcile_interval",
        p.reconcile_interval,
        ms(100),
        DAY,
    )?;
    p.region
        .parse::<nestcms_paytabs::Region>()
        .map_err(|e| ConfigError(format!("paytabs.region: {e}")))?;
    nestcms_http::perimeter::CallbackPerimeter::new(&p.callback_allow_cidrs)
        .map_err(|e| ConfigError(format!("paytabs.callback_allow_cidrs: {e}")))?;
    url("paytabs.base_url", p.base_url.as_deref())?;
    url("paytabs.public_base_url", p.public_base_url.as_deref())?;
    url("paytabs.result_page_url", p.result_page_url.as_deref())?;
    if c.env == Environment::Production {
        let missing: Vec<&str> = [
            ("auth.jwt_secret", c.auth.jwt_secret.is_none()),
            ("paytabs.server_key", p.server_key.is_none()),
            ("paytabs.profile_id", p.profile_id.is_none()),
        ]
        .into_iter()
        .filter_map(|(key, absent)| absent.then_some(key))
        .collect();
        if !missing.is_empty() {
            return Err(ConfigError(format!(
                "{}: required when env = \"production\" (secrets are never generated, and the \
                 built-in PayTabs simulator is a sandbox that is never served in production)",
                missing.join(", ")
            )));
        }
    }
    if c.metrics
        .token
        .as_ref()
        .is_some_and(|t| secrecy::ExposeSecret::expose_secret(t).trim().is_empty())
    {
        return Err(ConfigError(
            "metrics.token: must not be empty (leave it unset to keep /metrics off)".into(),
        ));
    }
    if c.cache.prefix.is_empty() || c.cache.prefix.len() > 64 {
        return Err(ConfigError(
            "cache.prefix: expected 1 to 64 characters".into(),
        ));
    }
    Ok(())
}

fn duration(key: &str, v: Duration, min: Duration, max: Duration) -> Result<(), ConfigError> {
    if v < min || v > max {
        return Err(ConfigError(format!(
            "{key}: {} is outside the accepted range {} to {}",
            humantime::format_duration(v),
            humantime::format_duration(min),
            humantime::format_duration(max)
        )));
    }
    Ok(())
}

fn count(key: &str, v: u64, min: u64, max: u64) -> Result<(), ConfigError> {
    if v < min || v > max {
        return Err(ConfigError(format!(
            "{key}: {v} is outside the accepted range {min} to {max}"
        )));
    }
    Ok(())
}

fn url(key: &str, v: Option<&str>) -> Result<(), ConfigError> {
    let Some(raw) = v else { return Ok(()) };
    match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        _ => Err(ConfigError(format!(
            "{key}: {raw:?} is not an http:// or https:// URL with a host"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn err(c: &Config) -> String {
        check(c).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn the_defaults_are_inside_every_range() {
        assert!(check(&Config::default()).is_ok());
    }

    #[test]
    fn values_that_used_to_panic_or_hang_name_their_key_and_range() {
        let mut c = Config::default();
        c.paytabs.reconcile_interval = Duration::ZERO;
        assert!(err(&c).starts_with("invalid configuration: paytabs.reconcile_interval: 0s is outside the accepted range 100ms to 1day"), "{}", err(&c));
        let mut c = Config::default();
        c.database.replica_check_interval = Duration::ZERO;
        assert!(err(&c).contains("database.replica_check_interval"));
        let mut c = Config::default();
        c.auth.refresh_token_ttl = Duration::from_secs(300_000 * 365 * 86_400);
        assert!(err(&c).contains("auth.refresh_token_ttl"));
        let mut c = Config::default();
        c.database.max_connections = u32::MAX;
        assert!(err(&c).contains("database.max_connections: 4294967295 is outside"));
        let mut c = Config::default();
        c.auth.hash_parallelism = 100_000;
        assert!(err(&c).contains("auth.hash_parallelism"));
        let mut c = Config::default();
        c.paytabs.timeout = Duration::ZERO;
        assert!(err(&c).contains("paytabs.timeout"));
        let mut c = Config::default();
        c.paytabs.public_base_url = Some("notaurl".into());
        assert!(err(&c).contains("paytabs.public_base_url"));
        let mut c = Config::default();
        c.paytabs.region = "MARS".into();
        assert!(err(&c).contains("paytabs.region: unknown PayTabs region"));
    }

    #[test]
    fn production_needs_real_gateway_credentials_and_a_non_empty_metrics_token() {
        let mut c = Config {
            env: Environment::Production,
            ..Config::default()
        };
        assert!(
            err(&c).contains("auth.jwt_secret, paytabs.server_key, paytabs.profile_id: required")
        );
        c.auth.jwt_secret = Some(SecretString::from("x".repeat(32)));
        c.paytabs.server_key = Some(SecretString::from("SKEY"));
        assert!(err(&c).contains("paytabs.profile_id"));
        c.paytabs.profile_id = Some(1);
        assert!(check(&c).is_ok());
        c.metrics.token = Some(SecretString::from(""));
        assert!(err(&c).contains("metrics.token: must not be empty"));
    }
}
