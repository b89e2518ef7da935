//! The `nestcms` executable as an operator runs it, and as an attacker probes it.

mod hardening;
mod operator;
mod support;
