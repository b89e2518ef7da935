//! Upper bounds on free text, applied while the body is read.
//!
//! Every text field has a maximum: most are checked by their use case together with their other
//! rules; the ones that have no other rule are bounded here, so a request cannot store a
//! megabyte in a description or a slug. The error names the field (a JSON pointer or `?name`).

use serde::{Deserialize, Deserializer, de::Error};

fn check<E: Error>(s: String, max: usize) -> Result<String, E> {
    if s.chars().count() > max {
        Err(E::custom(format!("at most {max} characters")))
    } else {
        Ok(s)
    }
}

/// A string of at most `N` characters.
pub fn max<'de, const N: usize, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    check(String::deserialize(d)?, N)
}

/// An optional string of at most `N` characters (use with `#[serde(default)]`).
pub fn opt_max<'de, const N: usize, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| check(s, N))
        .transpose()
}
