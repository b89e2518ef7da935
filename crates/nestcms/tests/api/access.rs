//! Sessions, memberships and grants are served from memory; these tests prove a revocation,
//! a role change, a removal and a grant revocation take effect on the very next request, on
//! this instance and on another one sharing the database (PostgreSQL: SQLite is one instance).

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, problem, spawn_app};

/// `GET` on another instance's base URL.
async fn get_on(
    app: &TestApp,
    base: &str,
    token: &str,
    path: &str,
) -> anyhow::Result<reqwest::Response> {
    Ok(app
        .client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await?)
}

/// A service on PostgreSQL, or `None` (the test says it is skipped) on SQLite, which one
/// instance owns.
async fn on_postgres(test: &str) -> anyhow::Result<Option<TestApp>> {
    let app = spawn_app().await?;
    if app.db.is_postgres() {
        Ok(Some(app))
    } else {
        nestcms_testkit::skipped(test, "two instances share only PostgreSQL");
        Ok(None)
    }
}

/// Uses a token twice, so whatever authorizes it is cached.
async fn warm(app: &TestApp, base: &str, token: &str, path: &str) -> anyhow::Result<()> {
    for _ in 0..2 {
        let res = get_on(app, base, token, path).await?;
        anyhow::ensure!(res.status() == 200, "{path}: {}", res.text().await?);
    }
    Ok(())
}

#[tokio::test]
async fn a_logout_ends_a_cached_session_at_once() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, token) = app.user("ana@access.example").await?;
    warm(&app, &app.url(""), &token, "/api/v1/users/me").await?;
    let res = app
        .post(Some(&token), "/api/v1/auth/logout", &json!({}))
        .await?;
    assert_eq!(res.status(), 204);
    problem(
        app.get_as(&token, "/api/v1/users/me").await?,
        401,
        "session_revoked",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_demotion_applies_to_the_next_request_of_a_cached_member() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, owner) = app.user("owner@demote.example").await?;
    let org = app.org(&owner, "Demote Co").await?;
    let (admin_id, _) = app.user("admin@demote.example").await?;
    app.add_member(&owner, &org, "admin@demote.example", "admin")
        .await?;
    let (admin, _) = app.login("admin@demote.example", PASSWORD).await?;
    let audit = format!("/api/v1/orgs/{org}/audit");
    warm(&app, &app.url(""), &admin, &audit).await?;
    let res = app
        .patch(
            &owner,
            &format!("/api/v1/orgs/{org}/members/{admin_id}"),
            &json!({ "role": "employee" }),
        )
        .await?;
    assert_eq!(res.status(), 200, "{}", res.text().await?);
    problem(app.get_as(&admin, &audit).await?, 403, "forbidden").await?;
    Ok(())
}

#[tokio::test]
async fn revocation_on_one_instance_is_seen_by_the_next_request_on_another() -> anyhow::Result<()> {
    let Some(a) =
        on_postgres("revocation_on_one_instance_is_seen_by_the_next_request_on_another").await?
    else {
        return Ok(());
    };
    let b = a.twin().await?;
    let (_, phone) = a.user("sam@twins.example").await?;
    let (laptop, _) = a.login("sam@twins.example", PASSWORD).await?;
    let (tablet, _) = a.login("sam@twins.example", PASSWORD).await?;
    for token in [&phone, &laptop, &tablet] {
        warm(&a, &b.base, token, "/api/v1/users/me").await?;
    }

    let res = a
        .post(Some(&tablet), "/api/v1/auth/logout", &json!({}))
        .await?;
    assert_eq!(res.status(), 204);
    let res = get_on(&a, &b.base, &tablet, "/api/v1/users/me").await?;
    problem(res, 401, "session_revoked").await?;

    let change = json!({ "current_password": PASSWORD, "new_password": "another long passphrase" });
    let res = a
        .post(Some(&phone), "/api/v1/users/me/password", &change)
        .await?;
    assert_eq!(res.status(), 200);
    let res = get_on(&a, &b.base, &laptop, "/api/v1/users/me").await?;
    problem(res, 401, "session_revoked").await?;
    let res = get_on(&a, &b.base, &phone, "/api/v1/users/me").await?;
    assert_eq!(res.status(), 200, "the session that changed it stays");
    Ok(())
}

#[tokio::test]
async fn role_changes_and_removals_on_one_instance_apply_on_another() -> anyhow::Result<()> {
    let Some(a) = on_postgres("role_changes_and_removals_on_one_instance_apply_on_another").await?
    else {
        return Ok(());
    };
    let b = a.twin().await?;
    let (_, owner) = a.user("owner@roles.example").await?;
    let org = a.org(&owner, "Roles Co").await?;
    let (lee_id, _) = a.user("lee@roles.example").await?;
    a.add_member(&owner, &org, "lee@roles.example", "admin")
        .await?;
    let (lee, _) = a.login("lee@roles.example", PASSWORD).await?;
    let audit = format!("/api/v1/orgs/{org}/audit");
    let member = format!("/api/v1/orgs/{org}/members/{lee_id}");
    warm(&a, &b.base, &lee, &audit).await?;

    let res = a
        .patch(&owner, &member, &json!({ "role": "employee" }))
        .await?;
    assert_eq!(res.status(), 200, "{}", res.text().await?);
    let res = get_on(&a, &b.base, &lee, &audit).await?;
    problem(res, 403, "forbidden").await?;

    let org_page = format!("/api/v1/orgs/{org}");
    warm(&a, &b.base, &lee, &org_page).await?;
    let res = a
        .client
        .delete(a.url(&member))
        .bearer_auth(&owner)
        .send()
        .await?;
    assert_eq!(res.status(), 204, "{}", res.text().await?);
    let res = get_on(&a, &b.base, &lee, &org_page).await?;
    problem(res, 404, "not_found").await?;
    Ok(())
}

#[tokio::test]
async fn a_grant_revoked_on_one_instance_no_longer_opens_the_audit_log_on_another()
-> anyhow::Result<()> {
    let Some(a) =
        on_postgres("a_grant_revoked_on_one_instance_no_longer_opens_the_audit_log_on_another")
            .await?
    else {
        return Ok(());
    };
    let b = a.twin().await?;
    let (_, owner) = a.user("owner@grants2.example").await?;
    let org = a.org(&owner, "Grants Two").await?;
    let (eng_id, eng) = a.user("eng@grants2.example").await?;
    a.add_member(&owner, &org, "eng@grants2.example", "employee")
        .await?;
    let audit = format!("/api/v1/orgs/{org}/audit");
    let res = get_on(&a, &b.base, &eng, &audit).await?;
    problem(res, 403, "forbidden").await?;

    let body =
        json!({ "user_id": eng_id, "verb": "read", "object_type": "audit_log", "object_id": org });
    let res = a
        .post(Some(&owner), &format!("/api/v1/orgs/{org}/grants"), &body)
        .await?;
    assert_eq!(res.status(), 201);
    let grant: serde_json::Value = res.json().await?;
    warm(&a, &b.base, &eng, &audit).await?;

    let revoke = format!(
        "/api/v1/orgs/{org}/grants/{}/revoke",
        grant["id"].as_str().unwrap_or_default()
    );
    assert_eq!(
        a.post(Some(&owner), &revoke, &json!({})).await?.status(),
        200
    );
    let res = get_on(&a, &b.base, &eng, &audit).await?;
    problem(res, 403, "forbidden").await?;
    Ok(())
}

#[tokio::test]
async fn after_losing_its_listening_connection_an_instance_still_hears_revocations()
-> anyhow::Result<()> {
    let Some(a) =
        on_postgres("after_losing_its_listening_connection_an_instance_still_hears_revocations")
            .await?
    else {
        return Ok(());
    };
    let b = a.twin().await?;
    let (_, token) = a.user("kim@lost.example").await?;
    warm(&a, &b.base, &token, "/api/v1/users/me").await?;

    let listeners = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                     AND query LIKE 'LISTEN%' ORDER BY pid";
    let admin = sqlx::PgPool::connect(a.db.url()).await?;
    // Each instance starts listening on its own schedule, after it answers requests.
    let mut before: Vec<i32> = Vec::new();
    for _ in 0..200 {
        before = sqlx::query_scalar(listeners).fetch_all(&admin).await?;
        if before.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(before.len(), 2, "one listening connection per instance");
    for pid in &before {
        sqlx::query("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .execute(&admin)
            .await?;
    }
    // Both instances listen again on new connections.
    let mut again = Vec::new();
    for _ in 0..100 {
        again = sqlx::query_scalar(listeners).fetch_all(&admin).await?;
        if again.len() == 2 && again.iter().all(|p| !before.contains(p)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        again.len() == 2 && again.iter().all(|p| !before.contains(p)),
        "both instances listen again, on new connections: {again:?}"
    );
    warm(&a, &b.base, &token, "/api/v1/users/me").await?;

    let res = a
        .post(Some(&token), "/api/v1/auth/logout", &json!({}))
        .await?;
    assert_eq!(res.status(), 204);
    let res = get_on(&a, &b.base, &token, "/api/v1/users/me").await?;
    problem(res, 401, "session_revoked").await?;
    admin.close().await;
    Ok(())
}
