//! Construction ports for [`crate::Store`]: offers, contracts, projects, earnings, analytics.
//!
//! Multi-row changes (offer → contract, instalment schedule, earning distribution) are one
//! transaction whose first statement is a conditional write, so the state check and the change
//! cannot be separated by a concurrent request on either backend.

mod analytics;
mod contracts;
mod earnings;
mod offers;
mod parts;
mod projects;
mod schedules;

use nestcms_domain::{Currency, Money, PortError};

use crate::identity::unknown;

/// Rebuilds money from its stored columns.
fn money(minor: i64, currency: &str) -> Result<Money, PortError> {
    let c: Currency = currency
        .parse()
        .map_err(|_| unknown("currency", currency))?;
    Ok(Money::from_minor(minor, c))
}

/// Parses a stored state with its enum's parser.
fn state<T>(text: &str, what: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, PortError> {
    parse(text).ok_or_else(|| unknown(what, text))
}

/// Appends a page's cursor condition, order and limit to a listing query that ends in a WHERE
/// clause. Ids are UUIDv7, so id order is creation order on both backends.
pub(crate) fn paged_sql(
    prefix: &str,
    cursor: u8,
    limit: u8,
    page: &nestcms_domain::construction::ports::Page,
) -> sqlx::AssertSqlSafe<String> {
    let (op, dir) = if page.ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    sqlx::AssertSqlSafe(format!(
        "{prefix} AND (${cursor} IS NULL OR id {op} ${cursor}) ORDER BY id {dir} LIMIT ${limit}"
    ))
}
