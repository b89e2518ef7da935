//! Conditional GETs: every JSON answer to a `GET` gets an `ETag`, and a client that sends it
//! back in `If-None-Match` gets `304 Not Modified` with no body when nothing changed.
//!
//! Pages and phones poll (a payment after the client returns from PayTabs, a project's
//! progress, a contract's instalments); on a phone the saving is the body, on every request.
//! The tag is a hash of the body as served, so it changes exactly when the answer does,
//! whatever changed it, with no version to keep in step with the data. It is weak (`W/`)
//! because compression, further out in the stack, changes the bytes but not the meaning.
//! An answer to a request that carried credentials is also marked `Cache-Control: private,
//! no-cache` (when the handler set nothing): no shared cache may keep it, and a client always
//! asks again, cheaply, with the tag.

use axum::body::{Body, HttpBody as _};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Answers larger than this are passed through untagged rather than held in memory.
const MAX_TAGGED_BODY: usize = 1024 * 1024;

/// The middleware (in [`crate::guard`]: only matched routes).
pub async fn etag<F, Fut>(req: Request, next: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return next(req).await;
    }
    let wanted = req.headers().get(header::IF_NONE_MATCH).cloned();
    let credentials = req.headers().contains_key(header::AUTHORIZATION);
    let res = next(req).await;
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let small = res
        .body()
        .size_hint()
        .upper()
        .is_some_and(|n| n <= MAX_TAGGED_BODY as u64);
    if res.status() != StatusCode::OK
        || !is_json
        || !small
        || res.headers().contains_key(header::ETAG)
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_TAGGED_BODY).await else {
        // The handler's body failed midway: nothing sensible can be sent now.
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let tag = tag_of(&bytes);
    if credentials && !parts.headers.contains_key(header::CACHE_CONTROL) {
        parts.headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
    if wanted.as_ref().is_some_and(|w| matches(w, &tag)) {
        // The headers the 200 would have carried (caching, rate limits, …), none that
        // describe a body (RFC 9110 §15.4.5).
        parts.status = StatusCode::NOT_MODIFIED;
        for name in [
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
            header::CONTENT_ENCODING,
        ] {
            parts.headers.remove(name);
        }
        parts.headers.insert(header::ETAG, tag);
        return Response::from_parts(parts, Body::empty());
    }
    parts.headers.insert(header::ETAG, tag);
    Response::from_parts(parts, Body::from(bytes))
}

/// `W/"<first 16 bytes of the body's SHA-256, hex>"`.
fn tag_of(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    let mut tag = String::with_capacity(37);
    tag.push_str("W/\"");
    tag.push_str(&hex::encode(&digest[..16]));
    tag.push('"');
    HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("W/\"\""))
}

/// Weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag equal to ours once the `W/`
/// prefixes are set aside.
fn matches(if_none_match: &HeaderValue, ours: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else {
        return false;
    };
    let ours = strip_weak(ours.to_str().unwrap_or_default());
    list.split(',')
        .map(str::trim)
        .any(|t| t == "*" || strip_weak(t) == ours)
}

fn strip_weak(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_comparison_accepts_either_form_and_lists()
    -> Result<(), axum::http::header::InvalidHeaderValue> {
        let ours = tag_of(b"{\"a\":1}");
        let text = ours.to_str().unwrap_or_default().to_owned();
        let strong = text.trim_start_matches("W/").to_owned();
        for sent in [
            text.clone(),
            strong,
            format!("\"x\", {text}"),
            "*".to_owned(),
        ] {
            assert!(matches(&HeaderValue::from_str(&sent)?, &ours), "{sent}");
        }
        assert!(!matches(&HeaderValue::from_static("W/\"00\""), &ours));
        assert_ne!(tag_of(b"{\"a\":1}"), tag_of(b"{\"a\":2}"));
        Ok(())
    }
}
