//! Errors a use case can raise, independent of transport.
//!
//! The HTTP layer maps each variant to a status and an RFC 9457 body; storage adapters map their
//! own failures into [`DomainError::Unavailable`] or [`DomainError::Internal`]. Keeping the enum
//! here means a handler never has to guess what a repository failure means to a user.

use std::fmt;

/// One invalid input field: where it is, a stable code, and a human sentence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// JSON-pointer-like path of the offending field, e.g. `/price` or `/instalments/2/amount`.
    pub field: String,
    /// Stable machine code, e.g. `too_many_decimals`.
    pub code: &'static str,
    /// What is wrong, in words a client developer can act on.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The error type of the domain layer.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The input broke one or more rules; every broken field is listed.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The thing asked for does not exist, or the caller may not know it exists.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller is known but may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The caller is not (or no longer) authenticated, or presented a bad credential.
    #[error("unauthenticated: {message}")]
    Unauthenticated {
        /// Stable machine code, e.g. `invalid_credentials`, `mfa_required`.
        code: &'static str,
        /// Human explanation (never says which half of a credential was wrong).
        message: String,
    },
    /// Well-formed input that breaks a business rule (e.g. instalments that do not sum to the
    /// contract total); every broken rule is listed.
    #[error("unprocessable: {code}")]
    Unprocessable {
        /// Stable machine code.
        code: &'static str,
        /// The fields concerned.
        errors: Vec<FieldError>,
    },
    /// The payment gateway is down or its circuit breaker open: retry after the given number of
    /// seconds (503 `gateway_unavailable`).
    #[error("payment gateway unavailable")]
    GatewayUnavailable {
        /// Seconds until it is worth trying again.
        retry_after_secs: u64,
    },
    /// Too many attempts; retry after the given number of seconds.
    #[error("rate limited for {retry_after_secs} s")]
    RateLimited {
        /// Stable machine code, e.g. `too_many_attempts` (failed logins) or
        /// `too_many_registrations`.
        code: &'static str,
        /// Human explanation, without the wait (the API adds it).
        message: &'static str,
        /// Seconds until the next attempt is considered.
        retry_after_secs: u64,
    },
    /// The request conflicts with the current state (duplicate, illegal transition, race lost).
    #[error("conflict: {message}")]
    Conflict {
        /// Stable machine code, e.g. `already_converted`.
        code: &'static str,
        /// Human explanation.
        message: String,
    },
    /// A dependency (database, gateway) cannot be reached right now; retrying may succeed.
    #[error("{0} is unavailable")]
    Unavailable(&'static str),
    /// A fault that is ours, not the caller's. The message is for logs only, never for clients.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    /// Shorthand for a validation error on one field.
    pub fn invalid(
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }
}
