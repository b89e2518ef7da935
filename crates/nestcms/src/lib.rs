//! The `nestcms` binary's library half: configuration, secrets, telemetry, start-up and the CLI.
//!
//! It is a library so the black-box tests can build the exact service `nestcms serve` builds,
//! with a configuration of their own, and run it on a random port.

pub mod cli;
pub mod config;
mod consumers;
pub mod fds;
pub mod gateway;
pub mod metrics;
pub mod notifications;
pub mod secrets;
pub mod seed;
pub mod sim;
pub mod startup;
pub mod telemetry;
pub mod webhooks;
