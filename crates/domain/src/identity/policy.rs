//! The one place that decides who may do what inside an organization.
//!
//! Handlers never compare roles themselves: they name an [`Action`] and ask [`decide`]. A role
//! allows a fixed set of actions; a per-object [`Grant`] in force can add one more on one object
//! (a client granted `approve` on one project's designs, an engineer granted `read` on the audit
//! log). Non-members never reach this module: the HTTP layer answers them 404 before.

use super::{Grant, GrantStatus, ObjectKind, Role, Verb};
use crate::error::DomainError;

/// Something a member may attempt inside their organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the organization's profile.
    ViewOrg,
    /// Change title, status, address, profit share, MFA requirement.
    UpdateOrg,
    /// List members.
    ViewMembers,
    /// Add a member.
    AddMember,
    /// Change a member's role.
    ChangeRole,
    /// Remove a member.
    RemoveMember,
    /// Create and revoke grants.
    ManageGrants,
    /// List grants.
    ViewGrants,
    /// Read the security audit log.
    ReadAuditLog,
    /// See all offers, contracts and projects (staff); clients see only their own.
    ViewAllRecords,
    /// Write offers.
    CreateOffer,
    /// Create contracts, set instalments, activate and close them.
    ManageContracts,
    /// Create projects, change their status, add designs and workers.
    ManageProjects,
    /// Record earnings, set commissions, distribute.
    ManageEarnings,
    /// Read the analytics.
    ViewAnalytics,
    /// Write and publish articles.
    PublishArticles,
    /// Register webhook endpoints, see their messages, rotate secrets, redeliver.
    ManageWebhooks,
    /// Write, issue and credit invoices.
    ManageInvoices,
}

impl Action {
    /// The verb and object kind a grant must carry to allow this action, when grants can.
    const fn grantable_as(self) -> Option<(Verb, ObjectKind)> {
        match self {
            Self::ReadAuditLog => Some((Verb::Read, ObjectKind::AuditLog)),
            _ => None,
        }
    }
}

/// Whether a role allows an action by itself.
pub const fn role_allows(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::Owner | Role::Admin => true,
        Role::Manager => matches!(
            action,
            ViewOrg
                | ViewMembers
                | ViewGrants
                | ViewAllRecords
                | CreateOffer
                | ManageContracts
                | ManageProjects
                | ViewAnalytics
                | PublishArticles
                | ManageInvoices
        ),
        Role::Employee => matches!(action, ViewOrg | ViewMembers | ViewAllRecords | CreateOffer),
        Role::Client => matches!(action, ViewOrg),
    }
}

/// Whether some grant in force allows `verb` on exactly this object.
pub fn grant_allows(grants: &[Grant], verb: Verb, kind: ObjectKind, object_id: uuid::Uuid) -> bool {
    grants.iter().any(|g| {
        g.status == GrantStatus::Granted
            && g.verb == verb
            && g.object_kind == kind
            && g.object_id == object_id
    })
}

/// Allows the action or explains the refusal. `object` is the id the action is on, used to
/// match grants; `grants` are the actor's grants in force.
pub fn decide(
    role: Role,
    action: Action,
    object: Option<uuid::Uuid>,
    grants: &[Grant],
) -> Result<(), DomainError> {
    if role_allows(role, action) {
        return Ok(());
    }
    if let (Some((verb, kind)), Some(id)) = (action.grantable_as(), object)
        && grant_allows(grants, verb, kind, id)
    {
        return Ok(());
    }
    Err(DomainError::Forbidden(format!(
        "your role ({role}) does not allow this"
    )))
}

/// The rules for changing a member's role, beyond being allowed to [`Action::ChangeRole`]:
/// only an owner may make someone an owner or change an owner's role. (That the last owner
/// keeps their role is checked against the database, under a lock, by the caller.)
pub fn check_role_change(
    actor: Role,
    target_current: Role,
    target_new: Role,
) -> Result<(), DomainError> {
    decide(actor, Action::ChangeRole, None, &[])?;
    if (target_current == Role::Owner || target_new == Role::Owner) && actor != Role::Owner {
        return Err(DomainError::Forbidden(
            "only an owner can grant or change the owner role".into(),
        ));
    }
    Ok(())
}

/// Whether an actor may remove a member with `target` role (owners only by owners).
pub fn check_removal(actor: Role, target: Role) -> Result<(), DomainError> {
    decide(actor, Action::RemoveMember, None, &[])?;
    if target == Role::Owner && actor != Role::Owner {
        return Err(DomainError::Forbidden(
            "only an owner can remove an owner".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
