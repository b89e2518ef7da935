//! `[telemetry]`: where traces go. Off unless an OTLP endpoint is set; log lines carry trace
//! and span ids either way.

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[telemetry]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetrySettings {
    /// Base URL of an OTLP/HTTP collector (Jaeger, Tempo, the OpenTelemetry Collector), such as
    /// `http://127.0.0.1:4318`; spans are posted as protobuf to `{endpoint}/v1/traces`. Unset:
    /// no span leaves the process. Credentials belong in `OTEL_EXPORTER_OTLP_HEADERS`, not
    /// here: this URL is shown by `print-config`.
    pub otlp_endpoint: Option<String>,
    /// Share of traces recorded, 0.0 to 1.0, decided on the trace id. A caller's `traceparent`
    /// keeps its trace id, but its sampled flag is not trusted: anyone could otherwise make us
    /// record and export everything.
    pub sampling_ratio: f64,
    /// `service.name` on every span.
    pub service_name: String,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            otlp_endpoint: None,
            sampling_ratio: 1.0,
            service_name: "nestcms".to_owned(),
        }
    }
}

impl TelemetrySettings {
    /// The collector's traces URL, when one is configured.
    pub fn traces_url(&self) -> Option<String> {
        self.otlp_endpoint
            .as_deref()
            .map(|e| format!("{}/v1/traces", e.trim_end_matches('/')))
    }

    /// Checks the ratio and the endpoint's shape.
    pub fn check(&self) -> Result<(), ConfigError> {
        if !(0.0..=1.0).contains(&self.sampling_ratio) {
            return Err(ConfigError(format!(
                "telemetry.sampling_ratio: {} is not between 0.0 and 1.0",
                self.sampling_ratio
            )));
        }
        if let Some(e) = &self.otlp_endpoint {
            let ok = url::Url::parse(e)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                return Err(ConfigError(
                    "telemetry.otlp_endpoint: expected an http:// or https:// URL such as http://127.0.0.1:4318".to_owned(),
                ));
            }
        }
        if self.service_name.trim().is_empty() {
            return Err(ConfigError(
                "telemetry.service_name: must not be empty".to_owned(),
            ));
        }
        Ok(())
    }
}
