//! A local PayTabs PT2 simulator, faithful to `shared/reference/paytabs-api.md` §9.
//!
//! It is a real HTTP server (an axum [`Router`]) that NestCMS, its tests and benchmarks talk to
//! exactly as they would talk to a PayTabs region host: the same paths, authentication,
//! error codes, hosted page, signed IPN (retried up to 5 times) and signed browser return.
//! It is a sandbox: nothing is charged, and every page says so.
//!
//! - `POST /payment/request`: hosted page (`sale`, `auth`) or follow-up (`capture`, `void`,
//!   `release`, `refund`);
//! - `POST /payment/query`: by `tran_ref` (object) or `cart_id` (array);
//! - `GET /payment/page/{token}`: the page a person approves, declines or cancels;
//! - `POST /payment/page/{token}/complete`: the same as a test hook, JSON
//!   `{"response_status": "A"|"D"|"C"|"H"|"E"|"P"|"X"}`.

mod handlers;
mod page;
mod state;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

pub use state::{Faults, SimConfig, Simulator};

/// The simulator's routes, to serve on their own or nest under a prefix.
pub fn router(sim: Arc<Simulator>) -> Router {
    Router::new()
        .route("/payment/request", post(handlers::payment_request))
        .route("/payment/query", post(handlers::query))
        .route("/payment/page/{token}", get(page::show))
        .route("/payment/page/{token}/pay", post(page::pay))
        .route("/payment/page/{token}/complete", post(page::complete_hook))
        .with_state(sim)
}
