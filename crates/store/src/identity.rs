//! Identity ports for [`crate::Store`]: users, organizations, grants, sessions, throttling, audit.
//!
//! Every statement here is shared by both backends. Where atomicity matters (last owner,
//! refresh-token rotation) the transaction first *writes* a lock row: on PostgreSQL that takes a
//! row lock, on SQLite it takes the database write lock up front, so neither backend can
//! interleave two such transactions.

pub(crate) mod audit;
mod grants;
mod invitations;
mod orgs;
mod profile;
mod sessions;
mod users;

use nestcms_domain::PortError;

/// Maps a stored enum text that does not parse: the database holds something this build does
/// not know, which is ours to fix, not the caller's.
pub(crate) fn unknown(what: &str, text: &str) -> PortError {
    PortError::Other(format!("stored {what} {text:?} is not recognised"))
}
