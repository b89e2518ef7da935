//! Organization isolation, roles, per-object grants and the audit log.

use serde_json::json;

use crate::helpers::{problem, spawn_app};

#[tokio::test]
async fn a_member_of_one_organization_gets_404_on_every_resource_of_another() -> anyhow::Result<()>
{
    let app = spawn_app().await?;
    let (_, alice) = app.user("alice@a.example").await?;
    let (bob_id, bob) = app.user("bob@b.example").await?;
    let org_a = app.org(&alice, "A Builders").await?;
    let org_b = app.org(&bob, "B Contracting").await?;
    let (carol_id, _) = app.user("carol@b.example").await?;
    app.add_member(&bob, &org_b, "carol@b.example", "employee")
        .await?;
    let grant: serde_json::Value = app
        .post(Some(&bob), &format!("/api/v1/orgs/{org_b}/grants"), &json!({ "user_id": carol_id, "verb": "read", "object_type": "audit_log", "object_id": org_b }))
        .await?
        .json()
        .await?;
    let grant_id = grant["id"].as_str().unwrap_or_default();
    let _ = org_a;

    let b = format!("/api/v1/orgs/{org_b}");
    let gets = [
        b.clone(),
        format!("{b}/members"),
        format!("{b}/grants"),
        format!("{b}/audit"),
    ];
    for path in &gets {
        let body = problem(app.get_as(&alice, path).await?, 404, "not_found").await?;
        assert!(
            !body.to_string().contains("B Contracting"),
            "no hint in {path}: {body}"
        );
    }
    let posts = [
        (
            format!("{b}/invitations"),
            json!({ "email": "alice@a.example", "role": "owner" }),
        ),
        (
            format!("{b}/grants"),
            json!({ "user_id": bob_id, "verb": "read", "object_type": "project", "object_id": org_b }),
        ),
        (format!("{b}/grants/{grant_id}/revoke"), json!({})),
    ];
    for (path, body) in &posts {
        problem(app.post(Some(&alice), path, body).await?, 404, "not_found").await?;
    }
    problem(
        app.patch(&alice, &b, &json!({ "title": "Taken over" }))
            .await?,
        404,
        "not_found",
    )
    .await?;
    problem(
        app.patch(
            &alice,
            &format!("{b}/members/{bob_id}"),
            &json!({ "role": "client" }),
        )
        .await?,
        404,
        "not_found",
    )
    .await?;
    let res = app
        .client
        .delete(app.url(&format!("{b}/members/{bob_id}")))
        .bearer_auth(&alice)
        .send()
        .await?;
    problem(res, 404, "not_found").await?;
    problem(
        app.get_as(&alice, "/api/v1/orgs/not-a-uuid").await?,
        404,
        "not_found",
    )
    .await?;

    // Nothing changed in B.
    let org: serde_json::Value = app.get_as(&bob, &b).await?.json().await?;
    assert_eq!(org["title"], "B Contracting");
    let members: serde_json::Value = app
        .get_as(&bob, &format!("{b}/members"))
        .await?
        .json()
        .await?;
    assert_eq!(members["data"].as_array().map(Vec::len), Some(2));
    Ok(())
}

#[tokio::test]
async fn roles_decide_who_administers_and_the_last_owner_stays() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (owner_id, owner) = app.user("owner@nest.example").await?;
    let org = app.org(&owner, "Nest").await?;
    let (eng_id, eng) = app.user("eng@nest.example").await?;
    let (client_id, client) = app.user("client@home.example").await?;
    app.add_member(&owner, &org, "eng@nest.example", "employee")
        .await?;
    app.add_member(&owner, &org, "client@home.example", "client")
        .await?;
    let member = |id: &str| format!("/api/v1/orgs/{org}/members/{id}");

    problem(
        app.patch(&eng, &member(&client_id), &json!({ "role": "manager" }))
            .await?,
        403,
        "forbidden",
    )
    .await?;
    problem(
        app.patch(&eng, &member(&eng_id), &json!({ "role": "admin" }))
            .await?,
        403,
        "forbidden",
    )
    .await?;
    problem(
        app.post(
            Some(&eng),
            &format!("/api/v1/orgs/{org}/invitations"),
            &json!({ "email": "x@y.example", "role": "client" }),
        )
        .await?,
        403,
        "forbidden",
    )
    .await?;
    problem(
        app.get_as(&client, &format!("/api/v1/orgs/{org}/members"))
            .await?,
        403,
        "forbidden",
    )
    .await?;
    assert_eq!(
        app.get_as(&eng, &format!("/api/v1/orgs/{org}/members"))
            .await?
            .status(),
        200
    );

    let res = app
        .patch(&owner, &member(&eng_id), &json!({ "role": "manager" }))
        .await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<serde_json::Value>().await?["role"], "manager");
    problem(
        app.patch(&owner, &member(&owner_id), &json!({ "role": "admin" }))
            .await?,
        409,
        "last_owner",
    )
    .await?;
    let res = app
        .client
        .delete(app.url(&member(&owner_id)))
        .bearer_auth(&owner)
        .send()
        .await?;
    problem(res, 409, "last_owner").await?;

    // The owner promotes an admin; an admin still cannot touch the owner.
    app.patch(&owner, &member(&eng_id), &json!({ "role": "admin" }))
        .await?;
    problem(
        app.patch(&eng, &member(&owner_id), &json!({ "role": "client" }))
            .await?,
        403,
        "forbidden",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn revoking_a_grant_removes_access_on_the_next_request() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, owner) = app.user("owner@grant.example").await?;
    let org = app.org(&owner, "Grants Ltd").await?;
    let (eng_id, eng) = app.user("eng@grant.example").await?;
    app.add_member(&owner, &org, "eng@grant.example", "employee")
        .await?;
    let audit = format!("/api/v1/orgs/{org}/audit");

    problem(app.get_as(&eng, &audit).await?, 403, "forbidden").await?;
    let res = app
        .post(Some(&owner), &format!("/api/v1/orgs/{org}/grants"), &json!({ "user_id": eng_id, "verb": "read", "object_type": "audit_log", "object_id": org }))
        .await?;
    assert_eq!(res.status(), 201);
    let grant: serde_json::Value = res.json().await?;
    assert_eq!(grant["status"], "granted");
    assert_eq!(
        app.get_as(&eng, &audit).await?.status(),
        200,
        "the grant adds what the role lacks"
    );

    let res = app
        .post(
            Some(&owner),
            &format!(
                "/api/v1/orgs/{org}/grants/{}/revoke",
                grant["id"].as_str().unwrap_or_default()
            ),
            &json!({}),
        )
        .await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<serde_json::Value>().await?["status"], "revoked");
    problem(app.get_as(&eng, &audit).await?, 403, "forbidden").await?;

    let listed: serde_json::Value = app
        .get_as(
            &owner,
            &format!("/api/v1/orgs/{org}/grants?user_id={eng_id}"),
        )
        .await?
        .json()
        .await?;
    assert!(
        listed["data"][0]["revoked_by"].is_string() && listed["data"][0]["revoked_at"].is_string(),
        "revocations are kept with who and when: {listed}"
    );
    Ok(())
}

#[tokio::test]
async fn the_audit_log_records_logins_and_role_changes_newest_first_in_pages() -> anyhow::Result<()>
{
    let app = spawn_app().await?;
    let (owner_id, owner) = app.user("owner@audit.example").await?;
    let org = app.org(&owner, "Audit Co").await?;
    let (eng_id, _) = app.user("eng@audit.example").await?;
    app.add_member(&owner, &org, "eng@audit.example", "employee")
        .await?;
    app.patch(
        &owner,
        &format!("/api/v1/orgs/{org}/members/{eng_id}"),
        &json!({ "role": "manager" }),
    )
    .await?;
    let _ = app
        .post(
            None,
            "/api/v1/auth/login",
            &json!({ "email": "eng@audit.example", "password": "wrong wrong wrong" }),
        )
        .await?;

    let page: serde_json::Value = app
        .get_as(&owner, &format!("/api/v1/orgs/{org}/audit?limit=2"))
        .await?
        .json()
        .await?;
    let kinds: Vec<&str> = page["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["login_failed", "role_changed"], "{page}");
    assert_eq!(page["has_more"], true);
    assert_eq!(page["data"][1]["actor_id"], owner_id.as_str());
    assert_eq!(
        page["data"][1]["detail"],
        json!({ "from": "employee", "to": "manager" })
    );
    assert!(page["data"][0]["ip"].is_string());

    let last = page["data"][1]["id"].as_str().unwrap_or_default();
    let next: serde_json::Value = app
        .get_as(
            &owner,
            &format!("/api/v1/orgs/{org}/audit?limit=100&starting_after={last}"),
        )
        .await?
        .json()
        .await?;
    let kinds: Vec<&str> = next["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"member_added")
            && kinds.contains(&"login_succeeded")
            && kinds.contains(&"org_created"),
        "{kinds:?}"
    );
    assert_eq!(next["has_more"], false);
    Ok(())
}
