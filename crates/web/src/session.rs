//! The browser's session in cookies, and the CSRF token every form carries.
//!
//! The access and refresh tokens of an ordinary API session live in two HttpOnly cookies
//! (script can never read them; `Secure` when the service is behind TLS; `SameSite=Lax`, so
//! another site's form cannot post with them). An expired access token is renewed with the
//! refresh token, rotating it exactly as the API does. Forms use a double-submit token: a
//! random value in its own cookie, repeated in a hidden field, compared in constant time; a
//! post without both, or with two that differ, is refused.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use base64::Engine as _;
use nestcms_app::identity::auth::Tokens;
use rand::RngCore as _;
use subtle::ConstantTimeEq as _;

/// The access token's cookie.
pub const ACCESS: &str = "nestcms_access";
/// The refresh token's cookie.
pub const REFRESH: &str = "nestcms_refresh";
/// The CSRF token's cookie.
pub const CSRF: &str = "nestcms_csrf";
/// The language the person chose.
pub const LANG: &str = "nestcms_lang";

/// How long the refresh cookie is kept: the refresh token's own lifetime decides, this only
/// bounds how long the browser offers it.
const REFRESH_MAX_AGE: u64 = 30 * 24 * 3600;

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// One `Set-Cookie` value.
fn set(name: &str, value: &str, max_age: u64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

/// Stores a session's tokens.
pub fn keep(headers: &mut HeaderMap, t: &Tokens, secure: bool) {
    for v in [
        set(ACCESS, &t.access_token, t.expires_in, secure),
        set(REFRESH, &t.refresh_token, REFRESH_MAX_AGE, secure),
    ]
    .into_iter()
    .flatten()
    {
        headers.append(SET_COOKIE, v);
    }
}

/// Forgets the session.
pub fn forget(headers: &mut HeaderMap, secure: bool) {
    for v in [set(ACCESS, "", 0, secure), set(REFRESH, "", 0, secure)]
        .into_iter()
        .flatten()
    {
        headers.append(SET_COOKIE, v);
    }
}

/// Remembers the chosen language for a year.
pub fn remember_lang(headers: &mut HeaderMap, code: &str, secure: bool) {
    if let Some(v) = set(LANG, code, 365 * 24 * 3600, secure) {
        headers.append(SET_COOKIE, v);
    }
}

/// The form token of this browser, issuing one (and its cookie) when it has none yet.
pub fn form_token(request: &HeaderMap, response: &mut HeaderMap, secure: bool) -> String {
    if let Some(t) = cookie(request, CSRF).filter(|t| t.len() == 43) {
        return t.to_owned();
    }
    let token = nonce();
    if let Some(v) = set(CSRF, &token, 12 * 3600, secure) {
        response.append(SET_COOKIE, v);
    }
    token
}

/// 32 random bytes as 43 URL-safe characters: form tokens and one-time form keys.
pub fn nonce() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether a posted form's token matches the browser's.
pub fn form_token_ok(request: &HeaderMap, posted: &str) -> bool {
    match cookie(request, CSRF) {
        Some(kept) if !posted.is_empty() => kept.as_bytes().ct_eq(posted.as_bytes()).into(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_compared_exactly() {
        let mut req = HeaderMap::new();
        let mut res = HeaderMap::new();
        let t = form_token(&req, &mut res, true);
        assert_eq!(t.len(), 43);
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let set_cookie = res.get(SET_COOKIE).unwrap().to_str().unwrap();
        assert!(
            set_cookie.contains("HttpOnly")
                && set_cookie.contains("SameSite=Lax")
                && set_cookie.contains("Secure")
        );
        req.insert(
            COOKIE,
            HeaderValue::from_str(&format!("a=b; {CSRF}={t}")).unwrap(),
        );
        assert!(form_token_ok(&req, &t));
        assert!(!form_token_ok(&req, ""));
        assert!(!form_token_ok(&req, &t[1..]));
    }
}
