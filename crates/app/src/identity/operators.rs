//! Platform operators: the people who run the service itself, not an organization in it.
//!
//! The flag is granted and withdrawn only from the command line (`nestcms admin grant EMAIL`),
//! by whoever can run the binary against the database; no request can grant it. Every change
//! is in the security audit log.

use nestcms_domain::DomainError;
use nestcms_domain::identity::{Email, UserId};
use serde_json::json;

use crate::identity::audit::{self, Event};
use crate::{Principal, Store, port};

/// Grants (`true`) or withdraws the flag of the account with `email`.
#[tracing::instrument(name = "operators.set", skip_all)]
pub async fn set(store: &Store, email: &str, operator: bool) -> Result<UserId, DomainError> {
    let email = Email::parse(email, "email").map_err(|e| DomainError::Validation(vec![e]))?;
    let kind = if operator {
        "platform_operator_granted"
    } else {
        "platform_operator_revoked"
    };
    let describe = |user: UserId| {
        audit::row(Event {
            kind,
            org: None,
            actor: None,
            subject: Some(user),
            session: None,
            client: None,
            detail: json!({ "by": "command line" }),
        })
    };
    store
        .set_platform_operator(&email, operator, &describe)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("account"))
}

/// Refuses unless the caller is a platform operator.
#[tracing::instrument(name = "operators.require", skip_all)]
pub async fn require(store: &Store, who: Principal) -> Result<(), DomainError> {
    if store.is_platform_operator(who.user).await.map_err(port)? {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "only platform operators may do this".into(),
        ))
    }
}
