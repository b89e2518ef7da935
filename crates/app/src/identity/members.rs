//! Members: list, change role, remove; with the last-owner and MFA invariants. People join
//! through [`crate::identity::invitations`].

use nestcms_domain::DomainError;
use nestcms_domain::identity::policy::{self, Action};
use nestcms_domain::identity::ports::MembershipChange;
use nestcms_domain::identity::{EmployeeType, Membership, OrgId, Role, User, UserId};
use serde_json::json;

use crate::identity::audit::{self, Event};
use crate::identity::orgs;
use crate::{ClientInfo, Principal, Store, port};

fn last_owner() -> DomainError {
    DomainError::Conflict {
        code: "last_owner",
        message: "an organization must keep at least one owner".into(),
    }
}

/// In an organization that requires MFA, owners and admins must have it: refuse a promotion
/// that would lock the promoted person out.
pub(crate) async fn check_mfa_for_role(
    store: &Store,
    org: OrgId,
    user: &User,
    role: Role,
) -> Result<(), DomainError> {
    if !role.is_org_admin() || user.mfa_enabled {
        return Ok(());
    }
    let org = store
        .org(org)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("organization"))?;
    if org.require_mfa {
        return Err(DomainError::Conflict {
            code: "mfa_not_enrolled",
            message: "this organization requires two-factor authentication of owners and admins; the member must enable it first".into(),
        });
    }
    Ok(())
}

pub(crate) fn event<'a>(
    kind: &'static str,
    org: OrgId,
    who: Principal,
    subject: UserId,
    client: &'a ClientInfo,
    detail: serde_json::Value,
) -> Event<'a> {
    Event {
        kind,
        org: Some(org),
        actor: Some(who.user),
        subject: Some(subject),
        session: Some(who.session),
        client: Some(client),
        detail,
    }
}

/// Members with their users (the HTTP layer shows only public fields).
#[tracing::instrument(name = "members.list", skip_all)]
pub async fn list(
    store: &Store,
    who: Principal,
    org: OrgId,
) -> Result<Vec<(Membership, User)>, DomainError> {
    let me = orgs::membership(store, who, org).await?;
    policy::decide(me.role, Action::ViewMembers, None, &[])?;
    store.members(org).await.map_err(port)
}

/// Changes a member's role.
#[tracing::instrument(name = "members.change_role", skip_all)]
pub async fn change_role(
    store: &Store,
    who: Principal,
    org: OrgId,
    target: UserId,
    role: Role,
    employee_type: Option<EmployeeType>,
    client: &ClientInfo,
) -> Result<Membership, DomainError> {
    let me = orgs::membership(store, who, org).await?;
    policy::decide(me.role, Action::ChangeRole, None, &[])?;
    let current = store
        .membership(org, target)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("member"))?;
    policy::check_role_change(me.role, current.role, role)?;
    let user = store
        .user_by_id(target)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("member"))?;
    check_mfa_for_role(store, org, &user, role).await?;
    let employee_type = if role == Role::Employee {
        employee_type.or(current.employee_type)
    } else {
        None
    };
    let detail = json!({ "from": current.role.as_str(), "to": role.as_str() });
    let e = event("role_changed", org, who, target, client, detail);
    match store
        .change_role(org, target, role, employee_type, &audit::row(e))
        .await
        .map_err(port)?
    {
        MembershipChange::Applied => {}
        MembershipChange::LastOwner => return Err(last_owner()),
        MembershipChange::NotFound => return Err(DomainError::NotFound("member")),
    }
    Ok(Membership {
        role,
        employee_type,
        ..current
    })
}

/// Removes a member (members may also leave on their own).
#[tracing::instrument(name = "members.remove", skip_all)]
pub async fn remove(
    store: &Store,
    who: Principal,
    org: OrgId,
    target: UserId,
    client: &ClientInfo,
) -> Result<(), DomainError> {
    let me = orgs::membership(store, who, org).await?;
    let current = store
        .membership(org, target)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("member"))?;
    if target != who.user {
        policy::check_removal(me.role, current.role)?;
    }
    let e = event(
        "member_removed",
        org,
        who,
        target,
        client,
        json!({ "role": current.role.as_str() }),
    );
    match store
        .remove_membership(org, target, &audit::row(e))
        .await
        .map_err(port)?
    {
        MembershipChange::Applied => Ok(()),
        MembershipChange::LastOwner => Err(last_owner()),
        MembershipChange::NotFound => Err(DomainError::NotFound("member")),
    }
}
