//! [`GrantRepository`] for [`Store`].

use chrono::{DateTime, Utc};
use nestcms_domain::PortError;
use nestcms_domain::identity::ports::GrantRepository;
use nestcms_domain::identity::{
    Grant, GrantId, GrantStatus, ObjectKind, OrgId, SecurityEvent, UserId, Verb,
};
use uuid::Uuid;

use super::audit::audit_row;
use super::unknown;
use crate::access::AccessChange;
use crate::error::port_err;
use crate::time::Ts;
use crate::{Store, with_pool};

#[derive(sqlx::FromRow)]
struct GrantRow {
    id: Uuid,
    org_id: Uuid,
    user_id: Uuid,
    verb: String,
    object_kind: String,
    object_id: Uuid,
    status: String,
    granted_by: Uuid,
    granted_at: Ts,
    revoked_by: Option<Uuid>,
    revoked_at: Option<Ts>,
}

impl TryFrom<GrantRow> for Grant {
    type Error = PortError;
    fn try_from(r: GrantRow) -> Result<Self, PortError> {
        Ok(Grant {
            id: GrantId(r.id),
            org_id: OrgId(r.org_id),
            user_id: UserId(r.user_id),
            verb: Verb::parse(&r.verb).ok_or_else(|| unknown("verb", &r.verb))?,
            object_kind: ObjectKind::parse(&r.object_kind)
                .ok_or_else(|| unknown("object kind", &r.object_kind))?,
            object_id: r.object_id,
            status: GrantStatus::parse(&r.status)
                .ok_or_else(|| unknown("grant status", &r.status))?,
            granted_by: UserId(r.granted_by),
            granted_at: r.granted_at.0,
            revoked_by: r.revoked_by.map(UserId),
            revoked_at: r.revoked_at.map(|t| t.0),
        })
    }
}

macro_rules! grant_select {
    ($where:literal) => {
        concat!(
            "SELECT id, org_id, user_id, verb, object_kind, object_id, status, granted_by, granted_at, revoked_by, revoked_at FROM grants WHERE ",
            $where
        )
    };
}

fn convert(rows: Vec<GrantRow>) -> Result<Vec<Grant>, PortError> {
    rows.into_iter().map(Grant::try_from).collect()
}

#[async_trait::async_trait]
impl GrantRepository for Store {
    async fn insert_grant(&self, g: &Grant, audit: &SecurityEvent) -> Result<(), PortError> {
        let sql = "INSERT INTO grants (id, org_id, user_id, verb, object_kind, object_id, status, granted_by, granted_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        let forgets = self.access.forgets(AccessChange::Grants(g.org_id.0));
        let inserted = with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                sqlx::query(sql)
                    .bind(g.id.0)
                    .bind(g.org_id.0)
                    .bind(g.user_id.0)
                    .bind(g.verb.as_str())
                    .bind(g.object_kind.as_str())
                    .bind(g.object_id)
                    .bind(g.status.as_str())
                    .bind(g.granted_by.0)
                    .bind(Ts(g.granted_at))
                    .execute(&mut *tx)
                    .await?;
                audit_row!(tx, audit)?;
                tx.commit().await
            }
            .await
        })
        .map_err(port_err);
        drop(forgets);
        self.settle_access().await;
        inserted
    }

    async fn grant(&self, org: OrgId, id: GrantId) -> Result<Option<Grant>, PortError> {
        let sql = grant_select!("org_id = $1 AND id = $2");
        let row = with_pool!(self.primary(), |p| sqlx::query_as::<_, GrantRow>(sql)
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        row.map(Grant::try_from).transpose()
    }

    async fn grants(&self, org: OrgId, user: Option<UserId>) -> Result<Vec<Grant>, PortError> {
        let sql = grant_select!("org_id = $1 AND ($2 IS NULL OR user_id = $2) ORDER BY id DESC");
        let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, GrantRow>(sql)
            .bind(org.0)
            .bind(user.map(|u| u.0))
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        convert(rows)
    }

    async fn revoke_grant(
        &self,
        org: OrgId,
        id: GrantId,
        by: UserId,
        at: DateTime<Utc>,
        audit: &SecurityEvent,
    ) -> Result<bool, PortError> {
        let sql = "UPDATE grants SET status = 'revoked', revoked_by = $3, revoked_at = $4 WHERE org_id = $1 AND id = $2 AND status = 'granted'";
        let forgets = self.access.forgets(AccessChange::Grants(org.0));
        let revoked = with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                let r = sqlx::query(sql)
                    .bind(org.0)
                    .bind(id.0)
                    .bind(by.0)
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
        .map_err(port_err);
        drop(forgets);
        self.settle_access().await;
        revoked
    }

    async fn grants_on(
        &self,
        org: OrgId,
        user: UserId,
        kind: ObjectKind,
        object: Uuid,
    ) -> Result<Vec<Grant>, PortError> {
        let sql = grant_select!(
            "org_id = $1 AND user_id = $2 AND object_kind = $3 AND object_id = $4 AND status = 'granted'"
        );
        let load = async {
            let rows = with_pool!(self.primary(), |p| sqlx::query_as::<_, GrantRow>(sql)
                .bind(org.0)
                .bind(user.0)
                .bind(kind.as_str())
                .bind(object)
                .fetch_all(p)
                .await)
            .map_err(port_err)?;
            convert(rows)
        };
        let key = (org.0, user.0, kind.as_str(), object);
        self.access.grants(key, load).await
    }
}
