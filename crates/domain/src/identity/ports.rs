//! What identity needs from storage. Implemented by `nestcms-store` for SQLite and PostgreSQL.

use chrono::{DateTime, Utc};

use super::Email;
use super::{
    EmployeeType, EventId, Grant, GrantId, Invitation, InvitationId, InvitationStatus, Membership,
    ObjectKind, Org, OrgId, Role, SecurityEvent, SessionId, User, UserId,
};
use crate::ports::PortError;

/// Result of trying to change or remove a membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipChange {
    /// Done.
    Applied,
    /// Refused: it would leave the organization without an owner.
    LastOwner,
    /// No such member.
    NotFound,
}

/// Result of presenting a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current; it is now spent and the new one stored in the same family.
    Rotated {
        /// The family.
        session: SessionId,
        /// Its user.
        user: UserId,
    },
    /// The token was already spent: theft is assumed and the whole family is now revoked.
    Reused {
        /// The revoked family.
        session: SessionId,
        /// Its user.
        user: UserId,
    },
    /// Unknown, expired, or its family already revoked.
    Invalid,
}

/// A login session being opened.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Family id (also in the access token's `sid`).
    pub id: SessionId,
    /// Who.
    pub user: UserId,
    /// SHA-256 of the first refresh token.
    pub refresh_hash: String,
    /// When that token expires.
    pub refresh_expires_at: DateTime<Utc>,
    /// Client address.
    pub ip: Option<String>,
    /// Client software, truncated.
    pub user_agent: Option<String>,
    /// Now.
    pub at: DateTime<Utc>,
}

/// Users and their credentials.
#[async_trait::async_trait]
pub trait UserRepository: Send + Sync {
    /// Stores a new user; [`PortError::Duplicate`] when the e-mail is taken.
    async fn insert_user(&self, user: &User, audit: &SecurityEvent) -> Result<(), PortError>;
    /// Finds by normalised e-mail.
    async fn user_by_email(&self, email: &Email) -> Result<Option<User>, PortError>;
    /// Finds by id.
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, PortError>;
    /// A user with the organizations they belong to and their membership in each (ordered by
    /// organization id), in one statement.
    async fn profile(
        &self,
        id: UserId,
    ) -> Result<Option<(User, Vec<(Org, Membership)>)>, PortError>;
    /// Sets the language the user's messages are written in; false when no such user.
    async fn set_language(&self, id: UserId, language: super::Language) -> Result<bool, PortError>;
    /// Whether the user runs the platform (a flag granted only from the command line).
    async fn is_platform_operator(&self, id: UserId) -> Result<bool, PortError>;
    /// Grants or withdraws the platform-operator flag of the account with `email`, with the
    /// audit row `audit(user)` in the same transaction; `None` when no account uses it.
    async fn set_platform_operator(
        &self,
        email: &Email,
        operator: bool,
        audit: &(dyn Fn(UserId) -> SecurityEvent + Sync),
    ) -> Result<Option<UserId>, PortError>;
    /// Replaces the password hash and revokes every other session of the user but `keep`, in
    /// one transaction with the audit row `audit(revoked)` describes; returns how many sessions
    /// were revoked.
    async fn update_password(
        &self,
        id: UserId,
        hash: &str,
        at: DateTime<Utc>,
        keep: SessionId,
        audit: &(dyn Fn(u64) -> SecurityEvent + Sync),
    ) -> Result<u64, PortError>;
    /// Sets the TOTP state and replaces the recovery codes (hashes) in one transaction, with the
    /// audit row when the change is one the log records (enabling or disabling MFA).
    async fn set_totp(
        &self,
        id: UserId,
        secret: Option<&str>,
        enabled: bool,
        recovery_hashes: &[String],
        audit: Option<&SecurityEvent>,
    ) -> Result<(), PortError>;
    /// Records that a TOTP time step was used; false when that step (or a later one) already
    /// was, so a code works only once.
    async fn accept_totp_step(&self, id: UserId, step: i64) -> Result<bool, PortError>;
    /// Spends one unused recovery code; false when there is none with that hash.
    async fn consume_recovery_code(
        &self,
        id: UserId,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, PortError>;
}

/// Organizations and memberships.
#[async_trait::async_trait]
pub trait OrgRepository: Send + Sync {
    /// Stores an organization with its creator as owner and the audit row, in one transaction.
    async fn insert_org(
        &self,
        org: &Org,
        owner: &Membership,
        audit: &SecurityEvent,
    ) -> Result<(), PortError>;
    /// Finds an organization.
    async fn org(&self, id: OrgId) -> Result<Option<Org>, PortError>;
    /// Saves title, description, status, address, profit share and MFA requirement, with the
    /// audit row when given, in one transaction.
    async fn update_org(&self, org: &Org, audit: Option<&SecurityEvent>) -> Result<(), PortError>;
    /// One membership.
    async fn membership(&self, org: OrgId, user: UserId) -> Result<Option<Membership>, PortError>;
    /// Every member with their user record, oldest first.
    async fn members(&self, org: OrgId) -> Result<Vec<(Membership, User)>, PortError>;
    /// Adds a member with the audit row, in one transaction; [`PortError::Duplicate`] when
    /// already one.
    async fn insert_membership(
        &self,
        m: &Membership,
        audit: &SecurityEvent,
    ) -> Result<(), PortError>;
    /// Changes a role, refusing atomically to demote the last owner; the audit row is written
    /// in the same transaction when the change is applied.
    async fn change_role(
        &self,
        org: OrgId,
        user: UserId,
        role: Role,
        employee_type: Option<EmployeeType>,
        audit: &SecurityEvent,
    ) -> Result<MembershipChange, PortError>;
    /// Removes a member, refusing atomically to remove the last owner; the audit row is
    /// written in the same transaction when the member is removed.
    async fn remove_membership(
        &self,
        org: OrgId,
        user: UserId,
        audit: &SecurityEvent,
    ) -> Result<MembershipChange, PortError>;
    /// Whether any organization where the user is owner or admin requires MFA.
    async fn mfa_required_for(&self, user: UserId) -> Result<bool, PortError>;
}

/// What accepting an invitation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acceptance {
    /// The member was added and the invitation marked accepted.
    Joined,
    /// The invitation was no longer pending or had expired; nothing changed.
    NotOpen,
    /// The invitee is already a member; nothing changed (they may decline it, or the
    /// organization revoke it).
    AlreadyMember,
}

/// Invitations to join an organization.
#[async_trait::async_trait]
pub trait InvitationRepository: Send + Sync {
    /// Stores a pending invitation with its audit row, in one transaction, after marking
    /// expired any pending one to that e-mail whose time ran out; [`PortError::Duplicate`] when
    /// one is still open for that e-mail.
    async fn insert_invitation(
        &self,
        i: &Invitation,
        audit: &SecurityEvent,
    ) -> Result<(), PortError>;
    /// One invitation.
    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, PortError>;
    /// The invitation a token (by its digest) answers.
    async fn invitation_by_token(&self, token_hash: &str) -> Result<Option<Invitation>, PortError>;
    /// Open (pending, unexpired at `now`) invitations of an organization, newest first.
    async fn org_invitations(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Invitation>, PortError>;
    /// In one transaction: marks the invitation accepted if it is pending and unexpired at
    /// `at`, adds `member`, and writes the audit row.
    async fn accept_invitation(
        &self,
        id: InvitationId,
        member: &Membership,
        at: DateTime<Utc>,
        audit: &SecurityEvent,
    ) -> Result<Acceptance, PortError>;
    /// Moves a pending invitation to `status` (declined or revoked) with the audit row; false,
    /// with nothing written, when it was not pending.
    async fn close_invitation(
        &self,
        id: InvitationId,
        status: InvitationStatus,
        at: DateTime<Utc>,
        audit: &SecurityEvent,
    ) -> Result<bool, PortError>;
}

/// Per-object grants.
#[async_trait::async_trait]
pub trait GrantRepository: Send + Sync {
    /// Stores a grant with its audit row, in one transaction.
    async fn insert_grant(&self, grant: &Grant, audit: &SecurityEvent) -> Result<(), PortError>;
    /// One grant of an organization.
    async fn grant(&self, org: OrgId, id: GrantId) -> Result<Option<Grant>, PortError>;
    /// Grants of an organization, optionally of one user, newest first.
    async fn grants(&self, org: OrgId, user: Option<UserId>) -> Result<Vec<Grant>, PortError>;
    /// Revokes a grant in force with its audit row, in one transaction; false (nothing
    /// written) when it was not in force.
    async fn revoke_grant(
        &self,
        org: OrgId,
        id: GrantId,
        by: UserId,
        at: DateTime<Utc>,
        audit: &SecurityEvent,
    ) -> Result<bool, PortError>;
    /// Grants in force for a user on one object.
    async fn grants_on(
        &self,
        org: OrgId,
        user: UserId,
        kind: ObjectKind,
        object: uuid::Uuid,
    ) -> Result<Vec<Grant>, PortError>;
}

/// Login sessions and refresh-token families.
#[async_trait::async_trait]
pub trait SessionRepository: Send + Sync {
    /// Opens a session with its first refresh token and the audit row, in one transaction.
    async fn insert_session(&self, s: &NewSession, audit: &SecurityEvent) -> Result<(), PortError>;
    /// Spends `old_hash` and stores `new_hash` in the same family, atomically; detects reuse,
    /// and then revokes the session and writes `on_reuse(session, user)` in that transaction.
    async fn rotate_refresh(
        &self,
        old_hash: &str,
        new_hash: &str,
        new_expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
        on_reuse: &(dyn Fn(SessionId, UserId) -> SecurityEvent + Sync),
    ) -> Result<Rotation, PortError>;
    /// Revokes one session with the audit row, in one transaction; false, with nothing written,
    /// when it was already revoked or unknown.
    async fn revoke_session(
        &self,
        id: SessionId,
        at: DateTime<Utc>,
        audit: &SecurityEvent,
    ) -> Result<bool, PortError>;
    /// The user of a session that is not revoked.
    async fn active_session(&self, id: SessionId) -> Result<Option<UserId>, PortError>;
}

/// Failed-login counters, keyed by account or client address.
#[async_trait::async_trait]
pub trait ThrottleRepository: Send + Sync {
    /// Counts one failure (restarting the count if the last one is older than `window_start`);
    /// returns the failure count now.
    async fn record_failure(
        &self,
        key: &str,
        at: DateTime<Utc>,
        window_start: DateTime<Utc>,
    ) -> Result<u32, PortError>;
    /// The failure count and the time of the last failure.
    async fn failures(&self, key: &str) -> Result<Option<(u32, DateTime<Utc>)>, PortError>;
    /// Forgets a key (after a successful login).
    async fn clear_failures(&self, key: &str) -> Result<(), PortError>;
}

/// The append-only security audit log.
#[async_trait::async_trait]
pub trait AuditRepository: Send + Sync {
    /// Appends an event.
    async fn record_event(&self, e: &SecurityEvent) -> Result<(), PortError>;
    /// Events of an organization and of its members' accounts, newest first, before a cursor.
    async fn org_events(
        &self,
        org: OrgId,
        before: Option<EventId>,
        limit: u32,
    ) -> Result<Vec<SecurityEvent>, PortError>;
}

/// Everything identity needs, as one object.
pub trait IdentityStore:
    UserRepository
    + OrgRepository
    + GrantRepository
    + SessionRepository
    + ThrottleRepository
    + AuditRepository
    + InvitationRepository
{
}

impl<T> IdentityStore for T where
    T: UserRepository
        + OrgRepository
        + GrantRepository
        + SessionRepository
        + ThrottleRepository
        + AuditRepository
        + InvitationRepository
{
}
