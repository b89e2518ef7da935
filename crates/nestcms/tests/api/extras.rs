//! Schedules (overlap refusal), salaries, and public articles with search.

use serde_json::{Value, json};

use crate::helpers::{problem, spawn_app};

async fn ok(res: reqwest::Response, status: u16) -> anyhow::Result<Value> {
    let code = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(code == status, "expected {status}, got {code}: {body}");
    Ok(body)
}

#[tokio::test]
async fn an_overlapping_appointment_is_refused_naming_the_conflict() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, owner) = app.user("owner@sched.example").await?;
    let org = app.org(&owner, "Sched Co").await?;
    let (eng, eng_token) = app.user("eng@sched.example").await?;
    let (client, client_token) = app.user("client@sched.example").await?;
    let (other_client, _) = app.user("other@sched.example").await?;
    app.add_member(&owner, &org, "eng@sched.example", "employee")
        .await?;
    app.add_member(&owner, &org, "client@sched.example", "client")
        .await?;
    app.add_member(&owner, &org, "other@sched.example", "client")
        .await?;
    let path = format!("/api/v1/orgs/{org}/schedules");
    let visit = |client: &str, from: &str, to: &str, title: &str| json!({ "kind": "appointment", "title": title, "client_id": client, "employee_id": eng, "starts_at": from, "ends_at": to });
    ok(
        app.post(
            Some(&owner),
            &path,
            &visit(
                &client,
                "2027-03-01T10:00:00Z",
                "2027-03-01T12:00:00Z",
                "Site visit",
            ),
        )
        .await?,
        201,
    )
    .await?;
    let clash = visit(
        &other_client,
        "2027-03-01T11:00:00Z",
        "2027-03-01T13:00:00Z",
        "Design review",
    );
    let body = problem(
        app.post(Some(&eng_token), &path, &clash).await?,
        409,
        "schedule_conflict",
    )
    .await?;
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("\"Site visit\""),
        "names the conflicting item: {body}"
    );
    ok(
        app.post(
            Some(&owner),
            &path,
            &visit(
                &other_client,
                "2027-03-01T12:00:00Z",
                "2027-03-01T13:00:00Z",
                "Back to back",
            ),
        )
        .await?,
        201,
    )
    .await?;
    problem(
        app.post(
            Some(&owner),
            &path,
            &visit(
                &client,
                "2027-03-01T12:00:00Z",
                "2027-03-01T11:00:00Z",
                "Backwards",
            ),
        )
        .await?,
        400,
        "validation_failed",
    )
    .await?;
    problem(
        app.post(
            Some(&client_token),
            &path,
            &visit(
                &client,
                "2027-03-02T10:00:00Z",
                "2027-03-02T11:00:00Z",
                "By a client",
            ),
        )
        .await?,
        403,
        "forbidden",
    )
    .await?;

    let first = ok(
        app.get_as(
            &owner,
            &format!("{path}?from=2027-03-01T00:00:00Z&to=2027-03-02T00:00:00Z"),
        )
        .await?,
        200,
    )
    .await?;
    let visit_id = first["data"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let note = ok(
        app.post(
            Some(&client_token),
            &format!("{path}/{visit_id}/notes"),
            &json!({ "body": "Gate code is 4711" }),
        )
        .await?,
        201,
    )
    .await?;
    assert_eq!(note["target"], "schedule");
    let notes = ok(
        app.get_as(&eng_token, &format!("{path}/{visit_id}/notes"))
            .await?,
        200,
    )
    .await?;
    assert_eq!(notes["data"][0]["body"], "Gate code is 4711");
    let (_, stranger) = app.user("stranger@sched.example").await?;
    app.add_member(&owner, &org, "stranger@sched.example", "client")
        .await?;
    problem(
        app.get_as(&stranger, &format!("{path}/{visit_id}/notes"))
            .await?,
        404,
        "not_found",
    )
    .await?;

    let range = "from=2027-03-01T00:00:00Z&to=2027-03-02T00:00:00Z";
    let all = ok(app.get_as(&owner, &format!("{path}?{range}")).await?, 200).await?;
    assert_eq!(all["data"].as_array().map(Vec::len), Some(2));
    let mine = ok(
        app.get_as(&client_token, &format!("{path}?{range}"))
            .await?,
        200,
    )
    .await?;
    assert_eq!(
        mine["data"].as_array().map(Vec::len),
        Some(1),
        "a client sees their own appointments only"
    );
    problem(
        app.get_as(&owner, &format!("{path}?from=2027-03-01T00:00:00Z"))
            .await?,
        400,
        "invalid_query",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn salaries_are_set_by_owners_and_seen_by_their_employee() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, owner) = app.user("owner@pay.example").await?;
    let org = app.org(&owner, "Pay Co").await?;
    let (eng, eng_token) = app.user("eng@pay.example").await?;
    let (_, other_token) = app.user("other@pay.example").await?;
    app.add_member(&owner, &org, "eng@pay.example", "employee")
        .await?;
    app.add_member(&owner, &org, "other@pay.example", "employee")
        .await?;
    let path = format!("/api/v1/orgs/{org}/salaries");
    let body = json!({ "employee_id": eng, "title": "Site engineer", "amount": "850.500", "currency": "KWD", "period": "monthly", "next_payout_date": "2027-01-28" });
    let s = ok(app.post(Some(&owner), &path, &body).await?, 201).await?;
    assert_eq!(
        (s["amount"].as_str(), s["currency"].as_str()),
        (Some("850.500"), Some("KWD"))
    );
    problem(
        app.post(Some(&eng_token), &path, &body).await?,
        403,
        "forbidden",
    )
    .await?;
    let mine = ok(app.get_as(&eng_token, &path).await?, 200).await?;
    assert_eq!(mine["data"].as_array().map(Vec::len), Some(1));
    let theirs = ok(app.get_as(&other_token, &path).await?, 200).await?;
    assert_eq!(
        theirs["data"],
        json!([]),
        "colleagues do not see each other's pay"
    );
    Ok(())
}

#[tokio::test]
async fn published_articles_are_public_and_searchable() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let (_, owner) = app.user("owner@news.example").await?;
    let org = app.org(&owner, "News Co").await?;
    let (_, client) = app.user("client@news.example").await?;
    app.add_member(&owner, &org, "client@news.example", "client")
        .await?;
    let path = format!("/api/v1/orgs/{org}/articles");
    let draft = ok(app.post(Some(&owner), &path, &json!({ "title": "Roof terraces in Riyadh heat", "body": "Shade sails and olive trees keep terraces usable." })).await?, 201).await?;
    assert_eq!(
        (draft["slug"].as_str(), draft["status"].as_str()),
        (Some("roof-terraces-in-riyadh-heat"), Some("draft"))
    );
    ok(app.post(Some(&owner), &path, &json!({ "title": "Foundations 101", "body": "Concrete needs seven days to cure.", "status": "published" })).await?, 201).await?;
    problem(
        app.post(
            Some(&owner),
            &path,
            &json!({ "title": "Roof terraces in Riyadh heat", "body": "again" }),
        )
        .await?,
        409,
        "slug_taken",
    )
    .await?;
    problem(
        app.post(
            Some(&client),
            &path,
            &json!({ "title": "Mine", "body": "x" }),
        )
        .await?,
        403,
        "forbidden",
    )
    .await?;

    let public = ok(app.get("/api/v1/articles").await?, 200).await?;
    assert_eq!(
        public["data"].as_array().map(Vec::len),
        Some(1),
        "drafts are not public"
    );
    problem(
        app.get("/api/v1/articles/roof-terraces-in-riyadh-heat")
            .await?,
        404,
        "not_found",
    )
    .await?;
    let id = draft["id"].as_str().unwrap_or_default();
    ok(
        app.patch(
            &owner,
            &format!("{path}/{id}"),
            &json!({ "status": "published" }),
        )
        .await?,
        200,
    )
    .await?;
    let one = ok(
        app.get("/api/v1/articles/roof-terraces-in-riyadh-heat")
            .await?,
        200,
    )
    .await?;
    assert!(one["published_at"].is_string());

    let search = |q: &'static str| {
        app.client
            .get(app.url(&format!("/api/v1/articles?q={q}")))
            .send()
    };
    let hits = ok(search("olive%20terraces").await?, 200).await?;
    assert_eq!(
        hits["data"][0]["slug"], "roof-terraces-in-riyadh-heat",
        "{hits}"
    );
    assert_eq!(hits["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        ok(search("concrete").await?, 200).await?["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        ok(search("olive%20concrete").await?, 200).await?["data"],
        json!([]),
        "every word must match"
    );
    for hostile in ["%22", "a%22%20OR%20b", "*", "NEAR(", "%3A"] {
        let res = search(hostile).await?;
        assert_eq!(res.status(), 200, "query text is never syntax: {hostile}");
    }
    Ok(())
}

#[tokio::test]
async fn design_files_are_uploaded_checked_and_downloaded_intact() -> anyhow::Result<()> {
    let app = crate::helpers::spawn_app_with(|c| c.server.upload_limit_bytes = 64 * 1024).await?;
    let (owner_id, owner) = app.user("owner@files.example").await?;
    let org = app.org(&owner, "Files Co").await?;
    let (_, client) = app.user("client@files.example").await?;
    app.add_member(&owner, &org, "client@files.example", "client")
        .await?;
    let project = ok(
        app.post(
            Some(&owner),
            &format!("/api/v1/orgs/{org}/projects"),
            &json!({ "title": "P", "manager_id": owner_id, "start_date": "2027-01-01" }),
        )
        .await?,
        201,
    )
    .await?;
    let p = format!(
        "/api/v1/orgs/{org}/projects/{}",
        project["id"].as_str().unwrap_or_default()
    );
    let design = ok(
        app.post(
            Some(&owner),
            &format!("{p}/designs"),
            &json!({ "title": "Plan", "url": "https://files.example/v1.pdf" }),
        )
        .await?,
        201,
    )
    .await?;
    let d = format!("{p}/designs/{}", design["id"].as_str().unwrap_or_default());
    let upload = |token: &str, ct: &str, name: &str, bytes: Vec<u8>| {
        app.client
            .post(app.url(&format!("{d}/uploads?file_name={name}")))
            .bearer_auth(token)
            .header("content-type", ct)
            .body(bytes)
            .send()
    };
    let pdf = b"%PDF-1.7\n% a tiny but real-looking PDF header\n".to_vec();
    let res = ok(
        upload(
            &owner,
            "application/pdf",
            "..%2F..%2Fetc%2FGround%20floor.pdf",
            pdf.clone(),
        )
        .await?,
        201,
    )
    .await?;
    let v2 = &res["versions"][1];
    assert_eq!(
        (
            v2["version"].as_i64(),
            v2["file_name"].as_str(),
            v2["content_type"].as_str()
        ),
        (Some(2), Some("Ground floor.pdf"), Some("application/pdf"))
    );
    assert_eq!(v2["size_bytes"].as_u64(), Some(pdf.len() as u64));

    let file = app
        .client
        .get(app.url(&format!("{d}/versions/2/file")))
        .bearer_auth(&owner)
        .send()
        .await?;
    assert_eq!(file.status(), 200);
    assert_eq!(
        file.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    assert_eq!(
        file.headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok()),
        Some("attachment; filename=\"Ground floor.pdf\"")
    );
    assert_eq!(
        file.bytes().await?.to_vec(),
        pdf,
        "the same bytes come back"
    );
    problem(
        app.get_as(&owner, &format!("{d}/versions/1/file")).await?,
        404,
        "not_found",
    )
    .await?;

    let body = problem(
        upload(
            &owner,
            "application/pdf",
            "x.pdf",
            b"MZ\x90\x00 not a pdf".to_vec(),
        )
        .await?,
        400,
        "validation_failed",
    )
    .await?;
    assert_eq!(body["errors"][0]["code"], "content_mismatch");
    let body = problem(
        upload(&owner, "text/html", "x.html", b"<script>".to_vec()).await?,
        400,
        "validation_failed",
    )
    .await?;
    assert_eq!(body["errors"][0]["code"], "unsupported_type");
    problem(
        upload(
            &owner,
            "application/pdf",
            "big.pdf",
            [b"%PDF-".as_slice(), &vec![b'x'; 70 * 1024]].concat(),
        )
        .await?,
        413,
        "payload_too_large",
    )
    .await?;
    problem(
        upload(&client, "application/pdf", "c.pdf", pdf.clone()).await?,
        404,
        "not_found",
    )
    .await?;
    Ok(())
}
