//! Liveness and readiness.

use crate::helpers::{problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn live_and_ready_answer_200_on_a_migrated_database() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    let res = app.get("/health/live").await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<serde_json::Value>().await?["status"], "ok");

    let res = app.get("/health/ready").await?;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await?;
    assert_eq!(body["status"], "ready");
    assert_eq!(
        body["database"],
        if app.db.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    );
    Ok(())
}

#[tokio::test]
async fn ready_is_503_with_reasons_until_migrations_are_applied() -> anyhow::Result<()> {
    let app = spawn_app_with(|c| c.database.auto_migrate = false).await?;
    let body = problem(app.get("/health/ready").await?, 503, "not_ready").await?;
    assert!(
        body["checks"]["migrations"]
            .as_str()
            .unwrap_or_default()
            .contains("pending"),
        "{body}"
    );
    assert_eq!(
        app.get("/health/live").await?.status(),
        200,
        "alive even when not ready"
    );

    app.store.migrate().await?;
    assert_eq!(app.get("/health/ready").await?.status(), 200);
    Ok(())
}

#[tokio::test]
async fn ready_is_503_when_the_database_is_unreachable() -> anyhow::Result<()> {
    let app = spawn_app().await?;
    app.store.close().await;
    let body = problem(app.get("/health/ready").await?, 503, "not_ready").await?;
    assert_eq!(body["checks"]["database"], "unreachable", "{body}");
    Ok(())
}

#[tokio::test]
async fn readiness_reports_a_background_task_that_keeps_failing_without_going_unready()
-> anyhow::Result<()> {
    use std::time::Duration;

    use nestcms_app::background::Supervisor;
    let app = spawn_app().await?;
    let mut supervisor = Supervisor::with_backoff(
        app.tasks.clone(),
        Duration::from_millis(5),
        Duration::from_millis(5),
    );
    supervisor.spawn("doomed", |_| {
        Box::pin(async { Err("storage gone".to_owned()) })
    });
    let mut ready = serde_json::Value::Null;
    for _ in 0..200 {
        let res = app.get("/health/ready").await?;
        assert_eq!(
            res.status(),
            200,
            "a failing background task does not make the API unready"
        );
        ready = res.json().await?;
        if !ready["failing_tasks"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(ready["failing_tasks"]["doomed"], "storage gone", "{ready}");
    supervisor.shutdown(Duration::from_secs(1)).await;
    Ok(())
}
