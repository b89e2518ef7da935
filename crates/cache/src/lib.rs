//! The [`Cache`] port's adapters. [`MemoryCache`] (moka) serves the embedded single-instance
//! mode; [`RedisCache`] is shared by every instance at scale, so an invalidation made by one
//! instance (a namespace [`Cache::bump`]) is seen by all.
//!
//! Invalidation is by generation: keys embed their namespace's current generation, and a
//! write bumps it, orphaning the old keys until their TTL ends. This avoids scanning for keys.

pub mod limits;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use moka::Expiry;
use moka::future::Cache as Moka;
use nestcms_domain::ports::{Cache, PortError};
use nestcms_resilience::{Breaker, BreakerConfig, CallError, RetryPolicy, Verdict, retry};
use redis::AsyncCommands;
use secrecy::SecretString;

/// The breaker every Redis call goes through: a call gets 250 ms, five failures open it for
/// five seconds.
pub fn redis_breaker_config() -> BreakerConfig {
    BreakerConfig {
        timeout: Duration::from_millis(250),
        slow_call: Duration::from_millis(200),
        open_for: Duration::from_secs(5),
        ..BreakerConfig::default()
    }
}

/// Cache reads: one more try after at most 50 ms, never starting past 300 ms.
const READ_RETRY: RetryPolicy = RetryPolicy {
    attempts: 2,
    base: Duration::from_millis(20),
    max: Duration::from_millis(50),
    deadline: Duration::from_millis(300),
};

/// Per-entry time to live for moka.
struct EntryTtl;

impl Expiry<String, (String, Duration)> for EntryTtl {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &(String, Duration),
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(value.1)
    }
}

/// In-process cache, bounded in entries.
pub struct MemoryCache {
    entries: Moka<String, (String, Duration)>,
    generations: Mutex<HashMap<String, u64>>,
}

impl MemoryCache {
    /// A cache holding at most `capacity` entries.
    pub fn new(capacity: u64) -> Self {
        Self {
            entries: Moka::builder()
                .max_capacity(capacity)
                .expire_after(EntryTtl)
                .build(),
            generations: Mutex::new(HashMap::new()),
        }
    }

    fn with_generations<T>(&self, f: impl FnOnce(&mut HashMap<String, u64>) -> T) -> T {
        // A poisoned lock only means another task panicked mid-update of a counter; the map
        // itself is still usable.
        let mut g = self
            .generations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut g)
    }
}

#[async_trait::async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<String>, PortError> {
        Ok(self.entries.get(key).await.map(|(v, _)| v))
    }

    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), PortError> {
        self.entries
            .insert(key.to_owned(), (value.to_owned(), ttl))
            .await;
        Ok(())
    }

    async fn generation(&self, namespace: &str) -> Result<u64, PortError> {
        Ok(self.with_generations(|g| g.get(namespace).copied().unwrap_or(0)))
    }

    async fn bump(&self, namespace: &str) -> Result<u64, PortError> {
        Ok(self.with_generations(|g| {
            let n = g.entry(namespace.to_owned()).or_insert(0);
            *n += 1;
            *n
        }))
    }
}

/// Redis, shared by every instance of one deployment; every key starts with its prefix.
#[derive(Clone)]
pub struct RedisCache {
    conn: limits::LazyConn,
    prefix: String,
    breaker: Arc<Breaker>,
}

impl RedisCache {
    /// Keys start with `prefix:`. Redis is reached on first use (and the connection then
    /// reconnects by itself), so an unreachable Redis does not stop the start. Every call goes
    /// through `breaker`: while Redis is down, callers fall back to the database at once
    /// instead of waiting for each call's timeout.
    pub fn new(url: &SecretString, prefix: &str, breaker: Arc<Breaker>) -> Result<Self, PortError> {
        Ok(Self {
            conn: limits::LazyConn::new(url)?,
            prefix: prefix.to_owned(),
            breaker,
        })
    }

    async fn guarded<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, PortError> {
        self.breaker
            .call(|| call, |_| true)
            .await
            .map_err(call_error)
    }

    /// A read through the breaker, tried once more after a short jittered pause when the
    /// connection broke (a read repeated changes nothing); a refusal by the open breaker or a
    /// timeout is final, so a read never waits much past one call's timeout.
    async fn guarded_read<T, Fut>(&self, call: impl Fn() -> Fut) -> Result<T, PortError>
    where
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        retry(
            READ_RETRY,
            || self.breaker.call(&call, |_| true),
            |e: &CallError<redis::RedisError>| match e {
                CallError::Failed(e) if e.is_io_error() || e.is_connection_dropped() => {
                    Verdict::Retry(None)
                }
                _ => Verdict::Stop,
            },
        )
        .await
        .map_err(call_error)
    }

    fn key(&self, kind: &str, key: &str) -> String {
        format!("{}:{kind}:{key}", self.prefix)
    }
}

/// A guarded call's failure as the port's error.
fn call_error(e: CallError<redis::RedisError>) -> PortError {
    match e {
        CallError::Failed(e) => unavailable(e),
        CallError::Open { .. } => PortError::Unavailable("redis: circuit open".into()),
        CallError::Timeout => PortError::Unavailable("redis: timed out".into()),
    }
}

fn unavailable(e: redis::RedisError) -> PortError {
    PortError::Unavailable(format!("redis: {e}"))
}

#[async_trait::async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<String>, PortError> {
        let key = self.key("v", key);
        self.guarded_read(|| async { self.conn.get().await?.get(&key).await })
            .await
    }

    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), PortError> {
        let (key, secs) = (self.key("v", key), ttl.as_secs().max(1));
        self.guarded(async { self.conn.get().await?.set_ex(key, value, secs).await })
            .await
    }

    async fn generation(&self, namespace: &str) -> Result<u64, PortError> {
        let key = self.key("gen", namespace);
        let n: Option<u64> = self
            .guarded_read(|| async { self.conn.get().await?.get(&key).await })
            .await?;
        Ok(n.unwrap_or(0))
    }

    async fn bump(&self, namespace: &str) -> Result<u64, PortError> {
        let key = self.key("gen", namespace);
        self.guarded(async { self.conn.get().await?.incr(key, 1_u64).await })
            .await
    }
}
