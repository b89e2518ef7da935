//! A paid payment gives its client one receipt, in the client's language, readable through
//! the API, however many instances run the consumer and however often it starts again.

use std::time::Duration;

use nestcms_paytabs_sim::Faults;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, spawn_app, spawn_app_with_sim, start_sim};
use crate::payments::{checked_out, ok, press, shop, wait_for};

/// The caller's notifications, through `base` (an instance's URL).
async fn notes(app: &TestApp, base: &str, token: &str) -> anyhow::Result<Vec<Value>> {
    let res = app
        .client
        .get(format!("{base}/api/v1/users/me/notifications"))
        .bearer_auth(token)
        .send()
        .await?;
    let body = ok(res, 200).await?;
    Ok(body["data"].as_array().cloned().unwrap_or_default())
}

/// The bearer of `token` chooses `language` for their messages.
pub(crate) async fn speaks(app: &TestApp, token: &str, language: &str) -> anyhow::Result<()> {
    let res = app
        .client
        .put(app.url("/api/v1/users/me/language"))
        .bearer_auth(token)
        .json(&json!({ "language": language }))
        .send()
        .await?;
    anyhow::ensure!(ok(res, 200).await?["language"] == language);
    Ok(())
}

#[tokio::test]
async fn a_paid_payment_gives_its_client_exactly_one_receipt() -> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let here = app.url("");
    assert!(notes(&app, &here, &s.client).await?.is_empty());
    speaks(&app, &s.client, "ar").await?;
    let (path, co) = checked_out(&app, &s, "12.500", "KWD").await?;
    press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    wait_for(&app, &s, &path, "paid").await?;
    // At scale the receipt comes through the broker or, when that lags, the 5 s sweep.
    let mut got = Vec::new();
    for _ in 0..400 {
        got = notes(&app, &here, &s.client).await?;
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(got.len(), 1, "{got:?}");
    let receipt = &got[0];
    assert_eq!(receipt["kind"], "payment_receipt");
    assert_eq!(receipt["channel"], "log");
    assert_eq!(receipt["language"], "ar", "the payer chose Arabic");
    assert_eq!(receipt["org_id"].as_str(), Some(s.org.as_str()));
    let subject = receipt["subject"].as_str().unwrap_or_default();
    assert!(
        subject.contains("12.500 KWD"),
        "three decimals for KWD: {subject}"
    );
    let body = receipt["body"].as_str().unwrap_or_default();
    assert!(
        body.contains("Site survey") && body.contains("استلمنا"),
        "{body}"
    );
    assert!(
        notes(&app, &here, &s.owner).await?.is_empty(),
        "the receipt is the payer's"
    );

    // A second instance on the same database runs the consumer from the start, and the first
    // keeps running its rounds: still one receipt.
    let twin = app.twin().await?;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(notes(&app, &twin.base, &s.client).await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_language_is_chosen_at_registration_or_later_and_only_among_those_written()
-> anyhow::Result<()> {
    let app = spawn_app().await?;
    let body = json!({ "email": "huda@lang.example", "password": crate::helpers::PASSWORD, "full_name": "Huda", "language": "ar" });
    let res = app.post(None, "/api/v1/auth/register", &body).await?;
    assert_eq!(ok(res, 201).await?["language"], "ar");
    let (_, token) = app.user("omar@lang.example").await?;
    let me = ok(app.get_as(&token, "/api/v1/users/me").await?, 200).await?;
    assert_eq!(me["user"]["language"], "en", "English until chosen");
    let res = app
        .client
        .put(app.url("/api/v1/users/me/language"))
        .bearer_auth(&token)
        .json(&json!({ "language": "fr" }))
        .send()
        .await?;
    let p = problem(res, 400, "validation_failed").await?;
    assert_eq!(p["errors"][0]["field"], "/language", "{p}");
    let bad = json!({ "email": "x@lang.example", "password": crate::helpers::PASSWORD, "full_name": "X", "language": "klingon" });
    problem(
        app.post(None, "/api/v1/auth/register", &bad).await?,
        400,
        "validation_failed",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_password_change_is_announced_to_its_owner_once() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, token) = app.user("watchful@notice.example").await?;
    let change = json!({ "current_password": crate::helpers::PASSWORD, "new_password": "an entirely new passphrase" });
    ok(
        app.post(Some(&token), "/api/v1/users/me/password", &change)
            .await?,
        200,
    )
    .await?;
    let mut notices = Vec::new();
    for _ in 0..200 {
        let list = ok(
            app.get_as(&token, "/api/v1/users/me/notifications").await?,
            200,
        )
        .await?;
        notices = list["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|n| n["kind"] == "security_notice")
            .cloned()
            .collect::<Vec<Value>>();
        if !notices.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["subject"], "Your password was changed");
    assert!(
        notices[0]["body"]
            .as_str()
            .unwrap_or_default()
            .contains("127.0.0.1"),
        "{notices:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let list = ok(
        app.get_as(&token, "/api/v1/users/me/notifications").await?,
        200,
    )
    .await?;
    let again = list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["kind"] == "security_notice")
        .count();
    assert_eq!(again, 1);
    Ok(())
}
