//! The `nestcms` executable as an operator runs it, and as an attacker probes it.

mod admin;
mod crash;
mod hardening;
mod operator;
mod support;
mod tracing;
