//! The NestCMS domain: the vocabulary every other crate speaks.
//!
//! This crate exists so that the rules of the business (what an amount of money is, what an id
//! looks like, which errors a use case can raise, which storage operations the core needs) are
//! written once and know nothing of HTTP, SQL or any network. Adapters (storage, PayTabs, Redis,
//! RabbitMQ) implement the traits in [`ports`]; the HTTP layer translates [`error::DomainError`]
//! into responses.

pub mod calendar;
pub mod construction;
pub mod content;
pub mod error;
pub mod events;
pub mod id;
pub mod identity;
pub mod invoices;
pub mod limits;
pub mod markup;
pub mod money;
pub mod notify;
pub mod payments;
pub mod percent;
pub mod ports;
pub mod retry;
pub mod sagas;
mod text;
pub mod webhooks;

pub use error::{DomainError, FieldError};
pub use money::{Currency, Money, MoneyError};
pub use ports::PortError;
