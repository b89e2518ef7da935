//! The middleware stack and error rendering, exercised through a probe router wrapped by the
//! same `layers::apply` the application uses.

use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::routing::{get, post};
use nestcms_http::extract::ApiJson;
use nestcms_http::{ApiError, HttpSettings, layers};
use serde_json::Value;
use tower::ServiceExt;

#[derive(serde::Deserialize)]
struct Quote {
    #[expect(dead_code, reason = "deserialised to exercise the extractor")]
    title: String,
    #[expect(dead_code, reason = "deserialised to exercise the extractor")]
    price: String,
}

fn probe(settings: &HttpSettings) -> Router {
    let app = Router::new()
        .route(
            "/quote",
            post(|ApiJson(_q): ApiJson<Quote>| async { "accepted" }),
        )
        .route(
            "/boom",
            get(|| async {
                Err::<(), _>(ApiError::internal(
                    "pool exhausted at db-primary.internal:5432 password=hunter2",
                ))
            }),
        )
        .route(
            "/panic",
            get(|| async {
                if true {
                    panic!("secret panic payload")
                }
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(600)).await;
                "done"
            }),
        )
        .route("/big", get(|| async { "x".repeat(4096) }));
    layers::apply(app, settings)
}

async fn call(
    app: Router,
    req: Request<Body>,
) -> anyhow::Result<(StatusCode, header::HeaderMap, Value)> {
    let res = app.oneshot(req).await?;
    let (parts, body) = res.into_parts();
    let bytes = to_bytes(body, usize::MAX).await?;
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((parts.status, parts.headers, json))
}

fn post_json(body: impl Into<Body>, content_type: &str) -> anyhow::Result<Request<Body>> {
    Ok(Request::post("/quote")
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())?)
}

fn assert_problem(headers: &header::HeaderMap, body: &Value, status: u16, code: &str) {
    assert_eq!(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["type"], format!("urn:nestcms:problem:{code}"));
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    assert!(body["errors"].is_array(), "{body}");
    let id = body["request_id"].as_str().unwrap_or_default();
    assert!(!id.is_empty(), "problem carries the request id: {body}");
    assert_eq!(
        headers.get("x-request-id").and_then(|v| v.to_str().ok()),
        Some(id),
        "same id in header and body"
    );
}

#[tokio::test]
async fn malformed_json_is_a_400_that_says_where() -> anyhow::Result<()> {
    let (status, headers, body) = call(
        probe(&HttpSettings::default()),
        post_json("{\"title\": \"x\",\n \"price\": }", "application/json")?,
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_problem(&headers, &body, 400, "malformed_json");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("line 2 column"),
        "{body}"
    );
    Ok(())
}

#[tokio::test]
async fn a_wrong_field_is_a_400_naming_the_field() -> anyhow::Result<()> {
    let (status, headers, body) = call(
        probe(&HttpSettings::default()),
        post_json(r#"{"title":"x","price":12.5}"#, "application/json")?,
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_problem(&headers, &body, 400, "invalid_body");
    assert_eq!(body["errors"][0]["field"], "/price");
    let (_, _, body) = call(
        probe(&HttpSettings::default()),
        post_json(r#"{"price":"1"}"#, "application/json")?,
    )
    .await?;
    assert_eq!(
        body["errors"][0]["field"], "/title",
        "a missing field is named too: {body}"
    );
    Ok(())
}

#[tokio::test]
async fn a_non_json_content_type_is_a_415() -> anyhow::Result<()> {
    for ct in ["text/plain", "application/x-www-form-urlencoded"] {
        let (status, headers, body) = call(
            probe(&HttpSettings::default()),
            post_json(r#"{"title":"x","price":"1"}"#, ct)?,
        )
        .await?;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}");
        assert_problem(&headers, &body, 415, "unsupported_media_type");
    }
    let (status, _, _) = call(
        probe(&HttpSettings::default()),
        post_json(
            r#"{"title":"x","price":"1"}"#,
            "application/json; charset=utf-8",
        )?,
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() -> anyhow::Result<()> {
    let settings = HttpSettings {
        body_limit_bytes: 64,
        ..HttpSettings::default()
    };
    let big = format!(r#"{{"title":"{}","price":"1"}}"#, "x".repeat(200));
    let (status, headers, body) = call(
        probe(&settings),
        post_json(big.clone(), "application/json")?,
    )
    .await?;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_problem(&headers, &body, 413, "payload_too_large");
    // Also when the client streams without announcing a length.
    let stream = futures::stream::iter(vec![Ok::<_, std::io::Error>(big.into_bytes())]);
    let (status, _, _) = call(
        probe(&settings),
        post_json(Body::from_stream(stream), "application/json")?,
    )
    .await?;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    Ok(())
}

#[tokio::test]
async fn a_panicking_handler_becomes_a_500_problem_without_its_message() -> anyhow::Result<()> {
    let (status, headers, body) = call(
        probe(&HttpSettings::default()),
        Request::get("/panic").body(Body::empty())?,
    )
    .await?;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_problem(&headers, &body, 500, "internal_error");
    assert!(!body.to_string().contains("secret panic payload"));
    Ok(())
}

#[tokio::test]
async fn a_request_over_the_timeout_is_abandoned_with_a_503_not_a_408() -> anyhow::Result<()> {
    let settings = HttpSettings {
        request_timeout: Duration::from_millis(100),
        ..HttpSettings::default()
    };
    let (status, headers, body) =
        call(probe(&settings), Request::get("/slow").body(Body::empty())?).await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_problem(&headers, &body, 503, "request_timeout");
    assert_eq!(
        headers.get(header::RETRY_AFTER).map(|v| v.as_bytes()),
        Some(&b"1"[..])
    );
    Ok(())
}

#[tokio::test]
async fn client_request_ids_are_echoed_unless_unsafe() -> anyhow::Result<()> {
    let req = Request::get("/big")
        .header("x-request-id", "client-abc_1.2")
        .body(Body::empty())?;
    let (_, headers, _) = call(probe(&HttpSettings::default()), req).await?;
    assert_eq!(
        headers.get("x-request-id").and_then(|v| v.to_str().ok()),
        Some("client-abc_1.2")
    );
    let req = Request::get("/big")
        .header("x-request-id", "evil\"}{\"level\":\"ERROR")
        .body(Body::empty())?;
    let (_, headers, _) = call(probe(&HttpSettings::default()), req).await?;
    let echoed = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        !echoed.is_empty() && !echoed.contains('"'),
        "an unsafe id is replaced: {echoed}"
    );
    Ok(())
}

#[tokio::test]
async fn security_headers_cors_and_hsts_follow_the_settings() -> anyhow::Result<()> {
    let (_, headers, _) = call(
        probe(&HttpSettings::default()),
        Request::get("/big").body(Body::empty())?,
    )
    .await?;
    assert_eq!(
        headers
            .get(header::X_CONTENT_TYPE_OPTIONS)
            .map(|v| v.as_bytes()),
        Some(&b"nosniff"[..])
    );
    assert_eq!(
        headers.get(header::X_FRAME_OPTIONS).map(|v| v.as_bytes()),
        Some(&b"DENY"[..])
    );
    assert!(headers.get(header::REFERRER_POLICY).is_some());
    assert!(
        headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(),
        "no HSTS unless behind TLS"
    );

    let settings = HttpSettings {
        behind_tls: true,
        cors_allowed_origins: vec!["https://app.example.com".into()],
        ..HttpSettings::default()
    };
    let req = |origin: &str| {
        Request::get("/big")
            .header(header::ORIGIN, origin)
            .body(Body::empty())
    };
    let (_, headers, _) = call(probe(&settings), req("https://app.example.com")?).await?;
    assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_some());
    assert_eq!(
        headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .map(|v| v.as_bytes()),
        Some(&b"https://app.example.com"[..])
    );
    let (_, headers, _) = call(probe(&settings), req("https://evil.example.net")?).await?;
    assert!(
        headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
        "unlisted origins get no CORS grant"
    );
    Ok(())
}

#[tokio::test]
async fn a_cross_origin_caller_can_read_the_stacks_own_503_and_500() -> anyhow::Result<()> {
    let settings = HttpSettings {
        request_timeout: Duration::from_millis(100),
        cors_allowed_origins: vec!["https://app.example.com".into()],
        ..HttpSettings::default()
    };
    for path in ["/slow", "/panic"] {
        let req = Request::get(path)
            .header(header::ORIGIN, "https://app.example.com")
            .body(Body::empty())?;
        let (status, headers, _) = call(probe(&settings), req).await?;
        assert!(status.is_server_error(), "{path}: {status}");
        assert_eq!(
            headers
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .map(|v| v.as_bytes()),
            Some(&b"https://app.example.com"[..]),
            "{path}: a browser app must be able to read the problem and its request id"
        );
    }
    Ok(())
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_it() -> anyhow::Result<()> {
    let req = Request::get("/big")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())?;
    let res = probe(&HttpSettings::default()).oneshot(req).await?;
    assert_eq!(
        res.headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    let bytes = to_bytes(res.into_body(), usize::MAX).await?;
    assert!(
        bytes.len() < 4096,
        "4 KiB of one letter compresses: got {}",
        bytes.len()
    );
    Ok(())
}
