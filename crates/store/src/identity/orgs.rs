//! [`OrgRepository`] for [`Store`].

use nestcms_domain::PortError;
use nestcms_domain::identity::ports::{MembershipChange, OrgRepository};
use nestcms_domain::identity::{
    Address, EmployeeType, Membership, Org, OrgId, OrgStatus, Role, SecurityEvent, User, UserId,
};
use sqlx::types::Json;
use uuid::Uuid;

use super::audit::audit_row;
use super::unknown;
use super::users::{UserRow, user_cols};
use crate::access::AccessChange;
use crate::error::port_err;
use crate::time::Ts;
use crate::{Store, with_pool};

/// Inserts membership `$m` inside the open transaction `$tx`: founding an
/// org, adding a member and accepting an invitation all write the same row.
macro_rules! membership_row {
    ($tx:expr, $m:expr) => {{
        let m: &nestcms_domain::identity::Membership = $m;
        sqlx::query(
            "INSERT INTO memberships (org_id, user_id, role, employee_type, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(m.org_id.0)
        .bind(m.user_id.0)
        .bind(m.role.as_str())
        .bind(
            m.employee_type
                .map(nestcms_domain::identity::EmployeeType::as_str),
        )
        .bind($crate::time::Ts(m.created_at))
        .execute(&mut *$tx)
        .await
    }};
}
pub(crate) use membership_row;

#[derive(sqlx::FromRow)]
pub(crate) struct OrgRow {
    pub(crate) id: Uuid,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) status: String,
    pub(crate) address: Option<Json<Address>>,
    pub(crate) profit_bp: i32,
    pub(crate) require_mfa: bool,
    pub(crate) created_at: Ts,
}

impl TryFrom<OrgRow> for Org {
    type Error = PortError;
    fn try_from(r: OrgRow) -> Result<Self, PortError> {
        let status = match r.status.as_str() {
            "open" => OrgStatus::Open,
            "closed" => OrgStatus::Closed,
            other => return Err(unknown("org status", other)),
        };
        Ok(Org {
            id: OrgId(r.id),
            title: r.title,
            description: r.description,
            status,
            address: r.address.map(|a| a.0),
            profit_bp: r.profit_bp,
            require_mfa: r.require_mfa,
            created_at: r.created_at.0,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    pub(crate) org_id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) role: String,
    pub(crate) employee_type: Option<String>,
    pub(crate) joined_at: Ts,
}

/// A membership with its user, from one JOIN.
#[derive(sqlx::FromRow)]
struct MemberUserRow {
    #[sqlx(flatten)]
    member: MemberRow,
    #[sqlx(flatten)]
    user: UserRow,
}

impl TryFrom<MemberRow> for Membership {
    type Error = PortError;
    fn try_from(r: MemberRow) -> Result<Self, PortError> {
        let employee_type = match r.employee_type {
            Some(t) => Some(EmployeeType::parse(&t).ok_or_else(|| unknown("employee type", &t))?),
            None => None,
        };
        Ok(Membership {
            org_id: OrgId(r.org_id),
            user_id: UserId(r.user_id),
            role: Role::parse(&r.role).ok_or_else(|| unknown("role", &r.role))?,
            employee_type,
            created_at: r.joined_at.0,
        })
    }
}

fn status_text(s: OrgStatus) -> &'static str {
    match s {
        OrgStatus::Open => "open",
        OrgStatus::Closed => "closed",
    }
}

/// Membership columns, with `created_at` renamed so they can sit beside a user's or an org's.
macro_rules! member_cols {
    ($p:literal) => {
        concat!(
            $p,
            "org_id, ",
            $p,
            "user_id, ",
            $p,
            "role, ",
            $p,
            "employee_type, ",
            $p,
            "created_at AS joined_at"
        )
    };
}

/// Statements of a membership change, run after the org row is locked.
const LOCK_ORG: &str = "UPDATE orgs SET id = id WHERE id = $1";
const OWNERS: &str = "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'owner'";
const ROLE_OF: &str = "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2";

#[async_trait::async_trait]
impl OrgRepository for Store {
    async fn insert_org(
        &self,
        o: &Org,
        owner: &Membership,
        audit: &SecurityEvent,
    ) -> Result<(), PortError> {
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                sqlx::query("INSERT INTO orgs (id, title, description, status, address, profit_bp, require_mfa, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(o.id.0)
                    .bind(&o.title)
                    .bind(&o.description)
                    .bind(status_text(o.status))
                    .bind(o.address.as_ref().map(Json))
                    .bind(o.profit_bp)
                    .bind(o.require_mfa)
                    .bind(Ts(o.created_at))
                    .execute(&mut *tx)
                    .await?;
                membership_row!(tx, owner)?;
                audit_row!(tx, audit)?;
                tx.commit().await
            }
            .await
        })
        .map_err(port_err)
    }

    async fn org(&self, id: OrgId) -> Result<Option<Org>, PortError> {
        let sql = "SELECT id, title, description, status, address, profit_bp, require_mfa, created_at FROM orgs WHERE id = $1";
        let row = with_pool!(self.primary(), |p| sqlx::query_as::<_, OrgRow>(sql)
            .bind(id.0)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        row.map(Org::try_from).transpose()
    }

    async fn update_org(&self, o: &Org, audit: Option<&SecurityEvent>) -> Result<(), PortError> {
        let sql = "UPDATE orgs SET title = $2, description = $3, status = $4, address = $5, profit_bp = $6, require_mfa = $7 WHERE id = $1";
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                sqlx::query(sql)
                    .bind(o.id.0)
                    .bind(&o.title)
                    .bind(&o.description)
                    .bind(status_text(o.status))
                    .bind(o.address.as_ref().map(Json))
                    .bind(o.profit_bp)
                    .bind(o.require_mfa)
                    .execute(&mut *tx)
                    .await?;
                if let Some(e) = audit {
                    audit_row!(tx, e)?;
                }
                tx.commit().await
            }
            .await
        })
        .map_err(port_err)
    }

    async fn membership(&self, org: OrgId, user: UserId) -> Result<Option<Membership>, PortError> {
        let sql = concat!(
            "SELECT ",
            member_cols!(""),
            " FROM memberships WHERE org_id = $1 AND user_id = $2"
        );
        let load = async {
            let row = with_pool!(self.primary(), |p| sqlx::query_as::<_, MemberRow>(sql)
                .bind(org.0)
                .bind(user.0)
                .fetch_optional(p)
                .await)
            .map_err(port_err)?;
            row.map(Membership::try_from).transpose()
        };
        self.access.member(org.0, user.0, load).await
    }

    async fn members(&self, org: OrgId) -> Result<Vec<(Membership, User)>, PortError> {
        let sql = concat!(
            "SELECT ",
            member_cols!("m."),
            ", ",
            user_cols!("u."),
            " FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY m.created_at, m.user_id"
        );
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, MemberUserRow>(sql)
            .bind(org.0)
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        rows.into_iter()
            .map(|r| Ok((Membership::try_from(r.member)?, User::from(r.user))))
            .collect()
    }

    async fn insert_membership(
        &self,
        m: &Membership,
        audit: &SecurityEvent,
    ) -> Result<(), PortError> {
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                membership_row!(tx, m)?;
                audit_row!(tx, audit)?;
                tx.commit().await
            }
            .await
        })
        .map_err(port_err)
    }

    async fn change_role(
        &self,
        org: OrgId,
        user: UserId,
        role: Role,
        employee_type: Option<EmployeeType>,
        audit: &SecurityEvent,
    ) -> Result<MembershipChange, PortError> {
        self.guarded_change(org, user, Some((role, employee_type)), audit)
            .await
    }

    async fn remove_membership(
        &self,
        org: OrgId,
        user: UserId,
        audit: &SecurityEvent,
    ) -> Result<MembershipChange, PortError> {
        self.guarded_change(org, user, None, audit).await
    }

    async fn mfa_required_for(&self, user: UserId) -> Result<bool, PortError> {
        let sql = "SELECT EXISTS(SELECT 1 FROM memberships m JOIN orgs o ON o.id = m.org_id \
                   WHERE m.user_id = $1 AND m.role IN ('owner', 'admin') AND o.require_mfa)";
        with_pool!(self.primary(), |p| sqlx::query_scalar::<_, bool>(sql)
            .bind(user.0)
            .fetch_one(p)
            .await)
        .map_err(port_err)
    }
}

impl Store {
    /// Changes a member's role (`Some`) or removes them (`None`) unless that would leave the
    /// organization without an owner. The organization row is written first, which serialises
    /// concurrent changes on both backends, so two owners demoting each other cannot both win.
    async fn guarded_change(
        &self,
        org: OrgId,
        user: UserId,
        new_role: Option<(Role, Option<EmployeeType>)>,
        audit: &SecurityEvent,
    ) -> Result<MembershipChange, PortError> {
        let forgets = self.access.forgets(AccessChange::Member(org.0, user.0));
        let outcome = with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                sqlx::query(LOCK_ORG).bind(org.0).execute(&mut *tx).await?;
                let current = sqlx::query_scalar::<_, String>(ROLE_OF).bind(org.0).bind(user.0).fetch_optional(&mut *tx).await?;
                let Some(current) = current else {
                    return Ok(MembershipChange::NotFound);
                };
                let stays_owner = matches!(new_role, Some((Role::Owner, _)));
                if current == "owner" && !stays_owner {
                    let owners: i64 = sqlx::query_scalar(OWNERS).bind(org.0).fetch_one(&mut *tx).await?;
                    if owners <= 1 {
                        return Ok(MembershipChange::LastOwner);
                    }
                }
                let change = match new_role {
                    Some((role, employee_type)) => sqlx::query(
                        "UPDATE memberships SET role = $3, employee_type = $4 WHERE org_id = $1 AND user_id = $2",
                    )
                    .bind(org.0)
                    .bind(user.0)
                    .bind(role.as_str())
                    .bind(employee_type.map(EmployeeType::as_str)),
                    None => sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2").bind(org.0).bind(user.0),
                };
                change.execute(&mut *tx).await?;
                audit_row!(tx, audit)?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(MembershipChange::Applied)
            }
            .await
        })
        .map_err(port_err);
        drop(forgets);
        self.settle_access().await;
        outcome
    }
}
