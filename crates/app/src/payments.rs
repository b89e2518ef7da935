//! Payments: creation, checkout through the gateway's hosted page, verified callbacks, browser
//! returns, refunds and reconciliation.
//!
//! The gateway's callback is only a hint: it must be signed, and its outcome is then fetched
//! again from the gateway (`lookup`) and checked against the payment (cart id, transaction
//! reference, amount, currency). A mismatch puts the payment on hold for review; it never
//! becomes paid. Every change is a conditional move in the same transaction as its events.

mod flow;
pub mod paytabs;
mod refunds;
mod settle;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use nestcms_domain::payments::ports::{Gateway, PaymentRepository};

pub use flow::NewPayment;
pub use settle::CallbackError;

/// The payment service.
#[derive(Clone)]
pub struct Payments {
    /// Storage.
    pub store: Arc<dyn PaymentRepository>,
    /// The gateway.
    pub gateway: Arc<dyn Gateway>,
    /// Callbacks refused for a bad signature (exposed to metrics later).
    pub rejected_callbacks: Arc<AtomicU64>,
}

impl Payments {
    /// A service over a store and a gateway.
    pub fn new(store: Arc<dyn PaymentRepository>, gateway: Arc<dyn Gateway>) -> Self {
        Self {
            store,
            gateway,
            rejected_callbacks: Arc::default(),
        }
    }
}
