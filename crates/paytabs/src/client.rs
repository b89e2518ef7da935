//! [`Client`]: authenticated JSON calls to a PayTabs region host (or a simulator).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::wire::{Failure, FollowUp, PaymentRequest, Redirect, Transaction};

/// Where and as whom to call.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// A region's host ([`crate::Region::base_url`]) or a simulator's base URL.
    pub base_url: url::Url,
    /// The merchant profile.
    pub profile_id: u64,
    /// The profile's server key (sent as `Authorization`, never logged).
    pub server_key: SecretString,
    /// Whole-request timeout.
    pub timeout: Duration,
}

/// What a call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// PayTabs answered with an error body (`code` > 0).
    #[error("PayTabs error {code} (HTTP {status}): {message}")]
    Gateway {
        /// HTTP status (401 auth, 400 validation, 409 duplicate, …).
        status: u16,
        /// PayTabs code.
        code: i64,
        /// PayTabs message.
        message: String,
        /// PayTabs trace.
        trace: Option<String>,
    },
    /// No answer in time.
    #[error("PayTabs did not answer in time")]
    Timeout,
    /// Connection-level failure.
    #[error("cannot reach PayTabs: {0}")]
    Transport(String),
    /// HTTP 429 or 503 with `Retry-After`: PayTabs asked to be called again after this.
    #[error("PayTabs asked to wait {} s (HTTP {status})", retry_after.as_secs())]
    Busy {
        /// HTTP status.
        status: u16,
        /// From the `Retry-After` header (seconds form).
        retry_after: std::time::Duration,
    },
    /// An answer we cannot use (non-2xx without an error body, or an unexpected shape).
    #[error("unexpected PayTabs answer (HTTP {status}): {detail}")]
    Unexpected {
        /// HTTP status.
        status: u16,
        /// What was wrong.
        detail: String,
    },
}

impl Error {
    /// Whether retrying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout | Self::Transport(_) | Self::Busy { .. } => true,
            Self::Gateway { code, status, .. } => *code == 5 || *status >= 500,
            Self::Unexpected { status, .. } => *status >= 500,
        }
    }
}

/// A PayTabs API client.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
}

impl Client {
    /// Builds a client. TLS certificates are always verified.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("NestCMS/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Transport(e.to_string()))?;
        Ok(Self { http, config })
    }

    /// The profile this client acts for.
    pub fn profile_id(&self) -> u64 {
        self.config.profile_id
    }

    /// Creates a hosted payment page (`payment/request`, sale or auth).
    pub async fn create_page(&self, mut req: PaymentRequest) -> Result<Redirect, Error> {
        req.profile_id = self.config.profile_id;
        let r: Redirect = self.post("payment/request", &req).await?;
        if r.redirect_url.is_empty() || r.tran_ref.is_empty() {
            return Err(Error::Unexpected {
                status: 200,
                detail: "no redirect_url or tran_ref".into(),
            });
        }
        Ok(r)
    }

    /// Queries one transaction by reference (`payment/query`).
    pub async fn query(&self, tran_ref: &str) -> Result<Transaction, Error> {
        #[derive(Serialize)]
        struct Q<'a> {
            profile_id: u64,
            tran_ref: &'a str,
        }
        self.post(
            "payment/query",
            &Q {
                profile_id: self.config.profile_id,
                tran_ref,
            },
        )
        .await
    }

    /// Queries every transaction of a cart (`payment/query` by `cart_id`).
    pub async fn query_cart(&self, cart_id: &str) -> Result<Vec<Transaction>, Error> {
        #[derive(Serialize)]
        struct Q<'a> {
            profile_id: u64,
            cart_id: &'a str,
        }
        self.post(
            "payment/query",
            &Q {
                profile_id: self.config.profile_id,
                cart_id,
            },
        )
        .await
    }

    /// Captures, voids, releases or refunds (`payment/request` follow-up).
    pub async fn follow_up(&self, mut req: FollowUp) -> Result<Transaction, Error> {
        req.profile_id = self.config.profile_id;
        self.post("payment/request", &req).await
    }

    async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, Error> {
        let span = tracing::info_span!(
            "paytabs",
            otel.name = format!("POST paytabs {path}"),
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            server.address = self.config.base_url.host_str().unwrap_or_default(),
            http.response.status_code = tracing::field::Empty,
        );
        let outcome = self.send(path, body).instrument(span.clone()).await;
        if outcome.is_err() {
            span.record("otel.status_code", "ERROR");
        }
        outcome
    }

    async fn send<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, Error> {
        let url = format!(
            "{}/{}",
            self.config.base_url.as_str().trim_end_matches('/'),
            path
        );
        // The W3C trace context of this call, so the gateway's side joins our trace.
        let mut traced = http::HeaderMap::new();
        nestcms_telemetry::inject(&mut traced);
        let res = self
            .http
            .post(url)
            .headers(traced)
            .header("authorization", self.config.server_key.expose_secret())
            .json(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    Error::Timeout
                } else {
                    Error::Transport(e.without_url().to_string())
                }
            })?;
        let status = res.status().as_u16();
        tracing::Span::current().record("http.response.status_code", status);
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(std::time::Duration::from_secs);
        if let (429 | 503, Some(retry_after)) = (status, retry_after) {
            return Err(Error::Busy {
                status,
                retry_after,
            });
        }
        let bytes = res.bytes().await.map_err(|e| {
            if e.is_timeout() {
                Error::Timeout
            } else {
                Error::Transport(e.without_url().to_string())
            }
        })?;
        if let Ok(f) = serde_json::from_slice::<Failure>(&bytes)
            && f.code > 0
        {
            return Err(Error::Gateway {
                status,
                code: f.code,
                message: f.message,
                trace: f.trace,
            });
        }
        if !(200..300).contains(&status) {
            return Err(Error::Unexpected {
                status,
                detail: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| Error::Unexpected {
            status,
            detail: e.to_string(),
        })
    }
}
