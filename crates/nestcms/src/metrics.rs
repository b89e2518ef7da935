//! The Prometheus recorder behind `GET /metrics`.
//!
//! The `metrics` facade has one recorder per process, so it is installed once; every service
//! started in this process (the tests start many) renders the same registry.

use std::sync::{Arc, OnceLock};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use nestcms_http::state::Metrics;
use secrecy::SecretString;

mod catalogue;

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Request latency buckets, in seconds: from a cached read to the request deadline.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The endpoint's state when a token is configured (and the recorder could be installed).
pub fn endpoint(token: Option<&SecretString>) -> Option<Metrics> {
    let token = token?.clone();
    let handle = RECORDER
        .get_or_init(|| match PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(nestcms_http::observe::DURATION.to_owned()),
                LATENCY_BUCKETS,
            )
            .and_then(PrometheusBuilder::install_recorder)
        {
            Ok(h) => {
                catalogue::describe();
                Some(h)
            }
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
