//! The HTTP layer: a thin translation between requests and the domain.
//!
//! It owns what only HTTP knows about: the single route table ([`router`]), the middleware
//! stack ([`layers`]), RFC 9457 problem responses ([`error`], [`problem`]), strict JSON
//! extraction ([`extract`]), the generated OpenAPI document, and the server lifecycle
//! ([`server`]). Business rules stay in `nestcms-domain`; SQL stays in `nestcms-store`.

pub mod auth_extract;
pub mod cached;
pub mod conditional;
pub mod dates;
pub mod dbgate;
pub mod edge;
pub mod error;
pub mod extract;
pub mod guard;
pub mod idempotency;
pub mod layers;
pub mod limits;
pub mod observe;
mod openapi;
pub mod perimeter;
pub mod problem;
pub mod ratelimit;
pub mod router;
pub mod routes;
pub mod server;
pub mod settings;
pub mod state;
pub mod text_guard;

pub use error::ApiError;
pub use router::{openapi, router};
pub use server::{Application, ConnectionLimits};
pub use settings::HttpSettings;
pub use state::{App, AppState};
