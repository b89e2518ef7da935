//! No secret in the logs, no password hash in any response, across a whole session.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::json;

use secrecy::SecretString;

use crate::helpers::{PASSWORD, spawn_app_with};
use crate::metrics::{TOKEN, scrape};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of this test binary, at trace level, from the moment this is first called.
fn captured() -> &'static Buffer {
    static LOGS: OnceLock<Buffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let settings = nestcms::config::LogSettings {
            format: nestcms::config::LogFormat::Json,
            level: "trace".into(),
        };
        let _ = nestcms::telemetry::init_with_writer(
            &settings,
            &nestcms::config::TelemetrySettings::default(),
            move || writer.clone(),
        );
        buffer
    })
}

#[tokio::test]
async fn a_full_session_leaves_no_secret_in_logs_or_responses() -> anyhow::Result<()> {
    let logs = captured();
    let app = spawn_app_with(|c| c.metrics.token = Some(SecretString::from(TOKEN))).await?;
    let mut bodies = Vec::new();
    let password = "unique-password-0f9c2e71";
    let res = app
        .post(
            None,
            "/api/v1/auth/register",
            &json!({ "email": "leak@example.com", "password": password, "full_name": "Lee K" }),
        )
        .await?;
    bodies.push(res.text().await?);
    let res = app
        .post(
            None,
            "/api/v1/auth/login",
            &json!({ "email": "leak@example.com", "password": password }),
        )
        .await?;
    let tokens: serde_json::Value = serde_json::from_str(&res.text().await?)?;
    let (access, refresh) = (
        tokens["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        tokens["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    );
    let enrol: serde_json::Value = app
        .post(Some(&access), "/api/v1/users/me/mfa/totp", &json!({}))
        .await?
        .json()
        .await?;
    let totp_secret = enrol["secret"].as_str().unwrap_or_default().to_owned();
    let _ = app
        .post(
            None,
            "/api/v1/auth/login",
            &json!({ "email": "leak@example.com", "password": "wrong-password-77a1b3c9" }),
        )
        .await?;
    let res = app
        .post(
            None,
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": refresh }),
        )
        .await?;
    let rotated: serde_json::Value = serde_json::from_str(&res.text().await?)?;
    // A caller's trace: the reuse is logged inside the use case, and carries the trace id.
    let trace_id = "0af7651916cd43dd8448eb211c80319c";
    let _ = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header("traceparent", format!("00-{trace_id}-b7ad6b7169203331-01"))
        .json(&json!({ "refresh_token": refresh }))
        .send()
        .await?;
    let org = app
        .org(
            rotated["access_token"].as_str().unwrap_or(&access),
            "Leak Test",
        )
        .await;
    let _ = org;
    bodies.push(
        app.get_as(&access, "/api/v1/users/me")
            .await?
            .text()
            .await?,
    );
    app.register("other@example.com", PASSWORD).await?;
    let metrics = scrape(&app).await?;

    let text = logs
        .0
        .lock()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    assert!(
        text.contains("/api/v1/auth/login"),
        "the capture works: the request log is there"
    );
    let traced: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(&format!("\"trace_id\":\"{trace_id}\"")))
        .collect();
    assert!(
        traced
            .iter()
            .any(|l| l.contains("/api/v1/auth/refresh") && l.contains("\"span_id\":\"")),
        "the request's log lines carry the caller's trace id and a span id"
    );
    assert!(
        traced.iter().any(|l| l.contains("refresh token reused")),
        "so do lines logged deeper down, inside a use case"
    );
    let new_refresh = rotated["refresh_token"].as_str().unwrap_or_default();
    for secret in [
        password,
        "wrong-password-77a1b3c9",
        &access,
        &refresh,
        new_refresh,
        &totp_secret,
        PASSWORD,
    ] {
        assert!(!secret.is_empty());
        assert!(
            !text.contains(secret),
            "a secret reached the logs: {}…",
            &secret[..8.min(secret.len())]
        );
        assert!(
            !metrics.contains(secret),
            "a secret reached a metric label: {}…",
            &secret[..8.min(secret.len())]
        );
    }
    assert!(!text.contains("$argon2"), "no password hash in the logs");
    assert!(
        !metrics.contains(TOKEN) && !metrics.contains("leak@example.com"),
        "neither the scrape token nor an e-mail address is a label value"
    );
    for body in bodies {
        assert!(
            !body.contains("$argon2") && !body.contains("password_hash"),
            "{body}"
        );
    }
    Ok(())
}
