//! With `mail.smtp_url` set, a receipt goes out by e-mail: a real SMTP server (the test's
//! sink) receives it once, in the payer's language, with the right amount, however many
//! instances run.

use std::time::Duration;

use base64::Engine as _;
use nestcms_paytabs_sim::Faults;
use nestcms_testkit::smtp::SmtpSink;
use secrecy::SecretString;

use crate::helpers::{spawn_app_with_sim_and, start_sim};
use crate::payments::{checked_out, ok, press, shop, wait_for};

/// The message's parts (content type, decoded text): the mailer sends each as base64 in a
/// `multipart/alternative`.
fn parts_of(raw: &str) -> anyhow::Result<Vec<(String, String)>> {
    let raw = raw.replace("\r\n", "\n");
    let boundary = raw
        .split("boundary=\"")
        .nth(1)
        .and_then(|b| b.split('"').next())
        .ok_or_else(|| anyhow::anyhow!("not multipart: {raw}"))?;
    let mut parts = Vec::new();
    for part in raw.split(&format!("--{boundary}")).skip(1) {
        let Some((headers, body)) = part.split_once("\n\n") else {
            continue;
        };
        let Some(kind) = headers
            .lines()
            .find_map(|l| l.strip_prefix("Content-Type: "))
        else {
            continue;
        };
        let text: String = body.split_whitespace().collect();
        let decoded = base64::engine::general_purpose::STANDARD.decode(text)?;
        parts.push((kind.to_owned(), String::from_utf8(decoded)?));
    }
    Ok(parts)
}

#[tokio::test]
async fn a_receipt_reaches_a_real_smtp_server_once_in_the_payers_language() -> anyhow::Result<()> {
    let sink = SmtpSink::start().await?;
    let sim = start_sim(Faults::default()).await?;
    let url = sink.url.clone();
    let app = spawn_app_with_sim_and(&sim, move |c| {
        c.mail.smtp_url = Some(SecretString::from(url));
        c.mail.from = "Pay Builders <billing@pay.example>".into();
    })
    .await?;
    let s = shop(&app).await?;
    crate::notifications::speaks(&app, &s.client, "ar").await?;
    let (path, co) = checked_out(&app, &s, "12.500", "KWD").await?;
    press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    wait_for(&app, &s, &path, "paid").await?;
    for _ in 0..200 {
        if !sink.messages().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sent = sink.messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let raw = &sent[0];
    assert!(raw.contains("client@pay.example"), "to the payer: {raw}");
    assert!(
        raw.contains("billing@pay.example"),
        "from the configured sender: {raw}"
    );
    let parts = parts_of(raw)?;
    let kinds: Vec<&str> = parts.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["text/plain; charset=utf-8", "text/html; charset=utf-8"],
        "{raw}"
    );
    for (_, body) in &parts {
        assert!(
            body.contains("12.500 KWD") && body.contains("استلمنا"),
            "{body}"
        );
    }
    assert!(
        parts[1].1.contains("dir=\"rtl\""),
        "Arabic reads right to left: {}",
        parts[1].1
    );

    // The list shows it sent; a second instance running the consumer and the sender too
    // sends nothing more.
    let list = ok(
        app.get_as(&s.client, "/api/v1/users/me/notifications")
            .await?,
        200,
    )
    .await?;
    assert_eq!(list["data"][0]["channel"], "email");
    let id = list["data"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        raw.contains(&format!("<{id}@nestcms>")),
        "the Message-ID is the notification's"
    );
    for _ in 0..100 {
        let list = ok(
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
    let list = ok(
        app.get_as(&s.client, "/api/v1/users/me/notifications")
            .await?,
        200,
    )
    .await?;
    assert_eq!(list["data"][0]["status"], "sent");
    let _twin = app.twin().await?;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(sink.messages().len(), 1, "sent once");
    Ok(())
}
