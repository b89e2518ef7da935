//! With `sms.url` set, a client who chose SMS gets the receipt as a text: a local HTTP server
//! standing in for the provider receives it once, in their language, with the right amount.
//! And e-mail that the server puts off (451) is tried again on the configured schedule.

use std::time::Duration;

use nestcms_paytabs_sim::Faults;
use nestcms_testkit::smtp::SmtpSink;
use nestcms_testkit::webhooks::Receiver;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, problem, spawn_app_with_sim_and, start_sim};
use crate::payments::{Shop, checked_out, ok, press, shop, wait_for};

/// A shop whose client registered with a phone number.
async fn shop_with_phone(app: &TestApp) -> anyhow::Result<Shop> {
    let (_, owner) = app.user("owner@pay.example").await?;
    let org = app.org(&owner, "Pay Builders").await?;
    let body = json!({ "email": "client@pay.example", "password": PASSWORD, "full_name": "Client", "phone": "+96550001234" });
    let client_id = ok(app.post(None, "/api/v1/auth/register", &body).await?, 201).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (client, _) = app.login("client@pay.example", PASSWORD).await?;
    app.add_member(&owner, &org, "client@pay.example", "client")
        .await?;
    Ok(Shop {
        org,
        owner,
        client_id,
        client,
    })
}

async fn choose(app: &TestApp, token: &str, channels: Value) -> anyhow::Result<reqwest::Response> {
    let res = app
        .client
        .put(app.url("/api/v1/users/me/notification-channels"))
        .bearer_auth(token)
        .json(&json!({ "channels": channels }))
        .send()
        .await?;
    Ok(res)
}

#[tokio::test]
async fn a_client_who_chose_sms_gets_the_receipt_as_a_text_once_in_their_language()
-> anyhow::Result<()> {
    let provider = Receiver::start().await?;
    let sim = start_sim(Faults::default()).await?;
    let url = provider.url.clone();
    let app = spawn_app_with_sim_and(&sim, move |c| {
        c.sms.url = Some(url);
        c.sms.token = Some(SecretString::from("sms-token"));
        c.sms.from = "PayBuild".into();
    })
    .await?;
    let s = shop_with_phone(&app).await?;
    crate::notifications::speaks(&app, &s.client, "ar").await?;
    let set = ok(choose(&app, &s.client, json!(["sms"])).await?, 200).await?;
    assert_eq!(set["channels"], json!(["sms"]));
    let got = ok(
        app.get_as(&s.client, "/api/v1/users/me/notification-channels")
            .await?,
        200,
    )
    .await?;
    assert_eq!(got["channels"], json!(["sms"]));

    let (path, co) = checked_out(&app, &s, "12.500", "KWD").await?;
    press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    wait_for(&app, &s, &path, "paid").await?;
    for _ in 0..200 {
        if !provider.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let texts = provider.received();
    assert_eq!(texts.len(), 1, "{texts:?}");
    let body: Value = serde_json::from_slice(&texts[0].body)?;
    assert_eq!(body["to"], "+96550001234");
    assert_eq!(body["from"], "PayBuild");
    let text = body["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("12.500 KWD") && text.contains("استلمنا"),
        "{text}"
    );
    let auth = texts[0]
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    assert_eq!(auth, Some("Bearer sms-token"));
    let list = ok(
        app.get_as(&s.client, "/api/v1/users/me/notifications")
            .await?,
        200,
    )
    .await?;
    assert_eq!(list["data"][0]["channel"], "sms", "{list}");
    assert_eq!(body["reference"], list["data"][0]["id"]);
    Ok(())
}

#[tokio::test]
async fn sms_needs_a_phone_and_channels_are_known_and_given_once() -> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim_and(&sim, |_| {}).await?;
    let s = shop(&app).await?;
    let p = problem(
        choose(&app, &s.client, json!(["email", "sms"])).await?,
        400,
        "validation_failed",
    )
    .await?;
    assert_eq!(p["errors"][0]["field"], "/channels/1", "{p}");
    let p = problem(
        choose(&app, &s.client, json!(["pigeon"])).await?,
        400,
        "validation_failed",
    )
    .await?;
    assert_eq!(p["errors"][0]["field"], "/channels/0", "{p}");
    let p = problem(
        choose(&app, &s.client, json!(["email", "email"])).await?,
        400,
        "validation_failed",
    )
    .await?;
    assert_eq!(p["errors"][0]["field"], "/channels/1", "{p}");
    let none = ok(choose(&app, &s.client, json!([])).await?, 200).await?;
    assert_eq!(none["channels"], json!([]));
    Ok(())
}

#[tokio::test]
async fn an_email_the_server_puts_off_is_sent_on_the_next_try_of_the_schedule() -> anyhow::Result<()>
{
    let sink = SmtpSink::start().await?;
    sink.fail_next(2);
    let sim = start_sim(Faults::default()).await?;
    let url = sink.url.clone();
    let app = spawn_app_with_sim_and(&sim, move |c| {
        c.mail.smtp_url = Some(SecretString::from(url));
        c.notifications.retry_schedule = Some(vec![Duration::from_millis(300).into(); 3]);
    })
    .await?;
    let s = shop(&app).await?;
    let (path, co) = checked_out(&app, &s, "250.00", "SAR").await?;
    press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    wait_for(&app, &s, &path, "paid").await?;
    let mut list = Value::Null;
    for _ in 0..200 {
        list = ok(
            app.get_as(&s.client, "/api/v1/users/me/notifications")
                .await?,
            200,
        )
        .await?;
        if list["data"][0]["status"] == "sent" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(list["data"][0]["status"], "sent", "{list}");
    assert_eq!(sink.messages().len(), 1, "two 451s, then accepted once");
    Ok(())
}
