//! Black-box API tests: the real service on a random port, against a fresh database per test
//! (SQLite by default, PostgreSQL when `NESTCMS_TEST_DATABASE_URL` is set).

mod access;
mod bus;
mod cache;
mod conditional;
mod database_outage;
mod errors;
mod extras;
mod faults;
mod figures;
mod fixtures;
mod hardening;
mod hardening_payments;
mod health;
mod health_deps;
mod helpers;
mod idempotency;
mod identity;
mod instalments;
mod isolation;
mod mail;
mod metrics;
mod mfa;
mod notifications;
mod openapi;
mod own_services;
mod payments;
mod prompts;
mod ratelimits;
mod reminders;
mod resilience;
mod sagas;
mod secrets;
mod sms;
mod story;
mod webhooks;
