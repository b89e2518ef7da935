//! Registration, sessions, refresh rotation, password change, throttling.

use serde_json::json;

use crate::helpers::{PASSWORD, problem, retry_after, spawn_app, spawn_app_with};

#[tokio::test]
async fn register_login_me_refresh_and_reuse_of_a_rotated_token_revokes_the_family()
-> anyhow::Result<()> {
    let app = spawn_app().await?;
    let id = app.register("Sara@Example.com", PASSWORD).await?;
    let (access, refresh1) = app.login("sara@example.com", PASSWORD).await?;

    let me: serde_json::Value = app
        .get_as(&access, "/api/v1/users/me")
        .await?
        .json()
        .await?;
    assert_eq!(me["user"]["id"], id.as_str());
    assert_eq!(
        me["user"]["email"], "sara@example.com",
        "e-mails are case-insensitive"
    );

    let res = app
        .post(
            None,
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": refresh1 }),
        )
        .await?;
    assert_eq!(res.status(), 200);
    let pair2: serde_json::Value = res.json().await?;
    let (access2, refresh2) = (
        pair2["access_token"].as_str().unwrap_or_default(),
        pair2["refresh_token"].as_str().unwrap_or_default(),
    );
    assert_eq!(pair2["token_type"], "Bearer");
    assert_eq!(pair2["expires_in"], 900);
    assert_ne!(refresh2, refresh1);
    assert_eq!(app.get_as(access2, "/api/v1/users/me").await?.status(), 200);

    // The rotated token comes back: theft is assumed and the whole family dies.
    let body = problem(
        app.post(
            None,
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": refresh1 }),
        )
        .await?,
        401,
        "refresh_token_reused",
    )
    .await?;
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("log in again")
    );
    problem(
        app.post(
            None,
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": refresh2 }),
        )
        .await?,
        401,
        "invalid_refresh_token",
    )
    .await?;
    problem(
        app.get_as(access2, "/api/v1/users/me").await?,
        401,
        "session_revoked",
    )
    .await?;
    problem(
        app.get_as(&access, "/api/v1/users/me").await?,
        401,
        "session_revoked",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_register_body_claiming_privileges_still_yields_a_plain_user() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let body = json!({
        "email": "mallory@example.com", "password": PASSWORD, "full_name": "Mallory",
        "role": "owner", "isAdmin": true, "is_admin": true, "adminType": "owner", "is_staff": true
    });
    let res = app.post(None, "/api/v1/auth/register", &body).await?;
    assert_eq!(res.status(), 201);
    let user: serde_json::Value = res.json().await?;
    for key in [
        "role",
        "isAdmin",
        "is_admin",
        "adminType",
        "password",
        "password_hash",
    ] {
        assert!(user.get(key).is_none(), "{key} must not appear: {user}");
    }
    let (token, _) = app.login("mallory@example.com", PASSWORD).await?;
    let me: serde_json::Value = app.get_as(&token, "/api/v1/users/me").await?.json().await?;
    assert_eq!(me["memberships"], json!([]), "no organization, no role");
    Ok(())
}

#[tokio::test]
async fn registration_validates_every_field_and_refuses_duplicates() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let bad = json!({ "email": "not-an-email", "password": "short", "full_name": " ", "phone": "0501234567" });
    let body = problem(
        app.post(None, "/api/v1/auth/register", &bad).await?,
        400,
        "validation_failed",
    )
    .await?;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["/email", "/full_name", "/password", "/phone"],
        "{body}"
    );

    app.register("dup@example.com", PASSWORD).await?;
    let again = json!({ "email": "DUP@example.com", "password": PASSWORD, "full_name": "Twin" });
    problem(
        app.post(None, "/api/v1/auth/register", &again).await?,
        409,
        "email_taken",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn wrong_credentials_say_nothing_about_which_part_was_wrong() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    app.register("known@example.com", PASSWORD).await?;
    let wrong_pw = problem(
        app.post(
            None,
            "/api/v1/auth/login",
            &json!({ "email": "known@example.com", "password": "not the password" }),
        )
        .await?,
        401,
        "invalid_credentials",
    )
    .await?;
    let unknown = problem(
        app.post(
            None,
            "/api/v1/auth/login",
            &json!({ "email": "nobody@example.com", "password": "not the password" }),
        )
        .await?,
        401,
        "invalid_credentials",
    )
    .await?;
    assert_eq!(wrong_pw["detail"], unknown["detail"]);
    problem(app.get("/api/v1/users/me").await?, 401, "unauthenticated").await?;
    problem(
        app.get_as("not.a.jwt", "/api/v1/users/me").await?,
        401,
        "invalid_token",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn logout_ends_the_session_and_a_password_change_ends_the_others() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    app.register("pat@example.com", PASSWORD).await?;
    let (phone, _) = app.login("pat@example.com", PASSWORD).await?;
    let (laptop, laptop_refresh) = app.login("pat@example.com", PASSWORD).await?;
    let (tablet, _) = app.login("pat@example.com", PASSWORD).await?;

    assert_eq!(
        app.post(Some(&tablet), "/api/v1/auth/logout", &json!({}))
            .await?
            .status(),
        204
    );
    problem(
        app.get_as(&tablet, "/api/v1/users/me").await?,
        401,
        "session_revoked",
    )
    .await?;

    let change =
        json!({ "current_password": PASSWORD, "new_password": "a brand new long passphrase" });
    let res = app
        .post(Some(&phone), "/api/v1/users/me/password", &change)
        .await?;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<serde_json::Value>().await?["other_sessions_revoked"],
        1,
        "the laptop (the tablet had logged out)"
    );
    assert_eq!(
        app.get_as(&phone, "/api/v1/users/me").await?.status(),
        200,
        "the session that changed it stays"
    );
    problem(
        app.get_as(&laptop, "/api/v1/users/me").await?,
        401,
        "session_revoked",
    )
    .await?;
    problem(
        app.post(
            None,
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": laptop_refresh }),
        )
        .await?,
        401,
        "invalid_refresh_token",
    )
    .await?;
    problem(
        app.post(
            None,
            "/api/v1/auth/login",
            &json!({ "email": "pat@example.com", "password": PASSWORD }),
        )
        .await?,
        401,
        "invalid_credentials",
    )
    .await?;
    app.login("pat@example.com", "a brand new long passphrase")
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_flood_from_one_address_is_slowed_but_the_owner_elsewhere_still_gets_in()
-> anyhow::Result<()> {
    let app = spawn_app_with(|c| c.server.trust_forwarded_for = true).await?;
    app.register("target@example.com", PASSWORD).await?;
    let attempt = |ip: &'static str, password: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&json!({ "email": "target@example.com", "password": password }))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("198.51.100.9", "guess guess guess").await?.status(),
            401
        );
    }
    let res = attempt("198.51.100.9", "guess guess guess").await?;
    let wait = retry_after(&res);
    problem(res, 429, "too_many_attempts").await?;
    assert!((1..=900).contains(&wait), "Retry-After: {wait}");
    assert_eq!(
        attempt("198.51.100.9", PASSWORD).await?.status(),
        429,
        "even the right password waits, from the attacking address"
    );
    assert_eq!(
        attempt("203.0.113.7", PASSWORD).await?.status(),
        200,
        "the owner, elsewhere, is not locked out"
    );
    Ok(())
}

#[tokio::test]
async fn me_lists_every_organization_with_its_title_and_my_role() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, owner) = app.user("owner@me.example").await?;
    let first = app.org(&owner, "Alpha Builders").await?;
    let (_, other) = app.user("other@me.example").await?;
    let second = app.org(&other, "Beta Contracting").await?;
    app.add_member(&other, &second, "owner@me.example", "manager")
        .await?;
    let me: serde_json::Value = app.get_as(&owner, "/api/v1/users/me").await?.json().await?;
    assert_eq!(me["user"]["email"], "owner@me.example");
    let mut got: Vec<(String, String, String)> = me["memberships"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let text = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
            (text("org_id"), text("org_title"), text("role"))
        })
        .collect();
    got.sort();
    let mut want = vec![
        (first, "Alpha Builders".to_owned(), "owner".to_owned()),
        (second, "Beta Contracting".to_owned(), "manager".to_owned()),
    ];
    want.sort();
    assert_eq!(got, want);
    Ok(())
}
