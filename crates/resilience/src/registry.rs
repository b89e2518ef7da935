//! Every breaker of the process by name: for operators (list, reset), metrics and listeners.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use crate::breaker::{Breaker, BreakerConfig, Snapshot, Transition};
use crate::clock::{Clock, SystemClock};

/// The breakers of this process.
pub struct Registry {
    breakers: Mutex<BTreeMap<String, Arc<Breaker>>>,
    events: broadcast::Sender<Transition>,
    clock: Arc<dyn Clock>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }
}

impl Registry {
    /// A registry whose breakers read `clock` (tests pass a manual one).
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            breakers: Mutex::default(),
            events: broadcast::channel(64).0,
            clock,
        }
    }

    /// The breaker called `name`, created with `config` the first time.
    pub fn breaker(&self, name: &str, config: BreakerConfig) -> Arc<Breaker> {
        let mut all = self.lock();
        if let Some(b) = all.get(name) {
            return Arc::clone(b);
        }
        let events = self.events.clone();
        let b = Arc::new(Breaker::new(
            name,
            config,
            Arc::clone(&self.clock),
            Box::new(move |t: Transition| {
                tracing::warn!(breaker = %t.breaker, from = ?t.from, to = ?t.to, "circuit breaker changed state");
                metrics::counter!("nestcms_breaker_transitions_total", "breaker" => t.breaker.clone(), "to" => format!("{:?}", t.to).to_lowercase()).increment(1);
                metrics::gauge!("nestcms_breaker_state", "breaker" => t.breaker.clone())
                    .set(t.to.gauge());
                let _ = events.send(t);
            }),
        ));
        metrics::gauge!("nestcms_breaker_state", "breaker" => name.to_owned()).set(0.0);
        all.insert(name.to_owned(), Arc::clone(&b));
        b
    }

    /// Every breaker, by name.
    pub fn snapshot(&self) -> Vec<Snapshot> {
        self.lock().values().map(|b| b.snapshot()).collect()
    }

    /// Closes one breaker; false when there is none by that name.
    pub fn reset(&self, name: &str) -> bool {
        match self.lock().get(name) {
            Some(b) => {
                b.reset();
                true
            }
            None => false,
        }
    }

    /// State changes as they happen.
    pub fn subscribe(&self) -> broadcast::Receiver<Transition> {
        self.events.subscribe()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<Breaker>>> {
        self.breakers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
