//! Identity entities as the core sees them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Email, EmployeeType, EventId, GrantId, GrantStatus, ObjectKind, OrgId, Phone, Role, SessionId,
    UserId, Verb,
};

/// A postal address; every part optional, each bounded in length by the HTTP layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// A label such as "Head office".
    pub title: Option<String>,
    /// Street and number.
    pub street: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State, province or region.
    pub state: Option<String>,
    /// Country (ISO 3166-1 alpha-2 recommended).
    pub country: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
}

/// A person who can log in.
#[derive(Debug, Clone)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Unique, lower-cased login.
    pub email: Email,
    /// Display name.
    pub full_name: String,
    /// E.164 phone.
    pub phone: Option<Phone>,
    /// Postal address.
    pub address: Option<Address>,
    /// Argon2id PHC string. Never serialised.
    pub password_hash: String,
    /// Base32 TOTP secret, set during enrolment. Never serialised.
    pub totp_secret: Option<String>,
    /// Whether a TOTP code is demanded at login.
    pub mfa_enabled: bool,
    /// The language messages to them are written in.
    pub language: Language,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A language NestCMS writes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// English.
    #[default]
    En,
    /// Arabic (shown right to left).
    Ar,
}

impl Language {
    /// The BCP 47 tag.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ar => "ar",
        }
    }

    /// The language a tag stands for, by its primary subtag in any case (`en`, `AR`,
    /// `ar-KW`, `en_GB`).
    pub fn parse(s: &str) -> Option<Self> {
        let primary = s.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("en") {
            Some(Self::En)
        } else if primary.eq_ignore_ascii_case("ar") {
            Some(Self::Ar)
        } else {
            None
        }
    }
}

/// Whether an organization takes new work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgStatus {
    /// Active.
    Open,
    /// No longer active.
    Closed,
}

/// A construction or contracting company (the original's Orgz).
#[derive(Debug, Clone)]
pub struct Org {
    /// Id.
    pub id: OrgId,
    /// Name.
    pub title: String,
    /// Free text.
    pub description: String,
    /// Open or closed.
    pub status: OrgStatus,
    /// Registered address.
    pub address: Option<Address>,
    /// Profit share in basis points (2010 = 20.10 %), integer so it never drifts.
    pub profit_bp: i32,
    /// Owners and admins must log in with a TOTP code.
    pub require_mfa: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A user's place in an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The organization.
    pub org_id: OrgId,
    /// The member.
    pub user_id: UserId,
    /// Their role.
    pub role: Role,
    /// Their trade, for employees.
    pub employee_type: Option<EmployeeType>,
    /// Joined.
    pub created_at: DateTime<Utc>,
}

/// A grant to create.
#[derive(Debug, Clone)]
pub struct NewGrant {
    /// Organization it lives in.
    pub org_id: OrgId,
    /// Grantee.
    pub user_id: UserId,
    /// What it allows.
    pub verb: Verb,
    /// Kind of object.
    pub object_kind: ObjectKind,
    /// The object.
    pub object_id: uuid::Uuid,
    /// Who granted it.
    pub granted_by: UserId,
}

/// A per-object permission (the original's Permission), granted or revoked.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Id.
    pub id: GrantId,
    /// Organization.
    pub org_id: OrgId,
    /// Grantee.
    pub user_id: UserId,
    /// What it allows.
    pub verb: Verb,
    /// Kind of object.
    pub object_kind: ObjectKind,
    /// The object.
    pub object_id: uuid::Uuid,
    /// In force or withdrawn.
    pub status: GrantStatus,
    /// Who granted it.
    pub granted_by: UserId,
    /// When.
    pub granted_at: DateTime<Utc>,
    /// Who withdrew it.
    pub revoked_by: Option<UserId>,
    /// When.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One line of the security audit log.
#[derive(Debug, Clone)]
pub struct SecurityEvent {
    /// Id (time-ordered; the pagination cursor).
    pub id: EventId,
    /// Organization concerned, if any.
    pub org_id: Option<OrgId>,
    /// Who acted (absent for anonymous failures).
    pub actor: Option<UserId>,
    /// Whom it concerns.
    pub subject: Option<UserId>,
    /// Session concerned.
    pub session: Option<SessionId>,
    /// What happened, e.g. `login_succeeded`, `role_changed`.
    pub kind: String,
    /// Client address.
    pub ip: Option<String>,
    /// Event-specific facts; never secrets.
    pub detail: serde_json::Value,
    /// When.
    pub at: DateTime<Utc>,
}
