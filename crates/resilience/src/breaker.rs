//! A circuit breaker for plain async calls of any result type.
//!
//! Written here rather than taken from a crate: the calls it guards are sqlx, redis, reqwest
//! and lapin futures with different error types, not tower services, and the tower breaker
//! available counts a 100-call window that never opens for a small company's traffic.
//!
//! Closed: outcomes of the last `window` (time) and at most `window_calls` (count) are kept;
//! once at least `min_calls` are in and the share of failures or of slow calls reaches its
//! threshold, the breaker opens. Open: calls are refused at once until `open_for` has passed
//! since it opened (a refused call never moves that time: a breaker that re-stamps it on every
//! refusal never closes). Half-open: up to `probes` calls go through; all succeeding closes
//! it, one failing reopens it. A probe whose caller gives up (its future dropped) frees its
//! slot (a slot never freed leaves the breaker half-open forever).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::clock::Clock;
use crate::window::Window;

/// How a breaker decides.
#[derive(Debug, Clone)]
pub struct BreakerConfig {
    /// Outcomes older than this are forgotten.
    pub window: Duration,
    /// At most this many recent outcomes are considered.
    pub window_calls: usize,
    /// No decision before this many outcomes are in the window.
    pub min_calls: usize,
    /// Open when at least this share (percent) of the window failed.
    pub failure_percent: u8,
    /// A call slower than this counts as slow.
    pub slow_call: Duration,
    /// Open when at least this share (percent) of the window was slow.
    pub slow_percent: u8,
    /// How long to refuse calls once open.
    pub open_for: Duration,
    /// Calls let through while half-open; all must succeed to close.
    pub probes: u32,
    /// Each call is abandoned (and counted failed) after this; `Duration::MAX`: the caller
    /// bounds its calls itself and no timer is set.
    pub timeout: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(30),
            window_calls: 50,
            min_calls: 5,
            failure_percent: 50,
            slow_call: Duration::from_secs(5),
            slow_percent: 80,
            open_for: Duration::from_secs(15),
            probes: 2,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused.
    Open,
    /// A few probe calls go through.
    HalfOpen,
}

impl BreakerState {
    /// The wire name (as serialised).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::HalfOpen => "half_open",
            Self::Open => "open",
        }
    }

    /// The gauge value: 0 closed, 1 half-open, 2 open.
    pub const fn gauge(self) -> f64 {
        match self {
            Self::Closed => 0.0,
            Self::HalfOpen => 1.0,
            Self::Open => 2.0,
        }
    }
}

/// Why a guarded call did not produce its result.
#[derive(Debug)]
pub enum CallError<E> {
    /// Refused without calling: the breaker is open (or its probes are all taken).
    Open {
        /// When a call may be tried again.
        retry_after: Duration,
    },
    /// The call took longer than the breaker's timeout.
    Timeout,
    /// The call failed.
    Failed(E),
}

/// A state change, for logs, metrics and listeners (the broker relay publishes them).
#[derive(Debug, Clone, Serialize)]
pub struct Transition {
    /// The breaker.
    pub breaker: String,
    /// From.
    pub from: BreakerState,
    /// To.
    pub to: BreakerState,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: u64,
}

/// What an operator sees of a breaker.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// Name.
    pub name: String,
    /// State.
    pub state: BreakerState,
    /// Calls that succeeded, failed, timed out or were refused since start.
    pub successes: u64,
    /// See `successes`.
    pub failures: u64,
    /// See `successes`.
    pub refused: u64,
    /// Outcomes in the current window.
    pub window_calls: usize,
    /// Failures among them.
    pub window_failures: usize,
    /// The last failure, in words, and when (Unix milliseconds).
    pub last_failure: Option<(String, u64)>,
    /// When the last call succeeded (Unix milliseconds).
    pub last_success_at: Option<u64>,
    /// While open: milliseconds until calls are tried again.
    pub retry_in_ms: Option<u64>,
}

enum Phase {
    Closed,
    Open {
        until: Instant,
    },
    /// `round` tells this half-open period from earlier ones, so a slow probe of an earlier
    /// round finishing now counts for nothing.
    HalfOpen {
        round: u64,
        in_flight: u32,
        succeeded: u32,
    },
}

struct Inner {
    phase: Phase,
    window: Window,
    successes: u64,
    failures: u64,
    refused: u64,
    last_failure: Option<(String, u64)>,
    last_success_at: Option<u64>,
    rounds: u64,
}

/// One dependency's breaker.
pub struct Breaker {
    name: String,
    config: BreakerConfig,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
    on_change: Box<dyn Fn(Transition) + Send + Sync>,
}

/// Whether the call was admitted as a probe of a half-open round (and so owes that round its
/// slot back).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Permit {
    Normal,
    Probe(u64),
}

/// Frees a probe's slot if its caller goes away before the outcome is recorded.
struct ProbeGuard<'a> {
    breaker: &'a Breaker,
    permit: Permit,
    armed: bool,
}

impl Drop for ProbeGuard<'_> {
    fn drop(&mut self) {
        if let (true, Permit::Probe(mine)) = (self.armed, self.permit) {
            let mut inner = self.breaker.lock();
            if let Phase::HalfOpen {
                round, in_flight, ..
            } = &mut inner.phase
                && *round == mine
            {
                *in_flight = in_flight.saturating_sub(1);
            }
        }
    }
}

impl Breaker {
    /// A closed breaker; `on_change` hears every transition.
    pub fn new(
        name: impl Into<String>,
        config: BreakerConfig,
        clock: Arc<dyn Clock>,
        on_change: Box<dyn Fn(Transition) + Send + Sync>,
    ) -> Self {
        Self {
            name: name.into(),
            config,
            clock,
            inner: Mutex::new(Inner {
                phase: Phase::Closed,
                window: Window::default(),
                successes: 0,
                failures: 0,
                refused: 0,
                last_failure: None,
                last_success_at: None,
                rounds: 0,
            }),
            on_change,
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `call` through the breaker; `is_failure` says which errors count against the
    /// dependency (a refusal of bad input is not the dependency failing).
    pub async fn call<T, E, Fut>(
        &self,
        call: impl FnOnce() -> Fut,
        is_failure: impl Fn(&E) -> bool,
    ) -> Result<T, CallError<E>>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        let permit = self.admit()?;
        let mut guard = ProbeGuard {
            breaker: self,
            permit,
            armed: matches!(permit, Permit::Probe(_)),
        };
        let started = self.clock.now();
        let outcome = if self.config.timeout == Duration::MAX {
            // The caller bounds the call itself: no timer for it.
            Ok(call().await)
        } else {
            tokio::time::timeout(self.config.timeout, call()).await
        };
        let slow = self.clock.now().duration_since(started) >= self.config.slow_call;
        guard.armed = false;
        match outcome {
            Ok(Ok(v)) => {
                self.record(permit, true, slow, None);
                Ok(v)
            }
            Ok(Err(e)) if !is_failure(&e) => {
                self.record(permit, true, slow, None);
                Err(CallError::Failed(e))
            }
            Ok(Err(e)) => {
                self.record(permit, false, slow, Some("call failed"));
                Err(CallError::Failed(e))
            }
            Err(_) => {
                self.record(permit, false, true, Some("call timed out"));
                Err(CallError::Timeout)
            }
        }
    }

    fn admit<E>(&self) -> Result<Permit, CallError<E>> {
        let now = self.clock.now();
        let mut guard = self.lock();
        let inner = &mut *guard;
        if let Phase::Open { until } = inner.phase {
            if now < until {
                inner.refused += 1;
                return Err(CallError::Open {
                    retry_after: until - now,
                });
            }
            inner.rounds += 1;
            let round = inner.rounds;
            self.enter(
                inner,
                Phase::HalfOpen {
                    round,
                    in_flight: 0,
                    succeeded: 0,
                },
            );
        }
        let decision = match &mut inner.phase {
            Phase::Closed => Ok(Permit::Normal),
            Phase::HalfOpen {
                round,
                in_flight,
                succeeded,
            } if *in_flight + *succeeded < self.config.probes => {
                *in_flight += 1;
                Ok(Permit::Probe(*round))
            }
            // Every probe slot is taken: wait for their outcome.
            Phase::HalfOpen { .. } => Err(Duration::from_secs(1)),
            Phase::Open { .. } => Err(self.config.open_for),
        };
        decision.map_err(|retry_after| {
            inner.refused += 1;
            CallError::Open { retry_after }
        })
    }

    fn record(&self, permit: Permit, ok: bool, slow: bool, why: Option<&str>) {
        let now = self.clock.now();
        let mut guard = self.lock();
        let inner = &mut *guard;
        let wall = unix_ms();
        if ok {
            inner.successes += 1;
            inner.last_success_at = Some(wall);
        } else {
            inner.failures += 1;
            inner.last_failure = why.map(|w| (w.to_owned(), wall));
        }
        let reopen = Phase::Open {
            until: now + self.config.open_for,
        };
        let next = match (&mut inner.phase, permit) {
            (
                Phase::HalfOpen {
                    round, in_flight, ..
                },
                Permit::Probe(mine),
            ) if *round == mine && !ok => {
                *in_flight = in_flight.saturating_sub(1);
                Some(reopen)
            }
            (
                Phase::HalfOpen {
                    round,
                    in_flight,
                    succeeded,
                },
                Permit::Probe(mine),
            ) if *round == mine => {
                *in_flight = in_flight.saturating_sub(1);
                *succeeded += 1;
                (*succeeded >= self.config.probes).then_some(Phase::Closed)
            }
            (Phase::Closed, _) => {
                let c = &self.config;
                inner.window.push(now, ok, slow, c.window, c.window_calls);
                self.should_open(inner).then_some(reopen)
            }
            // A call admitted before the breaker opened, finishing late, changes nothing.
            _ => None,
        };
        if let Some(phase) = next {
            if matches!(phase, Phase::Closed) {
                inner.window.clear();
            }
            self.enter(inner, phase);
        }
    }

    fn should_open(&self, inner: &Inner) -> bool {
        let n = inner.window.len();
        if n < self.config.min_calls.max(1) {
            return false;
        }
        let (failed, slow) = (inner.window.failed(), inner.window.slow());
        failed * 100 >= n * usize::from(self.config.failure_percent)
            || slow * 100 >= n * usize::from(self.config.slow_percent)
    }

    fn enter(&self, inner: &mut Inner, to: Phase) {
        let from = state_of(&inner.phase);
        inner.phase = to;
        let to = state_of(&inner.phase);
        if from != to {
            (self.on_change)(Transition {
                breaker: self.name.clone(),
                from,
                to,
                at_ms: unix_ms(),
            });
        }
    }

    /// While open and not yet due for a probe: how long until it is (a caller can refuse work
    /// up front instead of starting what it could not finish).
    pub fn refuses(&self) -> Option<Duration> {
        let now = self.clock.now();
        match self.lock().phase {
            Phase::Open { until } if now < until => Some(until - now),
            _ => None,
        }
    }

    /// Closes the breaker and forgets its window (an operator's reset).
    pub fn reset(&self) {
        let mut inner = self.lock();
        inner.window.clear();
        self.enter(&mut inner, Phase::Closed);
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        state_of(&self.lock().phase)
    }

    /// What an operator sees.
    pub fn snapshot(&self) -> Snapshot {
        let now = self.clock.now();
        let inner = self.lock();
        Snapshot {
            name: self.name.clone(),
            state: state_of(&inner.phase),
            successes: inner.successes,
            failures: inner.failures,
            refused: inner.refused,
            window_calls: inner.window.len(),
            window_failures: inner.window.failed(),
            last_failure: inner.last_failure.clone(),
            last_success_at: inner.last_success_at,
            retry_in_ms: match inner.phase {
                Phase::Open { until } => Some(
                    u64::try_from(until.saturating_duration_since(now).as_millis())
                        .unwrap_or(u64::MAX),
                ),
                _ => None,
            },
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means a panic mid-update of counters: keep using them.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn state_of(p: &Phase) -> BreakerState {
    match p {
        Phase::Closed => BreakerState::Closed,
        Phase::Open { .. } => BreakerState::Open,
        Phase::HalfOpen { .. } => BreakerState::HalfOpen,
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
