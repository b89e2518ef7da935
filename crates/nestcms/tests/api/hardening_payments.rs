//! Payment defects from the hardening review, each with the test that failed before its fix.

use nestcms_paytabs::signature::ipn_signature;
use nestcms_paytabs_sim::Faults;
use nestcms_store::pool::Pool;
use nestcms_store::time::Ts;
use serde_json::{Value, json};

use crate::helpers::{SIM_KEY, problem, spawn_app_with_sim_and, start_sim};
use crate::payments::{
    approved_without_ipn, checked_out, genuine_ipn, send_ipn, state_of, wait_for,
};

#[tokio::test]
async fn a_signed_callback_naming_another_payment_cannot_touch_it() -> anyhow::Result<()> {
    let (sim, app, s, paid_path, co) = approved_without_ipn("100.00", "SAR").await?;
    let (other_path, _) = checked_out(&app, &s, "250.00", "SAR").await?;
    let other_id = other_path.rsplit('/').next().unwrap_or_default().to_owned();
    let tran_ref = co["tran_ref"].as_str().unwrap_or_default();
    let mut ipn: Value = serde_json::from_slice(&genuine_ipn(&sim, tran_ref, "IPN.X.1").await?)?;
    ipn["cart_id"] = Value::String(other_id);
    let body = serde_json::to_vec(&ipn)?;
    let res = send_ipn(&app, body.clone(), &ipn_signature(SIM_KEY, &body)).await?;
    assert_eq!(res.status(), 200);
    assert_eq!(
        state_of(&app, &s, &other_path).await?["state"],
        "pending",
        "the payment the callback named is not put on hold"
    );
    wait_for(&app, &s, &paid_path, "paid").await?;
    Ok(())
}

#[tokio::test]
async fn an_idempotent_attempt_is_not_taken_over_before_the_request_deadline() -> anyhow::Result<()>
{
    let sim = start_sim(Faults::default()).await?;
    // Ten minutes' deadline: an attempt that started 70 s ago may still be running.
    let app = spawn_app_with_sim_and(&sim, |c| {
        c.server.request_timeout = std::time::Duration::from_secs(600);
    })
    .await?;
    let s = crate::payments::shop(&app).await?;
    let url = app.url(&format!("/api/v1/orgs/{}/payments", s.org));
    let body = json!({ "client_id": s.client_id, "amount": "12.50", "currency": "SAR", "description": "Slow" });
    let post = || {
        app.client
            .post(&url)
            .bearer_auth(&s.owner)
            .header("idempotency-key", "slow-1")
            .json(&body)
            .send()
    };
    assert_eq!(post().await?.status(), 201);
    let sql = "UPDATE idempotency_keys SET state = 'in_progress', status = NULL, response_body = NULL, locked_at = $1 WHERE key = 'slow-1'";
    let seventy_seconds_ago = Ts(chrono::Utc::now() - chrono::Duration::seconds(70));
    let changed = match app.store.primary() {
        Pool::Sqlite(p) => sqlx::query(sql)
            .bind(seventy_seconds_ago)
            .execute(p)
            .await?
            .rows_affected(),
        Pool::Postgres(p) => sqlx::query(sql)
            .bind(seventy_seconds_ago)
            .execute(p)
            .await?
            .rows_affected(),
    };
    assert_eq!(changed, 1);
    problem(post().await?, 409, "idempotency_key_in_use").await?;
    Ok(())
}
