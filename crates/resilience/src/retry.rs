//! Retries with exponential backoff and full jitter, bounded by a deadline.
//!
//! Only for calls that cannot double an effect when repeated (lookups, reads, the relay's
//! publishes that carry their own message id): page creations and refunds keep their
//! look-up-before-resend paths instead. Small enough to write here: each wait is a random
//! duration between zero and the capped exponential step ("full jitter"), never past the
//! deadline, and a server's `Retry-After` (when the error carries one) is honoured.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The first step of the backoff.
    pub base: Duration,
    /// The largest step.
    pub max: Duration,
    /// No attempt starts after this much time since the first.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            base: Duration::from_millis(100),
            max: Duration::from_secs(2),
            deadline: Duration::from_secs(10),
        }
    }
}

/// What the caller says about a failed attempt.
pub enum Verdict {
    /// Worth another attempt (after at least this long, when the server said so).
    Retry(Option<Duration>),
    /// Final: return this error.
    Stop,
}

/// Runs `attempt` until it succeeds, `judge` says stop, or the attempts or deadline run out.
pub async fn retry<T, E, F, Fut>(
    policy: RetryPolicy,
    mut attempt: F,
    judge: impl Fn(&E) -> Verdict,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let started = tokio::time::Instant::now();
    let mut n = 0;
    loop {
        n += 1;
        let err = match attempt().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let floor = match judge(&err) {
            Verdict::Stop => return Err(err),
            Verdict::Retry(floor) => floor.unwrap_or_default(),
        };
        let wait = full_jitter(policy, n).max(floor);
        if n >= policy.attempts || started.elapsed() + wait > policy.deadline {
            return Err(err);
        }
        tokio::time::sleep(wait).await;
    }
}

/// A random wait in `[0, min(max, base · 2^(n−1))]` before attempt `n + 1` ("full jitter"); also
/// the pause of loops that retry forever, such as the broker relay.
pub fn full_jitter(p: RetryPolicy, n: u32) -> Duration {
    let step = p
        .base
        .saturating_mul(2_u32.saturating_pow(n.saturating_sub(1)))
        .min(p.max);
    let ms = u64::try_from(step.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=ms))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn quick(attempts: u32) -> RetryPolicy {
        RetryPolicy {
            attempts,
            base: Duration::from_millis(1),
            max: Duration::from_millis(4),
            deadline: Duration::from_secs(1),
        }
    }

    #[tokio::test]
    async fn retries_until_success_within_the_attempts() {
        let calls = AtomicU32::new(0);
        let out: Result<u32, &str> = retry(
            quick(5),
            || async {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                if n < 2 { Err("busy") } else { Ok(n) }
            },
            |_| Verdict::Retry(None),
        )
        .await;
        assert_eq!(out, Ok(2));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn stops_at_a_final_error_and_after_the_last_attempt() {
        let calls = AtomicU32::new(0);
        let out: Result<(), &str> = retry(
            quick(5),
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err("refused")
            },
            |_| Verdict::Stop,
        )
        .await;
        assert_eq!((out, calls.load(Ordering::SeqCst)), (Err("refused"), 1));
        let calls = AtomicU32::new(0);
        let _: Result<(), &str> = retry(
            quick(3),
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err("down")
            },
            |_| Verdict::Retry(None),
        )
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_retry_after_longer_than_the_deadline_ends_the_retries() {
        let calls = AtomicU32::new(0);
        let started = std::time::Instant::now();
        let _: Result<(), &str> = retry(
            quick(5),
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err("slow down")
            },
            |_| Verdict::Retry(Some(Duration::from_secs(30))),
        )
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(started.elapsed() < Duration::from_millis(500));
    }
}
