//! `nestcms paytabs-sim`: the PayTabs simulator as its own server.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use nestcms_paytabs_sim::{Faults, SimConfig, Simulator, router};

use crate::cli::SimArgs;
use crate::startup::shutdown_signal;

/// Serves the simulator until SIGTERM/SIGINT.
pub async fn run(a: SimArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&a.error_rate),
        "--error-rate: expected a number from 0.0 to 1.0"
    );
    anyhow::ensure!(
        (0.0..=1.0).contains(&a.timeout_rate),
        "--timeout-rate: expected a number from 0.0 to 1.0"
    );
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .with_context(|| format!("--listen: cannot listen on {}", a.listen))?;
    let addr = listener.local_addr()?;
    let public_url = a.public_url.unwrap_or_else(|| format!("http://{addr}"));
    let sim = Arc::new(Simulator::new(SimConfig {
        profile_id: a.profile_id,
        server_key: a.server_key,
        client_key: a.client_key,
        public_url: public_url.clone(),
        duplicate_window: Duration::from_secs(a.duplicate_window),
        ipn_retry_step: Duration::from_secs(1),
        faults: Faults {
            latency: Duration::from_millis(a.latency_ms),
            error_rate: a.error_rate,
            drop_ipns: a.drop_ipns,
            burst_5xx: a.burst_5xx,
            timeout_rate: a.timeout_rate,
            decline_refunds: a.decline_refunds,
        },
    }));
    tracing::warn!(listen = %addr, "PayTabs SANDBOX simulator on {public_url}: no real payment is made");
    axum::serve(listener, router(sim))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}
