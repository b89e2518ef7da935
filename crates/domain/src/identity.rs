//! Identity and access: users, organizations, memberships, per-object grants, sessions.
//!
//! The original NestCMS stored plain-text passwords, let a request body make its author an admin
//! and checked no ownership at all. Here the rules are types and one policy module: input is
//! parsed into [`Email`], [`Phone`] and checked passwords before anything is stored, roles are a
//! closed enum, and every "may this member do that?" question is answered by [`policy`].

mod email;
mod invitation;
mod model;
mod password;
mod phone;
pub mod policy;
pub mod ports;
mod role;

pub use email::Email;
pub use invitation::{INVITATION_TTL_DAYS, Invitation, InvitationId, InvitationStatus};
pub use model::{
    Address, Grant, Language, Membership, NewGrant, Org, OrgStatus, SecurityEvent, User,
};
pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, check_new_password};
pub use phone::Phone;
pub use role::{EmployeeType, GrantStatus, ObjectKind, Role, Verb};

crate::define_id!(
    /// Identifies a user.
    UserId
);
crate::define_id!(
    /// Identifies an organization.
    OrgId
);
crate::define_id!(
    /// Identifies a per-object grant.
    GrantId
);
crate::define_id!(
    /// Identifies a login session (a refresh-token family).
    SessionId
);
crate::define_id!(
    /// Identifies a security audit event.
    EventId
);
