//! Sagas end to end: paying a contract's first instalment marks it paid, records the receipt
//! and activates the contract's planned project, each step visible on the payment; a later
//! instalment does not touch the project; a full refund reopens the instalment and tells the
//! client.

use std::time::Duration;

use nestcms_paytabs_sim::Faults;
use serde_json::{Value, json};

use crate::helpers::{TestApp, refuse_notifications, spawn_app_with_sim, start_sim};
use crate::instalments::{approved_contract_due, paid_instalment as pay};
use crate::payments::{Shop, ok, shop};

/// Waits until the payment's saga of `kind` is over (up to 30 s: a step waiting on a late
/// receipt retries after 2, 4, then 8 s); returns it.
pub(crate) async fn finished(
    app: &TestApp,
    token: &str,
    path: &str,
    kind: &str,
) -> anyhow::Result<Value> {
    let mut last = Value::Null;
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        last = ok(app.get_as(token, &format!("{path}/sagas")).await?, 200).await?;
        let done = last["data"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["kind"] == kind && s["state"] != "running");
        if let Some(s) = done {
            return Ok(s.clone());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("no finished {kind} saga: {last}")
}

fn steps(saga: &Value) -> Vec<(String, String)> {
    saga["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or_default().to_owned(),
                s["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_owned(), b.to_owned())
}

/// A planned project of the contract; returns its path.
async fn planned_project(app: &TestApp, s: &Shop, contract: &str) -> anyhow::Result<String> {
    let me = ok(app.get_as(&s.owner, "/api/v1/users/me").await?, 200).await?;
    let today = chrono::Utc::now().date_naive().to_string();
    let body = json!({ "title": "Villa works", "contract_id": contract, "manager_id": me["user"]["id"], "start_date": today });
    let projects = format!("/api/v1/orgs/{}/projects", s.org);
    let project = ok(app.post(Some(&s.owner), &projects, &body).await?, 201).await?;
    assert_eq!(project["status"], "planned");
    Ok(format!(
        "{projects}/{}",
        project["id"].as_str().unwrap_or_default()
    ))
}

#[tokio::test]
async fn the_first_instalment_paid_activates_the_project_and_a_full_refund_reopens_it()
-> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let (_, contract) = approved_contract_due(&app, &s, [5, 30, 60]).await?;
    let project = planned_project(&app, &s, &contract).await?;

    let first = pay(&app, &s, &contract, 1).await?;
    let saga = finished(&app, &s.owner, &first, "payment").await?;
    let hidden = app.get_as(&s.client, &format!("{first}/sagas")).await?;
    assert_eq!(hidden.status(), 403, "a client does not see sagas");
    assert_eq!(saga["state"], "completed", "{saga}");
    assert_eq!(
        steps(&saga),
        [
            pair("instalment_paid", "done"),
            pair("invoice_issued", "skipped"),
            pair("receipt_sent", "done"),
            pair("project_activated", "done")
        ],
        "{saga}"
    );
    assert_eq!(
        ok(app.get_as(&s.owner, &project).await?, 200).await?["status"],
        "active"
    );

    // A later instalment leaves the project as it is.
    let second = pay(&app, &s, &contract, 2).await?;
    let saga = finished(&app, &s.owner, &second, "payment").await?;
    assert_eq!(
        steps(&saga)[3],
        pair("project_activated", "skipped"),
        "{saga}"
    );

    // A full refund of the second: its instalment is owed again and the client is told.
    let refund = json!({ "amount": "150.000", "reason": "Works postponed" });
    ok(
        app.post(Some(&s.owner), &format!("{second}/refunds"), &refund)
            .await?,
        201,
    )
    .await?;
    let saga = finished(&app, &s.owner, &second, "refund").await?;
    assert_eq!(saga["state"], "completed", "{saga}");
    assert_eq!(
        steps(&saga),
        [
            pair("instalment_reopened", "done"),
            pair("credit_note_issued", "skipped"),
            pair("client_notified", "done")
        ]
    );
    let told = ok(
        app.get_as(&s.client, "/api/v1/users/me/notifications")
            .await?,
        200,
    )
    .await?;
    let kinds: Vec<&str> = told["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "refund_issued").count(),
        1,
        "{kinds:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_refund_the_gateway_declines_is_compensated_and_the_owner_alerted() -> anyhow::Result<()>
{
    let sim = start_sim(Faults {
        decline_refunds: true,
        ..Faults::default()
    })
    .await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let (path, co) = crate::payments::checked_out(&app, &s, "90.00", "SAR").await?;
    crate::payments::press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    crate::payments::wait_for(&app, &s, &path, "paid").await?;
    let refund = json!({ "amount": "90.00", "reason": "Cancelled survey" });
    app.post(Some(&s.owner), &format!("{path}/refunds"), &refund)
        .await?;
    let saga = finished(&app, &s.owner, &path, "refund").await?;
    assert_eq!(saga["state"], "compensated", "{saga}");
    assert_eq!(
        steps(&saga),
        [
            pair("amount_released", "done"),
            pair("staff_alerted", "done")
        ]
    );
    // The amount is free again: the payment stays paid, and the owner was told.
    let p = ok(app.get_as(&s.owner, &path).await?, 200).await?;
    assert_eq!(
        (p["state"].as_str(), p["refunds"][0]["state"].as_str()),
        (Some("paid"), Some("failed")),
        "{p}"
    );
    let told = ok(
        app.get_as(&s.owner, "/api/v1/users/me/notifications")
            .await?,
        200,
    )
    .await?;
    let alerts = told["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["kind"] == "refund_failed")
        .count();
    assert_eq!(alerts, 1, "{told}");
    Ok(())
}

#[tokio::test]
async fn a_payment_saga_whose_receipt_never_comes_goes_on_without_it_after_a_day()
-> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let (_, contract) = approved_contract_due(&app, &s, [5, 30, 60]).await?;
    let project = planned_project(&app, &s, &contract).await?;
    // Every receipt fails to record: the saga waits for one that never comes.
    refuse_notifications(&app, "NEW.kind = 'payment_receipt'").await?;

    let first = pay(&app, &s, &contract, 1).await?;
    let payment = uuid::Uuid::parse_str(first.rsplit('/').next().unwrap_or_default())?;
    // A day later (its start moved back a day), it goes on without the receipt.
    let day_ago = nestcms_store::time::Ts(chrono::Utc::now() - chrono::Duration::hours(25));
    let mut saga = Value::Null;
    for _ in 0..100 {
        let now = nestcms_store::time::Ts(chrono::Utc::now());
        nestcms_store::with_pool!(app.store.primary(), |p| {
            sqlx::query("UPDATE sagas SET created_at = $1, next_attempt_at = $2 WHERE payment_id = $3 AND state = 'running'")
                .bind(day_ago)
                .bind(now)
                .bind(payment)
                .execute(p)
                .await
                .map(|_| ())?
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let all = ok(app.get_as(&s.owner, &format!("{first}/sagas")).await?, 200).await?;
        let state = &all["data"][0]["state"];
        if state.is_string() && state != "running" {
            saga = all["data"][0].clone();
            break;
        }
    }
    assert_eq!(saga["state"], "completed", "{saga}");
    assert_eq!(
        steps(&saga),
        [
            pair("instalment_paid", "done"),
            pair("invoice_issued", "skipped"),
            pair("receipt_sent", "failed"),
            pair("project_activated", "done")
        ],
        "{saga}"
    );
    assert_eq!(
        ok(app.get_as(&s.owner, &project).await?, 200).await?["status"],
        "active",
        "a receipt that failed does not hold the project back"
    );
    Ok(())
}
