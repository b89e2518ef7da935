//! Per-object grants: create, list, revoke, and "may I?" checks.

use chrono::Utc;
use nestcms_domain::DomainError;
use nestcms_domain::identity::policy::{self, Action};
use nestcms_domain::identity::{Grant, GrantId, GrantStatus, ObjectKind, OrgId, UserId, Verb};
use serde_json::json;

use crate::identity::audit::{self, Event};
use crate::identity::orgs;
use crate::{ClientInfo, Principal, Store, port};

/// What a new grant gives, and to whom.
#[derive(Debug, Clone, Copy)]
pub struct GrantRequest {
    /// The member receiving it.
    pub grantee: UserId,
    /// What it allows.
    pub verb: Verb,
    /// Kind of object.
    pub kind: ObjectKind,
    /// The object.
    pub object: uuid::Uuid,
}

/// Grants `verb` on one object to a member.
#[tracing::instrument(name = "grants.create", skip_all)]
pub async fn create(
    store: &Store,
    who: Principal,
    org: OrgId,
    req: GrantRequest,
    client: &ClientInfo,
) -> Result<Grant, DomainError> {
    let GrantRequest {
        grantee,
        verb,
        kind,
        object,
    } = req;
    let me = orgs::membership(store, who, org).await?;
    policy::decide(me.role, Action::ManageGrants, None, &[])?;
    if store
        .membership(org, grantee)
        .await
        .map_err(port)?
        .is_none()
    {
        return Err(DomainError::invalid(
            "/user_id",
            "not_a_member",
            "grants go to members of this organization",
        ));
    }
    if kind == ObjectKind::AuditLog && object != org.0 {
        return Err(DomainError::invalid(
            "/object_id",
            "wrong_object",
            "the audit log's object id is the organization id",
        ));
    }
    let grant = Grant {
        id: GrantId::new(),
        org_id: org,
        user_id: grantee,
        verb,
        object_kind: kind,
        object_id: object,
        status: GrantStatus::Granted,
        granted_by: who.user,
        granted_at: Utc::now(),
        revoked_by: None,
        revoked_at: None,
    };
    let detail = json!({ "grant_id": grant.id, "verb": verb.as_str(), "object_kind": kind.as_str(), "object_id": object });
    let e = Event {
        kind: "grant_created",
        org: Some(org),
        actor: Some(who.user),
        subject: Some(grantee),
        session: Some(who.session),
        client: Some(client),
        detail,
    };
    store
        .insert_grant(&grant, &audit::row(e))
        .await
        .map_err(port)?;
    Ok(grant)
}

/// Grants of the organization, optionally of one user.
#[tracing::instrument(name = "grants.list", skip_all)]
pub async fn list(
    store: &Store,
    who: Principal,
    org: OrgId,
    user: Option<UserId>,
) -> Result<Vec<Grant>, DomainError> {
    let me = orgs::membership(store, who, org).await?;
    if user != Some(who.user) {
        policy::decide(me.role, Action::ViewGrants, None, &[])?;
    }
    store.grants(org, user).await.map_err(port)
}

/// Revokes a grant; access it gave ends with the next request.
#[tracing::instrument(name = "grants.revoke", skip_all)]
pub async fn revoke(
    store: &Store,
    who: Principal,
    org: OrgId,
    id: GrantId,
    client: &ClientInfo,
) -> Result<Grant, DomainError> {
    let me = orgs::membership(store, who, org).await?;
    policy::decide(me.role, Action::ManageGrants, None, &[])?;
    let grant = store
        .grant(org, id)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("grant"))?;
    let now = Utc::now();
    let detail = json!({ "grant_id": id, "verb": grant.verb.as_str(), "object_kind": grant.object_kind.as_str(), "object_id": grant.object_id });
    let e = Event {
        kind: "grant_revoked",
        org: Some(org),
        actor: Some(who.user),
        subject: Some(grant.user_id),
        session: Some(who.session),
        client: Some(client),
        detail,
    };
    if !store
        .revoke_grant(org, id, who.user, now, &audit::row(e))
        .await
        .map_err(port)?
    {
        return Err(DomainError::Conflict {
            code: "already_revoked",
            message: "this grant is already revoked".into(),
        });
    }
    Ok(Grant {
        status: GrantStatus::Revoked,
        revoked_by: Some(who.user),
        revoked_at: Some(now),
        ..grant
    })
}
