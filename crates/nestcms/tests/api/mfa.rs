//! Two-factor authentication, and organizations that require it.

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, problem, spawn_app};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Enrols the user behind `token`; returns (secret, recovery codes).
async fn enrol(app: &TestApp, token: &str) -> anyhow::Result<(String, Vec<String>)> {
    let e: serde_json::Value = app
        .post(Some(token), "/api/v1/users/me/mfa/totp", &json!({}))
        .await?
        .json()
        .await?;
    let secret = e["secret"].as_str().unwrap_or_default().to_owned();
    assert!(
        e["otpauth_url"]
            .as_str()
            .unwrap_or_default()
            .starts_with("otpauth://totp/")
    );
    let code = nestcms_auth::totp::code_at(&secret, now())?;
    let res = app
        .post(
            Some(token),
            "/api/v1/users/me/mfa/totp/confirm",
            &json!({ "code": code }),
        )
        .await?;
    assert_eq!(res.status(), 200);
    let codes: serde_json::Value = res.json().await?;
    let codes = codes["recovery_codes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    Ok((secret, codes))
}

fn login_body(code: Option<&str>) -> serde_json::Value {
    json!({ "email": "owner@mfa.example", "password": PASSWORD, "totp_code": code })
}

#[tokio::test]
async fn an_owner_in_an_mfa_requiring_organization_gets_no_tokens_without_a_valid_code()
-> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, owner) = app.user("owner@mfa.example").await?;
    let org = app.org(&owner, "Secure Builders").await?;
    problem(
        app.patch(
            &owner,
            &format!("/api/v1/orgs/{org}"),
            &json!({ "require_mfa": true }),
        )
        .await?,
        409,
        "admins_without_mfa",
    )
    .await?;

    let (secret, recovery) = enrol(&app, &owner).await?;
    assert_eq!(recovery.len(), 10);
    let res = app
        .patch(
            &owner,
            &format!("/api/v1/orgs/{org}"),
            &json!({ "require_mfa": true }),
        )
        .await?;
    assert_eq!(res.status(), 200);

    for (code, expected) in [
        (None, "mfa_required"),
        (Some("000000"), "invalid_mfa_code"),
        (Some("not-a-code"), "invalid_mfa_code"),
    ] {
        let body = problem(
            app.post(None, "/api/v1/auth/login", &login_body(code))
                .await?,
            401,
            expected,
        )
        .await?;
        assert!(body.get("access_token").is_none());
    }
    // A fresh step's code works once; the same code again is a replay.
    let step = (now() / 30 + 1) * 30;
    let code = nestcms_auth::totp::code_at(&secret, step)?;
    let res = app
        .post(None, "/api/v1/auth/login", &login_body(Some(&code)))
        .await?;
    assert_eq!(res.status(), 200, "{}", res.text().await?);
    problem(
        app.post(None, "/api/v1/auth/login", &login_body(Some(&code)))
            .await?,
        401,
        "invalid_mfa_code",
    )
    .await?;

    // A recovery code works exactly once, whatever its case and spacing.
    let typed = recovery[0].to_uppercase().replace('-', " ");
    assert_eq!(
        app.post(None, "/api/v1/auth/login", &login_body(Some(&typed)))
            .await?
            .status(),
        200
    );
    problem(
        app.post(None, "/api/v1/auth/login", &login_body(Some(&typed)))
            .await?,
        401,
        "invalid_mfa_code",
    )
    .await?;

    // Required by the organization: it cannot be switched off.
    let now_code = nestcms_auth::totp::code_at(&secret, (now() / 30 + 2) * 30)?;
    problem(
        app.post(
            Some(&owner),
            "/api/v1/users/me/mfa/totp/disable",
            &json!({ "code": now_code }),
        )
        .await?,
        409,
        "mfa_required_by_org",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn promoting_someone_without_mfa_to_admin_of_an_mfa_organization_is_refused()
-> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, owner) = app.user("owner@mfa.example").await?;
    let org = app.org(&owner, "Secure Builders").await?;
    enrol(&app, &owner).await?;
    app.patch(
        &owner,
        &format!("/api/v1/orgs/{org}"),
        &json!({ "require_mfa": true }),
    )
    .await?;
    let (eng_id, _) = app.user("eng@mfa.example").await?;
    app.add_member(&owner, &org, "eng@mfa.example", "employee")
        .await?;
    let res = app
        .patch(
            &owner,
            &format!("/api/v1/orgs/{org}/members/{eng_id}"),
            &json!({ "role": "admin" }),
        )
        .await?;
    problem(res, 409, "mfa_not_enrolled").await?;
    let (_, eng) = app
        .login("eng@mfa.example", PASSWORD)
        .await
        .map(|(a, r)| (r, a))?;
    assert_eq!(
        app.get_as(&eng, "/api/v1/users/me").await?.status(),
        200,
        "an employee still logs in without a code"
    );
    Ok(())
}
