//! Handlers, one module per resource. The route table is in [`crate::router`].

pub mod admin;
pub mod analytics;
pub mod articles;
pub mod audit;
pub mod auth;
pub mod common;
pub mod contracts;
pub mod design_files;
pub mod earnings;
pub mod grants;
pub mod health;
pub mod health_deps;
pub mod invitations;
pub mod members;
pub mod metrics;
pub mod notifications;
pub mod offers;
pub mod orgs;
pub mod payments;
pub mod project_lists;
pub mod project_parts;
pub mod projects;
pub mod sagas;
pub mod schedules;
pub mod users;
pub mod webhooks;
