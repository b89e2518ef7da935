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

/// Which documents a listing returns, newest first.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    /// Only this kind.
    pub kind: Option<DocKind>,
    /// Only this client's.
    pub client: Option<UserId>,
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

    /// Issues `doc` (a draft already saved, or a new document) in one transaction: gives it
    /// the next number of its series and the next place in the organization's chain (counter
    /// and previous hash), seals it, adds a note's amount to the invoice it credits, and
    /// records its domain event. When `doc.source.event` already issued a document, that one
    /// is returned and nothing changes. Fails with [`NOT_A_DRAFT`] when a draft was issued
    /// or deleted meanwhile.
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

    /// The invoice issued for a payment, if any.
    async fn invoice_for_payment(&self, payment: PaymentId) -> Result<Option<Invoice>, PortError>;
}
