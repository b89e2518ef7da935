//! Rate limits per client address, per user, per organization and for everyone, with separate
//! budgets for authentication, money-moving requests and the rest of the API.
//!
//! Each budget is a GCRA quota checked through the [`RateLimiter`] port (in memory for one
//! instance; in Redis, one budget for every instance, when `cache.url` is set). A refusal is
//! 429 problem+json with `Retry-After`; every limited answer carries the IETF draft headers
//! `RateLimit-Policy` and `RateLimit` for the tightest budget that applied. Health, metrics,
//! the OpenAPI document and PayTabs callbacks (guarded by their own perimeter) are not limited.
//! Login throttling (failed attempts per account and address) is separate and unchanged.

use std::time::Duration;

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nestcms_domain::limits::{Decision, Quota};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::state::AppState;

/// Requests per window allowed for each kind of key; 0 means no limit on that key.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Budget {
    /// Per client address.
    pub per_address: u32,
    /// Per signed-in user.
    pub per_user: u32,
    /// Per organization in the path.
    pub per_org: u32,
    /// For everyone together.
    pub global: u32,
    /// The window the counts are per.
    #[serde(with = "humantime_serde")]
    pub window: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Self::per_minute(1200, 600, 3000, 20_000)
    }
}

impl Budget {
    const fn per_minute(per_address: u32, per_user: u32, per_org: u32, global: u32) -> Self {
        Self {
            per_address,
            per_user,
            per_org,
            global,
            window: Duration::from_secs(60),
        }
    }
}

/// `[rate_limits]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Off: nothing is limited (login throttling stays).
    pub enabled: bool,
    /// `/api/v1/auth/*`: registration, login, refresh.
    pub auth: Budget,
    /// Creating payments, checkouts and refunds.
    pub money: Budget,
    /// Everything else under `/api/`.
    pub api: Budget,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            auth: Budget::per_minute(60, 0, 0, 3000),
            money: Budget::per_minute(120, 30, 300, 3000),
            api: Budget::default(),
        }
    }
}

/// Which budget a request spends.
fn class(method: &Method, template: &str) -> Option<&'static str> {
    if !template.starts_with("/api/") || template.starts_with("/api/v1/webhooks/") {
        return None;
    }
    if template.starts_with("/api/v1/auth/") {
        return Some("auth");
    }
    let money = template.ends_with("/payments")
        || template.ends_with("/checkout")
        || template.ends_with("/refunds");
    Some(if method == Method::POST && money {
        "money"
    } else {
        "api"
    })
}

/// The middleware: checks the request's keys, refuses with 429 or passes it on, and adds the
/// headers.
pub async fn limit<F, Fut>(state: &AppState, req: Request, next: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let limits = &state.http.rate_limits;
    let Some(class) = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|t| class(req.method(), t.as_str()))
        .filter(|_| limits.enabled)
    else {
        return next(req).await;
    };
    let budget = match class {
        "auth" => limits.auth,
        "money" => limits.money,
        _ => limits.api,
    };
    let (mut parts, body) = req.into_parts();
    // An IPv6 client counts by its /64, so hopping through its addresses buys nothing.
    let address = crate::auth_extract::client_ip(&parts, state).map(crate::perimeter::bucket);
    let claims = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| state.auth.verify(t.trim()));
    let user = claims.as_ref().map(|c| c.sub);
    if let Some(c) = claims {
        // Verified once: `Authenticated` only checks the session.
        parts.extensions.insert(crate::auth_extract::Verified(c));
    }
    let org = match RawPathParams::from_request_parts(&mut parts, state).await {
        Ok(params) => params
            .iter()
            .find(|(k, _)| *k == "org_id")
            .map(|(_, v)| v.to_owned()),
        Err(_) => None,
    };
    // Narrowest first, stopping at the first refusal: a flood from one address is refused on
    // its own key before it can spend the budgets others share. An organization's budget is
    // only spent by signed-in callers (membership is checked later, by the handler).
    let org = org.filter(|_| user.is_some());
    let keys = [
        ("address", budget.per_address, address.map(Key::Address)),
        ("user", budget.per_user, user.map(Key::User)),
        ("org", budget.per_org, org.as_deref().map(Key::Org)),
        ("global", budget.global, Some(Key::Global)),
    ];
    let mut tightest: Option<(&str, Quota, Decision)> = None;
    // One buffer for every key, written in place: `<class>-<scope>:<key>`.
    let mut full_key = String::with_capacity(96);
    for (scope, limit, key) in keys {
        let Some(key) = key.filter(|_| limit > 0) else {
            continue;
        };
        let quota = Quota {
            limit,
            window: budget.window,
        };
        full_key.clear();
        full_key.extend([class, "-", scope, ":"]);
        key.push_to(&mut full_key);
        let decision = match state.limiter.check(&full_key, quota).await {
            Ok(d) => d,
            Err(e) => {
                // A limiter that cannot answer must not take the API down with it.
                tracing::warn!(error = %e, "rate limiter unavailable; request let through");
                continue;
            }
        };
        if !decision.allowed {
            let policy = format!("{class}-{scope}");
            metrics::counter!("nestcms_rate_limited_total", "policy" => policy.clone())
                .increment(1);
            let mut res = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests ({policy}); retry later"),
            )
            .with_retry_after(ceil_secs(decision.retry_after))
            .into_response();
            headers(&mut res, class, scope, quota, decision);
            return res;
        }
        if tightest
            .as_ref()
            .is_none_or(|(_, _, d)| decision.remaining < d.remaining)
        {
            tightest = Some((scope, quota, decision));
        }
    }
    let mut res = next(Request::from_parts(parts, body)).await;
    if let Some((scope, quota, decision)) = tightest {
        headers(&mut res, class, scope, quota, decision);
    }
    res
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_millis()
        .div_ceil(1000)
        .try_into()
        .unwrap_or(u64::MAX)
        .max(1)
}

/// What a budget is counted by.
#[derive(Clone, Copy)]
enum Key<'a> {
    Address(std::net::IpAddr),
    User(uuid::Uuid),
    Org(&'a str),
    Global,
}

impl Key<'_> {
    /// Appends the key in hex or as given, without the formatting machinery: this runs for
    /// every budget of every API request (see `bench/limits-instructions.sh`).
    fn push_to(self, out: &mut String) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = |bytes: &[u8]| {
            for b in bytes {
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        };
        match self {
            Self::Address(std::net::IpAddr::V4(a)) => hex(&a.octets()),
            Self::Address(std::net::IpAddr::V6(a)) => hex(&a.octets()),
            Self::User(u) => hex(u.as_bytes()),
            Self::Org(o) => out.push_str(o),
            Self::Global => out.push('*'),
        }
    }
}

/// `RateLimit-Policy: "money-user";q=30;w=60` and `RateLimit: "money-user";r=29;t=2`.
fn headers(res: &mut Response, class: &str, scope: &str, quota: Quota, d: Decision) {
    // On every limited answer: written straight into two buffers, numbers by `itoa`.
    let mut n = itoa::Buffer::new();
    let mut policy = String::with_capacity(48);
    policy.extend(["\"", class, "-", scope, "\";q="]);
    policy.push_str(n.format(quota.limit));
    policy.push_str(";w=");
    policy.push_str(n.format(quota.window.as_secs().max(1)));
    let mut value = String::with_capacity(48);
    value.extend(["\"", class, "-", scope, "\";r="]);
    value.push_str(n.format(d.remaining));
    value.push_str(";t=");
    value.push_str(n.format(ceil_secs(d.reset)));
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::try_from(policy) {
        h.insert(RATELIMIT_POLICY, v);
    }
    if let Ok(v) = HeaderValue::try_from(value) {
        h.insert(RATELIMIT, v);
    }
}

const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_classed_by_route_template() {
        assert_eq!(class(&Method::POST, "/api/v1/auth/login"), Some("auth"));
        assert_eq!(
            class(&Method::POST, "/api/v1/orgs/{org_id}/payments"),
            Some("money")
        );
        assert_eq!(
            class(
                &Method::POST,
                "/api/v1/orgs/{org_id}/payments/{payment_id}/refunds"
            ),
            Some("money")
        );
        assert_eq!(
            class(&Method::GET, "/api/v1/orgs/{org_id}/payments"),
            Some("api")
        );
        assert_eq!(class(&Method::POST, "/api/v1/webhooks/paytabs"), None);
        assert_eq!(class(&Method::GET, "/health/live"), None);
    }
}
