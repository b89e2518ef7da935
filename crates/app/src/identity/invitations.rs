//! Invitations: owners and admins invite an e-mail with a role and receive a token to pass on;
//! the person signed in with that e-mail answers with the token. The answer to inviting never
//! depends on whether an account uses the address, so inviting cannot be used to learn who has
//! an account; and the token, not the address alone, is what lets someone join (addresses are
//! not verified at registration).

use chrono::Utc;
use nestcms_domain::identity::policy::{self, Action};
use nestcms_domain::identity::ports::Acceptance;
use nestcms_domain::identity::{
    Email, EmployeeType, Invitation, InvitationId, InvitationStatus, Membership, OrgId, Role,
};
use nestcms_domain::{DomainError, PortError};
use serde_json::json;

use nestcms_auth::opaque;

use crate::identity::audit::{self, Event};
use crate::identity::members::{check_mfa_for_role, event};
use crate::identity::orgs;
use crate::{ClientInfo, Principal, Store, port};

/// A new invitation and the token that answers it (shown once, to the inviter).
pub struct Sent {
    /// The invitation.
    pub invitation: Invitation,
    /// The token to pass to the invitee; only its digest is stored.
    pub token: String,
}

/// Invites `email` to join with `role` (owners and admins; only owners invite owners).
#[tracing::instrument(name = "invitations.invite", skip_all)]
pub async fn invite(
    store: &Store,
    who: Principal,
    org: OrgId,
    email: &str,
    role: Role,
    employee_type: Option<EmployeeType>,
    client: &ClientInfo,
) -> Result<Sent, DomainError> {
    let me = orgs::membership(store, who, org).await?;
    policy::decide(me.role, Action::AddMember, None, &[])?;
    if role == Role::Owner && me.role != Role::Owner {
        return Err(DomainError::Forbidden(
            "only an owner can invite an owner".into(),
        ));
    }
    let email = Email::parse(email, "/email").map_err(|e| DomainError::Validation(vec![e]))?;
    let token = opaque::new_invitation_token();
    let invitation = Invitation::new(
        org,
        email,
        role,
        employee_type,
        who.user,
        opaque::digest(&token),
        Utc::now(),
    );
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
        Ok(()) => Ok(Sent { invitation, token }),
        Err(PortError::Duplicate) => Err(DomainError::Conflict {
            code: "already_invited",
            message: "an invitation to this e-mail is already pending; revoke it to send another"
                .into(),
        }),
        Err(e) => Err(port(e)),
    }
}

/// Pending invitations of the organization (owners and admins).
#[tracing::instrument(name = "invitations.pending", skip_all)]
pub async fn pending(
    store: &Store,
    who: Principal,
    org: OrgId,
) -> Result<Vec<Invitation>, DomainError> {
    let me = orgs::membership(store, who, org).await?;
    policy::decide(me.role, Action::AddMember, None, &[])?;
    store.org_invitations(org, Utc::now()).await.map_err(port)
}

/// Withdraws a pending invitation.
#[tracing::instrument(name = "invitations.revoke", skip_all)]
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

/// Accepts, with its token, an invitation addressed to the caller's e-mail: they become a
/// member.
#[tracing::instrument(name = "invitations.accept", skip_all)]
pub async fn accept(
    store: &Store,
    who: Principal,
    token: &str,
    client: &ClientInfo,
) -> Result<Membership, DomainError> {
    let (inv, user) = addressed_to_caller(store, who, token).await?;
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
        .accept_invitation(inv.id, &m, now, &audit::row(e))
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

/// Declines, with its token, an invitation addressed to the caller's e-mail.
#[tracing::instrument(name = "invitations.decline", skip_all)]
pub async fn decline(
    store: &Store,
    who: Principal,
    token: &str,
    client: &ClientInfo,
) -> Result<(), DomainError> {
    let (inv, user) = addressed_to_caller(store, who, token).await?;
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
        .close_invitation(
            inv.id,
            InvitationStatus::Declined,
            Utc::now(),
            &audit::row(e),
        )
        .await
        .map_err(port)?;
    if closed { Ok(()) } else { Err(not_pending()) }
}

/// The invitation the token answers, if it is open and addressed to the caller; 404 otherwise
/// (a token for someone else's invitation is none of the caller's business).
async fn addressed_to_caller(
    store: &Store,
    who: Principal,
    token: &str,
) -> Result<(Invitation, nestcms_domain::identity::User), DomainError> {
    let user = crate::user(store, who.user).await?;
    let inv = store
        .invitation_by_token(&opaque::digest(token.trim()))
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
