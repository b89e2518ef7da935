//! Use cases: what a request asks of NestCMS, written against the domain's ports.
//!
//! Handlers call these services and translate their `DomainError`s; the services call the
//! ports (storage) and `nestcms-auth` (credentials), ask `policy` before every privileged act,
//! and append to the security audit log. They hold no HTTP or SQL.

pub mod audit;
pub mod auth;
pub mod background;
pub mod construction;
pub mod content;
pub mod grants;
pub mod invitations;
pub mod members;
pub mod mfa;
pub mod orgs;
pub mod payments;
mod throttle;

use std::sync::Arc;

use nestcms_domain::identity::ports::IdentityStore;
use nestcms_domain::identity::{SessionId, UserId};
use nestcms_domain::{DomainError, PortError};

/// Who is calling, once their access token and session have been checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user: UserId,
    /// The session their token belongs to.
    pub session: SessionId,
}

/// Where a request came from, for throttling and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// Client IP address.
    pub ip: Option<String>,
    /// `User-Agent`, truncated.
    pub user_agent: Option<String>,
}

/// The storage the services share.
pub type Store = Arc<dyn IdentityStore>;

/// Loads a user who must exist (the caller, or a member already found).
pub(crate) async fn user(
    store: &Store,
    id: UserId,
) -> Result<nestcms_domain::identity::User, DomainError> {
    store
        .user_by_id(id)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("user"))
}

/// Maps a port error, turning a uniqueness refusal into a 409 with `code` and `message`.
pub(crate) fn conflict_if_duplicate(
    code: &'static str,
    message: impl Into<String>,
) -> impl FnOnce(PortError) -> DomainError {
    move |e| match e {
        PortError::Duplicate => DomainError::Conflict {
            code,
            message: message.into(),
        },
        other => port(other),
    }
}

/// Storage failures are ours, not the caller's: unavailable stays retryable, the rest is internal.
pub(crate) fn port(e: PortError) -> DomainError {
    match e {
        PortError::Unavailable(cause) => {
            tracing::warn!(error.cause = %cause, "storage unavailable");
            DomainError::Unavailable("database")
        }
        PortError::NotFound => DomainError::NotFound("record"),
        PortError::Constraint(c) if c == nestcms_domain::money::SUM_OVERFLOW => {
            DomainError::Unprocessable {
                code: "amount_too_large",
                errors: vec![nestcms_domain::FieldError::new(
                    "",
                    "amount_too_large",
                    "the total of these amounts is beyond what can be represented",
                )],
            }
        }
        other => DomainError::Internal(other.to_string()),
    }
}
