//! Supervision of background work (the reconciler, the broker relay, later consumers).
//!
//! A bare `tokio::spawn` loses a task that panics or returns: the service keeps answering with
//! no reconciler and nobody is told. Here every task runs under a [`Supervisor`]: a failure
//! (an error, a panic, or an unexpected return) is logged, counted in
//! `nestcms_background_failures_total{task}` and the task restarted after an exponential
//! backoff; [`TaskHealth`] reports a task that failed several times in a row so readiness can
//! say so; shutdown cancels every task and waits for them, in the reverse order of start.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Consecutive failures after which a task is reported as failing.
pub const FAILING_AFTER: u32 = 3;

/// A future a task body returns.
pub type TaskFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A running task's handle on its supervisor: when to stop, and how to report a good round.
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
        self.lock()
            .iter()
            .filter(|(_, s)| s.consecutive_failures >= FAILING_AFTER)
            .map(|(name, s)| (*name, s.last_error.clone().unwrap_or_default()))
            .collect()
    }

    /// One task's status.
    pub fn status(&self, name: &str) -> Option<TaskStatus> {
        self.lock().get(name).cloned()
    }

    fn update(&self, name: &'static str, f: impl FnOnce(&mut TaskStatus)) {
        f(self.lock().entry(name).or_default());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, TaskStatus>> {
        // A poisoned map only means a panic mid-update of plain counters: keep using it.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Runs tasks, restarts the ones that fail, and stops them all in order.
pub struct Supervisor {
    tasks: Vec<(&'static str, watch::Sender<bool>, JoinHandle<()>)>,
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
        let handle = tokio::spawn(async move {
            let mut backoff = first;
            health.update(name, |_| {});
            loop {
                // Its own task, so a panic is caught as a JoinError instead of unwinding here.
                let run = tokio::spawn(body(stop.clone()));
                let outcome = match run.await {
                    Ok(Ok(())) if stop.is_stopped() => return,
                    Ok(Ok(())) => "returned before shutdown".to_owned(),
                    Ok(Err(e)) => e,
                    Err(e) if e.is_panic() => "panicked".to_owned(),
                    Err(e) => e.to_string(),
                };
                metrics::counter!("nestcms_background_failures_total", "task" => name).increment(1);
                health.update(name, |s| {
                    s.consecutive_failures += 1;
                    s.last_error = Some(outcome.clone());
                });
                tracing::error!(task = name, error = %outcome, retry_in_ms = backoff.as_millis() as u64, "background task failed; restarting");
                tokio::select! {
                    () = stop.clone().stopped() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(max);
            }
        });
        self.tasks.push((name, signal, handle));
    }

    /// Stops every task, last started first (a consumer stops before what feeds it), waiting
    /// for each for at most `grace` before aborting it.
    pub async fn shutdown(mut self, grace: Duration) {
        while let Some((name, signal, mut handle)) = self.tasks.pop() {
            let _ = signal.send(true);
            if tokio::time::timeout(grace, &mut handle).await.is_err() {
                tracing::warn!(
                    task = name,
                    "background task did not stop in time; aborting it"
                );
                handle.abort();
            }
        }
    }
}

#[cfg(test)]
mod tests;
