//! One JSON object per log line, written straight to the output.
//!
//! The shape is tracing-subscriber's JSON format with flattened event fields and the span
//! list (`timestamp`, `level`, the event's fields, `target`, `spans`: `[{"name": …, fields…}]`)
//! plus `trace_id` and `span_id` inside a span. Why not the stock formatter: for every line it
//! parses each enclosing span's stored JSON back into a map to write it out again, and the ids
//! then meant formatting the line twice; at info, with one line per request, that was a third
//! of the time `/health/live` took. Here a span's fields are written as JSON pairs when the
//! span is opened ([`SpanFields`]; a later `record` appends to them) and copied as they are
//! into each line.

use std::fmt::{self, Write};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The JSON line formatter.
pub struct JsonLine;

/// A span's fields as `,"name":value` pairs, kept in the span's extensions and copied into
/// each line's span object. A field recorded twice appears twice; readers keep the last.
pub struct SpanFields;

impl<'writer> FormatFields<'writer> for SpanFields {
    fn format_fields<R: RecordFields>(&self, mut w: Writer<'writer>, fields: R) -> fmt::Result {
        record(&mut w, fields)
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        record(&mut current.fields, fields)
    }
}

/// Writes fields as `,"name":value` pairs.
fn record(out: &mut impl Write, fields: impl RecordFields) -> fmt::Result {
    let mut visitor = Fields {
        out,
        result: Ok(()),
    };
    fields.record(&mut visitor);
    visitor.result
}

impl<S> FormatEvent<S, SpanFields> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, SpanFields>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        w.write_str("{\"timestamp\":\"")?;
        SystemTime.format_time(&mut w)?;
        write!(w, "\",\"level\":\"{}\"", meta.level())?;
        let mut fields = Fields {
            out: &mut w,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        w.write_str(",\"target\":")?;
        string(&mut w, meta.target())?;
        if let Some(scope) = ctx.event_scope() {
            w.write_str(",\"spans\":[")?;
            for (i, span) in scope.from_root().enumerate() {
                if i > 0 {
                    w.write_char(',')?;
                }
                w.write_str("{\"name\":")?;
                string(&mut w, span.name())?;
                if let Some(stored) = span.extensions().get::<FormattedFields<SpanFields>>() {
                    w.write_str(&stored.fields)?;
                }
                w.write_char('}')?;
            }
            w.write_char(']')?;
        }
        if let Some((trace_id, span_id)) = nestcms_telemetry::current_ids() {
            write!(w, ",\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\"")?;
        }
        writeln!(w, "}}")
    }
}

/// Writes an event's fields as `,"name":value` pairs; `log.*` fields of events bridged from
/// the `log` crate are already in the normalised metadata.
struct Fields<'a, W: Write> {
    out: &'a mut W,
    result: fmt::Result,
}

impl<W: Write> Fields<'_, W> {
    fn key(&mut self, field: &Field) -> bool {
        // `log.*` is the `log` crate's metadata (already normalised); `otel.*` are for the
        // trace exporter, and repeat the method and route already on the line.
        let name = field.name();
        if self.result.is_err() || name.starts_with("log.") || name.starts_with("otel.") {
            return false;
        }
        self.result = self
            .out
            .write_char(',')
            .and_then(|()| string(self.out, field.name()))
            .and_then(|()| self.out.write_char(':'));
        self.result.is_ok()
    }

    fn raw(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if self.key(field) {
            self.result = self.out.write_fmt(value);
        }
    }
}

impl<W: Write> Visit for Fields<'_, W> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.key(field) {
            self.result = quoted(self.out, format_args!("{value:?}"));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.key(field) {
            self.result = string(self.out, value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.key(field) {
            self.result = quoted(self.out, format_args!("{value}"));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.raw(field, format_args!("{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.raw(field, format_args!("{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.raw(field, format_args!("{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if value.is_finite() {
            self.raw(field, format_args!("{value}"));
        } else if self.key(field) {
            self.result = quoted(self.out, format_args!("{value}"));
        }
    }
}

/// A JSON string.
fn string(w: &mut impl Write, s: &str) -> fmt::Result {
    quoted(w, format_args!("{s}"))
}

/// Formatted text as a JSON string, escaped as it is written (no intermediate `String`).
fn quoted(w: &mut impl Write, text: fmt::Arguments<'_>) -> fmt::Result {
    w.write_char('"')?;
    Escaped(w).write_fmt(text)?;
    w.write_char('"')
}

/// Escapes what JSON requires in a string: quote, backslash and control characters.
struct Escaped<'a, W: Write>(&'a mut W);

impl<W: Write> Write for Escaped<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Byte by byte: everything that needs escaping is ASCII, and no byte of a multi-byte
        // UTF-8 character is, so runs between escapes stay whole characters.
        let mut plain = 0;
        for (i, &b) in s.as_bytes().iter().enumerate() {
            let escape = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                b if b < b' ' => "",
                _ => continue,
            };
            self.0.write_str(&s[plain..i])?;
            if escape.is_empty() {
                write!(self.0, "\\u{:04x}", b)?;
            } else {
                self.0.write_str(escape)?;
            }
            plain = i + 1;
        }
        self.0.write_str(&s[plain..])
    }
}

#[cfg(test)]
mod tests;
