//! Read-through caching of public answers that are the same for everyone (published articles).
//!
//! Keys live in a namespace whose generation is bumped by every write to it, so a change made
//! through any instance is visible on the next read everywhere (with Redis). The cache is an
//! optimisation only: when it fails, the answer comes from the database and the failure is
//! logged. `x-cache: hit|miss` tells which.

use std::future::Future;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::idempotency::json_response;
use crate::state::AppState;

/// Hits and misses since start, for the cache's health probe.
#[derive(Debug, Default)]
pub struct CacheStats {
    /// Answers served from the cache.
    pub hits: std::sync::atomic::AtomicU64,
    /// Answers computed (not cached, expired, or the cache failed).
    pub misses: std::sync::atomic::AtomicU64,
}

/// How long a cached answer may be served after a write whose invalidation failed.
const TTL: Duration = Duration::from_secs(60);

/// The answer under (`namespace`, `key`), computed by `work` on a miss.
pub async fn cached<T, F>(
    state: &AppState,
    namespace: &str,
    key: &str,
    work: F,
) -> Result<Response, ApiError>
where
    T: Serialize,
    F: Future<Output = Result<T, ApiError>>,
{
    let full = match state.cache.generation(namespace).await {
        Ok(generation) => {
            let digest = hex::encode(Sha256::digest(key.as_bytes()));
            Some(format!("{namespace}:{generation}:{digest}"))
        }
        Err(e) => {
            tracing::warn!(error = %e, "cache unavailable; answering from the database");
            reads(namespace, "error");
            None
        }
    };
    if let Some(k) = &full {
        match state.cache.get(k).await {
            Ok(Some(body)) => {
                state.cache_stats.hits.fetch_add(1, Relaxed);
                reads(namespace, "hit");
                return Ok(json(body, "hit"));
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cache read failed"),
        }
    }
    state.cache_stats.misses.fetch_add(1, Relaxed);
    reads(namespace, "miss");
    let value = work.await?;
    let body = serde_json::to_string(&value).map_err(|e| ApiError::internal(e.to_string()))?;
    if let Some(k) = &full
        && let Err(e) = state.cache.put(k, &body, TTL).await
    {
        tracing::warn!(error = %e, "cache write failed");
    }
    Ok(json(body, "miss"))
}

/// Counts a cached read by namespace and outcome (`nestcms_cache_reads_total`): `hit`, `miss`,
/// and `error` when the cache could not be asked (that read, answered from the database, also
/// counts as a miss).
fn reads(namespace: &str, outcome: &'static str) {
    metrics::counter!("nestcms_cache_reads_total", "namespace" => namespace.to_owned(), "outcome" => outcome)
        .increment(1);
}

/// Starts a new generation of `namespace` after a write.
pub async fn invalidate(state: &AppState, namespace: &str) {
    if let Err(e) = state.cache.bump(namespace).await {
        tracing::warn!(error = %e, "cache invalidation failed; stale answers end with their TTL");
    }
}

fn json(body: String, outcome: &'static str) -> Response {
    let mut res = json_response(StatusCode::OK, body, false);
    res.headers_mut()
        .insert("x-cache", HeaderValue::from_static(outcome));
    res
}
