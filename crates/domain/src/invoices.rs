//! Tax invoices, credit notes and debit notes.
//!
//! A Gulf or Egyptian client cannot use a payment without a VAT invoice, so one is issued for
//! every paid instalment and a credit note for every settled refund, besides those staff
//! write by hand. An issued document is immutable: it has its gap-free number in its series,
//! the seller's tax profile as it stood, and its place in the organization's chain (a counter
//! and the previous document's hash, as ZATCA phase 2 asks). It is corrected only by a note
//! that references it. Amounts follow [`lines`]; the Saudi QR code follows [`qr`].

pub mod aging;
pub mod export;
pub mod issue;
pub mod lines;
mod model;
pub mod ports;
pub mod qr;
pub mod statement;
pub mod tax;
pub mod ubl;

pub use lines::{Line, LineError, LineInput, Quantity, Totals, VatCategory, VatGroup};
pub use model::{
    Buyer, DocKind, Invoice, InvoiceForm, InvoiceId, InvoicePayment, InvoiceState, PaymentMethod,
    Source,
};
pub use tax::{Address, Country, TaxProfile, check_vat_number};

/// The previous-document hash of an organization's first document: base64 of the hex SHA-256
/// of `"0"`, as ZATCA defines it.
pub const FIRST_PREVIOUS_HASH: &str =
    "NWZlY2ViNjZmZmM4NmYzOGQ5NTI3ODZjNmQ2OTZjNzljMmRiYzIzOWRkNGU5MWI0NjcyOWQ3M2EyN2ZiNTdlOQ==";
