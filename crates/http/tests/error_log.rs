//! A 5xx is logged once, with its cause and the request id, and its cause never reaches the
//! client. This test owns its binary: it installs a scoped log subscriber, and tracing's
//! per-callsite interest cache races with other tests' threads in a shared binary.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use axum::routing::get;
use nestcms_http::{ApiError, HttpSettings, layers};
use tower::ServiceExt;

/// Collects log output in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_5xx_hides_its_cause_from_the_client_and_logs_it_once_with_the_request_id()
-> anyhow::Result<()> {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = layers::apply(
        Router::new().route(
            "/boom",
            get(|| async {
                Err::<(), _>(ApiError::internal(
                    "pool exhausted at db-primary.internal:5432 password=hunter2",
                ))
            }),
        ),
        &HttpSettings::default(),
    );
    let req = Request::get("/boom")
        .header("x-request-id", "req-5xx-1")
        .body(Body::empty())?;
    let res = app.oneshot(req).await?;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let text = String::from_utf8_lossy(&to_bytes(res.into_body(), usize::MAX).await?).into_owned();
    assert!(
        text.contains("\"code\":\"internal_error\"") && text.contains("req-5xx-1"),
        "{text}"
    );
    assert!(
        !text.contains("hunter2") && !text.contains("db-primary"),
        "internals leaked: {text}"
    );

    let log = logs.text();
    let error_lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("\"level\":\"ERROR\""))
        .collect();
    assert_eq!(error_lines.len(), 1, "logged exactly once: {log}");
    assert!(
        error_lines[0].contains("req-5xx-1"),
        "the log line carries the request id: {}",
        error_lines[0]
    );
    assert!(
        error_lines[0].contains("pool exhausted"),
        "the cause is in the log: {}",
        error_lines[0]
    );
    Ok(())
}
