//! Dashboard figures are served from memory; these tests prove that a write that changes them
//! (a project, a worker, a contract's status) shows on the very next dashboard, on this
//! instance and on another one sharing the database (PostgreSQL: SQLite is one instance).

use serde_json::{Value, json};

use crate::fixtures::{Site, ok, site};
use secrecy::SecretString;

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};
use crate::metrics::{TOKEN, scrape};

/// The dashboard at `base` (an instance's URL) for the bearer of `token`.
async fn dashboard(app: &TestApp, base: &str, token: &str, f: &Site) -> anyhow::Result<Value> {
    let res = app
        .client
        .get(format!("{base}{}/analytics/dashboard", f.base))
        .bearer_auth(token)
        .send()
        .await?;
    ok(res, 200).await
}

/// How many projects in `status` that dashboard shows.
async fn projects(
    app: &TestApp,
    base: &str,
    token: &str,
    f: &Site,
    status: &str,
) -> anyhow::Result<i64> {
    Ok(count(
        &dashboard(app, base, token, f).await?["projects"],
        status,
    ))
}

fn count(list: &Value, status: &str) -> i64 {
    list.as_array()
        .into_iter()
        .flatten()
        .find(|row| row["status"] == status)
        .and_then(|row| row["count"].as_i64())
        .unwrap_or(0)
}

/// Dashboard figures served from memory so far, by any test of this process.
async fn hits(app: &TestApp) -> anyhow::Result<u64> {
    let text = scrape(app).await?;
    Ok(text
        .lines()
        .filter(|l| l.starts_with("nestcms_access_cache_lookups_total{"))
        .filter(|l| l.contains("kind=\"figures\"") && l.contains("result=\"hit\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum())
}

/// A second project on the site's contract, created by the owner through `base`.
async fn another_project(app: &TestApp, base: &str, f: &Site) -> anyhow::Result<()> {
    let contract = ok(app.get_as(&f.owner.1, &f.project).await?, 200).await?;
    let body = json!({ "title": "Annex", "contract_id": contract["contract_id"], "manager_id": f.owner.0, "start_date": "2027-02-01" });
    let res = app
        .client
        .post(format!("{base}{}/projects", f.base))
        .bearer_auth(&f.owner.1)
        .json(&body)
        .send()
        .await?;
    ok(res, 201).await?;
    Ok(())
}

/// A worker member of the site's organization, with a token.
async fn worker(app: &TestApp, f: &Site) -> anyhow::Result<(String, String)> {
    let (id, _) = app.user("worker@figures.example").await?;
    app.add_member(&f.owner.1, &f.org, "worker@figures.example", "employee")
        .await?;
    let (token, _) = app.login("worker@figures.example", PASSWORD).await?;
    Ok((id, token))
}

/// Puts `worker` on the site's project, through `base`.
async fn assign(app: &TestApp, base: &str, f: &Site, worker: &str) -> anyhow::Result<()> {
    let res = app
        .client
        .post(format!("{base}{}/workers", f.project))
        .bearer_auth(&f.owner.1)
        .json(&json!({ "user_id": worker, "role": "mason" }))
        .send()
        .await?;
    ok(res, 201).await?;
    Ok(())
}

#[tokio::test]
async fn a_warm_dashboard_is_served_from_memory_and_a_new_project_shows_at_once()
-> anyhow::Result<()> {
    let app = spawn_app_with(|c| c.metrics.token = Some(SecretString::from(TOKEN))).await?;
    let f = site(&app).await?;
    let here = app.url("");
    assert_eq!(projects(&app, &here, &f.client.1, &f, "planned").await?, 1);
    let before = hits(&app).await?;
    assert_eq!(projects(&app, &here, &f.client.1, &f, "planned").await?, 1);
    assert!(
        hits(&app).await? > before,
        "the second read was served from memory"
    );
    another_project(&app, &here, &f).await?;
    assert_eq!(projects(&app, &here, &f.client.1, &f, "planned").await?, 2);
    let (worker_id, worker) = worker(&app, &f).await?;
    assert_eq!(projects(&app, &here, &worker, &f, "planned").await?, 0);
    assign(&app, &here, &f, &worker_id).await?;
    assert_eq!(projects(&app, &here, &worker, &f, "planned").await?, 1);
    Ok(())
}

#[tokio::test]
async fn another_instance_shows_a_write_on_its_next_dashboard() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    if !app.db.is_postgres() {
        nestcms_testkit::skipped(
            "another_instance_shows_a_write_on_its_next_dashboard",
            "two instances share only PostgreSQL",
        );
        return Ok(());
    }
    let f = site(&app).await?;
    let (worker_id, worker) = worker(&app, &f).await?;
    let twin = app.twin().await?;
    for _ in 0..2 {
        assert_eq!(
            projects(&app, &twin.base, &f.client.1, &f, "planned").await?,
            1
        );
        assert_eq!(projects(&app, &twin.base, &worker, &f, "planned").await?, 0);
    }
    another_project(&app, &app.url(""), &f).await?;
    assert_eq!(
        projects(&app, &twin.base, &f.client.1, &f, "planned").await?,
        2
    );
    assign(&app, &app.url(""), &f, &worker_id).await?;
    assert_eq!(projects(&app, &twin.base, &worker, &f, "planned").await?, 1);
    // A contract closing changes the client's contract counts on the other instance too.
    let contract = ok(app.get_as(&f.owner.1, &f.project).await?, 200).await?;
    let path = format!(
        "{}/contracts/{}/close",
        f.base,
        contract["contract_id"].as_str().unwrap_or_default()
    );
    let before = dashboard(&app, &twin.base, &f.client.1, &f).await?;
    assert_eq!(count(&before["contracts"], "active"), 1);
    ok(app.post(Some(&f.owner.1), &path, &json!({})).await?, 200).await?;
    let after = dashboard(&app, &twin.base, &f.client.1, &f).await?;
    assert_eq!(count(&after["contracts"], "active"), 0);
    Ok(())
}
