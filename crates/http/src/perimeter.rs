//! Defence in depth around the PayTabs callback (`POST /api/v1/webhooks/paytabs`).
//!
//! The signature stays the authority; these checks only keep strangers from spending our
//! CPU and log on forged callbacks: an allowlist of source networks (empty: everyone), a
//! budget of failed verifications per address (over it, 429 until the window passes), and a
//! counter per refusal reason (`nestcms_paytabs_callbacks_refused_total{reason}`). The payload
//! bound is the route's own body limit.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ipnet::IpNet;

/// Failed verifications an address may make per window before it is refused outright.
pub const FAILURE_BUDGET: u32 = 10;
/// The window of that budget.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(600);
/// Addresses whose failures are tracked at most.
const MAX_TRACKED: usize = 10_000;

/// The unit a budget is kept for: the address, or for IPv6 its /64 (one client's usual
/// allocation, so hopping through its addresses buys no more attempts).
pub(crate) fn bucket(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// Largest callback body accepted (a PayTabs IPN is a few kilobytes).
pub const CALLBACK_BODY_LIMIT: usize = 64 * 1024;

/// Refused callbacks kept for the operations console (this instance's newest).
const RECENT: usize = 50;

/// Who may call, how many failures each address has left, and the latest refusals.
#[derive(Debug, Default)]
pub struct CallbackPerimeter {
    allow: Vec<IpNet>,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    recent: Mutex<VecDeque<RefusedCallback>>,
}

/// A callback this instance refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedCallback {
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// From where, when known.
    pub from: Option<IpAddr>,
    /// `bad_signature`, `not_allowed` or `over_budget`.
    pub reason: &'static str,
}

/// Why a callback was refused before its signature was looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The address is outside the allowlist.
    NotAllowed,
    /// The address spent its budget of failed verifications; retry after this long.
    OverBudget(Duration),
}

impl CallbackPerimeter {
    /// A perimeter allowing `allow` (CIDR text, e.g. `"203.0.113.0/24"`); empty allows all.
    pub fn new(allow: &[String]) -> Result<Self, String> {
        let allow = allow
            .iter()
            .map(|c| {
                c.parse::<IpNet>()
                    .or_else(|_| c.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{c:?} is not a network such as \"203.0.113.0/24\""))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            allow,
            failures: Mutex::default(),
            recent: Mutex::default(),
        })
    }

    /// Whether a callback from `addr` may be looked at.
    pub fn admit(&self, addr: Option<IpAddr>) -> Result<(), Refusal> {
        let addr = addr.map(|a| a.to_canonical());
        if !self.allow.is_empty()
            && !addr.is_some_and(|a| self.allow.iter().any(|n| n.contains(&a)))
        {
            return Err(self.refused(addr, Refusal::NotAllowed));
        }
        let Some(addr) = addr.map(bucket) else {
            return Ok(());
        };
        let now = Instant::now();
        let over = match self.lock().get(&addr) {
            Some((n, since))
                if *n >= FAILURE_BUDGET && now.duration_since(*since) < FAILURE_WINDOW =>
            {
                Some(FAILURE_WINDOW - now.duration_since(*since))
            }
            _ => None,
        };
        match over {
            Some(left) => Err(self.refused(Some(addr), Refusal::OverBudget(left))),
            None => Ok(()),
        }
    }

    /// Counts a failed verification from `addr` against its budget.
    pub fn failed(&self, addr: Option<IpAddr>) {
        self.note(addr, "bad_signature");
        let Some(addr) = addr.map(bucket) else {
            return;
        };
        let now = Instant::now();
        let mut failures = self.lock();
        // Forget addresses whose window passed; past the cap, new addresses are not tracked
        // (the signature still refuses them), so the map cannot grow without bound.
        if failures.len() >= MAX_TRACKED && !failures.contains_key(&addr) {
            failures.retain(|_, (_, since)| now.duration_since(*since) < FAILURE_WINDOW);
            if failures.len() >= MAX_TRACKED {
                return;
            }
        }
        let entry = failures.entry(addr).or_insert((0, now));
        if now.duration_since(entry.1) >= FAILURE_WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (u32, Instant)>> {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl CallbackPerimeter {
    fn refused(&self, addr: Option<IpAddr>, r: Refusal) -> Refusal {
        let reason = match r {
            Refusal::NotAllowed => "not_allowed",
            Refusal::OverBudget(_) => "over_budget",
        };
        self.note(addr, reason);
        r
    }

    /// Counts a refusal and keeps it among the newest.
    fn note(&self, from: Option<IpAddr>, reason: &'static str) {
        metrics::counter!("nestcms_paytabs_callbacks_refused_total", "reason" => reason)
            .increment(1);
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if recent.len() >= RECENT {
            recent.pop_front();
        }
        recent.push_back(RefusedCallback {
            at: chrono::Utc::now(),
            from,
            reason,
        });
    }

    /// The newest refusals of this instance, newest first.
    pub fn recent(&self) -> Vec<RefusedCallback> {
        self.recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .rev()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_kept_newest_first_and_bounded() {
        let p = CallbackPerimeter::new(&["203.0.113.0/24".into()]).unwrap();
        let stranger: Option<IpAddr> = "198.51.100.7".parse().ok();
        assert!(p.admit(stranger).is_err());
        p.failed("203.0.113.9".parse().ok());
        let seen = p.recent();
        assert_eq!(seen.len(), 2);
        assert_eq!(
            (seen[0].reason, seen[1].reason),
            ("bad_signature", "not_allowed")
        );
        assert_eq!(seen[1].from, stranger);
        for _ in 0..(RECENT + 5) {
            p.failed(None);
        }
        assert_eq!(p.recent().len(), RECENT);
    }

    #[test]
    fn the_allowlist_admits_its_networks_only_and_empty_admits_all() {
        let p = CallbackPerimeter::new(&["203.0.113.0/24".into(), "2001:db8::1".into()]).unwrap();
        assert_eq!(p.admit("203.0.113.9".parse().ok()), Ok(()));
        assert_eq!(p.admit("2001:db8::1".parse().ok()), Ok(()));
        assert_eq!(
            p.admit("198.51.100.1".parse().ok()),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(p.admit(None), Err(Refusal::NotAllowed));
        assert_eq!(
            CallbackPerimeter::default().admit("198.51.100.1".parse().ok()),
            Ok(())
        );
        assert!(CallbackPerimeter::new(&["not-a-network".into()]).is_err());
    }

    #[test]
    fn an_address_that_keeps_failing_is_refused_until_its_window_passes() {
        let p = CallbackPerimeter::default();
        let addr = "198.51.100.7".parse().ok();
        for _ in 0..FAILURE_BUDGET {
            assert_eq!(p.admit(addr), Ok(()));
            p.failed(addr);
        }
        assert!(matches!(p.admit(addr), Err(Refusal::OverBudget(_))));
        assert_eq!(
            p.admit("198.51.100.8".parse().ok()),
            Ok(()),
            "others are unaffected"
        );
    }
}
