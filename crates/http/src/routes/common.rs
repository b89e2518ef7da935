//! Pieces shared by the resource handlers: money in and out, pagination, the caller.

use axum::http::StatusCode;
use nestcms_app::Paged;
use nestcms_domain::construction::ports::Page;
use nestcms_domain::{Currency, Money, MoneyError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, FieldProblem};

/// Parses an amount and its currency from request text; errors name the field.
pub fn money_in(
    amount: &str,
    currency: &str,
    amount_field: &str,
    currency_field: &str,
) -> Result<Money, ApiError> {
    let cur: Currency = currency
        .parse()
        .map_err(|e: MoneyError| field_error(currency_field, &e))?;
    Money::parse_positive(amount, cur).map_err(|e| field_error(amount_field, &e))
}

fn field_error(field: &str, e: &MoneyError) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "validation_failed",
        format!("{field}: {e}"),
    )
    .with_errors(vec![FieldProblem {
        field: field.to_owned(),
        code: e.code().to_owned(),
        message: e.to_string(),
    }])
}

/// An amount as text with exactly the currency's decimals.
pub fn money_out(m: Money) -> String {
    m.amount_string()
}

/// Listing order.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Newest first (default).
    #[default]
    Desc,
    /// Oldest first.
    Asc,
}

/// Cursor pagination from the `limit`, `starting_after` and `order` query parameters.
pub fn page(limit: Option<u32>, starting_after: Option<uuid::Uuid>, order: Order) -> Page {
    Page {
        ascending: matches!(order, Order::Asc),
        cursor: starting_after,
        limit: limit.unwrap_or(50),
    }
}

/// A page of items.
#[derive(Serialize, ToSchema)]
pub struct List<T> {
    /// Items in the order asked for (`order`).
    pub data: Vec<T>,
    /// Whether more follow (pass the last id as `starting_after`).
    pub has_more: bool,
}

impl<T> List<T> {
    /// Maps a domain page.
    pub fn from_paged<D>(p: Paged<D>) -> Self
    where
        T: for<'a> From<&'a D>,
    {
        Self {
            data: p.items.iter().map(T::from).collect(),
            has_more: p.has_more,
        }
    }
}
