//! Handlers, one module per resource. The route table is in [`crate::router`].

pub mod audit;
pub mod auth;
pub mod grants;
pub mod health;
pub mod members;
pub mod orgs;
pub mod users;
