//! [`UserRepository`] for [`Store`].

use chrono::{DateTime, Utc};
use nestcms_domain::PortError;
use nestcms_domain::identity::ports::UserRepository;
use nestcms_domain::identity::{
    Address, Email, Language, Membership, Org, Phone, SecurityEvent, SessionId, User, UserId,
};
use sqlx::types::Json;
use uuid::Uuid;

use super::audit::audit_row;
use crate::access::AccessChange;
use crate::error::port_err;
use crate::time::Ts;
use crate::{Store, with_pool};

/// Columns of [`UserRow`], shared by every query that loads users.
macro_rules! user_cols {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "email, ",
            $p,
            "full_name, ",
            $p,
            "phone, ",
            $p,
            "address, ",
            $p,
            "password_hash, ",
            $p,
            "totp_secret, ",
            $p,
            "mfa_enabled, ",
            $p,
            "language, ",
            $p,
            "created_at"
        )
    };
}
pub(crate) use user_cols;

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    email: String,
    full_name: String,
    phone: Option<String>,
    address: Option<Json<Address>>,
    password_hash: String,
    totp_secret: Option<String>,
    mfa_enabled: bool,
    language: String,
    created_at: Ts,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: UserId(r.id),
            email: Email::from_trusted(r.email),
            full_name: r.full_name,
            phone: r.phone.map(Phone::from_trusted),
            address: r.address.map(|a| a.0),
            password_hash: r.password_hash,
            totp_secret: r.totp_secret,
            mfa_enabled: r.mfa_enabled,
            // The column's CHECK admits only the languages `Language` has.
            language: Language::parse(&r.language).unwrap_or_default(),
            created_at: r.created_at.0,
        }
    }
}

#[async_trait::async_trait]
impl UserRepository for Store {
    async fn insert_user(&self, u: &User, audit: &SecurityEvent) -> Result<(), PortError> {
        let sql = "INSERT INTO users (id, email, full_name, phone, address, password_hash, password_changed_at, totp_secret, mfa_enabled, created_at, language) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $7, $10)";
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                sqlx::query(sql)
                    .bind(u.id.0)
                    .bind(u.email.as_str())
                    .bind(&u.full_name)
                    .bind(u.phone.as_ref().map(|p| p.as_str()))
                    .bind(u.address.as_ref().map(Json))
                    .bind(&u.password_hash)
                    .bind(Ts(u.created_at))
                    .bind(&u.totp_secret)
                    .bind(u.mfa_enabled)
                    .bind(u.language.as_str())
                    .execute(&mut *tx)
                    .await?;
                audit_row!(tx, audit)?;
                tx.commit().await
            }
            .await
        })
        .map_err(port_err)
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, PortError> {
        let sql = concat!("SELECT ", user_cols!(""), " FROM users WHERE email = $1");
        let row = with_pool!(self.primary(), |p| sqlx::query_as::<_, UserRow>(sql)
            .bind(email.as_str())
            .fetch_optional(p)
            .await);
        row.map(|r| r.map(User::from)).map_err(port_err)
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, PortError> {
        let sql = concat!("SELECT ", user_cols!(""), " FROM users WHERE id = $1");
        let row = with_pool!(self.primary(), |p| sqlx::query_as::<_, UserRow>(sql)
            .bind(id.0)
            .fetch_optional(p)
            .await);
        row.map(|r| r.map(User::from)).map_err(port_err)
    }

    async fn profile(
        &self,
        id: UserId,
    ) -> Result<Option<(User, Vec<(Org, Membership)>)>, PortError> {
        self.load_profile(id).await
    }

    async fn set_language(&self, id: UserId, language: Language) -> Result<bool, PortError> {
        let sql = "UPDATE users SET language = $2 WHERE id = $1";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(id.0)
            .bind(language.as_str())
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1))
        .map_err(port_err)
    }

    async fn is_platform_operator(&self, id: UserId) -> Result<bool, PortError> {
        let sql = "SELECT platform_operator FROM users WHERE id = $1";
        let flag = with_pool!(self.primary(), |p| sqlx::query_scalar::<_, bool>(sql)
            .bind(id.0)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        Ok(flag.unwrap_or(false))
    }

    async fn set_platform_operator(
        &self,
        email: &Email,
        operator: bool,
        audit: &(dyn Fn(UserId) -> SecurityEvent + Sync),
    ) -> Result<Option<UserId>, PortError> {
        let sql = "UPDATE users SET platform_operator = $2 WHERE email = $1 RETURNING id";
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                let id: Option<Uuid> = sqlx::query_scalar(sql)
                    .bind(email.as_str())
                    .bind(operator)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(id) = id else {
                    return Ok(None);
                };
                audit_row!(tx, &audit(UserId(id)))?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(Some(UserId(id)))
            }
            .await
        })
        .map_err(port_err)
    }

    async fn update_password(
        &self,
        id: UserId,
        hash: &str,
        at: DateTime<Utc>,
        keep: SessionId,
        audit: &(dyn Fn(u64) -> SecurityEvent + Sync),
    ) -> Result<u64, PortError> {
        let sql = "UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1";
        let others = "UPDATE sessions SET revoked_at = $3 WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL";
        let forgets = self.access.forgets(AccessChange::SessionsOf(id.0));
        let revoked = with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                sqlx::query(sql)
                    .bind(id.0)
                    .bind(hash)
                    .bind(Ts(at))
                    .execute(&mut *tx)
                    .await?;
                let revoked = sqlx::query(others)
                    .bind(id.0)
                    .bind(keep.0)
                    .bind(Ts(at))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                audit_row!(tx, &audit(revoked))?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(revoked)
            }
            .await
        })
        .map_err(port_err);
        drop(forgets);
        self.settle_access().await;
        revoked
    }

    async fn set_totp(
        &self,
        id: UserId,
        secret: Option<&str>,
        enabled: bool,
        recovery_hashes: &[String],
        audit: Option<&SecurityEvent>,
    ) -> Result<(), PortError> {
        with_pool!(self.primary(), |p| {
            async {
                let mut tx = p.begin().await?;
                sqlx::query("UPDATE users SET totp_secret = $2, mfa_enabled = $3, totp_last_step = NULL WHERE id = $1")
                    .bind(id.0)
                    .bind(secret)
                    .bind(enabled)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(id.0).execute(&mut *tx).await?;
                for hash in recovery_hashes {
                    sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                        .bind(id.0)
                        .bind(hash)
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some(e) = audit {
                    audit_row!(tx, e)?;
                }
                tx.commit().await
            }
            .await
        })
        .map_err(port_err)
    }

    async fn accept_totp_step(&self, id: UserId, step: i64) -> Result<bool, PortError> {
        let sql = "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(id.0)
            .bind(step)
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1))
        .map_err(port_err)
    }

    async fn consume_recovery_code(
        &self,
        id: UserId,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, PortError> {
        let sql = "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(id.0)
            .bind(hash)
            .bind(Ts(at))
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1))
        .map_err(port_err)
    }
}
