//! The storage layer's error type, and the mapping of driver errors onto domain port errors.

use nestcms_domain::PortError;

/// What can go wrong while setting up storage (connecting, migrating, configuring).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A setting is unusable; the message names the key.
    #[error("{key}: {message}")]
    Config {
        /// The configuration key, e.g. `database.url`.
        key: &'static str,
        /// What it expects.
        message: String,
    },
    /// The database could not be reached or refused the connection.
    #[error("cannot connect to the database")]
    Connect(#[source] sqlx::Error),
    /// A migration failed or the database's history does not match this build.
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error(transparent)]
    Query(#[from] sqlx::Error),
}

/// Maps a driver error onto the domain's port error, keeping only what callers can act on.
pub fn port_err(e: sqlx::Error) -> PortError {
    match e {
        sqlx::Error::RowNotFound => PortError::NotFound,
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => PortError::Unavailable(e.to_string()),
        sqlx::Error::Database(db)
            if matches!(db.kind(), sqlx::error::ErrorKind::UniqueViolation) =>
        {
            PortError::Duplicate
        }
        sqlx::Error::Database(db) => match db.constraint() {
            Some(name) => PortError::Constraint(name.to_owned()),
            None => PortError::Other(db.to_string()),
        },
        other => PortError::Other(other.to_string()),
    }
}
