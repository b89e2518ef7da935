//! Embedded migrations for both backends, and what the database says it has applied.

use chrono::Utc;
use sqlx::migrate::Migrator;
use uuid::Uuid;

use crate::error::StoreError;
use crate::pool::{Backend, Pool};
use crate::with_pool;

static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");
static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");

/// The migrator for a backend.
pub fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}

/// Versions this build ships for a backend, ascending.
pub fn expected_versions(backend: Backend) -> Vec<i64> {
    let mut v: Vec<i64> = migrator(backend)
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| m.version)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Applies pending migrations, then records the installation id once.
///
/// Safe to run from many instances at once: on PostgreSQL sqlx serialises migrators with an
/// advisory lock; on SQLite, where sqlx's lock is a no-op, an exclusive lock on a file beside the
/// database does the same across processes. The installation row is inserted with
/// `ON CONFLICT DO NOTHING`.
pub async fn run(pool: &Pool) -> Result<(), StoreError> {
    match pool {
        Pool::Sqlite(p) => {
            let db_file = p.connect_options().get_filename().to_path_buf();
            let _lock = lock_file(&db_file).await?;
            SQLITE.run(p).await?;
        }
        Pool::Postgres(p) => POSTGRES.run(p).await?,
    }
    let sql = "INSERT INTO installation (singleton, id, created_at) VALUES (TRUE, $1, $2) ON CONFLICT DO NOTHING";
    with_pool!(pool, |p| sqlx::query(sql)
        .bind(Uuid::now_v7())
        .bind(Utc::now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Versions recorded as successfully applied; empty when the database was never migrated.
pub async fn applied_versions(pool: &Pool) -> Result<Vec<i64>, sqlx::Error> {
    let has_table: bool = match pool {
        Pool::Sqlite(p) => {
            sqlx::query_scalar(
                "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
            )
            .fetch_one(p)
            .await?
        }
        Pool::Postgres(p) => {
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                .fetch_one(p)
                .await?
        }
    };
    if !has_table {
        return Ok(Vec::new());
    }
    let sql = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
    with_pool!(pool, |p| sqlx::query_scalar::<_, i64>(sql)
        .fetch_all(p)
        .await)
}

/// Takes an exclusive OS lock on `<db>.migrate-lock`, released when the file is dropped.
/// In-memory databases (no real file) need no lock.
async fn lock_file(db_file: &std::path::Path) -> Result<Option<std::fs::File>, StoreError> {
    let name = db_file.as_os_str();
    if name.is_empty() || name == ":memory:" {
        return Ok(None);
    }
    let mut lock_path = db_file.as_os_str().to_owned();
    lock_path.push(".migrate-lock");
    let lock = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|e| StoreError::Query(sqlx::Error::Io(std::io::Error::other(e))))?
    .map_err(|e| StoreError::Query(sqlx::Error::Io(e)))?;
    Ok(Some(lock))
}
