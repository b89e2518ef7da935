//! Logging and tracing setup: one `tracing` subscriber whose spans are also OpenTelemetry spans.
//!
//! The OpenTelemetry layer is always installed, so every request has a trace id and every log
//! line written while it runs carries it and a span id (see [`log_ids`]), whether or not
//! anything is exported. Spans leave the process only when `telemetry.otlp_endpoint` is set: then they are
//! batched and posted as OTLP/HTTP protobuf by the SDK's own background thread with the
//! blocking HTTP client. (The async client would need a Tokio reactor on that thread; without
//! one the exporter panics and silently drops every span.) Without an endpoint only each
//! request's span becomes an OpenTelemetry span, recording nothing: it gives the request's log
//! lines, its PayTabs calls and its events their trace ids (the caller's, when it sent one).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::config::{LogFormat, LogSettings, TelemetrySettings};

mod json_line;
mod log_ids;
mod sampling;

/// The per-request span's target.
const REQUEST_SPANS: &str = nestcms_http::edge::REQUEST_SPANS;

/// Keeps the span pipeline and the log writer alive; [`Telemetry::shutdown`] exports what is
/// still buffered, and dropping it writes the last log lines.
#[derive(Debug)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
    log_writer: Option<tracing_appender::non_blocking::WorkerGuard>,
}

impl Telemetry {
    /// Flushes and stops the exporter (waits at most a few seconds for the collector). Runs on
    /// its own thread: the blocking HTTP client must not be driven from async code.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            let flushed = std::thread::spawn(move || provider.shutdown()).join();
            if !matches!(flushed, Ok(Ok(()))) {
                tracing::warn!("spans still buffered at exit could not all be exported");
            }
        }
    }
}

/// Installs the global subscriber writing to stderr. `RUST_LOG`, when set, overrides `log.level`.
///
/// Lines are handed to a thread of their own, which writes whatever has accumulated in one go
/// and flushes whenever it has nothing more: a busy server makes one `write` per burst instead
/// of one per request line (at info, one line per request cost about a third of the
/// throughput of `/health/live`). Nothing is dropped: a request waits when 8,192 lines are
/// queued (the queue is allocated whole: 128,000 lines, the library's default, held 4 MB).
/// Dropping the returned value writes what is left.
pub fn init(log: &LogSettings, telemetry: &TelemetrySettings) -> Telemetry {
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(8_192)
        .thread_name("nestcms-log")
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stderr(),
        ));
    let mut installed = init_with_writer(log, telemetry, writer);
    installed.log_writer = Some(guard);
    installed
}

/// Installs the global subscriber with a custom writer (tests capture logs this way). A second
/// call is ignored: the first subscriber stays.
pub fn init_with_writer<W>(log: &LogSettings, telemetry: &TelemetrySettings, writer: W) -> Telemetry
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<EnvFilter>().ok())
        .unwrap_or_else(|| EnvFilter::new(&log.level));
    let provider = tracer_provider(telemetry);
    // Spans are kept at info whatever the log level: an operator quieting the logs to `warn`
    // still gets traces, and the warnings still carry their trace ids. Without an exporter only
    // the request's span needs an identity (for the log lines and for the calls it makes): the
    // spans inside it are not turned into OpenTelemetry spans, which would be work for nothing.
    let spans = match telemetry.otlp_endpoint {
        Some(_) => Targets::new().with_default(LevelFilter::INFO),
        None => Targets::new().with_target(REQUEST_SPANS, LevelFilter::INFO),
    };
    let otel = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("nestcms"))
        .with_tracked_inactivity(false)
        .with_threads(false)
        .with_filter(spans);
    let registry = tracing_subscriber::registry().with(otel);
    let installed = match log.format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    // Every enclosing span, so a line logged inside a use case still names its
                    // request (request id, path, user).
                    .fmt_fields(json_line::SpanFields)
                    .event_format(json_line::JsonLine)
                    .with_writer(writer)
                    .with_filter(filter),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .event_format(log_ids::WithTraceIds::text(
                        tracing_subscriber::fmt::format(),
                    ))
                    .with_writer(writer)
                    .with_filter(filter),
            )
            .try_init(),
    };
    Telemetry {
        provider: installed.is_ok().then_some(provider),
        log_writer: None,
    }
}

/// The SDK provider: exporting through OTLP/HTTP when an endpoint is set, else recording
/// nothing (ids only).
fn tracer_provider(t: &TelemetrySettings) -> SdkTracerProvider {
    let resource = Resource::builder()
        .with_service_name(t.service_name.clone())
        .build();
    let builder = SdkTracerProvider::builder().with_resource(resource);
    match t.traces_url().and_then(otlp_exporter) {
        Some(exporter) => builder
            .with_batch_exporter(exporter)
            .with_sampler(sampling::OwnDecision::new(t.sampling_ratio))
            .build(),
        // Nothing recorded, but a caller's sampled flag is passed on to the calls we make.
        None => builder
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOff)))
            .build(),
    }
}

/// The OTLP/HTTP exporter posting to `url`, built on a plain thread: the blocking client owns
/// a runtime that must not be created or dropped inside an async context.
fn otlp_exporter(url: String) -> Option<opentelemetry_otlp::SpanExporter> {
    let built = std::thread::spawn(move || {
        opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(url)
            .with_timeout(std::time::Duration::from_secs(5))
            .build()
    })
    .join();
    match built {
        Ok(Ok(exporter)) => Some(exporter),
        _ => {
            eprintln!(
                "telemetry.otlp_endpoint: the span exporter could not be built; no span is exported"
            );
            None
        }
    }
}
