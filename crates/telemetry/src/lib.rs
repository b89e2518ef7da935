//! W3C trace context (`traceparent`, `tracestate`) across NestCMS, in one place so the rest of
//! the code never touches OpenTelemetry's types: requests adopt the caller's trace, outgoing
//! PayTabs calls and broker messages carry ours, and outbox rows keep the context of the
//! request that wrote them so a relay running later still continues the same trace.
//!
//! Everything here reads the *current* `tracing` span; the OpenTelemetry layer installed by
//! `nestcms` gives each span its ids. Without that layer (unit tests, one-shot commands) every
//! function returns nothing and costs next to nothing.

use std::collections::HashMap;

use nestcms_domain::payments::model::TraceContext;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_http::HeaderInjector;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Makes `span` a child of the trace named by `headers`' `traceparent`, when it holds a valid
/// one; otherwise the span starts a new trace. Call it right after creating
/// the span, before anything inside it runs.
pub fn adopt_parent(span: &tracing::Span, headers: &http::HeaderMap) {
    let Some(traceparent) = headers.get("traceparent").and_then(|v| v.to_str().ok()) else {
        return;
    };
    // A caller's `tracestate` is not adopted: it would be stored with our events and passed
    // on to PayTabs and the broker, vendor data from anyone.
    let mut only = HashMap::with_capacity(1);
    only.insert("traceparent".to_owned(), traceparent.to_owned());
    let cx = TraceContextPropagator::new().extract(&only);
    if cx.span().span_context().is_valid() {
        // Fails only when no OpenTelemetry layer is installed: then there is nothing to join.
        let _ = span.set_parent(cx);
    }
}

/// Adopts the context carried by `headers` given as plain pairs (a broker message, an outbox
/// row).
pub fn adopt_parent_from(span: &tracing::Span, trace: &TraceContext) {
    let mut map = HashMap::with_capacity(2);
    map.insert("traceparent".to_owned(), trace.traceparent.clone());
    if let Some(state) = &trace.tracestate {
        map.insert("tracestate".to_owned(), state.clone());
    }
    let cx = TraceContextPropagator::new().extract(&map);
    if cx.span().span_context().is_valid() {
        let _ = span.set_parent(cx);
    }
}

/// The context of the innermost span that has one. Without an exporter only the request's
/// own span is an OpenTelemetry span (see `nestcms::telemetry`); it stays the active context
/// while the spans inside it (use cases, statements) run, so those find it here.
fn active() -> opentelemetry::Context {
    let cx = tracing::Span::current().context();
    if cx.span().span_context().is_valid() {
        cx
    } else {
        opentelemetry::Context::current()
    }
}

/// Writes the current span's context into outgoing HTTP `headers`.
pub fn inject(headers: &mut http::HeaderMap) {
    let cx = active();
    if cx.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&cx, &mut HeaderInjector(headers));
    }
}

/// The current span's context as header values, for a message or a stored row.
pub fn current() -> Option<TraceContext> {
    let cx = active();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut map: HashMap<String, String> = HashMap::with_capacity(2);
    TraceContextPropagator::new().inject_context(&cx, &mut map);
    Some(TraceContext {
        traceparent: map.remove("traceparent")?,
        tracestate: map.remove("tracestate").filter(|s| !s.is_empty()),
    })
}

/// The current span's trace id and span id in lower-case hex, for log lines.
pub fn current_ids() -> Option<(String, String)> {
    let cx = active();
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid()
        .then(|| (sc.trace_id().to_string(), sc.span_id().to_string()))
}
