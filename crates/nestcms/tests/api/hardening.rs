//! Defects a review and a black-box probe found, each with the test that failed before its fix.

use nestcms_store::pool::Pool;
use serde_json::{Value, json};

use crate::fixtures::{id, ok, site};
use crate::helpers::{TestApp, problem, retry_after, spawn_app};

async fn run_sql(app: &TestApp, sql: &'static str) -> anyhow::Result<u64> {
    Ok(match app.store.primary() {
        Pool::Sqlite(p) => sqlx::query(sql).execute(p).await?.rows_affected(),
        Pool::Postgres(p) => sqlx::query(sql).execute(p).await?.rows_affected(),
    })
}

#[tokio::test]
async fn money_inputs_have_a_documented_maximum_and_totals_never_wrap() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, token) = app.user("owner@money.example").await?;
    let org = app.org(&token, "Big Numbers").await?;
    let base = format!("/api/v1/orgs/{org}/earnings");
    let earning = |amount: &str| json!({ "kind": "profit", "period": "monthly", "period_start": "2027-01-01", "amount": amount, "currency": "SAR", "title": "January" });
    let res = app
        .post(Some(&token), &base, &earning("50000000000000000.00"))
        .await?;
    let body = problem(res, 400, "validation_failed").await?;
    assert_eq!(body["errors"][0]["field"], "/amount");
    assert_eq!(body["errors"][0]["code"], "amount_too_large");
    for _ in 0..2 {
        let res = app
            .post(Some(&token), &base, &earning("999999999999.99"))
            .await?;
        assert_eq!(res.status(), 201);
    }
    // Two stored amounts of 2^62 minor units (written behind the API's back) add up past 64
    // bits: the totals must be refused clearly, not wrapped into a loss or a 500.
    assert_eq!(
        run_sql(
            &app,
            "UPDATE earnings SET amount_minor = 4611686018427387904"
        )
        .await?,
        2
    );
    let res = app
        .get_as(&token, &format!("/api/v1/orgs/{org}/analytics/earnings"))
        .await?;
    problem(res, 422, "amount_too_large").await?;
    // One of them alone is still reported exactly.
    run_sql(
        &app,
        "DELETE FROM earnings WHERE id = (SELECT id FROM earnings ORDER BY id LIMIT 1)",
    )
    .await?;
    let res = app
        .get_as(&token, &format!("/api/v1/orgs/{org}/analytics/earnings"))
        .await?;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await?;
    assert!(
        body.to_string().contains("46116860184273879.04"),
        "the exact total: {body}"
    );
    Ok(())
}

#[tokio::test]
async fn ten_concurrent_sixty_percent_commissions_leave_exactly_one() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let s = site(&app).await?;
    let mut employees = Vec::new();
    for i in 0..10 {
        let email = format!("employee{i}@site.example");
        let (id, _) = app.user(&email).await?;
        app.add_member(&s.owner.1, &s.org, &email, "employee")
            .await?;
        employees.push(id);
    }
    let url = format!("{}/commissions", s.project);
    let bodies: Vec<Value> = employees
        .iter()
        .map(|e| json!({ "employee_id": e, "percentage": "60" }))
        .collect();
    let answers =
        futures::future::join_all(bodies.iter().map(|b| app.post(Some(&s.owner.1), &url, b))).await;
    let mut statuses: Vec<u16> = answers
        .into_iter()
        .map(|r| r.map(|r| r.status().as_u16()))
        .collect::<Result<_, _>>()?;
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 422, 422, 422, 422, 422, 422, 422, 422, 422]);
    // Distribution pays out 60 % of a profit, never more.
    let profit = json!({ "project_id": s.project_id, "kind": "profit", "period": "monthly", "period_start": "2027-01-01", "amount": "100.00", "currency": "SAR", "title": "January" });
    let earning = ok(
        app.post(Some(&s.owner.1), &format!("{}/earnings", s.base), &profit)
            .await?,
        201,
    )
    .await?;
    let d = ok(
        app.post(
            Some(&s.owner.1),
            &format!("{}/earnings/{}/distribute", s.base, id(&earning)),
            &json!({}),
        )
        .await?,
        200,
    )
    .await?;
    assert_eq!(d["retained"], "40.00", "{d}");
    Ok(())
}

#[tokio::test]
async fn project_profit_and_loss_is_shown_only_to_those_who_read_the_analytics()
-> anyhow::Result<()> {
    let app = spawn_app().await?;
    let s = site(&app).await?;
    let (_, employee) = app.user("mason@site.example").await?;
    app.add_member(&s.owner.1, &s.org, "mason@site.example", "employee")
        .await?;
    let profit = json!({ "project_id": s.project_id, "kind": "profit", "period": "monthly", "period_start": "2027-01-01", "amount": "250.00", "currency": "SAR", "title": "January" });
    ok(
        app.post(Some(&s.owner.1), &format!("{}/earnings", s.base), &profit)
            .await?,
        201,
    )
    .await?;
    let owner_view = ok(app.get_as(&s.owner.1, &s.project).await?, 200).await?;
    assert_eq!(owner_view["earnings"][0]["net"], "250.00", "{owner_view}");
    for (who, token) in [("client", &s.client.1), ("employee", &employee)] {
        let view = ok(app.get_as(token, &s.project).await?, 200).await?;
        assert!(
            view.get("earnings").is_none(),
            "{who} must not see profit and loss: {view}"
        );
        assert!(view["progress"].is_string(), "{who} still sees progress");
    }
    Ok(())
}

#[tokio::test]
async fn registrations_from_one_address_are_throttled() -> anyhow::Result<()> {
    let app = crate::helpers::spawn_app_with(|c| c.auth.registrations_per_hour = 3).await?;
    for i in 0..3 {
        app.register(&format!("person{i}@flood.example"), "correct horse battery")
            .await?;
    }
    let body = json!({ "email": "person3@flood.example", "password": "correct horse battery", "full_name": "Flood" });
    let res = app.post(None, "/api/v1/auth/register", &body).await?;
    let wait = retry_after(&res);
    problem(res, 429, "too_many_registrations").await?;
    assert!((3000..=3600).contains(&wait), "about an hour: {wait}");
    let login = json!({ "email": "person0@flood.example", "password": "correct horse battery" });
    let res = app.post(None, "/api/v1/auth/login", &login).await?;
    assert_eq!(res.status(), 200, "signing in is not affected");
    Ok(())
}

#[tokio::test]
async fn a_nul_character_anywhere_is_a_400_naming_the_field() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let body = json!({ "email": "nul@example.com", "password": "correct horse battery", "full_name": "A\u{0}B" });
    let res = app.post(None, "/api/v1/auth/register", &body).await?;
    let p = problem(res, 400, "validation_failed").await?;
    assert_eq!(p["errors"][0]["field"], "/full_name");
    assert_eq!(p["errors"][0]["code"], "nul_character");
    let login = json!({ "email": "x\u{0}@example.com", "password": "whatever it is" });
    let p = problem(
        app.post(None, "/api/v1/auth/login", &login).await?,
        400,
        "validation_failed",
    )
    .await?;
    assert_eq!(p["errors"][0]["field"], "/email");
    let p = problem(
        app.get("/api/v1/articles?q=%00").await?,
        400,
        "validation_failed",
    )
    .await?;
    assert_eq!(p["errors"][0]["field"], "?q");
    let res = app.get("/api/v1/articles/a%00b").await?;
    assert_eq!(res.status(), 404);
    Ok(())
}

#[tokio::test]
async fn dates_outside_1900_to_9999_are_refused_everywhere() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, token) = app.user("owner@dates.example").await?;
    let org = app.org(&token, "Time Builders").await?;
    let item = json!({ "kind": "timeline", "title": "Pour", "starts_at": "-0001-01-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z" });
    let res = app
        .post(
            Some(&token),
            &format!("/api/v1/orgs/{org}/schedules"),
            &item,
        )
        .await?;
    let p = problem(res, 400, "invalid_body").await?;
    assert_eq!(p["errors"][0]["field"], "/starts_at");
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("1900-01-01"),
        "{p}"
    );
    let res = app
        .get_as(
            &token,
            &format!(
                "/api/v1/orgs/{org}/schedules?from=-262143-01-01T00:00:00Z&to=2027-01-01T00:00:00Z"
            ),
        )
        .await?;
    let p = problem(res, 400, "invalid_query").await?;
    assert_eq!(p["errors"][0]["field"], "?from");
    let res = app
        .get_as(
            &token,
            &format!("/api/v1/orgs/{org}/analytics/earnings?from=1899-12-31"),
        )
        .await?;
    problem(res, 400, "invalid_query").await?;
    let earning = json!({ "kind": "profit", "period": "monthly", "period_start": "10000-01-01", "amount": "1.00", "currency": "SAR", "title": "Far" });
    let res = app
        .post(
            Some(&token),
            &format!("/api/v1/orgs/{org}/earnings"),
            &earning,
        )
        .await?;
    assert_eq!(res.status(), 400);
    Ok(())
}

/// Makes every insert into the security audit log fail, as a full disk or a broken trigger
/// would.
async fn break_the_audit_log(app: &TestApp) -> anyhow::Result<()> {
    match app.store.primary() {
        Pool::Sqlite(p) => {
            sqlx::raw_sql("CREATE TRIGGER audit_fails BEFORE INSERT ON security_events BEGIN SELECT RAISE(ABORT, 'forced audit failure'); END")
                .execute(p)
                .await?;
        }
        Pool::Postgres(p) => {
            sqlx::raw_sql("CREATE FUNCTION audit_fails() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'forced audit failure'; END $$ LANGUAGE plpgsql; \
                           CREATE TRIGGER audit_fails BEFORE INSERT ON security_events FOR EACH ROW EXECUTE FUNCTION audit_fails()")
                .execute(p)
                .await?;
        }
    }
    Ok(())
}

async fn count(app: &TestApp, sql: &'static str) -> anyhow::Result<i64> {
    Ok(match app.store.primary() {
        Pool::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
        Pool::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
    })
}

#[tokio::test]
async fn a_change_whose_audit_row_cannot_be_written_is_not_committed() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, owner) = app.user("owner@audit.example").await?;
    let org = app.org(&owner, "Audited Builders").await?;
    let (member, _) = app.user("member@audit.example").await?;
    app.add_member(&owner, &org, "member@audit.example", "employee")
        .await?;
    break_the_audit_log(&app).await?;

    let res = app
        .patch(
            &owner,
            &format!("/api/v1/orgs/{org}/members/{member}"),
            &json!({ "role": "admin" }),
        )
        .await?;
    problem(res, 500, "internal_error").await?;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM memberships WHERE role = 'admin'"
        )
        .await?,
        0,
        "the role change was rolled back with its audit row"
    );
    let body = json!({ "email": "ghost@audit.example", "password": "correct horse battery", "full_name": "Ghost" });
    problem(
        app.post(None, "/api/v1/auth/register", &body).await?,
        500,
        "internal_error",
    )
    .await?;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM users WHERE email = 'ghost@audit.example'"
        )
        .await?,
        0,
        "no account exists without its registration record"
    );
    problem(
        app.post(
            Some(&owner),
            "/api/v1/orgs",
            &json!({ "title": "Unrecorded" }),
        )
        .await?,
        500,
        "internal_error",
    )
    .await?;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orgs").await?, 1);
    let before = count(
        &app,
        "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL",
    )
    .await?;
    let res = app
        .post(Some(&owner), "/api/v1/auth/logout", &json!({}))
        .await?;
    assert_eq!(res.status(), 500);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL"
        )
        .await?,
        before,
        "the session stays open when its logout cannot be recorded"
    );
    Ok(())
}

#[tokio::test]
async fn inviting_reveals_nothing_about_accounts_and_joins_only_with_the_invitees_consent()
-> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, mallory) = app.user("mallory@evil.example").await?;
    let org = app.org(&mallory, "Totally Legit").await?;
    let (victim_id, victim) = app.user("victim@home.example").await?;
    let invite = |email: &str| json!({ "email": email, "role": "admin" });
    let url = format!("/api/v1/orgs/{org}/invitations");
    let known = app
        .post(Some(&mallory), &url, &invite("victim@home.example"))
        .await?;
    let unknown = app
        .post(Some(&mallory), &url, &invite("nobody@home.example"))
        .await?;
    assert_eq!(
        (known.status(), unknown.status()),
        (reqwest::StatusCode::CREATED, reqwest::StatusCode::CREATED)
    );
    let (known, unknown): (Value, Value) = (known.json().await?, unknown.json().await?);
    let shape = |v: &Value| {
        let mut keys: Vec<String> = v
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    };
    assert_eq!(
        shape(&known),
        shape(&unknown),
        "same answer whether or not the account exists"
    );
    assert!(
        !known.to_string().contains("Test Person"),
        "the invitee's name is not shown: {known}"
    );
    let members = ok(
        app.get_as(&mallory, &format!("/api/v1/orgs/{org}/members"))
            .await?,
        200,
    )
    .await?;
    assert!(
        !members.to_string().contains(&victim_id),
        "not a member before answering"
    );
    let token = known["accept_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Someone else, even holding the token, cannot answer an invitation to another address.
    let (_, other) = app.user("other@home.example").await?;
    let answer = json!({ "token": token });
    let res = app
        .post(Some(&other), "/api/v1/invitations/accept", &answer)
        .await?;
    problem(res, 404, "not_found").await?;
    // The invited address without the token gets nowhere either.
    let res = app
        .post(
            Some(&victim),
            "/api/v1/invitations/accept",
            &json!({ "token": "inv_guess" }),
        )
        .await?;
    problem(res, 404, "not_found").await?;
    let res = app
        .post(Some(&victim), "/api/v1/invitations/decline", &answer)
        .await?;
    assert_eq!(res.status(), 204);
    let res = app
        .post(Some(&victim), "/api/v1/invitations/accept", &answer)
        .await?;
    problem(res, 409, "invitation_not_pending").await?;
    let res = app.get_as(&victim, &format!("/api/v1/orgs/{org}")).await?;
    assert_eq!(res.status(), 404, "the victim never became a member");
    Ok(())
}

#[tokio::test]
async fn an_expired_invitation_does_not_block_a_new_one() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, owner) = app.user("owner@expiry.example").await?;
    let org = app.org(&owner, "Slow Replies").await?;
    let url = format!("/api/v1/orgs/{org}/invitations");
    let body = json!({ "email": "late@home.example", "role": "client" });
    assert_eq!(app.post(Some(&owner), &url, &body).await?.status(), 201);
    problem(
        app.post(Some(&owner), &url, &body).await?,
        409,
        "already_invited",
    )
    .await?;
    run_sql(&app, "UPDATE invitations SET expires_at = created_at").await?;
    let pending = ok(app.get_as(&owner, &url).await?, 200).await?;
    assert_eq!(
        pending["data"].as_array().map(Vec::len),
        Some(0),
        "expired ones are not listed"
    );
    assert_eq!(
        app.post(Some(&owner), &url, &body).await?.status(),
        201,
        "a fresh invitation replaces it"
    );
    Ok(())
}

#[tokio::test]
async fn text_has_a_maximum_and_every_part_list_pages() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let s = site(&app).await?;
    let res = app
        .patch(
            &s.owner.1,
            &s.project,
            &json!({ "description": "x".repeat(10_001) }),
        )
        .await?;
    assert_eq!(res.status(), 400, "an overlong description is refused");
    let project = json!({ "title": "Long", "contract_id": null, "manager_id": s.owner.0, "start_date": "2027-01-10", "description": "x".repeat(1_000_000) });
    let res = app
        .post(Some(&s.owner.1), &format!("{}/projects", s.base), &project)
        .await?;
    let p = problem(res, 400, "invalid_body").await?;
    assert_eq!(p["errors"][0]["field"], "/description");
    for i in 0..5 {
        let step = json!({ "title": format!("Step {i}") });
        ok(
            app.post(Some(&s.owner.1), &format!("{}/steps", s.project), &step)
                .await?,
            201,
        )
        .await?;
        let note = json!({ "body": format!("Note {i}") });
        ok(
            app.post(Some(&s.owner.1), &format!("{}/notes", s.project), &note)
                .await?,
            201,
        )
        .await?;
    }
    for part in ["steps", "notes"] {
        let first = ok(
            app.get_as(&s.owner.1, &format!("{}/{part}?limit=2", s.project))
                .await?,
            200,
        )
        .await?;
        assert_eq!(
            first["data"].as_array().map(Vec::len),
            Some(2),
            "{part}: {first}"
        );
        assert_eq!(first["has_more"], true);
        let last_id = first["data"][1]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let rest = ok(
            app.get_as(
                &s.owner.1,
                &format!("{}/{part}?limit=10&starting_after={last_id}", s.project),
            )
            .await?,
            200,
        )
        .await?;
        assert_eq!(
            rest["data"].as_array().map(Vec::len),
            Some(3),
            "{part}: {rest}"
        );
        assert_eq!(rest["has_more"], false);
        let newest = ok(
            app.get_as(
                &s.owner.1,
                &format!("{}/{part}?limit=1&order=desc", s.project),
            )
            .await?,
            200,
        )
        .await?;
        assert_ne!(
            newest["data"][0]["id"], first["data"][0]["id"],
            "desc starts at the other end"
        );
        let res = app
            .get_as(&s.owner.1, &format!("{}/{part}?limit=0", s.project))
            .await?;
        problem(res, 400, "validation_failed").await?;
    }
    Ok(())
}

#[tokio::test]
async fn an_overlong_password_is_refused_before_it_is_hashed() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let login = json!({ "email": "someone@example.com", "password": "x".repeat(100_000) });
    let res = app.post(None, "/api/v1/auth/login", &login).await?;
    let p = problem(res, 400, "validation_failed").await?;
    assert_eq!(p["errors"][0]["field"], "/password");
    Ok(())
}
