//! Progressive delays after failed logins.
//!
//! Three counters: per account and client address (strict: 5 free failures, then doubling up to
//! 15 minutes), per client address (30 free, up to 15 minutes) and per account from anywhere
//! (10 free, doubling but capped at 30 seconds). A flood against one account from an attacker's
//! address locks that address out for long; the account's owner, from elsewhere, waits at most
//! 30 seconds. Attempts refused for throttling are not counted, so a flood cannot extend a lock.

use chrono::{DateTime, Duration, Utc};
use nestcms_domain::DomainError;

use crate::{Store, port};

struct Rule {
    prefix: &'static str,
    free: u32,
    cap_secs: i64,
}

const RULES: [Rule; 3] = [
    Rule {
        prefix: "acct_ip",
        free: 5,
        cap_secs: 900,
    },
    Rule {
        prefix: "ip",
        free: 30,
        cap_secs: 900,
    },
    Rule {
        prefix: "acct",
        free: 10,
        cap_secs: 30,
    },
];

/// Failures older than this are forgotten.
const WINDOW_MINUTES: i64 = 15;

fn keys(email: &str, ip: Option<&str>) -> Vec<(&'static Rule, String)> {
    let ip = ip.unwrap_or("unknown");
    vec![
        (&RULES[0], format!("acct_ip:{email}|{ip}")),
        (&RULES[1], format!("ip:{ip}")),
        (&RULES[2], format!("acct:{email}")),
    ]
}

/// How long after the last failure the next attempt must wait.
fn delay(rule: &Rule, failures: u32) -> Duration {
    if failures < rule.free {
        return Duration::zero();
    }
    let exp = (failures - rule.free).min(20);
    Duration::seconds((1_i64 << exp).min(rule.cap_secs))
}

/// Refuses the attempt with 429 while any counter says wait.
pub(crate) async fn check(
    store: &Store,
    email: &str,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let mut wait = Duration::zero();
    for (rule, key) in keys(email, ip) {
        if let Some((failures, last)) = store.failures(&key).await.map_err(port)?
            && last > now - Duration::minutes(WINDOW_MINUTES)
        {
            let until = last + delay(rule, failures);
            wait = wait.max(until - now);
        }
    }
    if wait > Duration::zero() {
        let secs = u64::try_from(wait.num_seconds()).unwrap_or(0).max(1);
        return Err(DomainError::RateLimited {
            code: "too_many_attempts",
            message: "too many failed attempts",
            retry_after_secs: secs,
        });
    }
    Ok(())
}

/// Counts a failed attempt on every counter.
pub(crate) async fn record_failure(
    store: &Store,
    email: &str,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    for (_, key) in keys(email, ip) {
        store
            .record_failure(&key, now, now - Duration::minutes(WINDOW_MINUTES))
            .await
            .map_err(port)?;
    }
    Ok(())
}

/// Admits a registration from `ip` unless it already registered `per_hour` accounts within the
/// hour; the hour restarts one hour after the last admitted registration. Refusals are 429 with
/// the wait, and are not counted.
pub(crate) async fn registration(
    store: &Store,
    ip: Option<&str>,
    per_hour: u32,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let key = format!("register:{}", ip.unwrap_or("unknown"));
    let hour = Duration::hours(1);
    if let Some((count, last)) = store.failures(&key).await.map_err(port)?
        && last > now - hour
        && count >= per_hour
    {
        let secs = u64::try_from((last + hour - now).num_seconds())
            .unwrap_or(0)
            .max(1);
        return Err(DomainError::RateLimited {
            code: "too_many_registrations",
            message: "too many accounts registered from this address",
            retry_after_secs: secs,
        });
    }
    store
        .record_failure(&key, now, now - hour)
        .await
        .map_err(port)?;
    Ok(())
}

/// Clears the account's counters after a success (the address counter stays: one good
/// password does not excuse a thousand guesses at other accounts).
pub(crate) async fn record_success(
    store: &Store,
    email: &str,
    ip: Option<&str>,
) -> Result<(), DomainError> {
    for (rule, key) in keys(email, ip) {
        if rule.prefix != "ip" {
            store.clear_failures(&key).await.map_err(port)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_after_the_free_failures_double_and_are_capped() {
        let acct = &RULES[2];
        assert_eq!(delay(acct, 9), Duration::zero());
        assert_eq!(delay(acct, 10), Duration::seconds(1));
        assert_eq!(delay(acct, 12), Duration::seconds(4));
        assert_eq!(
            delay(acct, 1000),
            Duration::seconds(30),
            "the owner is never locked out for long"
        );
        let strict = &RULES[0];
        assert_eq!(delay(strict, 5), Duration::seconds(1));
        assert_eq!(delay(strict, 60), Duration::seconds(900));
    }
}
