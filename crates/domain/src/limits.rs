//! Rate limits: the quota language and the port limiters implement.
//!
//! A quota is `limit` requests per `window` for one key (an address, a user, an
//! organization, or everyone). Limiters implement the generic cell rate algorithm (GCRA), so a
//! quota is a steady rate with a burst of the whole window, and the same arithmetic runs in
//! memory (one instance) and in Redis (every instance, one budget).

use std::time::Duration;

use crate::ports::PortError;

/// `limit` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed per window.
    pub limit: u32,
    /// The window.
    pub window: Duration,
}

/// What a limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// Requests left in the window after this one.
    pub remaining: u32,
    /// Until the full quota is available again.
    pub reset: Duration,
    /// When refused: until one request is allowed again.
    pub retry_after: Duration,
}

/// One step of the GCRA, in microseconds (so a quota of thousands per second keeps its rate):
/// given the key's theoretical arrival time `tat` (`None` for a new key) at `now`, the
/// decision and the new `tat` to store (unchanged when refused).
pub fn gcra(quota: Quota, tat: Option<u64>, now: u64) -> (Decision, u64) {
    let window = u64::try_from(quota.window.as_micros())
        .unwrap_or(u64::MAX)
        .max(1);
    let interval = (window / u64::from(quota.limit.max(1))).max(1);
    let tat = tat.unwrap_or(now).max(now);
    let next = tat.saturating_add(interval);
    let ms = Duration::from_micros;
    if next - now > window {
        let decision = Decision {
            allowed: false,
            remaining: 0,
            reset: ms(tat - now),
            retry_after: ms(next - now - window),
        };
        return (decision, tat);
    }
    let remaining = u32::try_from((window - (next - now)) / interval).unwrap_or(u32::MAX);
    let decision = Decision {
        allowed: true,
        remaining,
        reset: ms(next - now),
        retry_after: Duration::ZERO,
    };
    (decision, next)
}

/// Keeps count of requests per key.
#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync {
    /// Takes one request from `key`'s quota, or says how long to wait.
    async fn check(&self, key: &str, quota: Quota) -> Result<Decision, PortError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: Quota = Quota {
        limit: 3,
        window: Duration::from_secs(60),
    };

    #[test]
    fn a_burst_of_the_whole_quota_then_one_per_interval() {
        let (mut tat, now) = (None, 1_000_000_000);
        for expected_remaining in [2, 1, 0] {
            let (d, next) = gcra(Q, tat, now);
            assert!(d.allowed);
            assert_eq!(d.remaining, expected_remaining);
            tat = Some(next);
        }
        let (d, kept) = gcra(Q, tat, now);
        assert!(!d.allowed, "the fourth in the same instant is refused");
        assert_eq!(Some(kept), tat, "a refusal does not spend anything");
        assert_eq!(
            d.retry_after,
            Duration::from_secs(20),
            "one interval of 60 s / 3"
        );
        let (d, _) = gcra(Q, tat, now + 20_000_000);
        assert!(d.allowed, "one request comes back every 20 s");
        let (d, _) = gcra(Q, tat, now + 60_000_000);
        assert_eq!(d.remaining, 2, "after a full window the burst is back");
    }
}
