//! Construction use cases: offers, contracts, projects, earnings, analytics.
//!
//! Every call starts from [`caller`]: the caller's membership (404 when absent) and what their
//! role lets them see. Staff see the organization's records; a client sees only their own, and
//! any other record is "not found" to them, not "forbidden".

pub mod analytics;
pub mod contracts;
pub mod earnings;
pub mod offers;
pub mod projects;
pub mod schedules;

use std::sync::Arc;

use nestcms_domain::DomainError;
use nestcms_domain::construction::ports::{ConstructionStore, Page, Scope};
use nestcms_domain::identity::policy::{self, Action};
use nestcms_domain::identity::{Membership, OrgId, Role, UserId};

use crate::{Principal, Store, orgs, port};

/// Construction storage.
pub type Data = Arc<dyn ConstructionStore>;

/// Uploaded files.
pub type Files = Arc<dyn nestcms_domain::ports::FileStore>;

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

/// A page of results with whether more follow.
pub struct Paged<T> {
    /// Items, newest first.
    pub items: Vec<T>,
    /// Whether more follow.
    pub has_more: bool,
}

/// Runs a listing with one extra row to learn `has_more`.
pub(crate) async fn paged<T, F, Fut>(page: Page, fetch: F) -> Result<Paged<T>, DomainError>
where
    F: FnOnce(Page) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, nestcms_domain::PortError>>,
{
    let limit = page.limit;
    if !(1..=100).contains(&limit) {
        return Err(DomainError::invalid(
            "?limit",
            "out_of_range",
            "limit is 1 to 100",
        ));
    }
    let mut items = fetch(Page {
        cursor: page.cursor,
        ascending: page.ascending,
        limit: limit + 1,
    })
    .await
    .map_err(port)?;
    let has_more = items.len() > limit as usize;
    items.truncate(limit as usize);
    Ok(Paged { items, has_more })
}

/// Pages a short list already read whole, in its natural order (`ascending`) or reversed, with
/// the same contract as [`paged`]: `limit` 1 to 100, the page after the item whose key is the
/// cursor, and `has_more`. Used for the parts of one project or schedule item (steps, designs,
/// workers, notes), which are read whole anyway (progress, read marks) and stay small.
pub(crate) fn page_slice<T, K: PartialEq>(
    mut all: Vec<T>,
    page: Page,
    cursor: Option<K>,
    key: impl Fn(&T) -> K,
) -> Result<Paged<T>, DomainError> {
    if !(1..=100).contains(&page.limit) {
        return Err(DomainError::invalid(
            "?limit",
            "out_of_range",
            "limit is 1 to 100",
        ));
    }
    if !page.ascending {
        all.reverse();
    }
    let start = match cursor {
        None => 0,
        Some(c) => {
            all.iter().position(|t| key(t) == c).ok_or_else(|| {
                DomainError::invalid(
                    "?starting_after",
                    "unknown_cursor",
                    "not an item of this list",
                )
            })? + 1
        }
    };
    let limit = page.limit as usize;
    let has_more = all.len() > start + limit;
    let items = all.into_iter().skip(start).take(limit).collect();
    Ok(Paged { items, has_more })
}

/// Refuses blank or overlong text.
pub(crate) fn text(value: &str, field: &str, max: usize) -> Result<String, DomainError> {
    let t = value.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            "invalid_text",
            format!("give 1 to {max} characters"),
        ));
    }
    Ok(t.to_owned())
}
