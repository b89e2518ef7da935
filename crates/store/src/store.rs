//! [`Store`]: the primary pool, the replica set, and their lifecycle.

use std::sync::{Arc, Mutex};

use std::future::Future;

use nestcms_resilience::{CallError, Registry};
use secrecy::{ExposeSecret, SecretString};

use crate::error::StoreError;
use crate::migrate;
use crate::pool::{Backend, Pool};
use crate::replicas::ReplicaSet;
use crate::settings::DbSettings;

/// The storage adapter every repository implementation hangs off.
pub struct Store {
    primary: Pool,
    replicas: Arc<ReplicaSet>,
    /// The replica health task; aborted on [`Store::close`].
    monitor: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Store {
    /// Connects to the primary and prepares the replicas (checked once before returning), each
    /// with its breaker from `breakers`.
    pub async fn connect(
        url: &SecretString,
        settings: &DbSettings,
        breakers: &Registry,
    ) -> Result<Self, StoreError> {
        settings.validate_for(url.expose_secret())?;
        crate::observe::set_slow_threshold(settings.slow_query_threshold);
        let primary = Pool::connect(url, settings).await?;
        let replicas = Arc::new(ReplicaSet::new(&settings.replicas, settings, breakers)?);
        let monitor = if replicas.is_empty() {
            None
        } else {
            replicas.check_all().await;
            Some(Arc::clone(&replicas).spawn_monitor(settings.replica_check_interval))
        };
        Ok(Self {
            primary,
            replicas,
            monitor: Mutex::new(monitor),
        })
    }

    /// Applies pending migrations to the primary.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrate::run(&self.primary).await
    }

    /// The pool for writes and read-your-writes.
    pub fn primary(&self) -> &Pool {
        &self.primary
    }

    /// Runs a read that tolerates staleness on a healthy replica, through that replica's
    /// breaker; when the replica fails, times out or is refused by its breaker, the read runs on
    /// the primary instead (a read repeated changes nothing). `query` gets the pool to use.
    pub async fn read<T, F, Fut>(&self, query: F) -> Result<T, sqlx::Error>
    where
        F: Fn(Pool) -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        if let Some(r) = self.replicas.pick() {
            tracing::trace!(db.route = "replica", replica.url = %r.label, "read routed to replica");
            let outcome = r
                .breaker
                .call(
                    || query(Pool::Postgres(r.pool.clone())),
                    // Not finding a row is an answer, not a failing replica.
                    |e: &sqlx::Error| !matches!(e, sqlx::Error::RowNotFound),
                )
                .await;
            match outcome {
                Ok(v) => return Ok(v),
                Err(CallError::Failed(sqlx::Error::RowNotFound)) => {
                    return Err(sqlx::Error::RowNotFound);
                }
                Err(e) => {
                    let why = match e {
                        CallError::Open { .. } => "its breaker is open".to_owned(),
                        CallError::Timeout => "it timed out".to_owned(),
                        CallError::Failed(e) => e.to_string(),
                    };
                    metrics::counter!(crate::replicas::FALLBACKS, "replica" => r.name.clone())
                        .increment(1);
                    tracing::warn!(replica.url = %r.label, reason = %why, "replica read failed; reading from the primary");
                }
            }
        }
        query(self.primary.clone()).await
    }

    /// The engine of the primary.
    pub fn backend(&self) -> Backend {
        self.primary.backend()
    }

    /// The replica set, for status reporting.
    pub fn replicas(&self) -> &ReplicaSet {
        &self.replicas
    }

    /// Stops the replica monitor and closes every pool.
    pub async fn close(&self) {
        let monitor = self.monitor.lock().ok().and_then(|mut m| m.take());
        if let Some(task) = monitor {
            task.abort();
        }
        self.replicas.close().await;
        self.primary.close().await;
    }
}
