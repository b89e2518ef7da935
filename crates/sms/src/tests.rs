//! Against a real local HTTP server standing in for the provider.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use nestcms_domain::identity::Language;

use super::*;

type Seen = Arc<Mutex<Vec<(Option<String>, serde_json::Value)>>>;

async fn provider(answer: StatusCode) -> (String, Seen) {
    let seen = Seen::default();
    let app = axum::Router::new()
        .route(
            "/send",
            axum::routing::post(
                move |State(s): State<Seen>, h: HeaderMap, Json(b): Json<serde_json::Value>| async move {
                    let auth = h.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                    s.lock().unwrap().push((auth, b));
                    answer
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn text() -> Outgoing {
    Outgoing {
        id: uuid::Uuid::now_v7(),
        to: "+96550001234".into(),
        to_name: "Client".into(),
        subject: String::new(),
        body: "استلمنا دفعتك بمبلغ 12.500 KWD".into(),
        language: Language::Ar,
    }
}

#[tokio::test]
async fn a_text_reaches_the_provider_with_the_number_the_words_the_sender_and_the_token() {
    let (url, seen) = provider(StatusCode::ACCEPTED).await;
    let sms = HttpSms::new(
        &url,
        Some(SecretString::from("tok-123")),
        "PayBuild",
        Duration::from_secs(5),
    )
    .unwrap();
    let m = text();
    sms.send(&m).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (auth, body) = &seen[0];
    assert_eq!(auth.as_deref(), Some("Bearer tok-123"));
    assert_eq!(body["to"], "+96550001234");
    assert_eq!(body["from"], "PayBuild");
    assert_eq!(body["text"], "استلمنا دفعتك بمبلغ 12.500 KWD");
    assert_eq!(body["reference"], m.id.to_string());
}

#[tokio::test]
async fn a_busy_provider_means_later_and_a_refusal_means_never() {
    let (busy, _) = provider(StatusCode::TOO_MANY_REQUESTS).await;
    let sms = HttpSms::new(&busy, None, "PayBuild", Duration::from_secs(5)).unwrap();
    assert!(matches!(
        sms.send(&text()).await,
        Err(CourierError::Unavailable(_))
    ));
    let (down, _) = provider(StatusCode::BAD_GATEWAY).await;
    let sms = HttpSms::new(&down, None, "PayBuild", Duration::from_secs(5)).unwrap();
    assert!(matches!(
        sms.send(&text()).await,
        Err(CourierError::Unavailable(_))
    ));
    let (refuses, _) = provider(StatusCode::UNPROCESSABLE_ENTITY).await;
    let sms = HttpSms::new(&refuses, None, "PayBuild", Duration::from_secs(5)).unwrap();
    assert!(matches!(
        sms.send(&text()).await,
        Err(CourierError::Refused(_))
    ));
    // Nobody listening: later.
    let sms = HttpSms::new(
        "http://127.0.0.1:9/send",
        None,
        "PayBuild",
        Duration::from_secs(5),
    )
    .unwrap();
    assert!(matches!(
        sms.send(&text()).await,
        Err(CourierError::Unavailable(_))
    ));
    // No number: never.
    let mut m = text();
    m.to = String::new();
    assert!(matches!(sms.send(&m).await, Err(CourierError::Refused(_))));
}
