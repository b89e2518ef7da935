//! The Prometheus recorder behind `GET /metrics`.
//!
//! The `metrics` facade has one recorder per process, so it is installed once; every service
//! started in this process (the tests start many) renders the same registry.

use std::sync::{Arc, OnceLock};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use nestcms_http::state::Metrics;
use secrecy::SecretString;

mod catalogue;
mod process;

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Request latency buckets, in seconds: from a cached read to the request deadline.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Statement time buckets, in seconds: from an indexed lookup to the statement timeout.
const STATEMENT_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0,
];

/// Relay lag buckets, in seconds: from an immediate relay to a broker outage of minutes.
const RELAY_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0];

/// The endpoint's state when a token is configured (and the recorder could be installed).
pub fn endpoint(token: Option<&SecretString>) -> Option<Metrics> {
    let token = token?.clone();
    let handle = RECORDER
        .get_or_init(|| match PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(nestcms_http::observe::DURATION.to_owned()),
                LATENCY_BUCKETS,
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(nestcms_store::observe::DURATION.to_owned()),
                    STATEMENT_BUCKETS,
                )
            })
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(nestcms_bus::RELAY_LAG.to_owned()),
                    RELAY_BUCKETS,
                )
            })
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
        render: Arc::new(move || {
            process::sample();
            handle.render()
        }),
    })
}
