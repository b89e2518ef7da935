//! What accountants export: every payment received in a period, through the gateway or recorded
//! by staff, beside the documents issued in it.

use chrono::{DateTime, Utc};

use crate::Currency;

/// Money received, from either source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPayment {
    /// When it was received (a recorded payment: noon UTC of its day).
    pub at: DateTime<Utc>,
    /// `gateway` or `recorded`.
    pub source: &'static str,
    /// The gateway's transaction reference, or the bank's.
    pub reference: String,
    /// Who paid.
    pub payer: String,
    /// Currency.
    pub currency: Currency,
    /// Amount in minor units.
    pub amount: i64,
    /// Refunded since, in minor units.
    pub refunded: i64,
    /// `card` through the gateway, else how it came.
    pub method: String,
    /// The invoice it paid, by number.
    pub invoice: Option<String>,
}
