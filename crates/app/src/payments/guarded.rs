//! The payment gateway behind circuit breakers, with bounded retries where repeating is safe.
//!
//! Three breakers, because the three kinds of call fail independently at PayTabs: page
//! creation, queries, and follow-ups (refunds). Queries are retried with backoff and jitter
//! within a deadline (asking twice changes nothing); page creations and refunds are never
//! re-sent blindly (their own paths look up before re-sending). An open breaker answers at once
//! with [`GatewayError::CircuitOpen`], so a checkout during an outage is a quick 503 instead of
//! a wait for the full timeout.

use std::sync::Arc;

use nestcms_domain::payments::ports::{Gateway, GatewayError, GatewayPage, GatewayTransaction};
use nestcms_domain::payments::{Payment, Refund};
use nestcms_resilience::{Breaker, BreakerConfig, CallError, Registry, RetryPolicy, Verdict};

/// A gateway whose calls go through breakers from `registry`.
pub struct GuardedGateway {
    inner: Arc<dyn Gateway>,
    pages: Arc<Breaker>,
    queries: Arc<Breaker>,
    follow_ups: Arc<Breaker>,
    retries: RetryPolicy,
}

impl GuardedGateway {
    /// Wraps `inner`; each call is abandoned after `timeout`.
    pub fn new(inner: Arc<dyn Gateway>, registry: &Registry, timeout: std::time::Duration) -> Self {
        let config = BreakerConfig {
            timeout,
            slow_call: timeout.mul_f32(0.8),
            ..BreakerConfig::default()
        };
        Self {
            inner,
            pages: registry.breaker("paytabs.pages", config.clone()),
            queries: registry.breaker("paytabs.queries", config.clone()),
            follow_ups: registry.breaker("paytabs.follow_ups", config),
            retries: RetryPolicy {
                attempts: 3,
                deadline: timeout,
                ..RetryPolicy::default()
            },
        }
    }

    async fn query<T, Fut>(&self, call: impl Fn() -> Fut) -> Result<T, GatewayError>
    where
        Fut: std::future::Future<Output = Result<T, GatewayError>>,
    {
        nestcms_resilience::retry(
            self.retries,
            || guarded(&self.queries, &call),
            |e: &GatewayError| match e {
                GatewayError::Unavailable(_) => Verdict::Retry(None),
                // Not sooner than asked; `retry` gives up when that is past the deadline.
                GatewayError::Busy { retry_after } => Verdict::Retry(Some(*retry_after)),
                _ => Verdict::Stop,
            },
        )
        .await
    }
}

/// One call through `breaker`, its refusals and timeouts as gateway errors.
async fn guarded<T, Fut>(breaker: &Breaker, call: impl FnOnce() -> Fut) -> Result<T, GatewayError>
where
    Fut: std::future::Future<Output = Result<T, GatewayError>>,
{
    breaker
        .call(call, GatewayError::is_outage)
        .await
        .map_err(|e| match e {
            CallError::Open { retry_after } => GatewayError::CircuitOpen { retry_after },
            CallError::Timeout => GatewayError::Unavailable("timed out".into()),
            CallError::Failed(e) => e,
        })
}

#[async_trait::async_trait]
impl Gateway for GuardedGateway {
    async fn open_page(&self, p: &Payment) -> Result<GatewayPage, GatewayError> {
        guarded(&self.pages, || self.inner.open_page(p)).await
    }

    async fn lookup(&self, tran_ref: &str) -> Result<GatewayTransaction, GatewayError> {
        self.query(|| self.inner.lookup(tran_ref)).await
    }

    async fn lookup_cart(&self, cart_id: &str) -> Result<Vec<GatewayTransaction>, GatewayError> {
        self.query(|| self.inner.lookup_cart(cart_id)).await
    }

    async fn refund(&self, p: &Payment, r: &Refund) -> Result<GatewayTransaction, GatewayError> {
        guarded(&self.follow_ups, || self.inner.refund(p, r)).await
    }

    fn verify_callback(
        &self,
        raw_body: &[u8],
        signature: &str,
    ) -> Option<(GatewayTransaction, String)> {
        self.inner.verify_callback(raw_body, signature)
    }

    fn verify_return(&self, fields: &[(String, String)]) -> Option<String> {
        self.inner.verify_return(fields)
    }

    fn follow_ups_refused(&self) -> Option<GatewayError> {
        self.follow_ups
            .refuses()
            .map(|retry_after| GatewayError::CircuitOpen { retry_after })
    }
}
