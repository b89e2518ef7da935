//! Dates and times from clients, bounded to the years the product supports.
//!
//! chrono accepts years from −262143 to 262142; SQLite stored a schedule starting in year −1
//! that then broke every read of its range, and PostgreSQL failed on a query range near
//! chrono's limits. Every date and time a request carries goes through these deserializers,
//! which refuse anything outside [`nestcms_domain::calendar`]'s range with a 400 naming the field.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use nestcms_domain::calendar;
use serde::{Deserialize, Deserializer, de::Error};

fn check<E: Error>(year: i32) -> Result<(), E> {
    if calendar::year_in_range(year) {
        Ok(())
    } else {
        Err(E::custom(calendar::RANGE_MESSAGE))
    }
}

/// A `YYYY-MM-DD` date within the supported years.
pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let v = NaiveDate::deserialize(d)?;
    check(v.year()).map(|()| v)
}

/// An optional date within the supported years (use with `#[serde(default)]`).
pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let v = Option::<NaiveDate>::deserialize(d)?;
    match v {
        Some(date) => check(date.year()).map(|()| Some(date)),
        None => Ok(None),
    }
}

/// An RFC 3339 instant within the supported years.
pub fn datetime<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let v = DateTime::<Utc>::deserialize(d)?;
    check(v.year()).map(|()| v)
}
