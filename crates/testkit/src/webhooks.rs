//! A real HTTP receiver for outgoing webhooks: it keeps every request (the three Standard
//! Webhooks headers and the raw body) and answers from a script, so a test can fail the first
//! attempts, answer 410, and count what arrived.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

/// One request as it arrived, and what it was answered.
#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: String,
    /// `webhook-signature`.
    pub signature: String,
    /// Every header, for a verifier.
    pub headers: HeaderMap,
    /// The body, byte for byte.
    pub body: Bytes,
    /// The status it was answered.
    pub status: u16,
}

#[derive(Default)]
struct Script {
    next: VecDeque<u16>,
    otherwise: Option<u16>,
    slow: std::time::Duration,
    retry_after: Option<u64>,
    received: Vec<Received>,
}

type Shared = Arc<Mutex<Script>>;

/// The receiver; stops when dropped.
pub struct Receiver {
    /// `http://127.0.0.1:<port>/hook`.
    pub url: String,
    script: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Listens on a free loopback port; answers 204 until told otherwise.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let script = Shared::default();
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(Arc::clone(&script));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, script, task })
    }

    /// Answers the next requests with these statuses, in order, then as before.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.lock().next.extend(statuses);
    }

    /// Sends `Retry-After: secs` with every 429 and 503 it answers.
    pub fn retry_after(&self, secs: u64) {
        self.lock().retry_after = Some(secs);
    }

    /// Answers every request after the scripted ones with `status`.
    pub fn answer_always(&self, status: u16) {
        self.lock().otherwise = Some(status);
    }

    /// Keeps each request, then waits this long before answering (a slow receiver: a sender
    /// that dies meanwhile never learns the answer).
    pub fn answer_after(&self, wait: std::time::Duration) {
        self.lock().slow = wait;
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// The requests answered with a 2xx.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    State(script): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (status, wait, retry_after) = {
        let mut s = script.lock().unwrap_or_else(PoisonError::into_inner);
        let status = s.next.pop_front().or(s.otherwise).unwrap_or(204);
        s.received.push(Received {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            headers: headers.clone(),
            body,
            status,
        });
        (status, s.slow, s.retry_after)
    };
    tokio::time::sleep(wait).await;
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match retry_after {
        Some(secs) if matches!(status, 429 | 503) => {
            (code, [(axum::http::header::RETRY_AFTER, secs.to_string())]).into_response()
        }
        _ => code.into_response(),
    }
}
