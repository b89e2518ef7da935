//! [`Store`]: the primary pool, the replica set, and their lifecycle.

use std::sync::{Arc, Mutex};

use std::future::Future;

use nestcms_resilience::{CallError, Registry};
use secrecy::{ExposeSecret, SecretString};

use crate::access::AccessCache;
use crate::access::fanout::Fanout;
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
    /// Sessions, memberships and grants served from memory.
    pub(crate) access: Arc<AccessCache>,
    /// Writers of access changes waiting for the other instances.
    fanout: Arc<Fanout>,
    /// This instance, as other instances' writers know it.
    instance: uuid::Uuid,
    /// The task hearing other instances' access changes; aborted on [`Store::close`].
    listener: Mutex<Option<tokio::task::JoinHandle<()>>>,
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
        // Only PostgreSQL is shared by several instances; until `listen_for_access_changes`
        // hears them, the cache is bypassed there.
        let alone = primary.backend() == Backend::Sqlite;
        Ok(Self {
            primary,
            replicas,
            monitor: Mutex::new(monitor),
            access: Arc::new(AccessCache::new(settings.access_cache_ttl, alone)),
            fanout: Arc::default(),
            instance: uuid::Uuid::now_v7(),
            listener: Mutex::new(None),
        })
    }

    /// On PostgreSQL, starts hearing the access changes other instances commit, which lets
    /// this instance serve sessions, memberships and grants from memory (until then it reads
    /// them from the database). Nothing to do on SQLite, which one instance owns.
    pub fn listen_for_access_changes(&self) {
        if let Pool::Postgres(pool) = &self.primary {
            let task = tokio::spawn(crate::access::listen::listen(
                crate::access::listen::Hearing {
                    pool: pool.clone(),
                    cache: Arc::clone(&self.access),
                    fanout: Arc::clone(&self.fanout),
                    instance: self.instance,
                },
            ));
            if let Ok(mut slot) = self.listener.lock()
                && let Some(old) = slot.replace(task)
            {
                old.abort();
            }
        }
    }

    /// Applies pending migrations to the primary.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrate::run(&self.primary).await
    }

    /// The pool for writes and read-your-writes.
    pub fn primary(&self) -> &Pool {
        &self.primary
    }

    /// Whether sessions, memberships and grants may be served from memory now: always on
    /// SQLite; on PostgreSQL while this instance hears the others' changes.
    pub fn access_cache_live(&self) -> bool {
        self.access.is_live()
    }

    /// After a commit that changed sessions, memberships or grants: on PostgreSQL, waits until
    /// every other listening instance has applied it (bounded; see `access::fanout`).
    pub(crate) async fn settle_access(&self) {
        if let Pool::Postgres(pool) = &self.primary {
            self.fanout.settle(pool, self.instance).await;
        }
    }

    /// Runs `write`, which changes `org`'s dashboard figures (projects, contracts, their
    /// workers and employees, payouts): this instance forgets them when it ends, even if it is
    /// abandoned after its commit, and on PostgreSQL it returns once the other instances have
    /// too (the triggers of migration 0016 tell them).
    pub(crate) async fn changing_figures<T, E>(
        &self,
        org: uuid::Uuid,
        write: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let forgets = self.access.forgets(crate::access::AccessChange::Org(org));
        let out = write.await;
        drop(forgets);
        // A write that failed was rolled back (or its fate is unknown, and the TTL bounds it):
        // nothing for the other instances to wait for.
        if out.is_ok() {
            self.settle_access().await;
        }
        out
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
        let listener = self.listener.lock().ok().and_then(|mut l| l.take());
        if let Some(task) = listener {
            task.abort();
            if let Pool::Postgres(pool) = &self.primary {
                crate::access::listen::unregister(pool, self.instance).await;
            }
        }
        self.replicas.close().await;
        self.primary.close().await;
    }
}
