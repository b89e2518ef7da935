//! Starting each event consumer the way the deployment feeds it: in the embedded mode a loop
//! of polling rounds over the logs (woken at once by what this instance records); with
//! `bus.url`, the consumer's own queue on the broker, acknowledged per event, with a
//! dead-letter queue after `bus.attempts` failures.

use std::sync::Arc;
use std::time::Duration;

use nestcms_app::background::{Consumer, Supervisor, subscriptions};
use nestcms_bus::{Subscription, Topology};
use std::future::Future;

use nestcms_domain::PortError;
use nestcms_domain::events::Scan;
use secrecy::SecretString;
use tokio::sync::broadcast;

use crate::config::BusSettings;

/// How many events a polling round reads at a time.
const ROUND_BATCH: u32 = 100;

/// How consumers get their events.
#[derive(Clone)]
pub(crate) enum Feed {
    /// Polling the logs.
    Rounds,
    /// From the broker.
    Broker {
        url: SecretString,
        topology: Arc<Topology>,
        prefetch: u16,
        sweep: Duration,
    },
}

impl Feed {
    /// The broker when `[bus]` names one, else polling.
    pub(crate) fn from(bus: &BusSettings) -> Self {
        match &bus.url {
            Some(url) => Self::Broker {
                url: url.clone(),
                topology: Arc::new(topology(bus)),
                prefetch: bus.prefetch,
                sweep: bus.sweep_interval,
            },
            None => Self::Rounds,
        }
    }
}

/// The exchange and every consumer's queue, as `[bus]` names them.
pub(crate) fn topology(bus: &BusSettings) -> Topology {
    Topology {
        namespace: bus.namespace.clone(),
        attempts: bus.attempts,
        queue_expiry: bus.queue_expiry,
        queues: subscriptions()
            .into_iter()
            .map(|(name, topics)| Subscription {
                name: name.to_owned(),
                topics,
            })
            .collect(),
    }
}

/// Starts `consumer` under `supervisor`: polling every `every` (and when `wake` hears of
/// something recorded here), or reading its queue plus a sweep of the logs every
/// `bus.sweep_interval`, which handles what the queue could not (events dead-lettered while
/// the database was away, events recorded before an upgrade), within the rounds' look-back.
pub(crate) fn spawn<W, S>(
    supervisor: &mut Supervisor,
    feed: &Feed,
    consumer: Arc<dyn Consumer>,
    every: Duration,
    wake: S,
) where
    W: Clone + Send + 'static,
    S: Fn() -> Option<broadcast::Receiver<W>> + Send + Sync + 'static,
{
    let name = consumer.name();
    match feed.clone() {
        Feed::Rounds => supervisor.spawn_rounds(name, every, wake, rounds(consumer)),
        Feed::Broker {
            url,
            topology,
            prefetch,
            sweep,
        } => {
            // Task names are static; this one is made once per consumer at start-up.
            let swept: &'static str = Box::leak(format!("{name}.sweep").into_boxed_str());
            let no_wake = || None::<broadcast::Receiver<()>>;
            supervisor.spawn_rounds(swept, sweep, no_wake, rounds(Arc::clone(&consumer)));
            spawn_queue(supervisor, (url, topology, prefetch), consumer);
        }
    }
}

/// One polling round of `c`.
fn rounds(
    c: Arc<dyn Consumer>,
) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<usize, PortError>> + Send>>
+ Clone
+ Send
+ Sync
+ 'static {
    move || {
        let c = Arc::clone(&c);
        Box::pin(async move { c.pass(Scan::Oldest(ROUND_BATCH)).await })
    }
}

/// The consumer reading its queue on the broker.
fn spawn_queue(
    supervisor: &mut Supervisor,
    (url, topology, prefetch): (SecretString, Arc<Topology>, u16),
    consumer: Arc<dyn Consumer>,
) {
    let name = consumer.name();
    supervisor.spawn(name, move |stop| {
        let c = Arc::clone(&consumer);
        let handle = move |id| {
            let c = Arc::clone(&c);
            async move {
                c.pass(Scan::One(id))
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        };
        let report = stop.reporter();
        let run = nestcms_bus::consume(
            url.clone(),
            Arc::clone(&topology),
            name.to_owned(),
            prefetch,
            handle,
            stop.stopped(),
            report,
        );
        Box::pin(async move {
            run.await;
            Ok(())
        })
    });
}
