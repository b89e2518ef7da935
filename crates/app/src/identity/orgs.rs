//! Organizations: creation, listing, profile, and the membership gate every org route passes.

use chrono::Utc;
use nestcms_domain::identity::policy::{self, Action};
use nestcms_domain::identity::{Address, Membership, Org, OrgId, OrgStatus, Role};
use nestcms_domain::{DomainError, FieldError};
use serde_json::json;

use crate::identity::audit::{self, Event};
use crate::identity::auth::check_address;
use crate::{ClientInfo, Principal, Store, port};

/// The caller's membership, or 404: a non-member learns nothing, not even that the
/// organization exists.
#[tracing::instrument(name = "orgs.membership", skip_all)]
pub async fn membership(
    store: &Store,
    who: Principal,
    org: OrgId,
) -> Result<Membership, DomainError> {
    store
        .membership(org, who.user)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("organization"))
}

/// Fields of an organization a request may set.
#[derive(Debug, Default)]
pub struct OrgInput {
    /// Name.
    pub title: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Open or closed.
    pub status: Option<OrgStatus>,
    /// Address.
    pub address: Option<Address>,
    /// Profit share, basis points.
    pub profit_bp: Option<i32>,
    /// Require MFA of owners and admins.
    pub require_mfa: Option<bool>,
}

fn validate(input: &OrgInput) -> Result<(), DomainError> {
    let mut errors = Vec::new();
    if let Some(t) = &input.title
        && (t.trim().is_empty() || t.chars().count() > 200)
    {
        errors.push(FieldError::new(
            "/title",
            "invalid_title",
            "give a title of 1 to 200 characters",
        ));
    }
    if input
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 5000)
    {
        errors.push(FieldError::new(
            "/description",
            "too_long",
            "at most 5000 characters",
        ));
    }
    if input.profit_bp.is_some_and(|p| !(0..=10_000).contains(&p)) {
        errors.push(FieldError::new(
            "/profit_percentage",
            "out_of_range",
            "between 0 and 100",
        ));
    }
    if let Some(a) = &input.address {
        check_address(a, "/address", &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Validation(errors))
    }
}

/// Creates an organization with the caller as its owner.
#[tracing::instrument(name = "orgs.create", skip_all)]
pub async fn create(
    store: &Store,
    who: Principal,
    input: OrgInput,
    client: &ClientInfo,
) -> Result<(Org, Membership), DomainError> {
    if input.title.is_none() {
        return Err(DomainError::invalid(
            "/title",
            "required",
            "a title is required",
        ));
    }
    validate(&input)?;
    if input.require_mfa == Some(true) {
        require_own_mfa(store, who).await?;
    }
    let now = Utc::now();
    let org = Org {
        id: OrgId::new(),
        title: input.title.unwrap_or_default().trim().to_owned(),
        description: input.description.unwrap_or_default(),
        status: input.status.unwrap_or(OrgStatus::Open),
        address: input.address,
        profit_bp: input.profit_bp.unwrap_or(0),
        require_mfa: input.require_mfa.unwrap_or(false),
        created_at: now,
    };
    let owner = Membership {
        org_id: org.id,
        user_id: who.user,
        role: Role::Owner,
        employee_type: None,
        created_at: now,
    };
    let e = Event {
        kind: "org_created",
        org: Some(org.id),
        actor: Some(who.user),
        subject: Some(who.user),
        session: Some(who.session),
        client: Some(client),
        detail: json!({}),
    };
    store
        .insert_org(&org, &owner, &audit::row(e))
        .await
        .map_err(port)?;
    Ok((org, owner))
}

/// An organization the caller belongs to.
#[tracing::instrument(name = "orgs.get", skip_all)]
pub async fn get(
    store: &Store,
    who: Principal,
    org: OrgId,
) -> Result<(Org, Membership), DomainError> {
    let member = membership(store, who, org).await?;
    policy::decide(member.role, Action::ViewOrg, None, &[])?;
    let org = store
        .org(org)
        .await
        .map_err(port)?
        .ok_or(DomainError::NotFound("organization"))?;
    Ok((org, member))
}

/// Updates the profile. Turning on the MFA requirement needs every owner and admin enrolled,
/// so nobody is locked out by it.
#[tracing::instrument(name = "orgs.update", skip_all)]
pub async fn update(
    store: &Store,
    who: Principal,
    org_id: OrgId,
    input: OrgInput,
    client: &ClientInfo,
) -> Result<Org, DomainError> {
    let (mut org, member) = get(store, who, org_id).await?;
    policy::decide(member.role, Action::UpdateOrg, None, &[])?;
    validate(&input)?;
    if input.require_mfa == Some(true) && !org.require_mfa {
        let missing: Vec<String> = store
            .members(org_id)
            .await
            .map_err(port)?
            .into_iter()
            .filter(|(m, u)| m.role.is_org_admin() && !u.mfa_enabled)
            .map(|(_, u)| u.email.as_str().to_owned())
            .collect();
        if !missing.is_empty() {
            return Err(DomainError::Conflict {
                code: "admins_without_mfa",
                message: format!(
                    "these owners or admins must enable two-factor authentication first: {}",
                    missing.join(", ")
                ),
            });
        }
    }
    let before = org.require_mfa;
    if let Some(t) = input.title {
        org.title = t.trim().to_owned();
    }
    if let Some(d) = input.description {
        org.description = d;
    }
    if let Some(s) = input.status {
        org.status = s;
    }
    if input.address.is_some() {
        org.address = input.address;
    }
    if let Some(p) = input.profit_bp {
        org.profit_bp = p;
    }
    if let Some(r) = input.require_mfa {
        org.require_mfa = r;
    }
    let detail = json!({ "require_mfa": { "from": before, "to": org.require_mfa } });
    let e = Event {
        kind: "org_updated",
        org: Some(org.id),
        actor: Some(who.user),
        subject: None,
        session: Some(who.session),
        client: Some(client),
        detail,
    };
    store
        .update_org(&org, Some(&audit::row(e)))
        .await
        .map_err(port)?;
    Ok(org)
}

async fn require_own_mfa(store: &Store, who: Principal) -> Result<(), DomainError> {
    let me = crate::user(store, who.user).await?;
    if me.mfa_enabled {
        Ok(())
    } else {
        Err(DomainError::Conflict {
            code: "admins_without_mfa",
            message: "enable two-factor authentication before requiring it".into(),
        })
    }
}
