//! Invitations: owners and admins invite an e-mail with a role; the person signed in with that
//! e-mail accepts or declines. The answer to an invitation never depends on whether an account
//! uses the address, so inviting cannot be used to learn who has an account.

use chrono::Utc;
use nestcms_domain::identity::policy::{self, Action};
use nestcms_domain::identity::ports::Acceptance;
use nestcms_domain::identity::{
    Email, EmployeeType, Invitation, InvitationId, InvitationStatus, Membership, OrgId, Role,
};
use nestcms_domain::{DomainError, PortError};
use serde_json::json;

use crate::identity::audit::{self, Event};
use crate::identity::members::{check_mfa_for_role, event};
use crate::identity::orgs;
use crate::{ClientInfo, Principal, Store, port};

/// Invites `email` to join with `role` (owners and admins; only owners invite owners).
pub async fn invite(
    store: &Store,
    who: Principal,
    org: OrgId,
    email: &str,
    role: Role,
    employee_type: Option<EmployeeType>,
    client: &ClientInfo,
) -> Result<Invitation, DomainError> {
    let me = orgs::membership(store, who, org).await?;
    policy::decide(me.role, Action::AddMember, None, &[])?;
    if role == Role::Owner && me.role != Role::Owner {
        return Err(DomainError::Forbidden(
            "only an owner can invite an owner".into(),
        ));
    }
    let email = Email::parse(email, "/email").map_err(|e| DomainError::Validation(vec![e]))?;
    let invitation = Invitation::new(org, email, role, employee_type, who.user, Utc::now());
    let e = Event {
        kind: "invitation_sent",
        org: Some(org),
        actor: Some(who.user),
        subject: None,
        session: Some(who.session),
        client: Some(client),
        detail: json!({ "invitation_id": invitation.id, "role": role.as_str() }),
    };
    match store.insert_invitation(&invitation, &audit::row(e)).await {
        Ok(()) => Ok(invitation),
        Err(PortError::Duplicate) => Err(DomainError::Conflict {
            code: "already_invited",
            message: "an invitation to this e-mail is already pending; revoke it to send another"
                .into(),
        }),
        Err(e) => Err(port(e)),
    }
}

/// Pending invitations of the organization (owners and admins).
pub async fn pending(
    store: &Store,
    who: Principal,
    org: OrgId,
) -> Result<Vec<Invitation>, DomainError> {
    let me = orgs::membership(store, who, org).await?;
    policy::decide(me.role, Action::AddMember, None, &[])?;
    store.org_invitations(org).await.map_err(port)
}

/// Withdraws a pending invitation.
pub async fn revoke(
    store: &Store,
    who: Principal,
    org: OrgId,
    id: InvitationId,
    client: &ClientInfo,
) -> Result<(), DomainError> {
    let me = orgs::membership(store, who, org).await?;
    policy::decide(me.role, Action::AddMember, None, &[])?;
    let inv = store
        .invitation(id)
        .await
        .map_err(port)?
        .filter(|i| i.org_id == org)
        .ok_or(DomainError::NotFound("invitation"))?;
    let e = Event {
        kind: "invitation_revoked",
        org: Some(org),
        actor: Some(who.user),
        subject: None,
        session: Some(who.session),
        client: Some(client),
        detail: json!({ "invitation_id": inv.id }),
    };
    let closed = store
        .close_invitation(id, InvitationStatus::Revoked, Utc::now(), &audit::row(e))
        .await
        .map_err(port)?;
    if closed { Ok(()) } else { Err(not_pending()) }
}

/// The caller's open invitations, with each organization's title.
pub async fn mine(store: &Store, who: Principal) -> Result<Vec<(Invitation, String)>, DomainError> {
    let me = crate::user(store, who.user).await?;
    store
        .invitations_for(&me.email, Utc::now())
        .await
        .map_err(port)
}

/// Accepts an invitation addressed to the caller's e-mail: they become a member.
pub async fn accept(
    store: &Store,
    who: Principal,
    id: InvitationId,
    client: &ClientInfo,
) -> Result<Membership, DomainError> {
    let (inv, user) = addressed_to_caller(store, who, id).await?;
    check_mfa_for_role(store, inv.org_id, &user, inv.role).await?;
    let now = Utc::now();
    let m = Membership {
        org_id: inv.org_id,
        user_id: user.id,
        role: inv.role,
        employee_type: inv.employee_type,
        created_at: now,
    };
    let detail =
        json!({ "role": inv.role.as_str(), "invitation_id": inv.id, "invited_by": inv.invited_by });
    let e = event("member_added", inv.org_id, who, user.id, client, detail);
    match store
        .accept_invitation(id, &m, now, &audit::row(e))
        .await
        .map_err(port)?
    {
        Acceptance::Joined => Ok(m),
        Acceptance::NotOpen => Err(not_pending()),
        Acceptance::AlreadyMember => Err(DomainError::Conflict {
            code: "already_member",
            message: "you are already a member of this organization".into(),
        }),
    }
}

/// Declines an invitation addressed to the caller's e-mail.
pub async fn decline(
    store: &Store,
    who: Principal,
    id: InvitationId,
    client: &ClientInfo,
) -> Result<(), DomainError> {
    let (inv, user) = addressed_to_caller(store, who, id).await?;
    let detail = json!({ "invitation_id": inv.id });
    let e = event(
        "invitation_declined",
        inv.org_id,
        who,
        user.id,
        client,
        detail,
    );
    let closed = store
        .close_invitation(id, InvitationStatus::Declined, Utc::now(), &audit::row(e))
        .await
        .map_err(port)?;
    if closed { Ok(()) } else { Err(not_pending()) }
}

/// The invitation if it is open and addressed to the caller; 404 otherwise (someone else's
/// invitation is none of the caller's business).
async fn addressed_to_caller(
    store: &Store,
    who: Principal,
    id: InvitationId,
) -> Result<(Invitation, nestcms_domain::identity::User), DomainError> {
    let user = crate::user(store, who.user).await?;
    let inv = store
        .invitation(id)
        .await
        .map_err(port)?
        .filter(|i| i.email == user.email)
        .ok_or(DomainError::NotFound("invitation"))?;
    if !inv.is_open(Utc::now()) {
        return Err(not_pending());
    }
    Ok((inv, user))
}

fn not_pending() -> DomainError {
    DomainError::Conflict {
        code: "invitation_not_pending",
        message: "this invitation was already answered, withdrawn, or has expired".into(),
    }
}
