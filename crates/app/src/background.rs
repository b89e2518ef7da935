//! Supervision of background work (the reconciler, the broker relay, later consumers).
//!
//! A bare `tokio::spawn` loses a task that panics or returns: the service keeps answering with
//! no reconciler and nobody is told. Here every task runs under a [`Supervisor`]: a failure
//! (an error, a panic, or an unexpected return) is logged, counted in
//! `nestcms_background_failures_total{task}` and the task restarted after an exponential
//! backoff (which starts over after a run that lasted). A task that carries on by itself
//! reports a failed round with [`Stop::failed`] and a good one with [`Stop::ok`].
//! [`TaskHealth`] lists a task that failed several times in a row, which readiness shows.
//! Shutdown stops every task within one grace period, in the reverse order of start, and
//! aborts what outlives it (the current run included).

mod consumer;
mod rounds;

pub(crate) use consumer::Tally;
pub use consumer::{Consumer, PAYMENT_TOPICS, SECURITY_TOPICS, domain_topics};
pub use rounds::rounds;

/// Every consumer of events, by the name its marks carry.
pub const CONSUMERS: &[&str] = &[
    crate::notify::RECEIPTS,
    crate::notify::PAYMENT_LINKS,
    crate::notify::PROMPTS,
    crate::notify::SECURITY_NOTICES,
    crate::webhooks::delivery::CONSUMER,
    crate::webhooks::delivery::DOMAIN_CONSUMER,
    crate::sagas::CONSUMER,
];

/// Every consumer the broker feeds at scale (one queue each), with the routing keys it reads.
pub fn subscriptions() -> Vec<(&'static str, Vec<String>)> {
    let topics = |t: &[&str]| t.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
    let mut webhooks = topics(PAYMENT_TOPICS);
    webhooks.extend(domain_topics());
    vec![
        (crate::notify::RECEIPTS, topics(PAYMENT_TOPICS)),
        (crate::notify::PAYMENT_LINKS, topics(PAYMENT_TOPICS)),
        (crate::notify::PROMPTS, domain_topics()),
        (crate::notify::SECURITY_NOTICES, topics(SECURITY_TOPICS)),
        (crate::webhooks::delivery::CONSUMER, webhooks),
        (crate::sagas::CONSUMER, topics(PAYMENT_TOPICS)),
    ]
}

/// `nestcms events replay`: makes `consumer` handle again every event from `since` on;
/// returns how many it will look at again.
pub async fn replay(
    log: &dyn nestcms_domain::events::ConsumerLog,
    consumer: &str,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<u64, nestcms_domain::DomainError> {
    if !CONSUMERS.contains(&consumer) {
        return Err(nestcms_domain::DomainError::invalid(
            "consumer",
            "unknown_consumer",
            format!("one of: {}", CONSUMERS.join(", ")),
        ));
    }
    let n = log.replay(consumer, since).await.map_err(crate::port)?;
    tracing::warn!(consumer, since = %since, events = n, "consumer replay requested");
    Ok(n)
}

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};

/// Consecutive failures after which a task is reported as failing.
pub const FAILING_AFTER: u32 = 3;

/// A future a task body returns.
pub type TaskFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A running task's handle on its supervisor: when to stop, and how to report its rounds.
#[derive(Clone)]
pub struct Stop {
    signal: watch::Receiver<bool>,
    health: Arc<TaskHealth>,
    name: &'static str,
}

impl Stop {
    /// Completes once shutdown has been requested.
    pub async fn stopped(mut self) {
        let _ = self.signal.wait_for(|stop| *stop).await;
    }

    /// Whether shutdown has been requested.
    pub fn is_stopped(&self) -> bool {
        *self.signal.borrow()
    }

    /// Records a round that went well: the task is no longer reported as failing.
    pub fn ok(&self) {
        self.health
            .update(self.name, |s| s.consecutive_failures = 0);
    }

    /// The report a task that carries on by itself gives after each round: a good one with
    /// [`Stop::ok`], a failed one with [`Stop::failed`].
    pub fn reporter(&self) -> impl Fn(Result<(), String>) + Send + use<> {
        let stop = self.clone();
        move |round| match round {
            Ok(()) => stop.ok(),
            Err(why) => stop.failed(&why),
        }
    }

    /// Records a failed round of a task that carries on by itself (a loop that logs and tries
    /// again next round): counted and reported like a restart, without one.
    pub fn failed(&self, why: &str) {
        self.health.failure(self.name, why);
    }
}

/// What readiness needs to know about one task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskStatus {
    /// Failures since the last time it ran without failing.
    pub consecutive_failures: u32,
    /// The last failure, in words.
    pub last_error: Option<String>,
}

/// The state of every supervised task, shared with the readiness probe.
#[derive(Debug, Default)]
pub struct TaskHealth(Mutex<BTreeMap<&'static str, TaskStatus>>);

impl TaskHealth {
    /// Tasks that failed [`FAILING_AFTER`] times or more in a row, with their last error.
    pub fn failing(&self) -> Vec<(&'static str, String)> {
        lock(&self.0)
            .iter()
            .filter(|(_, s)| s.consecutive_failures >= FAILING_AFTER)
            .map(|(name, s)| (*name, s.last_error.clone().unwrap_or_default()))
            .collect()
    }

    /// Every task that has reported, by name.
    pub fn all(&self) -> Vec<(&'static str, TaskStatus)> {
        lock(&self.0).iter().map(|(n, s)| (*n, s.clone())).collect()
    }

    /// One task's status.
    pub fn status(&self, name: &str) -> Option<TaskStatus> {
        lock(&self.0).get(name).cloned()
    }

    fn update(&self, name: &'static str, f: impl FnOnce(&mut TaskStatus)) {
        f(lock(&self.0).entry(name).or_default());
    }

    fn failure(&self, name: &'static str, why: &str) {
        metrics::counter!("nestcms_background_failures_total", "task" => name).increment(1);
        self.update(name, |s| {
            s.consecutive_failures += 1;
            s.last_error = Some(why.to_owned());
        });
    }
}

/// One supervised task: its stop signal, the supervising loop, and its current run.
struct Entry {
    name: &'static str,
    signal: watch::Sender<bool>,
    supervising: JoinHandle<()>,
    current: Arc<Mutex<Option<AbortHandle>>>,
}

/// Runs tasks, restarts the ones that fail, and stops them all in order.
pub struct Supervisor {
    tasks: Vec<Entry>,
    health: Arc<TaskHealth>,
    first_backoff: Duration,
    max_backoff: Duration,
}

impl Supervisor {
    /// A supervisor reporting into `health`, restarting after 1 s, doubling up to 60 s.
    pub fn new(health: Arc<TaskHealth>) -> Self {
        Self::with_backoff(health, Duration::from_secs(1), Duration::from_secs(60))
    }

    /// As [`Supervisor::new`] with explicit backoff bounds (tests use short ones).
    pub fn with_backoff(health: Arc<TaskHealth>, first: Duration, max: Duration) -> Self {
        Self {
            tasks: Vec::new(),
            health,
            first_backoff: first,
            max_backoff: max,
        }
    }

    /// Starts a task that runs `round` by [`rounds`]: now, every `every`, and whenever the
    /// receiver `wake` gives (a fresh one for every restart) says something was recorded on
    /// this instance. `round` makes each round's future (cloning what it needs into it).
    pub fn spawn_rounds<W, S, R, Fut>(
        &mut self,
        name: &'static str,
        every: Duration,
        wake: S,
        round: R,
    ) where
        W: Clone + Send + 'static,
        S: Fn() -> Option<tokio::sync::broadcast::Receiver<W>> + Send + Sync + 'static,
        R: Fn() -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<usize, nestcms_domain::PortError>> + Send + 'static,
    {
        self.spawn(name, move |stop| {
            let (round, wake) = (round.clone(), wake());
            let report = stop.reporter();
            Box::pin(async move {
                rounds(name, every, wake, stop.stopped(), report, round).await;
                Ok(())
            })
        });
    }

    /// Starts `body` under supervision; `body` is called again for every restart.
    pub fn spawn<F>(&mut self, name: &'static str, body: F)
    where
        F: Fn(Stop) -> TaskFuture + Send + Sync + 'static,
    {
        let health = Arc::clone(&self.health);
        let (signal, receiver) = watch::channel(false);
        let stop = Stop {
            signal: receiver,
            health: Arc::clone(&health),
            name,
        };
        let (first, max) = (self.first_backoff, self.max_backoff);
        let current: Arc<Mutex<Option<AbortHandle>>> = Arc::default();
        let slot = Arc::clone(&current);
        let supervising = tokio::spawn(async move {
            let mut backoff = first;
            health.update(name, |_| {});
            loop {
                let started = tokio::time::Instant::now();
                // Its own task, so a panic is caught as a JoinError instead of unwinding here.
                let run = tokio::spawn(body(stop.clone()));
                *lock(&slot) = Some(run.abort_handle());
                let outcome = match run.await {
                    Ok(Ok(())) if stop.is_stopped() => return,
                    Ok(Ok(())) => "returned before shutdown".to_owned(),
                    Ok(Err(e)) => e,
                    Err(e) if e.is_panic() => "panicked".to_owned(),
                    Err(e) => e.to_string(),
                };
                health.failure(name, &outcome);
                // A run that outlasted the longest backoff went well for a while: start over.
                if started.elapsed() > max {
                    backoff = first;
                }
                tracing::error!(task = name, error = %outcome, retry_in_ms = backoff.as_millis() as u64, "background task failed; restarting");
                tokio::select! {
                    () = stop.clone().stopped() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(max);
            }
        });
        self.tasks.push(Entry {
            name,
            signal,
            supervising,
            current,
        });
    }

    /// Stops every task, last started first (a consumer stops before what feeds it), all
    /// within `grace`; a task still running then is aborted, its current run included.
    pub async fn shutdown(mut self, grace: Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        while let Some(mut t) = self.tasks.pop() {
            let _ = t.signal.send(true);
            if tokio::time::timeout_at(deadline, &mut t.supervising)
                .await
                .is_err()
            {
                tracing::warn!(
                    task = t.name,
                    "background task did not stop in time; aborting it"
                );
                t.supervising.abort();
                if let Some(run) = lock(&t.current).take() {
                    run.abort();
                }
            }
        }
    }
}

/// A poisoned lock only means a panic elsewhere mid-update of plain data: keep using it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
