//! `Idempotency-Key` on the money-moving POSTs: replay, mismatch, concurrency, and a retry after
//! an attempt that committed its effect but died before storing its answer.

use nestcms_paytabs_sim::Faults;
use nestcms_store::pool::Pool;
use nestcms_store::time::Ts;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, spawn_app_with_sim, start_sim};
use crate::payments::{checked_out, ok, press, shop, state_of, wait_for};

/// Puts a finished key back to how a crash right after the effect's commit would leave it: no
/// stored answer, still claimed, by an attempt long dead.
async fn crash_after_effect(app: &TestApp, key: &str) -> anyhow::Result<()> {
    let sql = "UPDATE idempotency_keys SET state = 'in_progress', status = NULL, response_body = NULL, locked_at = $1 WHERE key = $2";
    let long_ago = Ts(chrono::Utc::now() - chrono::Duration::minutes(10));
    let changed = match app.store.primary() {
        Pool::Sqlite(p) => {
            let r = sqlx::query(sql).bind(long_ago).bind(key).execute(p).await?;
            r.rows_affected()
        }
        Pool::Postgres(p) => {
            let r = sqlx::query(sql).bind(long_ago).bind(key).execute(p).await?;
            r.rows_affected()
        }
    };
    anyhow::ensure!(changed == 1, "no idempotency key {key}");
    Ok(())
}

#[tokio::test]
async fn idempotency_keys_replay_refuse_another_body_and_serialise_duplicates() -> anyhow::Result<()>
{
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let url = app.url(&format!("/api/v1/orgs/{}/payments", s.org));
    let body = json!({ "client_id": s.client_id, "amount": "12.50", "currency": "SAR", "description": "Keyed" });
    let post = |key: &str, body: &Value| {
        app.client
            .post(&url)
            .bearer_auth(&s.owner)
            .header("idempotency-key", key)
            .json(body)
            .send()
    };

    let first = post("key-1", &body).await?;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await?;
    let replay = post("key-1", &body).await?;
    assert_eq!(
        (
            replay.status().as_u16(),
            replay
                .headers()
                .get("idempotent-replayed")
                .and_then(|v| v.to_str().ok())
        ),
        (201, Some("true"))
    );
    let replay: Value = replay.json().await?;
    assert_eq!(
        replay["id"], first["id"],
        "the stored answer, not a second payment"
    );
    let other = json!({ "client_id": s.client_id, "amount": "99.00", "currency": "SAR", "description": "Keyed" });
    problem(post("key-1", &other).await?, 422, "idempotency_key_reused").await?;

    // Five at once with a fresh key: one payment, the rest replay or are told to wait.
    let sends = (0..5).map(|_| post("key-2", &body));
    let mut codes: Vec<u16> = Vec::new();
    for r in futures::future::join_all(sends).await {
        codes.push(r?.status().as_u16());
    }
    assert!(codes.iter().all(|c| *c == 201 || *c == 409), "{codes:?}");
    let listed = ok(
        app.get_as(&s.owner, &format!("/api/v1/orgs/{}/payments", s.org))
            .await?,
        200,
    )
    .await?;
    assert_eq!(
        listed["data"].as_array().map(Vec::len),
        Some(2),
        "key-1 and key-2 made one payment each: {codes:?}"
    );

    // A failed request releases its key: the corrected retry runs.
    let broken = json!({ "client_id": s.client_id, "amount": "1.001", "currency": "SAR", "description": "x" });
    problem(post("key-3", &broken).await?, 400, "validation_failed").await?;
    assert_eq!(post("key-3", &body).await?.status(), 201);

    // Refunds with a key move money once.
    let (path, co) = checked_out(&app, &s, "100.00", "SAR").await?;
    press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    wait_for(&app, &s, &path, "paid").await?;
    let refund = json!({ "amount": "10.00", "reason": "Keyed refund" });
    for _ in 0..3 {
        let res = app
            .client
            .post(app.url(&format!("{path}/refunds")))
            .bearer_auth(&s.owner)
            .header("idempotency-key", "refund-1")
            .json(&refund)
            .send()
            .await?;
        assert_eq!(res.status(), 201);
    }
    assert_eq!(
        state_of(&app, &s, &path).await?["refunded"],
        "10.00",
        "three identical requests, one refund"
    );
    problem(
        app.client
            .post(app.url(&format!("{path}/refunds")))
            .bearer_auth(&s.owner)
            .header("idempotency-key", "")
            .json(&refund)
            .send()
            .await?,
        400,
        "invalid_idempotency_key",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_retry_after_a_crash_between_effect_and_answer_never_repeats_the_effect()
-> anyhow::Result<()> {
    let sim = start_sim(Faults::default()).await?;
    let app = spawn_app_with_sim(&sim).await?;
    let s = shop(&app).await?;
    let url = app.url(&format!("/api/v1/orgs/{}/payments", s.org));
    let body = json!({ "client_id": s.client_id, "amount": "75.00", "currency": "SAR", "description": "Crash" });
    let create = || {
        app.client
            .post(&url)
            .bearer_auth(&s.owner)
            .header("idempotency-key", "crash-create")
            .json(&body)
            .send()
    };
    let first = ok(create().await?, 201).await?;
    crash_after_effect(&app, "crash-create").await?;
    let retry = create().await?;
    assert_eq!(
        retry
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let retry = ok(retry, 201).await?;
    assert_eq!(
        retry["id"], first["id"],
        "the same payment, not a second one"
    );
    let listed = ok(
        app.get_as(&s.owner, &format!("/api/v1/orgs/{}/payments", s.org))
            .await?,
        200,
    )
    .await?;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));

    let (path, co) = checked_out(&app, &s, "100.00", "SAR").await?;
    press(co["redirect_url"].as_str().unwrap_or_default(), "A").await?;
    wait_for(&app, &s, &path, "paid").await?;
    let refund = || {
        app.client
            .post(app.url(&format!("{path}/refunds")))
            .bearer_auth(&s.owner)
            .header("idempotency-key", "crash-refund")
            .json(&json!({ "amount": "30.00", "reason": "Crash" }))
            .send()
    };
    let first = ok(refund().await?, 201).await?;
    crash_after_effect(&app, "crash-refund").await?;
    let retry = ok(refund().await?, 201).await?;
    assert_eq!(retry["id"], first["id"], "the same refund");
    let after: Value = state_of(&app, &s, &path).await?;
    assert_eq!(after["refunded"], "30.00", "the money moved once");
    assert_eq!(after["refunds"].as_array().map(Vec::len), Some(1));
    Ok(())
}
