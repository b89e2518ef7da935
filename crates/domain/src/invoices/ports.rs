//! What invoicing needs from storage.

use chrono::{DateTime, Utc};

use super::model::{DocKind, Invoice, InvoiceId};
use super::tax::TaxProfile;
use crate::PortError;
use crate::identity::{OrgId, UserId};
use crate::payments::PaymentId;

/// The constraint [`InvoiceStore::issue`] reports when the draft is gone or issued.
pub const NOT_A_DRAFT: &str = "invoice_not_draft";

/// The constraint [`InvoiceStore::issue`] reports when a note would credit more than its
/// invoice has left.
pub const OVER_CREDITED: &str = "invoice_over_credited";

/// The constraint [`InvoiceStore::record_payment`] reports when the document is not open or
/// would be paid more than it owes.
pub const NOT_PAYABLE: &str = "invoice_not_payable";

/// Which documents a listing returns, newest first.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    /// Only this kind.
    pub kind: Option<DocKind>,
    /// Only this client's.
    pub client: Option<UserId>,
    /// Only issued documents (no drafts).
    pub issued_only: bool,
    /// Only those older than this one (the next page).
    pub before: Option<InvoiceId>,
    /// At most this many.
    pub limit: u32,
}

/// Invoices, notes and tax profiles.
#[async_trait::async_trait]
pub trait InvoiceStore: Send + Sync {
    /// The organization's tax profile.
    async fn tax_profile(&self, org: OrgId) -> Result<Option<TaxProfile>, PortError>;

    /// Writes the organization's tax profile.
    async fn put_tax_profile(
        &self,
        org: OrgId,
        profile: &TaxProfile,
        at: DateTime<Utc>,
    ) -> Result<(), PortError>;

    /// Saves a new draft.
    async fn insert_draft(&self, draft: &Invoice) -> Result<(), PortError>;

    /// Replaces a draft's content; false when it is no longer a draft.
    async fn update_draft(&self, draft: &Invoice) -> Result<bool, PortError>;

    /// Deletes a draft; false when it is no longer a draft.
    async fn delete_draft(&self, org: OrgId, id: InvoiceId) -> Result<bool, PortError>;

    /// Issues `doc` (a saved draft, in state draft and as last saved; or a document built to be
    /// issued at once, in any other state) in one transaction: gives it
    /// the next number of its series and the next place in the organization's chain (counter
    /// and previous hash), seals it, adds a note's amount to the invoice it credits, and
    /// records its domain event. When `doc.source.event` already issued a document, that one
    /// is returned and nothing changes. Fails with [`NOT_A_DRAFT`] when a draft was issued,
    /// deleted or changed since it was read.
    async fn issue(&self, doc: &Invoice) -> Result<Invoice, PortError>;

    /// One document of the organization.
    async fn invoice(&self, org: OrgId, id: InvoiceId) -> Result<Option<Invoice>, PortError>;

    /// The organization's documents, newest first.
    async fn invoices(&self, org: OrgId, f: &InvoiceFilter) -> Result<Vec<Invoice>, PortError>;

    /// The document a payment event issued, if any.
    async fn document_of_event(
        &self,
        org: OrgId,
        event: uuid::Uuid,
    ) -> Result<Option<Invoice>, PortError>;

    /// A client as a buyer (their name), if they exist.
    async fn buyer(&self, client: UserId) -> Result<Option<super::Buyer>, PortError>;

    /// The PDF kept for an issued document.
    async fn kept_pdf(&self, id: InvoiceId) -> Result<Option<Vec<u8>>, PortError>;

    /// Keeps an issued document's PDF unless one is kept already; returns the one kept.
    async fn keep_pdf(
        &self,
        id: InvoiceId,
        pdf: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Vec<u8>, PortError>;

    /// Records money received against an open invoice or debit note, moving what it has been
    /// paid and its state, in one transaction; returns the document as it now stands. Fails
    /// with [`NOT_PAYABLE`] when it is not open or would be paid more than it owes.
    async fn record_payment(&self, p: &super::InvoicePayment) -> Result<Invoice, PortError>;

    /// Everything that moved a client's balance: issued documents made out to them, gateway
    /// payments and refunds, and payments recorded against their documents.
    async fn ledger(
        &self,
        org: OrgId,
        client: UserId,
    ) -> Result<Vec<super::statement::LedgerEntry>, PortError>;

    /// What the organization's invoices and debit notes still owed at the end of `as_of`.
    async fn receivables(
        &self,
        org: OrgId,
        as_of: chrono::NaiveDate,
    ) -> Result<Vec<super::aging::Receivable>, PortError>;

    /// The organization's documents issued from `from` (included) to `to` (excluded), oldest
    /// first, at most `limit`.
    async fn issued_between(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Invoice>, PortError>;

    /// Payments received from `from` (included) to `to` (excluded), oldest first, at most
    /// `limit`.
    async fn received_between(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<super::export::ReceivedPayment>, PortError>;

    /// When a payment became paid, its payer's name, and the number of its invoice; `None`
    /// when it never became paid.
    async fn receipt_facts(
        &self,
        payment: crate::payments::PaymentId,
    ) -> Result<Option<(DateTime<Utc>, String, Option<String>)>, PortError>;

    /// The credit notes issued against an invoice, in chain order.
    async fn credit_notes_of(
        &self,
        org: OrgId,
        invoice: InvoiceId,
    ) -> Result<Vec<Invoice>, PortError>;

    /// The invoice issued for a payment, if any.
    async fn invoice_for_payment(&self, payment: PaymentId) -> Result<Option<Invoice>, PortError>;
}

/// A client's statements of account for a period, as printed.
#[derive(Debug, Clone)]
pub struct StatementDoc {
    /// The organization as seller, when it has a tax profile.
    pub seller: Option<TaxProfile>,
    /// The organization's name when it has none.
    pub org_name: String,
    /// The client.
    pub client_name: String,
    /// First day.
    pub from: chrono::NaiveDate,
    /// Last day.
    pub to: chrono::NaiveDate,
    /// One per currency.
    pub statements: Vec<super::statement::Statement>,
}

/// A payment's receipt, as printed.
#[derive(Debug, Clone)]
pub struct ReceiptDoc {
    /// The organization as seller, when it has a tax profile.
    pub seller: Option<TaxProfile>,
    /// The organization's name.
    pub org_name: String,
    /// The payment.
    pub payment: uuid::Uuid,
    /// The gateway's transaction reference.
    pub reference: String,
    /// Who paid.
    pub payer: String,
    /// What for.
    pub description: String,
    /// Amount paid.
    pub amount: crate::Money,
    /// Refunded since.
    pub refunded: crate::Money,
    /// When it became paid.
    pub paid_at: DateTime<Utc>,
    /// The invoice issued for it, by number.
    pub invoice: Option<String>,
}

/// Typesets documents as PDFs (CPU-bound: call it from a blocking pool).
pub trait Typesetter: Send + Sync {
    /// The PDF of `doc`; `references` is the number of the invoice a note corrects.
    fn typeset(&self, doc: &Invoice, references: Option<&str>) -> Result<Vec<u8>, String>;

    /// The PDF of a statement of account.
    fn statement(&self, doc: &StatementDoc) -> Result<Vec<u8>, String>;

    /// The PDF of a payment's receipt.
    fn receipt(&self, doc: &ReceiptDoc) -> Result<Vec<u8>, String>;
}
