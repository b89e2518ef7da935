//! The relay: drains the outbox (and this process's breaker state changes) into the broker,
//! through the broker's own circuit breaker, with a jittered, growing pause after failures.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use nestcms_domain::payments::ports::EventOutbox;
use nestcms_resilience::{Breaker, BreakerConfig, CallError, RetryPolicy, Transition, full_jitter};
use secrecy::SecretString;
use tokio::sync::broadcast;

use crate::{BATCH, Broker, BusError, Topology};

/// Breaker state changes kept while the broker cannot take them; older ones are dropped first
/// (they are also in the log and the metrics).
/// Seconds from an event being recorded to the broker confirming it, per event.
pub const RELAY_LAG: &str = "nestcms_relay_lag_seconds";
const PENDING_CHANGES: usize = 256;

/// How the relay waits after failed rounds: full jitter from half a second up to five, so a
/// returning broker is found within seconds and a fleet of relays does not reconnect in step.
const RELAY_BACKOFF: RetryPolicy = RetryPolicy {
    attempts: u32::MAX,
    base: Duration::from_millis(500),
    max: Duration::from_secs(5),
    deadline: Duration::MAX,
};

/// The breaker for the broker. The relay is its only caller and calls it only with events to
/// publish, a few times a second at most, so the window is short and small: three failures
/// among the last six calls open it.
pub fn breaker_config() -> BreakerConfig {
    BreakerConfig {
        window: Duration::from_secs(10),
        window_calls: 6,
        min_calls: 3,
        timeout: Duration::from_secs(10),
        slow_call: Duration::from_secs(5),
        open_for: Duration::from_secs(5),
        probes: 1,
        ..BreakerConfig::default()
    }
}

/// Drains the outbox into the broker until `stop` resolves: after every wake-up (an in-process
/// event was recorded) and at least once a second. Every connection and batch goes through
/// `breaker` (a hung broker costs one timeout, then rounds are refused until it may be tried
/// again); after a failed round the relay waits a jittered, growing pause and reconnects.
/// `report` hears how each round went (events wait in the outbox while rounds fail). State
/// changes heard on `changes` are published too (`breaker.<name>`).
#[allow(clippy::too_many_arguments)]
pub async fn relay<W: Clone>(
    url: SecretString,
    topology: Arc<Topology>,
    outbox: Arc<dyn EventOutbox>,
    breaker: Arc<Breaker>,
    mut wake: broadcast::Receiver<W>,
    mut changes: broadcast::Receiver<Transition>,
    stop: impl std::future::Future<Output = ()>,
    report: impl Fn(Result<(), String>),
) {
    tokio::pin!(stop);
    let mut broker: Option<Broker> = None;
    let mut failed_rounds = 0_u32;
    let mut pending = VecDeque::new();
    let mut listening = true;
    loop {
        let pause = match round(
            &url,
            &topology,
            &mut broker,
            outbox.as_ref(),
            &breaker,
            &mut pending,
        )
        .await
        {
            Ok(()) => {
                failed_rounds = 0;
                report(Ok(()));
                Duration::from_secs(1)
            }
            Err(why) => {
                failed_rounds = failed_rounds.saturating_add(1);
                tracing::warn!(error = %why, "event relay round failed; events wait in the outbox");
                report(Err(why));
                let floor = breaker.refuses().unwrap_or_default();
                full_jitter(RELAY_BACKOFF, failed_rounds).max(floor)
            }
        };
        let until = tokio::time::Instant::now() + pause;
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = wake.recv(), if failed_rounds == 0 => break,
                change = changes.recv(), if listening => match change {
                    Ok(t) => {
                        if pending.len() == PENDING_CHANGES {
                            pending.pop_front();
                        }
                        pending.push_back(t);
                        // After failures the pause is kept: a change is no reason to hammer.
                        if failed_rounds == 0 {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => listening = false,
                },
                () = tokio::time::sleep_until(until) => break,
            }
        }
    }
}

/// One round: publishes batches until the outbox is empty, connecting when there is something
/// to publish and no live connection. Only the broker's part (connecting, publishing with
/// confirms) goes through the breaker: an idle round touches nothing and proves nothing, and
/// an outbox (database) failure is not the broker's.
async fn round(
    url: &SecretString,
    topology: &Topology,
    broker: &mut Option<Broker>,
    outbox: &dyn EventOutbox,
    breaker: &Breaker,
    pending: &mut VecDeque<Transition>,
) -> Result<(), String> {
    loop {
        let batch = outbox
            .undelivered(BATCH)
            .await
            .map_err(|e| format!("outbox: {e}"))?;
        if batch.is_empty() && pending.is_empty() {
            return Ok(());
        }
        let b = match broker.take() {
            Some(b) if b.is_connected() => b,
            _ => breaker
                .call(|| Broker::connect(url, topology), |_| true)
                .await
                .map_err(|e| format!("cannot reach the message broker: {}", describe(e)))?,
        };
        if !batch.is_empty() {
            breaker
                .call(|| b.publish_all(&batch), |_| true)
                .await
                .map_err(|e| format!("event relay interrupted: {}", describe(e)))?;
        }
        if !pending.is_empty() {
            let changes = pending.make_contiguous();
            breaker
                .call(|| b.publish_changes(changes), |_| true)
                .await
                .map_err(|e| format!("breaker changes not relayed: {}", describe(e)))?;
            pending.clear();
        }
        *broker = Some(b);
        if !batch.is_empty() {
            let ids: Vec<_> = batch.iter().map(|e| e.id).collect();
            let now = Utc::now();
            outbox
                .delivered(&ids, now)
                .await
                .map_err(|e| format!("outbox: {e}"))?;
            for e in &batch {
                let lag = (now - e.at).to_std().unwrap_or_default();
                metrics::histogram!(RELAY_LAG).record(lag.as_secs_f64());
            }
        }
        if batch.len() < BATCH as usize {
            return Ok(());
        }
    }
}

fn describe(e: CallError<BusError>) -> String {
    match e {
        CallError::Open { retry_after } => format!(
            "circuit open, next attempt in {} ms",
            retry_after.as_millis()
        ),
        CallError::Timeout => "timed out".to_owned(),
        CallError::Failed(e) => e.to_string(),
    }
}
