//! The two concrete pools behind one type, and the macro that runs the same query on either.

use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, SqlitePool};

use crate::error::StoreError;
use crate::settings::DbSettings;

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (the default, single-node).
    Sqlite,
    /// A PostgreSQL server (primary, optionally with replicas).
    Postgres,
}

impl Backend {
    /// Picks the backend from a URL's scheme.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(StoreError::Config {
                key: "database.url",
                message: "expected a URL starting with sqlite: or postgres://".to_owned(),
            }),
        }
    }

    /// Lower-case name for logs and metrics.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A connection pool to one database of either engine.
#[derive(Debug, Clone)]
pub enum Pool {
    /// SQLite pool (WAL, foreign keys on, busy timeout).
    Sqlite(SqlitePool),
    /// PostgreSQL pool (statement timeout set per connection).
    Postgres(PgPool),
}

/// Runs the same expression against whichever concrete pool `$pool` holds.
///
/// Each arm is compiled separately, so `sqlx::query_as::<_, T>` is checked against both drivers'
/// type mappings: a type that does not decode on one backend fails to compile, not at run time.
///
/// The statement is named after the function the macro is written in, timed and traced (see
/// [`crate::observe`]); [`on_pool!`](crate::on_pool) is the same without that, for work that
/// is not a statement.
#[macro_export]
macro_rules! with_pool {
    ($pool:expr, |$p:ident| $body:expr) => {{
        let _statement = $crate::observe::Statement::start($crate::statement_name!());
        $crate::on_pool!($pool, |$p| $body)
    }};
}

/// [`with_pool!`](crate::with_pool) without timing: pool bookkeeping, closing.
#[macro_export]
macro_rules! on_pool {
    ($pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            $crate::pool::Pool::Sqlite($p) => $body,
            $crate::pool::Pool::Postgres($p) => $body,
        }
    };
}

/// Runs `$body` as a stale-tolerant read through [`crate::Store::read`]: on a replica when a
/// healthy one is in rotation (then, if it fails, on the primary), with `$p` bound to a
/// reference to the concrete pool. Values the body uses are copied into each attempt, so bind
/// references (`let sql = &sql;`) rather than owned strings.
#[macro_export]
macro_rules! read_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        $store.read(|pool| async move { $crate::with_pool!(&pool, |$p| $body) })
    };
}

impl Pool {
    /// Connects to the primary named by `url`, applying the pool and session settings.
    pub async fn connect(url: &SecretString, s: &DbSettings) -> Result<Self, StoreError> {
        let raw = url.expose_secret();
        match Backend::from_url(raw)? {
            Backend::Sqlite => {
                let opts = SqliteConnectOptions::from_str(raw)
                    .map_err(|e| config_err(&e))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(s.busy_timeout)
                    .log_slow_statements(log::LevelFilter::Warn, s.slow_query_threshold);
                let pool = SqlitePoolOptions::new()
                    .max_connections(s.max_connections)
                    .min_connections(s.min_connections)
                    .acquire_timeout(s.acquire_timeout)
                    .connect_with(opts)
                    .await
                    .map_err(StoreError::Connect)?;
                Ok(Self::Sqlite(pool))
            }
            Backend::Postgres => {
                let opts = pg_connect_options(raw, s)?;
                // One direct attempt first: the pool would retry until its timeout and report only
                // "pool timed out", hiding the cause (refused, unknown host, bad password).
                let probe =
                    tokio::time::timeout(s.acquire_timeout, PgConnection::connect_with(&opts))
                        .await
                        .map_err(|_| StoreError::Connect(sqlx::Error::PoolTimedOut))?
                        .map_err(StoreError::Connect)?;
                probe.close().await.map_err(StoreError::Connect)?;
                let pool = pg_pool_options(s)
                    .connect_with(opts)
                    .await
                    .map_err(StoreError::Connect)?;
                Ok(Self::Postgres(pool))
            }
        }
    }

    /// The engine behind this pool.
    pub const fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes every connection, waiting for checked-out ones to come back.
    pub async fn close(&self) {
        on_pool!(self, |p| p.close().await)
    }
}

/// Pool options shared by the PostgreSQL primary and its replicas.
pub(crate) fn pg_pool_options(s: &DbSettings) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(s.max_connections)
        .min_connections(s.min_connections)
        .acquire_timeout(s.acquire_timeout)
}

/// Connection options for a PostgreSQL URL, with the statement timeout applied.
pub(crate) fn pg_connect_options(
    raw: &str,
    s: &DbSettings,
) -> Result<PgConnectOptions, StoreError> {
    let timeout_ms = s.statement_timeout.as_millis().to_string();
    Ok(PgConnectOptions::from_str(raw)
        .map_err(|e| config_err(&e))?
        .application_name("nestcms")
        .options([("statement_timeout", timeout_ms.as_str())])
        .log_slow_statements(log::LevelFilter::Warn, s.slow_query_threshold))
}

fn config_err(e: &sqlx::Error) -> StoreError {
    // The driver's message may quote the URL; keep only its kind.
    let message = match e {
        sqlx::Error::Configuration(_) => "not a valid database URL".to_owned(),
        _ => "cannot be parsed".to_owned(),
    };
    StoreError::Config {
        key: "database.url",
        message,
    }
}
