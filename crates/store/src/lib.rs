//! The storage adapter: one data-access layer over SQLite and PostgreSQL.
//!
//! Why sqlx and not an ORM: the queries NestCMS needs where money moves (row locks, conditional
//! updates, `ON CONFLICT`) are clearest as SQL, and sqlx lets the same SQL text run on both
//! backends (`$1` placeholders work on SQLite too). The backend is picked once, from the URL
//! scheme, and every query is written against [`pool::Pool`], which dispatches to the concrete
//! pool with [`with_pool!`] so each arm is type-checked for its own database. Where the two
//! backends must differ (locking, catalog queries) the difference lives in a small named function.

pub mod access;
mod construction;
mod consumers;
mod content;
pub mod error;
mod events;
pub mod files;
mod idempotency;
mod identity;
mod invoices;
pub mod migrate;
mod notify;
pub mod observe;
mod outbox;
mod payments;
pub mod pool;
pub mod replicas;
mod sagas;
pub mod seed;
pub mod settings;
mod store;
mod sums;
mod system;
pub mod time;
mod webhooks;

pub use error::StoreError;
pub use pool::{Backend, Pool};
pub use settings::{DbSettings, redact_url};
pub use store::Store;
