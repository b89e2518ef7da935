//! `UserRepository::profile` for [`Store`]: a user and their organizations in one statement,
//! what `GET /users/me` shows (a LEFT JOIN, so a user without organizations still has a row).

use nestcms_domain::PortError;
use nestcms_domain::identity::{Address, Membership, Org, User, UserId};
use sqlx::types::Json;
use uuid::Uuid;

use super::orgs::{MemberRow, OrgRow};
use super::users::{UserRow, user_cols};
use crate::error::port_err;
use crate::time::Ts;
use crate::{Store, with_pool};

/// The user's columns, then one organization and the membership in it (all NULL when the user
/// belongs to none).
#[derive(sqlx::FromRow)]
struct ProfileRow {
    #[sqlx(flatten)]
    user: UserRow,
    o_id: Option<Uuid>,
    o_title: Option<String>,
    o_description: Option<String>,
    o_status: Option<String>,
    o_address: Option<Json<Address>>,
    o_profit_bp: Option<i32>,
    o_require_mfa: Option<bool>,
    o_created_at: Option<Ts>,
    m_role: Option<String>,
    m_employee_type: Option<String>,
    m_joined_at: Option<Ts>,
}

impl ProfileRow {
    /// The user, and the organization and membership of this row if it has one. The LEFT JOIN
    /// leaves every org column NULL only when there is no membership; a NULL beside an org id
    /// is the database breaking its own constraints, reported rather than skipped.
    fn split(self, user: UserId) -> Result<(UserRow, Option<(Org, Membership)>), PortError> {
        let Some(id) = self.o_id else {
            return Ok((self.user, None));
        };
        let missing = || {
            PortError::Other(format!(
                "organization {id} of user {user}: a NOT NULL column read as NULL"
            ))
        };
        let org = OrgRow {
            id,
            title: self.o_title.ok_or_else(missing)?,
            description: self.o_description.ok_or_else(missing)?,
            status: self.o_status.ok_or_else(missing)?,
            address: self.o_address,
            profit_bp: self.o_profit_bp.ok_or_else(missing)?,
            require_mfa: self.o_require_mfa.ok_or_else(missing)?,
            created_at: self.o_created_at.ok_or_else(missing)?,
        };
        let member = MemberRow {
            org_id: id,
            user_id: user.0,
            role: self.m_role.ok_or_else(missing)?,
            employee_type: self.m_employee_type,
            joined_at: self.m_joined_at.ok_or_else(missing)?,
        };
        let pair = (Org::try_from(org)?, Membership::try_from(member)?);
        Ok((self.user, Some(pair)))
    }
}

impl Store {
    /// See `UserRepository::profile`.
    pub(crate) async fn load_profile(
        &self,
        id: UserId,
    ) -> Result<Option<(User, Vec<(Org, Membership)>)>, PortError> {
        let sql = concat!(
            "SELECT ",
            user_cols!("u."),
            ", o.id AS o_id, o.title AS o_title, o.description AS o_description, \
             o.status AS o_status, o.address AS o_address, o.profit_bp AS o_profit_bp, \
             o.require_mfa AS o_require_mfa, o.created_at AS o_created_at, m.role AS m_role, \
             m.employee_type AS m_employee_type, m.created_at AS m_joined_at \
             FROM users u LEFT JOIN memberships m ON m.user_id = u.id \
             LEFT JOIN orgs o ON o.id = m.org_id WHERE u.id = $1 ORDER BY o.id"
        );
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, ProfileRow>(sql)
            .bind(id.0)
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        let mut user = None;
        let mut orgs = Vec::new();
        for row in rows {
            let (u, org) = row.split(id)?;
            user.get_or_insert_with(|| User::from(u));
            orgs.extend(org);
        }
        Ok(user.map(|u| (u, orgs)))
    }
}
