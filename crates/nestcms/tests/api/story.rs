//! The construction story, end to end: organization → offer → contract with instalments →
//! project with steps, designs, workers, notes → earnings distributed → analytics per currency.

use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, spawn_app};

async fn ok(res: reqwest::Response, status: u16) -> anyhow::Result<Value> {
    let code = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(code == status, "expected {status}, got {code}: {body}");
    Ok(body)
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_owned()
}

struct Firm {
    org: String,
    owner: (String, String),
    engineer: (String, String),
    worker: (String, String),
    client: (String, String),
}

async fn firm(app: &TestApp) -> anyhow::Result<Firm> {
    let owner = app.user("owner@nest.example").await?;
    let org = app.org(&owner.1, "Nest Builders").await?;
    let engineer = app.user("eng@nest.example").await?;
    let worker = app.user("worker@nest.example").await?;
    let client = app.user("client@home.example").await?;
    for (email, role) in [
        ("eng@nest.example", "employee"),
        ("worker@nest.example", "employee"),
        ("client@home.example", "client"),
    ] {
        app.add_member(&owner.1, &org, email, role).await?;
    }
    Ok(Firm {
        org,
        owner,
        engineer,
        worker,
        client,
    })
}

#[tokio::test]
async fn the_whole_story_from_offer_to_analytics_to_the_cent() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let f = firm(&app).await?;
    let base = format!("/api/v1/orgs/{}", f.org);
    let valid_until = (chrono::Utc::now() + chrono::Duration::days(30))
        .date_naive()
        .to_string();

    // The engineer writes an offer; the client approves it, once.
    let offer = json!({ "client_id": f.client.0, "title": "Villa extension", "scope": "Two rooms and a roof terrace", "price": "15000.00", "currency": "SAR", "valid_until": valid_until });
    let offer = ok(
        app.post(Some(&f.engineer.1), &format!("{base}/offers"), &offer)
            .await?,
        201,
    )
    .await?;
    assert_eq!(
        (
            offer["price"].as_str(),
            offer["currency"].as_str(),
            offer["status"].as_str()
        ),
        (Some("15000.00"), Some("SAR"), Some("review"))
    );
    let offer_id = id(&offer);
    problem(
        app.post(
            Some(&f.engineer.1),
            &format!("{base}/offers/{offer_id}/approve"),
            &json!({}),
        )
        .await?,
        403,
        "forbidden",
    )
    .await?;
    let contract = ok(
        app.post(
            Some(&f.client.1),
            &format!("{base}/offers/{offer_id}/approve"),
            &json!({}),
        )
        .await?,
        201,
    )
    .await?;
    let contract_id = id(&contract);
    assert_eq!(contract["total"], "15000.00");
    assert_eq!(contract["status"], "review");
    problem(
        app.post(
            Some(&f.client.1),
            &format!("{base}/offers/{offer_id}/approve"),
            &json!({}),
        )
        .await?,
        409,
        "already_converted",
    )
    .await?;
    let offer = ok(
        app.get_as(&f.client.1, &format!("{base}/offers/{offer_id}"))
            .await?,
        200,
    )
    .await?;
    assert_eq!(offer["status"], "converted_to_contract");
    assert_eq!(offer["contract_id"], contract_id.as_str());

    // Three instalments that must sum exactly to the total.
    let instalments = format!("{base}/contracts/{contract_id}/instalments");
    let short = json!([{ "amount": "5000.00", "due_date": "2027-01-01" }, { "amount": "5000.00", "due_date": "2027-02-01" }, { "amount": "4999.99", "due_date": "2027-03-01" }]);
    let body = problem(
        app.client
            .put(app.url(&instalments))
            .bearer_auth(&f.owner.1)
            .json(&short)
            .send()
            .await?,
        422,
        "invalid_schedule",
    )
    .await?;
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("14999.99"),
        "{body}"
    );
    let bad_amount = json!([{ "amount": "15000.001", "due_date": "2027-01-01" }]);
    let body = problem(
        app.client
            .put(app.url(&instalments))
            .bearer_auth(&f.owner.1)
            .json(&bad_amount)
            .send()
            .await?,
        400,
        "validation_failed",
    )
    .await?;
    assert_eq!(body["errors"][0]["field"], "/0/amount");
    let three = json!([{ "amount": "5000.00", "due_date": "2027-01-01" }, { "amount": "5000.00", "due_date": "2027-02-01" }, { "amount": "5000.00", "due_date": "2027-03-01" }]);
    let contract = ok(
        app.client
            .put(app.url(&instalments))
            .bearer_auth(&f.owner.1)
            .json(&three)
            .send()
            .await?,
        200,
    )
    .await?;
    assert_eq!(contract["instalments"].as_array().map(Vec::len), Some(3));
    ok(
        app.post(
            Some(&f.client.1),
            &format!("{base}/contracts/{contract_id}/approve"),
            &json!({}),
        )
        .await?,
        200,
    )
    .await?;
    problem(
        app.client
            .put(app.url(&instalments))
            .bearer_auth(&f.owner.1)
            .json(&three)
            .send()
            .await?,
        409,
        "not_editable",
    )
    .await?;
    let active = ok(
        app.post(
            Some(&f.owner.1),
            &format!("{base}/contracts/{contract_id}/activate"),
            &json!({}),
        )
        .await?,
        200,
    )
    .await?;
    assert_eq!(active["status"], "active");

    // The project: steps, a design with two versions, workers, notes.
    let project = json!({ "title": "Villa extension works", "contract_id": contract_id, "manager_id": f.engineer.0, "start_date": "2027-01-10", "end_date": "2027-06-30" });
    let project = ok(
        app.post(Some(&f.owner.1), &format!("{base}/projects"), &project)
            .await?,
        201,
    )
    .await?;
    assert_eq!(
        project["client_id"],
        f.client.0.as_str(),
        "the client comes from the contract"
    );
    let p = format!("{base}/projects/{}", id(&project));
    let mut steps = Vec::new();
    for title in ["Foundations", "Structure", "Finishing"] {
        steps.push(id(&ok(
            app.post(
                Some(&f.engineer.1),
                &format!("{p}/steps"),
                &json!({ "title": title }),
            )
            .await?,
            201,
        )
        .await?));
    }
    let design = ok(
        app.post(
            Some(&f.engineer.1),
            &format!("{p}/designs"),
            &json!({ "title": "Floor plan", "url": "https://files.example/plan-v1.pdf" }),
        )
        .await?,
        201,
    )
    .await?;
    let design = ok(
        app.post(
            Some(&f.engineer.1),
            &format!("{p}/designs/{}/versions", id(&design)),
            &json!({ "url": "https://files.example/plan-v2.pdf" }),
        )
        .await?,
        201,
    )
    .await?;
    let versions: Vec<i64> = design["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["version"].as_i64())
        .collect();
    assert_eq!(versions, [1, 2]);
    ok(
        app.post(
            Some(&f.owner.1),
            &format!("{p}/workers"),
            &json!({ "user_id": f.worker.0, "role": "mason" }),
        )
        .await?,
        201,
    )
    .await?;
    problem(
        app.post(
            Some(&f.owner.1),
            &format!("{p}/workers"),
            &json!({ "user_id": f.client.0, "role": "helper" }),
        )
        .await?,
        400,
        "validation_failed",
    )
    .await?;
    let note = ok(
        app.post(
            Some(&f.engineer.1),
            &format!("{p}/notes"),
            &json!({ "body": "Concrete poured Tuesday", "design_id": id(&design) }),
        )
        .await?,
        201,
    )
    .await?;
    ok(
        app.post(
            Some(&f.client.1),
            &format!("{p}/notes"),
            &json!({ "body": "Please keep the old olive tree" }),
        )
        .await?,
        201,
    )
    .await?;
    assert_eq!(
        app.post(
            Some(&f.client.1),
            &format!("{p}/notes/{}/read", id(&note)),
            &json!({})
        )
        .await?
        .status(),
        204
    );
    let notes = ok(app.get_as(&f.engineer.1, &format!("{p}/notes")).await?, 200).await?;
    assert!(
        notes["data"][0]["read_at"].is_string() && notes["data"][0]["target"] == "design",
        "{notes}"
    );

    // Two of three steps done: 66.7 %.
    for step in &steps[..2] {
        ok(
            app.patch(
                &f.worker.1,
                &format!("{p}/steps/{step}"),
                &json!({ "status": "completed" }),
            )
            .await?,
            200,
        )
        .await?;
    }
    let detail = ok(app.get_as(&f.client.1, &p).await?, 200).await?;
    assert_eq!(detail["progress"], "66.7");
    assert_eq!(
        (
            detail["steps_completed"].as_u64(),
            detail["steps_total"].as_u64()
        ),
        (Some(2), Some(3))
    );

    // Earnings, distributed to the cent over three commissions summing to 100 %.
    for (who, pct) in [
        (&f.engineer.0, "33.34"),
        (&f.worker.0, "33.33"),
        (&f.owner.0, "33.33"),
    ] {
        ok(
            app.post(
                Some(&f.owner.1),
                &format!("{p}/commissions"),
                &json!({ "employee_id": who, "percentage": pct }),
            )
            .await?,
            201,
        )
        .await?;
    }
    let over = problem(
        app.post(
            Some(&f.owner.1),
            &format!("{p}/commissions"),
            &json!({ "employee_id": f.client.0, "percentage": "1" }),
        )
        .await?,
        400,
        "validation_failed",
    )
    .await?;
    assert_eq!(over["errors"][0]["field"], "/employee_id");
    let pid = id(&project);
    let profit = json!({ "project_id": pid, "kind": "profit", "period": "monthly", "period_start": "2027-01-01", "amount": "100.01", "currency": "SAR", "title": "January" });
    let earning = ok(
        app.post(Some(&f.owner.1), &format!("{base}/earnings"), &profit)
            .await?,
        201,
    )
    .await?;
    let loss = json!({ "project_id": pid, "kind": "loss", "period": "monthly", "period_start": "2027-02-01", "amount": "10.500", "currency": "KWD", "title": "Imported tiles" });
    ok(
        app.post(Some(&f.owner.1), &format!("{base}/earnings"), &loss)
            .await?,
        201,
    )
    .await?;
    let d = ok(
        app.post(
            Some(&f.owner.1),
            &format!("{base}/earnings/{}/distribute", id(&earning)),
            &json!({}),
        )
        .await?,
        200,
    )
    .await?;
    let mut paid: Vec<(String, String)> = d["payouts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["employee_id"].as_str().unwrap_or_default().to_owned(),
                p["amount"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    paid.sort();
    let mut expected = vec![
        (f.engineer.0.clone(), "33.35".to_owned()),
        (f.worker.0.clone(), "33.33".to_owned()),
        (f.owner.0.clone(), "33.33".to_owned()),
    ];
    expected.sort();
    assert_eq!(
        paid, expected,
        "100.01 split 33.34/33.33/33.33 %, the leftover fils to the largest remainder"
    );
    assert_eq!(d["retained"], "0.00", "nothing lost, nothing created");
    problem(
        app.post(
            Some(&f.owner.1),
            &format!("{base}/earnings/{}/distribute", id(&earning)),
            &json!({}),
        )
        .await?,
        409,
        "already_distributed",
    )
    .await?;

    // Analytics: per currency, never summed across.
    let stats = ok(
        app.get_as(&f.owner.1, &format!("{base}/analytics/earnings"))
            .await?,
        200,
    )
    .await?;
    assert_eq!(
        stats["data"],
        json!([
            { "currency": "KWD", "profit": "0.000", "loss": "10.500", "net": "-10.500", "count": 1 },
            { "currency": "SAR", "profit": "100.01", "loss": "0.00", "net": "100.01", "count": 1 },
        ])
    );
    let top = ok(
        app.get_as(
            &f.owner.1,
            &format!("{base}/analytics/top-projects?currency=SAR"),
        )
        .await?,
        200,
    )
    .await?;
    assert_eq!(
        (
            top["data"][0]["key"].as_str(),
            top["data"][0]["amount"].as_str()
        ),
        (Some(pid.as_str()), Some("100.01"))
    );
    let trend = ok(
        app.get_as(
            &f.owner.1,
            &format!("{base}/analytics/earnings/trend?currency=KWD"),
        )
        .await?,
        200,
    )
    .await?;
    assert_eq!(
        trend["data"],
        json!([{ "key": "2027-02", "label": "2027-02", "amount": "-10.500" }])
    );
    let people = ok(
        app.get_as(
            &f.owner.1,
            &format!("{base}/analytics/top-employees?currency=SAR"),
        )
        .await?,
        200,
    )
    .await?;
    assert_eq!(
        (
            people["data"][0]["key"].as_str(),
            people["data"][0]["amount"].as_str()
        ),
        (Some(f.engineer.0.as_str()), Some("33.35"))
    );
    assert!(!people.to_string().contains("argon2") && !people.to_string().contains("password"));
    let mine = ok(
        app.get_as(&f.engineer.1, &format!("{base}/analytics/dashboard"))
            .await?,
        200,
    )
    .await?;
    assert_eq!(
        mine["payouts"],
        json!([{ "currency": "SAR", "amount": "33.35" }])
    );
    let by_status = ok(
        app.get_as(&f.owner.1, &format!("{base}/analytics/status"))
            .await?,
        200,
    )
    .await?;
    assert_eq!(
        by_status["contracts"],
        json!([{ "status": "active", "count": 1 }])
    );
    assert_eq!(
        by_status["projects"],
        json!([{ "status": "planned", "count": 1 }])
    );
    let detail = ok(app.get_as(&f.owner.1, &p).await?, 200).await?;
    assert_eq!(
        detail["earnings"].as_array().map(Vec::len),
        Some(2),
        "project earnings per currency"
    );
    problem(
        app.get_as(&f.engineer.1, &format!("{base}/analytics/earnings"))
            .await?,
        403,
        "forbidden",
    )
    .await?;
    problem(
        app.get_as(&f.owner.1, &format!("{base}/analytics/top-projects"))
            .await?,
        400,
        "validation_failed",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_client_sees_only_their_own_records_and_empty_analytics_are_zeros() -> anyhow::Result<()>
{
    let app = spawn_app().await?;
    let f = firm(&app).await?;
    let base = format!("/api/v1/orgs/{}", f.org);
    let (_, other) = app.user("other@home.example").await?;
    app.add_member(&f.owner.1, &f.org, "other@home.example", "client")
        .await?;
    let valid_until = (chrono::Utc::now() + chrono::Duration::days(7))
        .date_naive()
        .to_string();
    let offer = json!({ "client_id": f.client.0, "title": "Garage", "scope": "Single garage", "price": "150.000", "currency": "KWD", "valid_until": valid_until });
    let offer = ok(
        app.post(Some(&f.engineer.1), &format!("{base}/offers"), &offer)
            .await?,
        201,
    )
    .await?;
    assert_eq!(offer["price"], "150.000");

    problem(
        app.get_as(&other, &format!("{base}/offers/{}", id(&offer)))
            .await?,
        404,
        "not_found",
    )
    .await?;
    problem(
        app.post(
            Some(&other),
            &format!("{base}/offers/{}/approve", id(&offer)),
            &json!({}),
        )
        .await?,
        404,
        "not_found",
    )
    .await?;
    let listed = ok(app.get_as(&other, &format!("{base}/offers")).await?, 200).await?;
    assert_eq!(listed["data"], json!([]));
    let listed = ok(
        app.get_as(&f.client.1, &format!("{base}/offers")).await?,
        200,
    )
    .await?;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    problem(app.post(Some(&f.client.1), &format!("{base}/offers"), &json!({ "client_id": f.client.0, "title": "x", "scope": "y", "price": "1", "currency": "KWD", "valid_until": valid_until })).await?, 403, "forbidden").await?;

    let empty = ok(
        app.get_as(&f.owner.1, &format!("{base}/analytics/earnings"))
            .await?,
        200,
    )
    .await?;
    assert_eq!(empty["data"], json!([]));
    let empty = ok(
        app.get_as(
            &f.owner.1,
            &format!("{base}/analytics/top-projects?currency=SAR"),
        )
        .await?,
        200,
    )
    .await?;
    assert_eq!(empty["data"], json!([]));
    for bad in [
        json!({ "price": "0", "currency": "SAR" }),
        json!({ "price": "-5", "currency": "SAR" }),
        json!({ "price": "1.001", "currency": "SAR" }),
        json!({ "price": "1", "currency": "XXX" }),
    ] {
        let mut body = json!({ "client_id": f.client.0, "title": "t", "scope": "s", "valid_until": valid_until });
        body["price"] = bad["price"].clone();
        body["currency"] = bad["currency"].clone();
        problem(
            app.post(Some(&f.engineer.1), &format!("{base}/offers"), &body)
                .await?,
            400,
            "validation_failed",
        )
        .await?;
    }
    Ok(())
}
