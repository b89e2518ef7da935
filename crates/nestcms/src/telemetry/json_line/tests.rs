use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

use super::{JsonLine, SpanFields};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

/// The lines written while `emit` runs, each parsed.
fn lines(emit: impl FnOnce()) -> Vec<serde_json::Value> {
    let out = Captured::default();
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .fmt_fields(SpanFields)
            .event_format(JsonLine)
            .with_writer(out.clone()),
    );
    tracing::subscriber::with_default(subscriber, emit);
    let text = String::from_utf8(out.0.lock().unwrap_or_else(PoisonError::into_inner).clone());
    text.unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn a_line_names_its_level_fields_target_and_every_enclosing_span() {
    let got = lines(|| {
        let request =
            tracing::info_span!("request", method = "GET", user_id = tracing::field::Empty);
        let _r = request.enter();
        request.record("user_id", "u-1");
        let inner = tracing::info_span!("payments.checkout");
        let _i = inner.enter();
        tracing::warn!(status = 503_u16, ok = false, ratio = 0.5, "took {} ms", 12);
    });
    assert_eq!(got.len(), 1);
    let line = &got[0];
    assert_eq!(line["level"], "WARN");
    assert_eq!(line["message"], "took 12 ms");
    assert_eq!(line["status"], 503);
    assert_eq!(line["ok"], false);
    assert_eq!(line["ratio"], 0.5);
    assert_eq!(line["target"], module_path!());
    assert_eq!(
        line["spans"],
        serde_json::json!([
            { "name": "request", "method": "GET", "user_id": "u-1" },
            { "name": "payments.checkout" }
        ])
    );
    assert!(line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
}

#[test]
fn text_is_escaped_and_a_line_outside_any_span_has_no_span_list() {
    let nasty = "quote \" backslash \\ newline \n tab \t bell \u{7} é";
    let got = lines(|| tracing::info!(detail = nasty, "{nasty}"));
    assert_eq!(got[0]["detail"], nasty);
    assert_eq!(got[0]["message"], nasty);
    assert!(got[0].get("spans").is_none());
}
