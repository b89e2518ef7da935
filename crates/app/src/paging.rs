//! Cursor paging shared by every list: `limit` 1 to 100, `starting_after`, `has_more`.

use nestcms_domain::DomainError;
use nestcms_domain::construction::ports::Page;

use crate::port;

/// A page of results with whether more follow.
pub struct Paged<T> {
    /// Items, in the order asked for.
    pub items: Vec<T>,
    /// Whether more follow.
    pub has_more: bool,
}

/// Runs a listing with one extra row to learn `has_more`.
pub(crate) async fn paged<T, F, Fut>(page: Page, fetch: F) -> Result<Paged<T>, DomainError>
where
    F: FnOnce(Page) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, nestcms_domain::PortError>>,
{
    let limit = page.limit;
    if !(1..=100).contains(&limit) {
        return Err(DomainError::invalid(
            "?limit",
            "out_of_range",
            "limit is 1 to 100",
        ));
    }
    let mut items = fetch(Page {
        cursor: page.cursor,
        ascending: page.ascending,
        limit: limit + 1,
    })
    .await
    .map_err(port)?;
    let has_more = items.len() > limit as usize;
    items.truncate(limit as usize);
    Ok(Paged { items, has_more })
}

/// Pages a short list already read whole, in its natural order (`ascending`) or reversed, with
/// the same contract as [`paged`]: `limit` 1 to 100, the page after the item whose key is the
/// cursor, and `has_more`. Used for the parts of one project or schedule item (steps, designs,
/// workers, notes), which are read whole anyway (progress, read marks) and stay small.
pub(crate) fn page_slice<T, K: PartialEq>(
    mut all: Vec<T>,
    page: Page,
    cursor: Option<K>,
    key: impl Fn(&T) -> K,
) -> Result<Paged<T>, DomainError> {
    if !(1..=100).contains(&page.limit) {
        return Err(DomainError::invalid(
            "?limit",
            "out_of_range",
            "limit is 1 to 100",
        ));
    }
    if !page.ascending {
        all.reverse();
    }
    let start = match cursor {
        None => 0,
        Some(c) => {
            all.iter().position(|t| key(t) == c).ok_or_else(|| {
                DomainError::invalid(
                    "?starting_after",
                    "unknown_cursor",
                    "not an item of this list",
                )
            })? + 1
        }
    };
    let limit = page.limit as usize;
    let has_more = all.len() > start + limit;
    let items = all.into_iter().skip(start).take(limit).collect();
    Ok(Paged { items, has_more })
}
