//! [`Store`]: the primary pool, the replica set, and their lifecycle.

use std::sync::{Arc, Mutex};

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
    /// Connects to the primary and prepares the replicas (checked once before returning).
    pub async fn connect(url: &SecretString, settings: &DbSettings) -> Result<Self, StoreError> {
        settings.validate_for(url.expose_secret())?;
        let primary = Pool::connect(url, settings).await?;
        let replicas = Arc::new(ReplicaSet::new(&settings.replicas, settings)?);
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

    /// A pool for reads that tolerate staleness: a healthy replica, else the primary.
    pub fn reader(&self) -> Pool {
        match self.replicas.pick() {
            Some((label, pool)) => {
                tracing::trace!(db.route = "replica", replica.url = %label, "read routed to replica");
                Pool::Postgres(pool.clone())
            }
            None => self.primary.clone(),
        }
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
