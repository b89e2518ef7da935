//! Read replicas: route stale-tolerant reads to a healthy, caught-up replica.
//!
//! Each replica has its own lazily connected pool, so one that is down at boot does not stop the
//! service. A monitor checks every replica on an interval: an error or a lag beyond
//! `database.replica_max_lag` takes it out of rotation until a later check passes. Transitions
//! are logged (`replica.state`), and [`ReplicaSet::status`] exposes the current view for health
//! endpoints and metrics.
//!
//! Between checks, each replica's circuit breaker (`database.replica.N` in the process's
//! registry) watches the reads themselves: a replica whose reads fail or time out is skipped at
//! once, and [`crate::Store::read`] repeats the failed read on the primary.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use nestcms_resilience::{Breaker, BreakerConfig, Registry};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;

use crate::error::StoreError;
use crate::pool::{pg_connect_options, pg_pool_options};
use crate::settings::{DbSettings, redact_url};

/// Times a replica was taken out of rotation by its health check (lag or failure), by replica.
pub const SKIPS: &str = "nestcms_replica_skips_total";
/// Reads that failed, timed out or were refused on a replica and were repeated on the primary.
pub const FALLBACKS: &str = "nestcms_replica_read_fallbacks_total";

/// Lag query: zero on a primary or a replica that has replayed all it received; otherwise the
/// age of the last replayed transaction, in seconds.
const LAG_SQL: &str = "SELECT CAST(CASE \
    WHEN NOT pg_is_in_recovery() THEN 0 \
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
    ELSE COALESCE(EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp())), 0) \
    END AS DOUBLE PRECISION)";

/// One replica: its pool, the monitor's last verdict, and the breaker its reads go through.
pub(crate) struct Replica {
    /// `replica.N` (N from 1, in configuration order), for metrics and health.
    pub(crate) name: String,
    /// The URL with its password masked, for logs.
    pub(crate) label: String,
    pub(crate) pool: PgPool,
    pub(crate) breaker: Arc<Breaker>,
    healthy: AtomicBool,
    lag_ms: AtomicU64,
}

/// A replica's state as last observed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaStatus {
    /// Redacted URL.
    pub label: String,
    /// Whether reads are routed to it.
    pub healthy: bool,
    /// Last measured lag in milliseconds.
    pub lag_ms: u64,
}

/// The configured replicas and the round-robin cursor over the healthy ones.
pub struct ReplicaSet {
    replicas: Vec<Replica>,
    next: AtomicUsize,
    max_lag: Duration,
    check_timeout: Duration,
}

impl ReplicaSet {
    /// Builds lazily connected pools, each with its breaker from `breakers`; nothing is
    /// contacted until [`ReplicaSet::check_all`].
    pub fn new(
        urls: &[SecretString],
        s: &DbSettings,
        breakers: &Registry,
    ) -> Result<Self, StoreError> {
        let mut replicas = Vec::with_capacity(urls.len());
        let config = BreakerConfig {
            // A read still running at the statement timeout is cancelled by the server anyway.
            timeout: s.statement_timeout,
            slow_call: Duration::from_secs(1),
            open_for: Duration::from_secs(10),
            ..BreakerConfig::default()
        };
        for (i, url) in urls.iter().enumerate() {
            let raw = url.expose_secret();
            let pool = pg_pool_options(s)
                .min_connections(0)
                .connect_lazy_with(pg_connect_options(raw, s)?);
            replicas.push(Replica {
                name: format!("replica.{}", i + 1),
                label: redact_url(raw),
                pool,
                breaker: breakers.breaker(&format!("database.replica.{}", i + 1), config.clone()),
                healthy: AtomicBool::new(false),
                lag_ms: AtomicU64::new(0),
            });
        }
        Ok(Self {
            replicas,
            next: AtomicUsize::new(0),
            max_lag: s.replica_max_lag,
            check_timeout: s.acquire_timeout,
        })
    }

    /// Whether any replica is configured.
    pub fn is_empty(&self) -> bool {
        self.replicas.is_empty()
    }

    /// The next healthy replica whose breaker lets reads through, round-robin; `None` sends
    /// the read to the primary.
    pub(crate) fn pick(&self) -> Option<&Replica> {
        let n = self.replicas.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| &self.replicas[(start + i) % n])
            .find(|r| r.healthy.load(Ordering::Relaxed) && r.breaker.refuses().is_none())
    }

    /// Checks every replica once and updates its state.
    pub async fn check_all(&self) {
        for r in &self.replicas {
            let outcome = tokio::time::timeout(
                self.check_timeout,
                sqlx::query_scalar::<_, f64>(LAG_SQL).fetch_one(&r.pool),
            )
            .await;
            let verdict = match outcome {
                Ok(Ok(lag_s)) => {
                    let lag_ms = (lag_s.max(0.0) * 1000.0) as u64;
                    r.lag_ms.store(lag_ms, Ordering::Relaxed);
                    if Duration::from_millis(lag_ms) > self.max_lag {
                        Err(format!("lag {lag_ms} ms over the bound"))
                    } else {
                        Ok(())
                    }
                }
                Ok(Err(e)) => Err(format!("query failed: {e}")),
                Err(_) => Err("check timed out".to_owned()),
            };
            let was = r.healthy.swap(verdict.is_ok(), Ordering::Relaxed);
            match (was, verdict) {
                (false, Ok(())) => {
                    tracing::info!(replica.url = %r.label, replica.state = "in_rotation", "replica {} back in rotation", r.label)
                }
                (true, Err(why)) => {
                    metrics::counter!(SKIPS, "replica" => r.name.clone()).increment(1);
                    tracing::warn!(replica.url = %r.label, replica.state = "skipped", reason = %why, "replica {} skipped: {why}", r.label)
                }
                _ => {}
            }
        }
    }

    /// Re-checks every `interval` until the task is aborted.
    pub fn spawn_monitor(self: Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                self.check_all().await;
            }
        })
    }

    /// Current view of every replica.
    pub fn status(&self) -> Vec<ReplicaStatus> {
        self.replicas
            .iter()
            .map(|r| ReplicaStatus {
                label: r.label.clone(),
                healthy: r.healthy.load(Ordering::Relaxed),
                lag_ms: r.lag_ms.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Every replica by position, whether reads go to it, and its last lag.
    pub fn health(&self) -> Vec<nestcms_domain::ports::ReplicaHealth> {
        self.replicas
            .iter()
            .map(|r| nestcms_domain::ports::ReplicaHealth {
                name: r.name.clone(),
                in_rotation: r.healthy.load(Ordering::Relaxed) && r.breaker.refuses().is_none(),
                lag_ms: r.lag_ms.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Closes every replica pool.
    pub async fn close(&self) {
        for r in &self.replicas {
            r.pool.close().await;
        }
    }
}
