//! A firm with an active contract and a project, built through the API as people would.

use serde_json::{Value, json};

use crate::helpers::TestApp;

pub async fn ok(res: reqwest::Response, status: u16) -> anyhow::Result<Value> {
    let code = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(code == status, "expected {status}, got {code}: {body}");
    Ok(body)
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_owned()
}

/// An organization with an owner, a client and a project on an active contract.
pub struct Site {
    pub org: String,
    pub owner: (String, String),
    pub client: (String, String),
    /// `/api/v1/orgs/{org}`.
    pub base: String,
    /// `/api/v1/orgs/{org}/projects/{id}`.
    pub project: String,
    pub project_id: String,
}

pub async fn site(app: &TestApp) -> anyhow::Result<Site> {
    let owner = app.user("owner@site.example").await?;
    let org = app.org(&owner.1, "Site Builders").await?;
    let client = app.user("client@site.example").await?;
    app.add_member(&owner.1, &org, "client@site.example", "client")
        .await?;
    let base = format!("/api/v1/orgs/{org}");
    let offer = json!({ "client_id": client.0, "title": "Villa", "scope": "Two rooms", "price": "1000.00", "currency": "SAR", "valid_until": "2099-01-01" });
    let offer = ok(
        app.post(Some(&owner.1), &format!("{base}/offers"), &offer)
            .await?,
        201,
    )
    .await?;
    let contract = ok(
        app.post(
            Some(&client.1),
            &format!("{base}/offers/{}/approve", id(&offer)),
            &json!({}),
        )
        .await?,
        201,
    )
    .await?;
    let contract_id = id(&contract);
    let one = json!([{ "amount": "1000.00", "due_date": "2027-01-01" }]);
    let res = app
        .client
        .put(app.url(&format!("{base}/contracts/{contract_id}/instalments")))
        .bearer_auth(&owner.1)
        .json(&one)
        .send()
        .await?;
    ok(res, 200).await?;
    for (who, action) in [(&client.1, "approve"), (&owner.1, "activate")] {
        ok(
            app.post(
                Some(who),
                &format!("{base}/contracts/{contract_id}/{action}"),
                &json!({}),
            )
            .await?,
            200,
        )
        .await?;
    }
    let project = json!({ "title": "Villa works", "contract_id": contract_id, "manager_id": owner.0, "start_date": "2027-01-10", "end_date": "2027-06-30" });
    let project = ok(
        app.post(Some(&owner.1), &format!("{base}/projects"), &project)
            .await?,
        201,
    )
    .await?;
    let project_id = id(&project);
    Ok(Site {
        project: format!("{base}/projects/{project_id}"),
        project_id,
        org,
        owner,
        client,
        base,
    })
}
