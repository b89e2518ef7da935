//! Refusal of U+0000 in any text a client sends.
//!
//! PostgreSQL cannot store a NUL in `text` (every such write answered 500, unauthenticated
//! registration and login included) and SQLite's full-text search chokes on it in a query.
//! No field of ours has a use for it, so it is refused at the edge, once for every route: in
//! JSON bodies (keys and values, at any depth), query parameters and path segments, with a
//! 400 that names the field.

use axum::http::StatusCode;

use crate::error::{ApiError, FieldProblem};

/// The JSON pointer of the first string (or key) holding a NUL, if any.
pub fn nul_in_json(bytes: &[u8]) -> Option<String> {
    // A NUL can only arrive escaped (raw control characters are invalid JSON); skip the walk
    // for the bodies that cannot hold one.
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    find(&value, String::new())
}

fn find(v: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) if s.contains('\0') => Some(if at.is_empty() { "/".into() } else { at }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| find(item, format!("{at}/{i}"))),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
            if k.contains('\0') {
                Some(here)
            } else {
                find(item, here)
            }
        }),
        _ => None,
    }
}

/// The first query parameter (`?name`) whose name or decoded value holds a NUL, if any.
pub fn nul_in_query(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| format!("?{}", k.replace('\0', "")))
}

/// Whether a raw request path carries an encoded NUL.
pub fn nul_in_path(path: &str) -> bool {
    path.contains("%00")
}

/// The 400 for a NUL in `field`.
pub fn nul_error(field: String) -> ApiError {
    let message = "must not contain the NUL character (U+0000)".to_owned();
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "validation_failed",
        format!("{field}: {message}"),
    )
    .with_errors(vec![FieldProblem {
        field,
        code: "nul_character".to_owned(),
        message,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_nul_is_located_by_its_json_pointer() {
        assert_eq!(
            nul_in_json(br#"{"a":"ok","b":[1,"x\u0000"]}"#),
            Some("/b/1".into())
        );
        assert_eq!(
            nul_in_json(br#"{"a/b":{"k\u0000":1}}"#),
            Some("/a~1b/k\u{0}".to_owned())
        );
        assert_eq!(nul_in_json(br#"{"a":"\\u0000 is text"}"#), None);
        assert_eq!(nul_in_json(br#"{"a":"plain"}"#), None);
        assert_eq!(nul_in_query("q=a%00b&limit=2"), Some("?q".into()));
        assert_eq!(nul_in_query("q=plain"), None);
    }
}
