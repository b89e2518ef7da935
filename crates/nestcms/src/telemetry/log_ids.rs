//! `trace_id` and `span_id` on every human-readable log line written inside a span (the JSON
//! lines get them from [`super::json_line`]).
//!
//! tracing-subscriber's formatters know nothing of OpenTelemetry ids, and no maintained crate
//! adds them for the current tracing-opentelemetry; so this wraps the stock formatter and
//! writes the two ids as a `key=value` prefix.

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The stock formatter `F`, plus ids.
pub struct WithTraceIds<F> {
    inner: F,
}

impl<F> WithTraceIds<F> {
    /// For a human-readable formatter.
    pub fn text(inner: F) -> Self {
        Self { inner }
    }
}

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        if let Some((trace_id, span_id)) = nestcms_telemetry::current_ids() {
            write!(writer, "trace_id={trace_id} span_id={span_id} ")?;
        }
        self.inner.format_event(ctx, writer, event)
    }
}
