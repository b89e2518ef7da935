//! Handlers, one module per resource. The route table is in [`crate::router`].

pub mod health;
