//! The Prometheus recorder behind `GET /metrics`.
//!
//! The `metrics` facade has one recorder per process, so it is installed once; every service
//! started in this process (the tests start many) renders the same registry.

use std::sync::{Arc, OnceLock};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use nestcms_http::state::Metrics;
use secrecy::SecretString;

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The endpoint's state when a token is configured (and the recorder could be installed).
pub fn endpoint(token: Option<&SecretString>) -> Option<Metrics> {
    let token = token?.clone();
    let handle = RECORDER
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(h) => Some(h),
            Err(e) => {
                tracing::warn!(error = %e, "metrics recorder not installed; /metrics stays off");
                None
            }
        })
        .clone()?;
    Some(Metrics {
        token,
        render: Arc::new(move || handle.render()),
    })
}
