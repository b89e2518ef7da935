//! Construction use cases: offers, contracts, projects, earnings, analytics, schedules. Every
//! call starts from the caller inside the organization ([`crate::caller`]).

pub mod analytics;
pub mod contracts;
pub mod earnings;
pub mod offers;
pub mod projects;
pub mod schedules;

use std::sync::Arc;

use nestcms_domain::DomainError;
use nestcms_domain::construction::ports::ConstructionStore;

pub(crate) use crate::{Caller, Paged, STAFF, member_with, page_slice, paged};

/// Construction storage.
pub type Data = Arc<dyn ConstructionStore>;

/// Uploaded files.
pub type Files = Arc<dyn nestcms_domain::ports::FileStore>;

/// Refuses blank or overlong text.
pub(crate) fn text(value: &str, field: &str, max: usize) -> Result<String, DomainError> {
    let t = value.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            "invalid_text",
            format!("give 1 to {max} characters"),
        ));
    }
    Ok(t.to_owned())
}
