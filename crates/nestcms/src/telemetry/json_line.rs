//! One JSON object per log line, written straight to the output.
//!
//! The shape is tracing-subscriber's JSON format with flattened event fields and the span
//! list (`timestamp`, `level`, the event's fields, `target`, `spans`: `[{"name": …, fields…}]`)
//! plus `trace_id` and `span_id` inside a span. Why not the stock formatter: for every line it
//! parses each enclosing span's stored JSON back into a map to write it out again, and the ids
//! then meant formatting the line twice; at info, with one line per request, that was a third
//! of the time `/health/live` took. Here a span's fields are written as a JSON object when the
//! span is opened ([`SpanFields`]; a later `record` appends to it) and copied as they are into
//! each line.

use std::fmt::{self, Write};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The JSON line formatter.
pub struct JsonLine;

/// A span's fields as one JSON object, kept in the span's extensions.
pub struct SpanFields;

impl<'writer> FormatFields<'writer> for SpanFields {
    fn format_fields<R: RecordFields>(&self, mut w: Writer<'writer>, fields: R) -> fmt::Result {
        let pairs = pairs(fields)?;
        // `,"a":1,"b":2` → `{"a":1,"b":2}`.
        match pairs.strip_prefix(',') {
            Some(pairs) => write!(w, "{{{pairs}}}"),
            None => w.write_str("{}"),
        }
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let pairs = pairs(fields)?;
        let object = &mut current.fields;
        if pairs.is_empty() {
            return Ok(());
        }
        // Inside the object: `{}` → `{"a":1}`, `{"a":1}` → `{"a":1,"b":2}`. A field recorded
        // twice appears twice; readers keep the last.
        object.pop();
        match object.as_str() {
            "{" | "" => {
                object.clear();
                object.push('{');
                object.push_str(&pairs[1..]);
            }
            _ => object.push_str(&pairs),
        }
        object.push('}');
        Ok(())
    }
}

/// Fields as `,"name":value` pairs.
fn pairs(fields: impl RecordFields) -> Result<String, fmt::Error> {
    let mut pairs = String::new();
    let mut visitor = Fields {
        out: &mut pairs,
        result: Ok(()),
    };
    fields.record(&mut visitor);
    visitor.result.map(|()| pairs)
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
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        write!(
            w,
            "{{\"timestamp\":\"{now}\",\"level\":\"{}\"",
            meta.level()
        )?;
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
                let ext = span.extensions();
                let stored = ext
                    .get::<FormattedFields<SpanFields>>()
                    .map(|f| f.fields.as_str());
                // `{"a":1,…}` → `,"a":1,…}`; an empty object adds nothing.
                match stored.and_then(|f| f.strip_prefix('{')) {
                    Some(rest) if rest != "}" => write!(w, ",{rest}")?,
                    _ => w.write_char('}')?,
                }
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
        if self.result.is_err() || field.name().starts_with("log.") {
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
        let mut plain = 0;
        for (i, c) in s.char_indices() {
            let escape = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                c if c < ' ' => "",
                _ => continue,
            };
            self.0.write_str(&s[plain..i])?;
            if escape.is_empty() {
                write!(self.0, "\\u{:04x}", c as u32)?;
            } else {
                self.0.write_str(escape)?;
            }
            plain = i + c.len_utf8();
        }
        self.0.write_str(&s[plain..])
    }
}

#[cfg(test)]
mod tests;
