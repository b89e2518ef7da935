//! Starting outgoing webhooks: the HTTP transport `[webhooks]` describes, and the two
//! background tasks (events into messages, messages to receivers).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use nestcms_app::background::Supervisor;
use nestcms_app::payments::Payments;
use nestcms_app::webhooks::delivery::{Fanout, Sender};
use nestcms_domain::webhooks::ports::WebhookTransport;
use nestcms_store::Store;

use crate::config::WebhookSettings;
use crate::consumers::{self, Feed};
use crate::notifications::{LEASE_MARGIN, no_wake};

/// How often events recorded on other instances are looked for (those recorded here wake the
/// fan-out at once).
const FANOUT_EVERY: Duration = Duration::from_secs(2);

/// How often due messages are looked for.
const SEND_EVERY: Duration = Duration::from_secs(1);

/// The transport `[webhooks]` describes.
pub fn transport(s: &WebhookSettings) -> anyhow::Result<Arc<dyn WebhookTransport>> {
    let t = nestcms_webhooks::HttpTransport::new(s.timeout, s.allow_private_networks)
        .context("webhooks: building the HTTP client")?;
    if s.allow_private_networks {
        tracing::warn!(
            "webhooks.allow_private_networks is on: endpoints may reach this host and its private network"
        );
    }
    Ok(Arc::new(t))
}

/// Spawns the fan-out and the sender under `supervisor`.
pub(crate) fn spawn(
    supervisor: &mut Supervisor,
    store: &Arc<Store>,
    payments: &Payments,
    transport: Arc<dyn WebhookTransport>,
    s: &WebhookSettings,
    feed: &Feed,
) {
    let fanout = Arc::new(Fanout::new(store.clone(), store.clone()));
    let p = payments.clone();
    let wake = move || Some(p.subscribe());
    consumers::spawn(supervisor, feed, fanout, FANOUT_EVERY, wake);
    // A claim outlives the longest attempt.
    let lease = s.timeout + LEASE_MARGIN.min(s.timeout);
    let sender = Sender::new(store.clone(), transport, s.schedule(), lease);
    supervisor.spawn_rounds("webhook-sender", SEND_EVERY, no_wake, move || {
        let s = sender.clone();
        async move { s.round().await }
    });
}
