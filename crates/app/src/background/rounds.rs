//! The loop every consumer and sender runs: a round now, then one per period and one whenever
//! this instance records something it should act on, until shutdown; each round's result
//! goes to the task's health.

use std::future::Future;
use std::time::Duration;

use nestcms_domain::PortError;
use tokio::sync::broadcast;

/// Runs `round` until `stop` completes: at once, every `every` (for work recorded on other
/// instances), and when `wake` says something was recorded here. A failed round is logged
/// under `what`, reported, and tried again at the next wake-up.
pub async fn rounds<W: Clone, Fut>(
    what: &'static str,
    every: Duration,
    mut wake: Option<broadcast::Receiver<W>>,
    stop: impl Future<Output = ()>,
    report: impl Fn(Result<(), String>),
    mut round: impl FnMut() -> Fut,
) where
    Fut: Future<Output = Result<usize, PortError>>,
{
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first round runs now; the first tick is one period away.
    tick.reset();
    tokio::pin!(stop);
    loop {
        // One round reads everything recorded so far: the wake-ups already queued add nothing.
        while let Some(w) = wake.as_mut() {
            match w.try_recv() {
                Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) => {}
                Err(broadcast::error::TryRecvError::Empty) => break,
                Err(broadcast::error::TryRecvError::Closed) => wake = None,
            }
        }
        match round().await {
            Ok(0) => report(Ok(())),
            Ok(n) => {
                tracing::debug!(task = what, handled = n, "round done");
                report(Ok(()));
            }
            Err(e) => {
                tracing::warn!(task = what, error = %e, "round failed; will retry");
                report(Err(e.to_string()));
            }
        }
        let woken = async {
            match wake.as_mut() {
                // A lagged receiver only means several came at once: one round reads them all.
                Some(w) => !matches!(w.recv().await, Err(broadcast::error::RecvError::Closed)),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = &mut stop => return,
            _ = tick.tick() => {}
            open = woken => if !open { wake = None },
        }
    }
}
