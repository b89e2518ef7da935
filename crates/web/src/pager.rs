//! Paging on list pages: newest first, fifty at a time; `?after=<id>` opens the page after that
//! item and the page links to the older items while more follow, and back to the newest. The
//! cursor is the same one the API's `starting_after` takes, so pages and API agree.

use nestcms_app::Paged;
use nestcms_domain::DomainError;
use nestcms_domain::construction::ports::Page;
use serde::Deserialize;

/// Items per page.
pub const PER_PAGE: u32 = 50;

/// `?after=` (kept as text, so a malformed one is the page's clear refusal, not a bare 400).
#[derive(Deserialize, Default)]
pub struct After {
    #[serde(default)]
    after: String,
}

impl After {
    /// The page asked for, or why `after` is not an id.
    pub fn page(&self) -> Result<Page, DomainError> {
        Ok(Page {
            cursor: self.cursor()?,
            ascending: false,
            limit: PER_PAGE,
        })
    }

    /// The id the page starts after, if any, or why `after` is not an id.
    pub fn cursor(&self) -> Result<Option<uuid::Uuid>, DomainError> {
        if self.after.is_empty() {
            return Ok(None);
        }
        self.after
            .parse()
            .map(Some)
            .map_err(|_| DomainError::invalid("?after", "invalid", "after is not an item's id"))
    }

    /// Whether this is a later page (the newest are elsewhere).
    pub fn is_later(&self) -> bool {
        !self.after.is_empty()
    }
}

/// The links under a list.
#[derive(Default)]
pub struct Pager {
    /// The query of the next (older) page, when more follow.
    pub older: Option<String>,
    /// The query of the first (newest) page, when this is a later one.
    pub newest: Option<String>,
}

impl Pager {
    /// Links for a page of a listing use case, each item's id given by `id`.
    pub fn of<T>(
        after: &After,
        found: &Paged<T>,
        id: impl Fn(&T) -> uuid::Uuid,
        keep: &[(&str, &str)],
    ) -> Self {
        Self::new(after, found.items.last().map(id), found.has_more, keep)
    }

    /// Links for a page whose last item is `last`; `keep` are the list's other query
    /// parameters (a filter), carried to both links.
    pub fn new(
        after: &After,
        last: Option<uuid::Uuid>,
        has_more: bool,
        keep: &[(&str, &str)],
    ) -> Self {
        let query = |cursor: Option<String>| {
            let mut pairs: Vec<(&str, String)> = keep
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (*k, (*v).to_owned()))
                .collect();
            if let Some(c) = cursor {
                pairs.push(("after", c));
            }
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        };
        Self {
            older: match last {
                Some(id) if has_more => Some(query(Some(id.to_string()))),
                _ => None,
            },
            newest: after.is_later().then(|| query(None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(s: &str) -> After {
        After {
            after: s.to_owned(),
        }
    }

    #[test]
    fn links_carry_the_filter_and_appear_only_when_there_is_somewhere_to_go() {
        let id = uuid::Uuid::now_v7();
        let first = Pager::new(&after(""), Some(id), true, &[("state", "paid")]);
        assert_eq!(first.older, Some(format!("state=paid&after={id}")));
        assert_eq!(first.newest, None);
        let last = Pager::new(&after(&id.to_string()), Some(id), false, &[("state", "")]);
        assert_eq!(last.older, None);
        assert_eq!(last.newest, Some(String::new()));
    }

    #[test]
    fn a_malformed_cursor_is_refused_naming_the_parameter() {
        let e = after("nope").page().unwrap_err();
        assert!(format!("{e:?}").contains("?after"), "{e:?}");
        assert_eq!(after("").page().unwrap().cursor, None);
    }
}
