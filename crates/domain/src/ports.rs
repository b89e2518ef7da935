//! Ports: the operations the core needs from the outside world, as traits.
//!
//! Adapters implement these (the `nestcms-store` crate for SQLite and PostgreSQL); the HTTP layer
//! and workers hold them as `Arc<dyn …>` so a use case never names a database. Traits use
//! `async_trait` because native `async fn` in traits is not yet object-safe.

use crate::id::InstallationId;

/// What the database reports about its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Migrations this build ships.
    pub expected: Vec<i64>,
    /// Migrations recorded as applied and successful in the database.
    pub applied: Vec<i64>,
}

impl SchemaStatus {
    /// Whether every shipped migration is applied (the database may be ahead of this build after a
    /// rolling upgrade; that still counts as migrated for this build).
    pub fn is_current(&self) -> bool {
        self.expected.iter().all(|v| self.applied.contains(v))
    }

    /// Shipped migrations not yet applied.
    pub fn pending(&self) -> Vec<i64> {
        self.expected
            .iter()
            .copied()
            .filter(|v| !self.applied.contains(v))
            .collect()
    }
}

/// Errors a port reports. Adapters decide which of their failures is which.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// The backing service is unreachable, timed out, or its pool is exhausted.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The row does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness constraint rejected the write (the thing already exists).
    #[error("duplicate")]
    Duplicate,
    /// A uniqueness or integrity constraint rejected the write; carries the constraint name.
    #[error("constraint {0} violated")]
    Constraint(String),
    /// Anything else; the message is for logs.
    #[error("{0}")]
    Other(String),
}

/// Liveness and schema information about the primary database.
#[async_trait::async_trait]
pub trait SystemRepository: Send + Sync {
    /// Round-trips a trivial query to the primary.
    async fn ping(&self) -> Result<(), PortError>;
    /// How long taking a connection from the primary pool takes now (the connection is
    /// returned at once).
    async fn acquire_wait(&self) -> Result<std::time::Duration, PortError>;
    /// Which migrations are expected and applied.
    async fn schema_status(&self) -> Result<SchemaStatus, PortError>;
    /// The id written once when this database was first migrated.
    async fn installation_id(&self) -> Result<InstallationId, PortError>;
    /// Connections of the primary's pool, as health probes report them.
    fn pool_status(&self) -> PoolStatus;
    /// Every read replica as last observed, named `replica.N` (never by its URL).
    fn replica_health(&self) -> Vec<ReplicaHealth>;
}

/// Connections of a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Checked out now.
    pub in_use: u32,
    /// Open and idle.
    pub idle: u32,
    /// The most it opens.
    pub max: u32,
}

/// A read replica as last observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaHealth {
    /// `replica.1`, `replica.2`, … in configuration order.
    pub name: String,
    /// Reads go to it: its last check passed and its breaker lets reads through.
    pub in_rotation: bool,
    /// Lag at its last check, in milliseconds.
    pub lag_ms: u64,
}

/// Where uploaded files live (design documents). The default adapter writes under the data
/// directory; a shared object store is the way to run several instances.
#[async_trait::async_trait]
pub trait FileStore: Send + Sync {
    /// Stores bytes under a key made of safe characters only (`[a-z0-9/._-]`).
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), PortError>;
    /// Reads the bytes of a key.
    async fn get(&self, key: &str) -> Result<Vec<u8>, PortError>;
}

/// A shared cache of rendered answers: in memory for one instance, Redis for several. A cache
/// failure must never fail a request; callers fall back to the source.
#[async_trait::async_trait]
pub trait Cache: Send + Sync {
    /// The value under `key`, if present and fresh.
    async fn get(&self, key: &str) -> Result<Option<String>, PortError>;
    /// Stores `value` under `key` for `ttl`.
    async fn put(&self, key: &str, value: &str, ttl: std::time::Duration) -> Result<(), PortError>;
    /// The current generation of a namespace (0 before the first bump).
    async fn generation(&self, namespace: &str) -> Result<u64, PortError>;
    /// Starts a new generation of a namespace, orphaning every key built with the old one.
    async fn bump(&self, namespace: &str) -> Result<u64, PortError>;
}

#[cfg(test)]
mod tests {
    use super::SchemaStatus;

    #[test]
    fn schema_is_current_only_when_every_shipped_migration_is_applied() {
        let s = SchemaStatus {
            expected: vec![1, 2],
            applied: vec![1],
        };
        assert!(!s.is_current());
        assert_eq!(s.pending(), vec![2]);
        let s = SchemaStatus {
            expected: vec![1, 2],
            applied: vec![1, 2, 3],
        };
        assert!(s.is_current());
        assert!(s.pending().is_empty());
    }
}
