//! A throwaway database for each test.
//!
//! By default a fresh SQLite file in a temporary directory. When `NESTCMS_TEST_DATABASE_URL`
//! names a PostgreSQL server (for example `postgres://postgres@127.0.0.1/postgres`), a new
//! database `nestcms_test_<uuid>` is created on it and dropped when the guard is dropped, so
//! tests run in parallel without seeing each other's rows. Set `NESTCMS_TEST_KEEP_DB=1` to keep
//! databases for inspection.

pub mod amqp;
pub mod smtp;
pub mod webhooks;

use std::path::Path;

use anyhow::Context;
use sqlx::Connection;

/// The environment variable that switches tests to PostgreSQL.
pub const PG_URL_VAR: &str = "NESTCMS_TEST_DATABASE_URL";

/// The variable naming a Redis server for the tests that need one.
pub const REDIS_URL_VAR: &str = "NESTCMS_TEST_REDIS_URL";
/// The variable naming a RabbitMQ server for the tests that need one.
pub const AMQP_URL_VAR: &str = "NESTCMS_TEST_AMQP_URL";
/// A file the skipped tests append their names to; `.ci/run` sets it for the at-scale run and
/// fails if anything was written (there, every service is there, so nothing may skip).
pub const SKIP_LOG_VAR: &str = "NESTCMS_TEST_SKIP_LOG";

/// The URL of a service a test needs, from `var`; when unset, says the test is skipped (on the
/// terminal, past the test harness's capture, and in the skip log) and returns `None`.
pub fn service_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            skipped(test, &format!("{var} is not set"));
            None
        }
    }
}

/// Records that `test` did not run its checks, and why.
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let line = format!("skipped: {test}: {why}\n");
    // Straight to the file descriptor: the harness captures `eprintln!` of passing tests.
    let _ = std::io::stderr().write_all(line.as_bytes());
    if let Some(path) = std::env::var_os(SKIP_LOG_VAR)
        && let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    {
        let _ = f.write_all(line.as_bytes());
    }
}

/// A database that exists for the lifetime of this value.
pub struct TestDatabase {
    url: String,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDatabase {
    /// Creates a fresh, empty database on the backend the environment selects.
    pub async fn create() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        match std::env::var(PG_URL_VAR) {
            Ok(admin) if !admin.is_empty() => {
                let name = format!("nestcms_test_{}", uuid::Uuid::now_v7().simple());
                let mut conn = sqlx::PgConnection::connect(&admin).await.with_context(|| {
                    format!("{PG_URL_VAR} is set but PostgreSQL cannot be reached")
                })?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await?;
                conn.close().await?;
                let url = with_database(&admin, &name)?;
                Ok(Self {
                    url,
                    dir,
                    pg: Some((admin, name)),
                })
            }
            _ => {
                let url = format!("sqlite://{}", dir.path().join("nestcms.db").display());
                Ok(Self { url, dir, pg: None })
            }
        }
    }

    /// The database URL to configure the service with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A scratch directory that lives as long as the database (usable as `data_dir`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(admin: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .context("URL without scheme")?;
    let path_start = base[authority_end..]
        .find('/')
        .map(|i| i + authority_end)
        .unwrap_or(base.len());
    let mut url = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    Ok(url)
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else {
            return;
        };
        if std::env::var_os("NESTCMS_TEST_KEEP_DB").is_some() {
            return;
        }
        // Drop runs outside any runtime we may block on, so use a thread with its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced_and_the_query_kept() -> anyhow::Result<()> {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "t1")?,
            "postgres://u@h:5432/t1"
        );
        assert_eq!(with_database("postgres://u@h", "t1")?, "postgres://u@h/t1");
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t1")?,
            "postgres://u:p@h/t1?sslmode=disable"
        );
        Ok(())
    }
}
