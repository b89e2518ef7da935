//! Outgoing webhooks on the wire: the domain's [`WebhookTransport`] port implemented as
//! Standard Webhooks v1 over HTTP.
//!
//! Each attempt signs the exact bytes it sends with a fresh timestamp and every secret still
//! signing, follows no redirect (a 3xx is a failure, as the spec says), uses no proxy from the
//! environment, and connects only to addresses [`target`] allows.

pub mod sign;
pub mod target;

use std::time::Duration;

use nestcms_domain::webhooks::ports::{Answer, TargetError, WebhookTransport};

use crate::target::Guarded;

/// How much of an answer's body the attempt log keeps.
const EXCERPT: usize = 1024;

/// Sends messages over HTTP.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    guard: Guarded,
}

impl HttpTransport {
    /// A transport whose attempts last at most `timeout` (connection included), refusing
    /// private targets unless `allow_private`.
    pub fn new(timeout: Duration, allow_private: bool) -> Result<Self, reqwest::Error> {
        let guard = Guarded { allow_private };
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(guard.shared())
            .user_agent(concat!("NestCMS-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, guard })
    }
}

#[async_trait::async_trait]
impl WebhookTransport for HttpTransport {
    fn new_secret(&self) -> String {
        sign::new_secret()
    }

    async fn check_target(&self, url: &str) -> Result<(), TargetError> {
        let u = target::parse(url, self.guard.allow_private)?;
        target::literal_allowed(&u, self.guard.allow_private)?;
        if let Some(url::Host::Domain(host)) = u.host() {
            self.guard
                .lookup(host, u.port_or_known_default().unwrap_or(443))
                .await?;
        }
        Ok(())
    }

    async fn send(
        &self,
        url: &str,
        webhook_id: &str,
        secrets: &[String],
        body: &str,
    ) -> Result<Answer, TargetError> {
        let u = target::parse(url, self.guard.allow_private)?;
        target::literal_allowed(&u, self.guard.allow_private)?;
        let timestamp = chrono_free_now();
        let signature = sign::header(secrets, webhook_id, timestamp, body.as_bytes());
        let sent = self
            .client
            .post(u)
            .header("content-type", "application/json")
            .header("webhook-id", webhook_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.to_owned())
            .send()
            .await;
        let mut response = match sent {
            Ok(r) => r,
            Err(e) => return Err(why(&e)),
        };
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let status = response.status().as_u16();
        let mut excerpt = Vec::new();
        // The start of the body is enough for the log; a receiver that streams forever only
        // costs the attempt's timeout.
        while excerpt.len() < EXCERPT {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        excerpt.truncate(EXCERPT);
        Ok(Answer {
            status,
            excerpt: String::from_utf8_lossy(&excerpt).into_owned(),
            retry_after,
        })
    }
}

/// Seconds since the epoch (the `webhook-timestamp` of this attempt).
fn chrono_free_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What went wrong, in words for the attempt log: the guard's refusal when it was that.
fn why(e: &reqwest::Error) -> TargetError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<TargetError>() {
            return refused.clone();
        }
        source = s.source();
    }
    if e.is_timeout() {
        TargetError::Unreachable("no answer before the timeout".to_owned())
    } else if e.is_connect() {
        TargetError::Unreachable(format!("cannot connect: {}", root(e)))
    } else {
        TargetError::Unreachable(root(e))
    }
}

/// The innermost cause's text (reqwest's own says only "error sending request").
fn root(e: &reqwest::Error) -> String {
    let mut last: &dyn std::error::Error = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}
