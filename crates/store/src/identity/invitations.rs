//! [`InvitationRepository`] for [`Store`].

use chrono::{DateTime, Utc};
use nestcms_domain::PortError;
use nestcms_domain::identity::ports::{Acceptance, InvitationRepository};
use nestcms_domain::identity::{
    Email, EmployeeType, Invitation, InvitationId, InvitationStatus, Membership, OrgId, Role,
    SecurityEvent, UserId,
};
use uuid::Uuid;

use super::audit::audit_row;
use super::orgs::membership_row;
use super::unknown;
use crate::error::port_err;
use crate::time::Ts;
use crate::{Store, with_pool};

const COLS: &str = "i.id, i.org_id, i.email, i.role, i.employee_type, i.invited_by, i.status, i.created_at, i.expires_at, i.decided_at, i.token_hash";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    org_id: Uuid,
    email: String,
    role: String,
    employee_type: Option<String>,
    invited_by: Uuid,
    status: String,
    created_at: Ts,
    expires_at: Ts,
    decided_at: Option<Ts>,
    token_hash: String,
}

impl TryFrom<Row> for Invitation {
    type Error = PortError;
    fn try_from(r: Row) -> Result<Self, PortError> {
        Ok(Invitation {
            id: InvitationId(r.id),
            org_id: OrgId(r.org_id),
            email: Email::from_trusted(r.email),
            role: Role::parse(&r.role).ok_or_else(|| unknown("role", &r.role))?,
            employee_type: r.employee_type.as_deref().and_then(EmployeeType::parse),
            invited_by: UserId(r.invited_by),
            status: InvitationStatus::parse(&r.status)
                .ok_or_else(|| unknown("invitation status", &r.status))?,
            created_at: r.created_at.0,
            expires_at: r.expires_at.0,
            decided_at: r.decided_at.map(|t| t.0),
            token_hash: r.token_hash,
        })
    }
}

#[async_trait::async_trait]
impl InvitationRepository for Store {
    async fn insert_invitation(
        &self,
        i: &Invitation,
        audit: &SecurityEvent,
    ) -> Result<(), PortError> {
        let sql = "INSERT INTO invitations (id, org_id, email, role, employee_type, invited_by, status, created_at, expires_at, token_hash) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        let expire = "UPDATE invitations SET status = 'expired', decided_at = $3 WHERE org_id = $1 AND email = $2 AND status = 'pending' AND expires_at <= $3";
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                sqlx::query(expire)
                    .bind(i.org_id.0)
                    .bind(i.email.as_str())
                    .bind(Ts(i.created_at))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sql)
                    .bind(i.id.0)
                    .bind(i.org_id.0)
                    .bind(i.email.as_str())
                    .bind(i.role.as_str())
                    .bind(i.employee_type.map(EmployeeType::as_str))
                    .bind(i.invited_by.0)
                    .bind(i.status.as_str())
                    .bind(Ts(i.created_at))
                    .bind(Ts(i.expires_at))
                    .bind(&i.token_hash)
                    .execute(&mut *tx)
                    .await?;
                audit_row!(tx, audit)?;
                tx.commit().await
            }
            .await
        })
        .map_err(port_err)
    }

    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, PortError> {
        let sql = format!("SELECT {COLS} FROM invitations i WHERE i.id = $1");
        let row = with_pool!(self.primary(), |p| sqlx::query_as::<_, Row>(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .bind(id.0)
        .fetch_optional(p)
        .await)
        .map_err(port_err)?;
        row.map(Invitation::try_from).transpose()
    }

    async fn invitation_by_token(&self, token_hash: &str) -> Result<Option<Invitation>, PortError> {
        let sql = format!("SELECT {COLS} FROM invitations i WHERE i.token_hash = $1");
        let row = with_pool!(self.primary(), |p| sqlx::query_as::<_, Row>(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .bind(token_hash)
        .fetch_optional(p)
        .await)
        .map_err(port_err)?;
        row.map(Invitation::try_from).transpose()
    }

    async fn org_invitations(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Invitation>, PortError> {
        let sql = format!(
            "SELECT {COLS} FROM invitations i WHERE i.org_id = $1 AND i.status = 'pending' AND i.expires_at > $2 ORDER BY i.id DESC"
        );
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, Row>(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .bind(org.0)
        .bind(Ts(now))
        .fetch_all(p)
        .await)
        .map_err(port_err)?;
        rows.into_iter().map(Invitation::try_from).collect()
    }

    async fn accept_invitation(
        &self,
        id: InvitationId,
        m: &Membership,
        at: DateTime<Utc>,
        audit: &SecurityEvent,
    ) -> Result<Acceptance, PortError> {
        let claim = "UPDATE invitations SET status = 'accepted', decided_at = $2 WHERE id = $1 AND status = 'pending' AND expires_at > $2";
        let member = "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND user_id = $2";
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                let claimed = sqlx::query(claim)
                    .bind(id.0)
                    .bind(Ts(at))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
                if !claimed {
                    return Ok(Acceptance::NotOpen);
                }
                let already: i64 = sqlx::query_scalar(member)
                    .bind(m.org_id.0)
                    .bind(m.user_id.0)
                    .fetch_one(&mut *tx)
                    .await?;
                if already > 0 {
                    return Ok(Acceptance::AlreadyMember);
                }
                membership_row!(tx, m)?;
                audit_row!(tx, audit)?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(Acceptance::Joined)
            }
            .await
        })
        .map_err(port_err)
    }

    async fn close_invitation(
        &self,
        id: InvitationId,
        status: InvitationStatus,
        at: DateTime<Utc>,
        audit: &SecurityEvent,
    ) -> Result<bool, PortError> {
        let sql = "UPDATE invitations SET status = $2, decided_at = $3 WHERE id = $1 AND status = 'pending'";
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                let r = sqlx::query(sql)
                    .bind(id.0)
                    .bind(status.as_str())
                    .bind(Ts(at))
                    .execute(&mut *tx)
                    .await?;
                if r.rows_affected() != 1 {
                    return Ok(false);
                }
                audit_row!(tx, audit)?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(true)
            }
            .await
        })
        .map_err(port_err)
    }
}
