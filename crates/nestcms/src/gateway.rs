//! Building the payment gateway: PayTabs when configured, else the built-in simulator.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use nestcms_paytabs::{Client, ClientConfig, Region};
use nestcms_paytabs_adapter::PayTabs;
use nestcms_paytabs_sim::{Faults, SimConfig, Simulator};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::config::Config;

/// Where the simulator is mounted when it stands in for PayTabs.
pub const SIM_PREFIX: &str = "/sim/paytabs";

/// The gateway adapter, the simulator to mount when it stands in for PayTabs, and the origin
/// of the gateway's pages (where the Pay button sends the browser).
pub fn build(
    config: &Config,
    public_base_url: &str,
) -> anyhow::Result<(PayTabs, Option<Arc<Simulator>>, String)> {
    let p = &config.paytabs;
    let (base_url, profile_id, key, sim) = match &p.server_key {
        Some(key) => {
            let region: Region = p.region.parse().map_err(anyhow::Error::msg)?;
            let base = p
                .base_url
                .clone()
                .unwrap_or_else(|| region.base_url().to_owned());
            (base, p.profile_id.unwrap_or_default(), key.clone(), None)
        }
        None => {
            let mut bytes = [0u8; 16];
            rand::rng().fill_bytes(&mut bytes);
            let key = format!(
                "SSIM{}",
                bytes.iter().map(|b| format!("{b:02X}")).collect::<String>()
            );
            let public = format!("{public_base_url}{SIM_PREFIX}");
            let sim = Arc::new(Simulator::new(SimConfig {
                profile_id: 1,
                server_key: key.clone(),
                client_key: "CSIMULATOR".into(),
                public_url: public.clone(),
                duplicate_window: Duration::from_secs(120),
                ipn_retry_step: Duration::from_secs(1),
                faults: Faults {
                    drop_ipns: p.simulator_drop_ipns,
                    ..Faults::default()
                },
            }));
            tracing::warn!(simulator = %public, "no paytabs.server_key: payments go to the built-in PayTabs SANDBOX simulator; no real payment is made");
            (public, 1, SecretString::from(key), Some(sim))
        }
    };
    let base: url::Url = base_url.parse().context("paytabs.base_url: not a URL")?;
    let origin = base.origin().ascii_serialization();
    let client = Client::new(ClientConfig {
        base_url: base,
        profile_id,
        server_key: SecretString::from(key.expose_secret().to_owned()),
        timeout: p.timeout,
    })?;
    let gateway = PayTabs {
        client,
        server_key: key,
        callback_url: format!("{public_base_url}/api/v1/webhooks/paytabs"),
        return_url: format!("{public_base_url}/api/v1/payments/return/paytabs"),
    };
    Ok((gateway, sim, origin))
}

/// The simulator's routes as mounted at [`SIM_PREFIX`]. They sit outside the API's middleware
/// (the simulator plays a remote party), so they get their own server span, continuing the
/// `traceparent` our PayTabs client sent: a trace shows both sides of a simulated call.
pub fn sim_router(sim: Arc<Simulator>) -> axum::Router {
    nestcms_paytabs_sim::router(sim).layer(axum::middleware::from_fn(sim_span))
}

async fn sim_span(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument;
    let span = tracing::info_span!(
        "simulator",
        otel.name = format!("{} {SIM_PREFIX}{}", req.method(), req.uri().path()),
        otel.kind = "server",
    );
    nestcms_telemetry::adopt_parent(&span, req.headers());
    next.run(req).instrument(span).await
}
