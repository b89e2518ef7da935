//! The caller inside one organization, shared by every organization-scoped use case.
//!
//! Every such call starts from [`caller`]: the caller's membership (404 when absent, so a
//! non-member learns nothing) and what their role lets them see. Staff see the organization's
//! records; a client sees only their own, and any other record is "not found" to them.

use nestcms_domain::DomainError;
use nestcms_domain::construction::ports::Scope;
use nestcms_domain::identity::policy::{self, Action};
use nestcms_domain::identity::{Membership, OrgId, Role, UserId};

use crate::identity::orgs;
use crate::{Principal, Store, port};

/// The caller inside one organization.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub who: Principal,
    /// Their membership.
    pub member: Membership,
}

impl Caller {
    /// The organization.
    pub fn org(&self) -> OrgId {
        self.member.org_id
    }

    /// The user.
    pub fn user(&self) -> UserId {
        self.who.user
    }

    /// Whether the role sees all records (staff) rather than only the caller's own (clients).
    pub fn is_staff(&self) -> bool {
        policy::role_allows(self.member.role, Action::ViewAllRecords)
    }

    /// The listing scope for this caller.
    pub fn scope(&self) -> Scope {
        Scope {
            org: self.org(),
            client: (!self.is_staff()).then_some(self.user()),
        }
    }

    /// Refuses unless the role allows the action.
    pub fn require(&self, action: Action) -> Result<(), DomainError> {
        policy::decide(self.member.role, action, None, &[])
    }

    /// Whether the caller may see a record belonging to `client`.
    pub fn sees(&self, client: Option<UserId>) -> bool {
        self.is_staff() || client == Some(self.user())
    }
}

/// Loads the caller's membership (404 for non-members).
#[tracing::instrument(name = "caller.caller", skip_all)]
pub async fn caller(store: &Store, who: Principal, org: OrgId) -> Result<Caller, DomainError> {
    Ok(Caller {
        who,
        member: orgs::membership(store, who, org).await?,
    })
}

/// A member of the organization with one of `roles`, or a 400 on `field`.
pub(crate) async fn member_with(
    store: &Store,
    org: OrgId,
    user: UserId,
    roles: &[Role],
    field: &str,
    what: &str,
) -> Result<Membership, DomainError> {
    match store.membership(org, user).await.map_err(port)? {
        Some(m) if roles.contains(&m.role) => Ok(m),
        _ => Err(DomainError::invalid(
            field,
            "not_eligible",
            format!("must be a member of this organization who is {what}"),
        )),
    }
}

/// Staff roles (anyone but clients).
pub(crate) const STAFF: &[Role] = &[Role::Owner, Role::Admin, Role::Manager, Role::Employee];
