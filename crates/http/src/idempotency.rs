//! `Idempotency-Key` for requests that create or move money (Stripe semantics, with the IETF
//! draft's status codes).
//!
//! The same key with the same request replays the stored answer (header
//! `Idempotent-Replayed: true`); with a different request it is a 422; while the first request
//! is still running, a 409 with `Retry-After`. Keys are per user, kept at least 24 hours.
//! Only successful answers are kept: a failed request releases its key so a retry runs again.
//! An attempt that died mid-way (its claim older than a minute, twice the request timeout) is
//! taken over: if its effect (a payment, a refund) had committed — the store writes the effect's
//! id onto the key in the effect's own transaction — the new attempt answers from that effect
//! ([`Attempt::Resume`]) instead of doing it again.

use std::future::Future;

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use nestcms_app::Principal;
use nestcms_domain::payments::ports::{Idempotency, IdempotencyBinding};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// How `work` is to be carried out.
pub enum Attempt {
    /// Do it; pass the binding (if the request has a key) to the store call that commits the
    /// effect.
    Fresh(Option<IdempotencyBinding>),
    /// An abandoned attempt already committed the effect with this id: answer from it.
    Resume(String),
}

/// Runs `work` at most once per (user, `Idempotency-Key`); without the header it just runs.
pub async fn idempotent<T, W, F>(
    state: &AppState,
    who: Principal,
    headers: &HeaderMap,
    scope: &str,
    body: &[u8],
    work: W,
) -> Response
where
    T: Serialize,
    W: FnOnce(Attempt) -> F,
    F: Future<Output = Result<(StatusCode, Json<T>), ApiError>>,
{
    let Some(raw) = headers.get("idempotency-key") else {
        return work(Attempt::Fresh(None)).await.into_response();
    };
    let key = match raw.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) => {
            k.to_owned()
        }
        _ => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
            .into_response();
        }
    };
    let mut hasher = Sha256::new();
    hasher.update(scope.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    let hash = hex::encode(hasher.finalize());
    let now = Utc::now();
    let decision = match state
        .idempotency
        .begin(who.user, &key, &hash, now, now - takeover_after(state))
        .await
    {
        Ok(d) => d,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let attempt = match decision {
        Idempotency::Run => Attempt::Fresh(Some(IdempotencyBinding {
            principal: who.user,
            key: key.clone(),
        })),
        Idempotency::Resume { effect } => {
            tracing::warn!(
                idempotency.effect = %effect,
                "resuming a request whose effect committed before its answer was stored"
            );
            Attempt::Resume(effect)
        }
        Idempotency::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            return json_response(status, body, true);
        }
        Idempotency::Mismatch => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request",
            )
            .into_response();
        }
        Idempotency::InProgress => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_key_in_use",
                "a request with this Idempotency-Key is still running; retry shortly",
            )
            .with_retry_after(1)
            .into_response();
        }
    };
    let resumed = matches!(attempt, Attempt::Resume(_));
    match work(attempt).await {
        Ok((status, Json(value))) => {
            let text = serde_json::to_string(&value).unwrap_or_else(|_| "{}".to_owned());
            if let Err(e) = state
                .idempotency
                .finish(who.user, &key, status.as_u16(), &text)
                .await
            {
                tracing::error!(error = %e, "could not store an idempotent answer");
            }
            json_response(status, text, resumed)
        }
        Err(e) => {
            if let Err(release) = state.idempotency.release(who.user, &key).await {
                tracing::error!(error = %release, "could not release an idempotency key");
            }
            e.into_response()
        }
    }
}

/// A JSON body already serialized, optionally marked as a replay.
pub(crate) fn json_response(status: StatusCode, body: String, replayed: bool) -> Response {
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

/// How long an attempt holds its key before another may take it over: only once the first
/// attempt has certainly been abandoned, i.e. after the request deadline
/// (`server.request_timeout`) plus a margin for clocks and commit time. A fixed window shorter
/// than the deadline let a retry run beside a slow first attempt.
fn takeover_after(state: &AppState) -> Duration {
    Duration::from_std(state.http.request_timeout).unwrap_or(Duration::hours(1))
        + Duration::seconds(5)
}
