//! Invitations: how a person joins an organization.
//!
//! Adding a member directly by e-mail let anyone make any registered user an admin of their
//! organization without consent, showed the victim's name, and answered differently for an
//! unknown e-mail (an account-existence oracle). An invitation is addressed to an e-mail, says
//! nothing about whether an account uses it, and takes effect only when the person signed in
//! with that e-mail accepts it with the invitation's token, which only the inviter received and
//! passes on (e-mail addresses are not verified at registration, so the address alone would let
//! whoever registered it first take an invitation meant for someone else).

use chrono::{DateTime, Duration, Utc};

use super::{Email, EmployeeType, OrgId, Role, UserId};
use crate::text::text_enum;

crate::define_id!(
    /// Identifies an invitation.
    InvitationId
);

/// How long an invitation can be accepted.
pub const INVITATION_TTL_DAYS: i64 = 14;

text_enum!(
    /// Where an invitation stands.
    InvitationStatus {
        /// Waiting for the invitee.
        Pending => "pending",
        /// The invitee joined.
        Accepted => "accepted",
        /// The invitee said no.
        Declined => "declined",
        /// The organization withdrew it.
        Revoked => "revoked",
        /// Nobody answered in time.
        Expired => "expired",
    }
);

/// An offer of membership to whoever holds an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// Id.
    pub id: InvitationId,
    /// The organization.
    pub org_id: OrgId,
    /// Who it is for.
    pub email: Email,
    /// The role on joining.
    pub role: Role,
    /// The trade, for employees.
    pub employee_type: Option<EmployeeType>,
    /// The member who sent it.
    pub invited_by: UserId,
    /// Where it stands.
    pub status: InvitationStatus,
    /// Sent.
    pub created_at: DateTime<Utc>,
    /// Last moment it can be accepted.
    pub expires_at: DateTime<Utc>,
    /// When it was accepted, declined, revoked or found expired.
    pub decided_at: Option<DateTime<Utc>>,
    /// SHA-256 of the token that accepts or declines it.
    pub token_hash: String,
}

impl Invitation {
    /// A pending invitation sent now.
    pub fn new(
        org_id: OrgId,
        email: Email,
        role: Role,
        employee_type: Option<EmployeeType>,
        invited_by: UserId,
        token_hash: String,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: InvitationId::new(),
            org_id,
            email,
            role,
            employee_type: if role == Role::Employee {
                employee_type
            } else {
                None
            },
            invited_by,
            status: InvitationStatus::Pending,
            created_at: now,
            expires_at: now + Duration::days(INVITATION_TTL_DAYS),
            decided_at: None,
            token_hash,
        }
    }

    /// Whether it can still be accepted or declined at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.status == InvitationStatus::Pending && now < self.expires_at
    }
}
