//! The page handlers, one module per area. Each reads the visit ([`crate::ctx`]), calls the
//! same use case as the API, and renders a template; a form's refusal re-renders its page with
//! the reason.

pub mod account;
pub mod assets;
pub mod contracts;
pub mod dashboard;
pub mod designs;
pub mod docs;
pub mod earnings;
pub mod inbox;
pub mod offers;
pub mod ops;
pub mod orgs;
pub mod payments;
pub mod projects;
pub mod records;
pub mod schedules;

use askama::Template;

use crate::ctx::Frame;

/// A page with only the frame's message.
#[derive(Template)]
#[template(path = "plain.html")]
pub struct Plain<'a> {
    pub f: &'a Frame,
}

/// Returns early with the page a refusal renders.
macro_rules! member_or_return {
    ($p:expr, $org:expr) => {
        match $p.member($org).await {
            Ok(found) => found,
            Err(page) => return page,
        }
    };
}
pub(crate) use member_or_return;
