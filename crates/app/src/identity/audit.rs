//! Writing to and reading the security audit log.

use chrono::Utc;
use nestcms_domain::DomainError;
use nestcms_domain::identity::policy::{self, Action};
use nestcms_domain::identity::{EventId, ObjectKind, OrgId, SecurityEvent, SessionId, UserId};
use serde_json::Value;

use crate::identity::orgs;
use crate::{ClientInfo, Principal, Store, port};

/// One event to append.
pub(crate) struct Event<'a> {
    pub kind: &'static str,
    pub org: Option<OrgId>,
    pub actor: Option<UserId>,
    pub subject: Option<UserId>,
    pub session: Option<SessionId>,
    pub client: Option<&'a ClientInfo>,
    pub detail: Value,
}

impl Event<'_> {
    /// An event about the actor's own account.
    pub(crate) fn account(kind: &'static str, user: UserId) -> Self {
        Self {
            kind,
            org: None,
            actor: Some(user),
            subject: Some(user),
            session: None,
            client: None,
            detail: Value::Null,
        }
    }
}

/// Appends an event that records no change of its own (a failed login). Changes pass their
/// event ([`row`]) to the storage call that makes them, so both commit in one transaction. The
/// log is part of the guarantee, so a failure to write it fails the call.
pub(crate) async fn record(store: &Store, e: Event<'_>) -> Result<(), DomainError> {
    store.record_event(&row(e)).await.map_err(port)
}

/// The row an event is stored as.
pub(crate) fn row(e: Event<'_>) -> SecurityEvent {
    SecurityEvent {
        id: EventId::new(),
        org_id: e.org,
        actor: e.actor,
        subject: e.subject,
        session: e.session,
        kind: e.kind.to_owned(),
        ip: e.client.and_then(|c| c.ip.clone()),
        detail: if e.detail.is_null() {
            Value::Object(Default::default())
        } else {
            e.detail
        },
        at: Utc::now(),
    }
}

/// A page of the organization's log, newest first.
#[tracing::instrument(name = "audit.list", skip_all)]
pub async fn list(
    store: &Store,
    who: Principal,
    org: OrgId,
    before: Option<EventId>,
    limit: u32,
) -> Result<(Vec<SecurityEvent>, bool), DomainError> {
    let member = orgs::membership(store, who, org).await?;
    let grants = store
        .grants_on(org, who.user, ObjectKind::AuditLog, org.0)
        .await
        .map_err(port)?;
    policy::decide(member.role, Action::ReadAuditLog, Some(org.0), &grants)?;
    let limit = limit.clamp(1, 100);
    let mut events = store
        .org_events(org, before, limit + 1)
        .await
        .map_err(port)?;
    let has_more = events.len() > limit as usize;
    events.truncate(limit as usize);
    Ok((events, has_more))
}
