//! HTTP server settings (`[server]` in the configuration file).

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Listener, limits and browser-facing policy of the HTTP server.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// A request that takes longer than this is answered with 503 `request_timeout` and
    /// abandoned (not 408, which clients retry as their own fault).
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Largest accepted request body, in bytes; larger bodies get 413.
    pub body_limit_bytes: usize,
    /// Largest accepted design upload, in bytes; larger uploads get 413.
    pub upload_limit_bytes: usize,
    /// A connection must deliver a complete request head within this of being accepted (or of
    /// sending the first bytes of its next request); otherwise it is closed.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// A connection with no request in flight is closed after this long.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// Connections open at once; a new one beyond this is closed at once (keep it well under
    /// the process's open-file limit).
    pub max_connections: usize,
    /// After SIGTERM, how long in-flight requests may run before the process exits anyway.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// Origins allowed to call the API from a browser; empty means same-origin only.
    pub cors_allowed_origins: Vec<String>,
    /// Set when a TLS-terminating proxy fronts the service: adds `Strict-Transport-Security`.
    pub behind_tls: bool,
    /// Rate limits per address, user, organization and globally (`server.rate_limits.*`).
    pub rate_limits: crate::ratelimit::RateLimitSettings,
    /// Take the client address from the last `X-Forwarded-For` entry (set only behind a proxy
    /// you run, which appends it); otherwise the socket's peer address is used.
    pub trust_forwarded_for: bool,
    /// Answer API requests 503 `database_unavailable` at once while the primary database is
    /// known to be down (the `database` breaker). On by default; off only to measure its cost
    /// or to diagnose.
    pub database_breaker: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            request_timeout: Duration::from_secs(30),
            body_limit_bytes: 1024 * 1024,
            upload_limit_bytes: 20 * 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            shutdown_grace: Duration::from_secs(30),
            cors_allowed_origins: Vec::new(),
            behind_tls: false,
            rate_limits: crate::ratelimit::RateLimitSettings::default(),
            trust_forwarded_for: false,
            database_breaker: true,
        }
    }
}

impl HttpSettings {
    /// Checks what serde's types cannot, naming the key at fault.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.request_timeout.is_zero() {
            return Err((
                "server.request_timeout",
                "expected a positive duration such as \"30s\"".into(),
            ));
        }
        if self.upload_limit_bytes == 0 {
            return Err((
                "server.upload_limit_bytes",
                "expected a positive number of bytes".into(),
            ));
        }
        if self.body_limit_bytes == 0 {
            return Err((
                "server.body_limit_bytes",
                "expected a positive number of bytes".into(),
            ));
        }
        for origin in &self.cors_allowed_origins {
            let ok = (origin.starts_with("https://") || origin.starts_with("http://"))
                && axum::http::HeaderValue::from_str(origin).is_ok()
                && !origin.ends_with('/');
            if !ok {
                return Err((
                    "server.cors_allowed_origins",
                    format!(
                        "expected origins like \"https://app.example.com\" (scheme and host, no path), got {origin:?}"
                    ),
                ));
            }
        }
        Ok(())
    }
}
