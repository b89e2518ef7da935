//! Credentials: everything that turns secrets into proofs and back.
//!
//! - [`password`]: Argon2id (OWASP parameters) on a bounded blocking pool, so a burst of logins
//!   can neither stall the async workers nor take every core from other requests;
//! - [`jwt`]: short-lived HS256 access tokens naming the user and their session;
//! - [`opaque`]: refresh tokens and recovery codes, random and stored only as SHA-256 hashes;
//! - [`totp`]: RFC 6238 one-time codes (via `totp-rs`);
//! - [`paylink`]: signed links that open one payment's checkout without a session.
//!
//! No I/O here beyond the clock and the random number generator.

pub mod jwt;
pub mod opaque;
pub mod password;
pub mod paylink;
pub mod totp;

/// Why a credential operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token or code is malformed, forged, expired or for another audience.
    #[error("invalid credential")]
    Invalid,
    /// Hashing or signing failed for a reason that is ours (parameters, thread pool).
    #[error("credential backend failure: {0}")]
    Internal(String),
}
