//! Use cases: what a request asks of NestCMS, written against the domain's ports.
//!
//! Handlers call these services and translate their `DomainError`s; the services call the
//! ports (storage) and `nestcms-auth` (credentials), ask `policy` before every privileged act,
//! and append to the security audit log. They hold no HTTP or SQL.

pub mod background;
mod caller;
pub mod construction;
pub mod content;
pub mod identity;
pub mod invoices;
pub mod notify;
mod paging;
pub mod payments;
pub mod sagas;
pub mod webhooks;

pub use caller::{Caller, caller};
pub(crate) use caller::{STAFF, member_with};
pub use paging::Paged;
pub(crate) use paging::{page_slice, paged};

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

/// The one mapping of storage failures to what callers see. Storage failures are ours, not the
/// caller's: unavailable stays retryable (503), a uniqueness refusal with no better name is a
/// 409, a total too large to represent is a 422, and the rest is internal with the constraint's
/// name kept for the log. Use cases that know what a uniqueness refusal means use
/// [`conflict_if_duplicate`] instead.
pub fn storage_error(e: PortError) -> DomainError {
    port(e)
}

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
        PortError::Duplicate => DomainError::Conflict {
            code: "duplicate",
            message: "it already exists".into(),
        },
        PortError::Constraint(name) => DomainError::Internal(format!("constraint {name} violated")),
        PortError::Other(cause) => DomainError::Internal(cause),
    }
}
