//! Storage contract: the same cases on SQLite (always) and PostgreSQL (when
//! `NESTCMS_TEST_DATABASE_URL` is set; CI runs both).

use std::sync::Arc;

use nestcms_domain::ports::SystemRepository;
use nestcms_store::migrate::expected_versions;
use nestcms_store::{Backend, DbSettings, Store};
use nestcms_testkit::TestDatabase;
use secrecy::SecretString;

async fn connect(db: &TestDatabase, settings: &DbSettings) -> anyhow::Result<Store> {
    Ok(Store::connect(
        &SecretString::from(db.url().to_owned()),
        settings,
        &nestcms_resilience::Registry::default(),
    )
    .await?)
}

#[tokio::test]
async fn a_fresh_database_reports_every_migration_pending_until_migrated() -> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let store = connect(&db, &DbSettings::default()).await?;
    store.ping().await?;
    let before = store.schema_status().await?;
    assert!(before.applied.is_empty());
    assert!(!before.is_current());
    assert_eq!(before.pending(), expected_versions(store.backend()));

    store.migrate().await?;
    let after = store.schema_status().await?;
    assert!(after.is_current(), "{after:?}");
    assert_eq!(after.applied, expected_versions(store.backend()));
    store.close().await;
    Ok(())
}

#[tokio::test]
async fn migrating_again_changes_nothing_and_keeps_the_installation_id() -> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let store = connect(&db, &DbSettings::default()).await?;
    store.migrate().await?;
    let id = store.installation_id().await?;
    store.migrate().await?;
    assert_eq!(store.installation_id().await?, id);
    store.close().await;

    let reopened = connect(&db, &DbSettings::default()).await?;
    assert_eq!(
        reopened.installation_id().await?,
        id,
        "the id survives reconnecting"
    );
    reopened.close().await;
    Ok(())
}

#[tokio::test]
async fn instances_starting_together_migrate_once() -> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(Arc::new(connect(&db, &DbSettings::default()).await?));
    }
    let runs: Vec<_> = stores
        .iter()
        .cloned()
        .map(|s| tokio::spawn(async move { s.migrate().await }))
        .collect();
    for run in runs {
        run.await??;
    }
    let mut ids = Vec::new();
    for s in &stores {
        ids.push(s.installation_id().await?);
    }
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "one installation row: {ids:?}"
    );
    for s in stores {
        s.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn sqlite_files_use_wal_and_enforce_foreign_keys() -> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    let store = connect(&db, &DbSettings::default()).await?;
    if let nestcms_store::Pool::Sqlite(pool) = store.primary() {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(pool)
            .await?;
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(pool)
            .await?;
        assert_eq!(fk, 1);
    } else {
        assert_eq!(store.backend(), Backend::Postgres);
        let timeout: String = match store.primary() {
            nestcms_store::Pool::Postgres(pool) => {
                sqlx::query_scalar("SHOW statement_timeout")
                    .fetch_one(pool)
                    .await?
            }
            nestcms_store::Pool::Sqlite(_) => String::new(),
        };
        assert_eq!(
            timeout, "30s",
            "the configured statement timeout applies to every connection"
        );
    }
    store.close().await;
    Ok(())
}

/// Who answered a stale-tolerant read.
async fn current_user(store: &Store) -> anyhow::Result<String> {
    Ok(
        nestcms_store::read_pool!(store, |p| sqlx::query_scalar::<_, String>(
            "SELECT CAST(current_user AS TEXT)"
        )
        .fetch_one(p)
        .await)
        .await?,
    )
}

#[tokio::test]
async fn reads_go_to_a_healthy_replica_skip_a_dead_one_and_fall_back_when_one_dies()
-> anyhow::Result<()> {
    let db = TestDatabase::create().await?;
    if !db.is_postgres() {
        // Replicas are a PostgreSQL feature; configuring them on SQLite is a config error.
        let settings = DbSettings {
            replicas: vec![SecretString::from("postgres://127.0.0.1:1/x")],
            ..DbSettings::default()
        };
        let err = connect(&db, &settings)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("database.replicas"), "{err}");
        return Ok(());
    }
    // The "replica" is the same database reached as a dedicated role, so a read can tell where
    // it landed; port 1 never answers.
    let role = format!("replica_{}", uuid::Uuid::now_v7().simple());
    let primary = connect(&db, &DbSettings::default()).await?;
    if let nestcms_store::Pool::Postgres(p) = primary.primary() {
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE ROLE {role} LOGIN")))
            .execute(p)
            .await?;
    }
    let mut replica_url = url::Url::parse(db.url())?;
    replica_url
        .set_username(&role)
        .map_err(|()| anyhow::anyhow!("cannot set user"))?;
    let settings = DbSettings {
        replicas: vec![
            SecretString::from(replica_url.to_string()),
            SecretString::from("postgres://nestcms:pw@127.0.0.1:1/none"),
        ],
        acquire_timeout: std::time::Duration::from_secs(1),
        ..DbSettings::default()
    };
    let breakers = nestcms_resilience::Registry::default();
    let store = Store::connect(
        &SecretString::from(db.url().to_owned()),
        &settings,
        &breakers,
    )
    .await?;
    let status = store.replicas().status();
    assert_eq!(status.len(), 2);
    assert!(status[0].healthy, "{status:?}");
    assert!(!status[1].healthy, "{status:?}");
    assert!(
        !status[1].label.contains("pw"),
        "labels never show passwords: {}",
        status[1].label
    );
    for _ in 0..4 {
        assert_eq!(
            current_user(&store).await?,
            role,
            "stale-tolerant reads go to the healthy replica"
        );
    }
    // The replica goes away between two checks of the monitor: its role may no longer log in
    // and its sessions are cut. Reads fall back to the primary at once, and after a few
    // failures the replica's breaker skips it without trying.
    if let nestcms_store::Pool::Postgres(p) = primary.primary() {
        sqlx::query(sqlx::AssertSqlSafe(format!("ALTER ROLE {role} NOLOGIN")))
            .execute(p)
            .await?;
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1")
            .bind(&role)
            .execute(p)
            .await?;
    }
    for _ in 0..8 {
        assert_ne!(
            current_user(&store).await?,
            role,
            "read answered by the primary"
        );
    }
    let open: Vec<_> = breakers
        .snapshot()
        .into_iter()
        .filter(|b| b.name == "database.replica.1")
        .map(|b| b.state)
        .collect();
    assert_eq!(open, [nestcms_resilience::BreakerState::Open]);
    if let nestcms_store::Pool::Postgres(p) = primary.primary() {
        sqlx::query(sqlx::AssertSqlSafe(format!("ALTER ROLE {role} LOGIN")))
            .execute(p)
            .await?;
    }
    let writer_user: String = match store.primary() {
        nestcms_store::Pool::Postgres(p) => {
            sqlx::query_scalar("SELECT CAST(current_user AS TEXT)")
                .fetch_one(p)
                .await?
        }
        nestcms_store::Pool::Sqlite(_) => String::new(),
    };
    assert_ne!(writer_user, role, "writes stay on the primary");
    store.close().await;
    if let nestcms_store::Pool::Postgres(p) = primary.primary() {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP ROLE {role}")))
            .execute(p)
            .await?;
    }
    primary.close().await;
    Ok(())
}

#[test]
fn both_backends_ship_the_same_migration_versions() {
    assert_eq!(
        expected_versions(Backend::Sqlite),
        expected_versions(Backend::Postgres)
    );
}
