//! [`ApiJson`]: strict JSON request bodies with precise errors.
//!
//! axum's `Json` rejects with plain-text bodies and no field path. This extractor checks the
//! content type (415), buffers within the body limit (413), and deserialises through
//! `serde_path_to_error`, so a syntax error says line and column (400 `malformed_json`) and a
//! wrong or missing field says which one (400 `invalid_body`, with `errors[].field` as a JSON
//! pointer).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldProblem};

/// A JSON body deserialised into `T`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected a body with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is larger than the server accepts",
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unreadable_body",
                    "the request body could not be read",
                )
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

/// A path parameter set; an unparseable id is a 404 (no such resource), not a 400.
#[derive(Debug, Clone, Copy)]
pub struct ApiPath<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        if crate::text_guard::nul_in_path(parts.uri.path()) {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no resource at this path",
            ));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|_| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "no resource at this path",
                )
            })
    }
}

/// Query parameters; a malformed one is a 400 naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if let Some(field) = crate::text_guard::nul_in_query(query) {
            return Err(crate::text_guard::nul_error(field));
        }
        let de = serde_urlencoded_de(query);
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let field = format!("?{}", e.path());
                let message = e.into_inner().to_string();
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    format!("{field}: {message}"),
                )
                .with_errors(vec![FieldProblem {
                    field,
                    code: "invalid".to_owned(),
                    message,
                }])
            })
    }
}

fn serde_urlencoded_de(query: &str) -> serde_urlencoded::Deserializer<'_> {
    serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()))
}

/// A JSON body from already-buffered bytes (for handlers that also need the raw bytes), with
/// the same checks as [`ApiJson`].
pub fn json_body<T: DeserializeOwned>(
    headers: &axum::http::HeaderMap,
    bytes: &[u8],
) -> Result<T, ApiError> {
    if !is_json(headers.get(header::CONTENT_TYPE)) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "expected a body with Content-Type: application/json",
        ));
    }
    parse(bytes)
}

/// Deserialises a JSON document, mapping failures to problem errors.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Some(field) = crate::text_guard::nul_in_json(bytes) {
        return Err(crate::text_guard::nul_error(field));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let pointer = pointer_of(e.path());
        let inner = e.into_inner();
        // serde_json reports some type mismatches (a number where an enum's text belongs) as
        // syntax errors; a document that parses is never "malformed".
        let valid = serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
        body_error(&inner, pointer, valid)
    })?;
    de.end().map_err(|e| body_error(&e, String::new(), false))?;
    Ok(value)
}

fn body_error(e: &serde_json::Error, pointer: String, valid_json: bool) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io if !valid_json => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!(
                "the body is not valid JSON: error at line {} column {}",
                e.line(),
                e.column()
            ),
        ),
        _ => {
            let message = strip_position(&e.to_string());
            let field = match missing_field(&message) {
                Some(name) => format!("{pointer}/{name}"),
                None if pointer.is_empty() => "/".to_owned(),
                None => pointer,
            };
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                format!("{field}: {message}"),
            )
            .with_errors(vec![FieldProblem {
                field,
                code: "invalid".to_owned(),
                message,
            }])
        }
    }
}

/// `a.b[0].c` (serde_path_to_error) as the JSON pointer `/a/b/0/c`.
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        out.push('/');
        match seg {
            Segment::Seq { index } => out.push_str(&index.to_string()),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Unknown => out.push('?'),
        }
    }
    out
}

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn is_json(content_type: Option<&header::HeaderValue>) -> bool {
    let Some(ct) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be deserialised")]
    struct Offer {
        title: String,
        lines: Vec<Line>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[expect(dead_code, reason = "fields exist to be deserialised")]
    struct Line {
        amount: String,
    }

    fn field_of(body: &str) -> (StatusCode, String) {
        match parse::<Offer>(body.as_bytes()) {
            Ok(_) => (StatusCode::OK, String::new()),
            Err(e) => {
                let status = e.status();
                let res = axum::response::IntoResponse::into_response(e);
                let p = res.extensions().get::<crate::error::Problem>().cloned();
                (
                    status,
                    p.and_then(|p| p.errors.first().map(|f| f.field.clone()))
                        .unwrap_or_default(),
                )
            }
        }
    }

    #[test]
    fn wrong_types_and_missing_fields_name_the_json_pointer() {
        assert_eq!(
            field_of(r#"{"title":"x","lines":[{"amount":"1"},{"amount":5}]}"#),
            (StatusCode::BAD_REQUEST, "/lines/1/amount".into())
        );
        assert_eq!(
            field_of(r#"{"lines":[]}"#),
            (StatusCode::BAD_REQUEST, "/title".into())
        );
        assert_eq!(
            field_of(r#"{"title":"x","lines":[{}]}"#),
            (StatusCode::BAD_REQUEST, "/lines/0/amount".into())
        );
        assert_eq!(
            field_of(r#"{"title":"x","lines":[],"admin":true}"#),
            (StatusCode::BAD_REQUEST, "/admin".into())
        );
        assert_eq!(
            field_of(r#""just text""#),
            (StatusCode::BAD_REQUEST, "/".into())
        );
        assert_eq!(
            field_of(r#"{"title":"x","lines":[]}"#),
            (StatusCode::OK, String::new())
        );
    }

    #[test]
    fn syntax_errors_and_trailing_garbage_are_malformed_json() {
        for body in [
            r#"{"title":"x","#,
            r#"{"title":"x","lines":[]} extra"#,
            "",
            "nul",
        ] {
            let err = parse::<Offer>(body.as_bytes()).err();
            let code = err.map(|e| {
                axum::response::IntoResponse::into_response(e)
                    .extensions()
                    .get::<crate::error::Problem>()
                    .map(|p| p.code.clone())
            });
            assert_eq!(code, Some(Some("malformed_json".to_owned())), "{body:?}");
        }
    }

    #[test]
    fn json_content_types_are_recognised() {
        let hv = |s: &'static str| header::HeaderValue::from_static(s);
        assert!(is_json(Some(&hv("application/json"))));
        assert!(is_json(Some(&hv("Application/JSON; charset=utf-8"))));
        assert!(is_json(Some(&hv("application/merge-patch+json"))));
        assert!(!is_json(Some(&hv("text/plain"))));
        assert!(!is_json(Some(&hv("application/x-www-form-urlencoded"))));
        assert!(!is_json(None));
    }
}
