//! The [`RateLimiter`] port's adapters: [`MemoryLimiter`] for one instance, [`RedisLimiter`]
//! for one budget shared by every instance (falling back to its own memory while Redis is
//! unreachable, so limits keep working, per instance, and recover when Redis returns).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nestcms_domain::limits::{Decision, Quota, RateLimiter, gcra};
use nestcms_domain::ports::PortError;
use nestcms_resilience::{Breaker, CallError};
use redis::aio::ConnectionManager;
use secrecy::{ExposeSecret, SecretString};

/// How long a Redis round trip may take before the request falls back to memory.
const REDIS_DEADLINE: Duration = Duration::from_millis(250);

/// How every Redis connection of ours behaves: each command answers or fails within
/// [`REDIS_DEADLINE`] (a stopped Redis must not hang a request: callers fall back to the
/// database or to memory), and reconnection is attempted briefly and again on the next
/// command, so service resumes as soon as Redis is back.
pub(crate) fn redis_config() -> redis::aio::ConnectionManagerConfig {
    redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(REDIS_DEADLINE)
        .set_response_timeout(REDIS_DEADLINE)
        .set_number_of_retries(1)
        .set_factor(50)
        .set_max_delay(200)
}

/// A Redis connection made on first use and tried again on later uses until it succeeds, so
/// an instance starts, and serves degraded (database and memory), while Redis is down.
#[derive(Clone)]
pub(crate) struct LazyConn {
    client: redis::Client,
    cell: Arc<tokio::sync::OnceCell<ConnectionManager>>,
}

impl LazyConn {
    /// Only an invalid URL fails here; reaching Redis is left to the first call.
    pub(crate) fn new(url: &SecretString) -> Result<Self, PortError> {
        let client = redis::Client::open(url.expose_secret())
            .map_err(|e| PortError::Unavailable(format!("redis: {e}")))?;
        Ok(Self {
            client,
            cell: Arc::default(),
        })
    }

    /// The connection, connecting now if it was never made.
    pub(crate) async fn get(&self) -> redis::RedisResult<ConnectionManager> {
        self.cell
            .get_or_try_init(|| {
                ConnectionManager::new_with_config(self.client.clone(), redis_config())
            })
            .await
            .cloned()
    }
}

/// Theoretical arrival times per key, in this process.
pub struct MemoryLimiter {
    start: Instant,
    tats: Mutex<HashMap<String, u64>>,
}

impl Default for MemoryLimiter {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            tats: Mutex::default(),
        }
    }
}

impl MemoryLimiter {
    fn decide(&self, key: &str, quota: Quota) -> Decision {
        let now = u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut tats = self
            .tats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Keys whose time has passed hold nothing: forget them now and then.
        if tats.len() > 100_000 {
            tats.retain(|_, tat| *tat > now);
        }
        // The key is copied only the first time it is seen.
        if let Some(stored) = tats.get_mut(key) {
            let (decision, tat) = gcra(quota, Some(*stored), now);
            *stored = tat;
            return decision;
        }
        let (decision, tat) = gcra(quota, None, now);
        tats.insert(key.to_owned(), tat);
        decision
    }
}

#[async_trait::async_trait]
impl RateLimiter for MemoryLimiter {
    async fn check(&self, key: &str, quota: Quota) -> Result<Decision, PortError> {
        Ok(self.decide(key, quota))
    }
}

/// The GCRA step in Redis (the arithmetic of `domain::limits::gcra`, in microseconds), on
/// Redis' own clock so instances' clocks do not matter. Returns `{allowed, remaining, reset_us,
/// retry_us}`; the key expires when its budget is whole again.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local nxt = tat + interval
if nxt - now > window then
  return {0, 0, tat - now, nxt - now - window}
end
redis.call('SET', KEYS[1], nxt, 'PX', math.ceil((nxt - now) / 1000))
return {1, math.floor((window - (nxt - now)) / interval), nxt - now, 0}
";

/// One budget for every instance, in Redis.
pub struct RedisLimiter {
    breaker: Arc<Breaker>,
    conn: LazyConn,
    prefix: String,
    script: redis::Script,
    fallback: MemoryLimiter,
    degraded: AtomicBool,
}

impl RedisLimiter {
    /// Keys start with `prefix:rl:`; calls go through `breaker` (open: counted in memory at
    /// once). Redis is reached on first use, so an unreachable Redis does not stop the start.
    pub fn new(url: &SecretString, prefix: &str, breaker: Arc<Breaker>) -> Result<Self, PortError> {
        Ok(Self {
            breaker,
            conn: LazyConn::new(url)?,
            prefix: prefix.to_owned(),
            script: redis::Script::new(SCRIPT),
            fallback: MemoryLimiter::default(),
            degraded: AtomicBool::new(false),
        })
    }

    async fn shared(&self, key: &str, quota: Quota) -> Result<Decision, String> {
        let window = u64::try_from(quota.window.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let interval = (window / u64::from(quota.limit.max(1))).max(1);
        let mut invocation = self.script.key(format!("{}:rl:{key}", self.prefix));
        invocation.arg(interval).arg(window);
        let call = async {
            let mut conn = self.conn.get().await?;
            invocation
                .invoke_async::<(u8, u64, u64, u64)>(&mut conn)
                .await
        };
        let (allowed, remaining, reset, retry) = self
            .breaker
            .call(|| call, |_| true)
            .await
            .map_err(|e| match e {
                CallError::Failed(e) => e.to_string(),
                CallError::Open { .. } => "circuit open".to_owned(),
                CallError::Timeout => "timed out".to_owned(),
            })?;
        Ok(Decision {
            allowed: allowed == 1,
            remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
            reset: Duration::from_micros(reset),
            retry_after: Duration::from_micros(retry),
        })
    }
}

#[async_trait::async_trait]
impl RateLimiter for RedisLimiter {
    async fn check(&self, key: &str, quota: Quota) -> Result<Decision, PortError> {
        match self.shared(key, quota).await {
            Ok(d) => {
                if self.degraded.swap(false, Ordering::Relaxed) {
                    tracing::info!("rate limits shared through Redis again");
                }
                Ok(d)
            }
            Err(e) => {
                if !self.degraded.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "Redis unreachable: rate limits fall back to this instance's memory");
                }
                metrics::counter!("nestcms_rate_limit_fallbacks_total").increment(1);
                self.fallback.check(key, quota).await
            }
        }
    }
}
