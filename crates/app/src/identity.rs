//! Identity use cases: accounts and sessions, organizations, invitations and members, grants,
//! two-factor authentication and the security audit log.

pub mod audit;
pub mod auth;
pub mod grants;
pub mod invitations;
pub mod members;
pub mod mfa;
pub mod operators;
pub mod orgs;
mod throttle;
