//! A PayTabs PT2 connector, usable on its own.
//!
//! - [`Region`]: the twelve regional hosts (a server key works only on its profile's region);
//! - [`Amount`]: exact decimal amounts sent as JSON numbers without ever becoming floats;
//! - [`wire`]: typed request and response bodies of `payment/request` and `payment/query`;
//! - [`Client`]: authenticated calls with timeouts and TLS verification always on, mapping
//!   PayTabs' `{code, message, trace}` errors;
//! - [`signature`]: the IPN HMAC over the raw body and the browser-return HMAC over the sorted,
//!   PHP-style encoded form, both compared in constant time.
//!
//! Spec: `shared/reference/paytabs-api.md` (section numbers below refer to it).

mod amount;
mod client;
mod region;
pub mod signature;
pub mod wire;

pub use amount::Amount;

pub use client::{Client, ClientConfig, Error};
pub use region::Region;
