//! Invoicing use cases: the seller's tax profile (owners and admins), drafts that staff write
//! and issue, credit notes against issued invoices, and reading them (staff see all, a client
//! their own). [`auto`] issues the invoice of a paid payment and the credit note of a settled
//! refund for the sagas.

pub mod auto;
mod drafts;
mod files;
pub mod input;
pub mod reports;

use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use nestcms_domain::identity::OrgId;
use nestcms_domain::identity::policy::Action;
use nestcms_domain::invoices::issue::credit_note;
use nestcms_domain::invoices::ports::{
    InvoiceFilter, InvoiceStore, NOT_A_DRAFT, OVER_CREDITED, Typesetter,
};
use nestcms_domain::invoices::{
    Buyer, DocKind, Invoice, InvoiceId, InvoiceState, LineError, TaxProfile,
};
use nestcms_domain::{DomainError, FieldError, Money, PortError};

use crate::{Caller, Principal, Store, caller, port};
use input::{LineText, ProfileInput};

/// A draft as typed.
#[derive(Debug, Clone, Default)]
pub struct DraftInput {
    /// `invoice` (default) or `debit_note`.
    pub kind: Option<String>,
    /// ISO 4217 code.
    pub currency: String,
    /// Whether unit prices include VAT; the profile's setting when absent.
    pub prices_include_vat: Option<bool>,
    /// Who is invoiced.
    pub buyer: Buyer,
    /// The lines.
    pub lines: Vec<LineText>,
    /// When payment is due.
    pub due_on: Option<NaiveDate>,
    /// Printed under the lines.
    pub note: Option<String>,
    /// The invoice a debit note adds to.
    pub references: Option<InvoiceId>,
}

/// The invoicing use cases.
#[derive(Clone)]
pub struct Invoicing {
    identity: Store,
    store: Arc<dyn InvoiceStore>,
    payments: Arc<dyn nestcms_domain::payments::ports::PaymentRepository>,
    typesetter: Arc<dyn Typesetter>,
}

/// Maps a line computation refusal.
pub(crate) fn line_error(e: LineError) -> DomainError {
    let (code, message) = match e {
        LineError::DiscountTooLarge => ("discount_too_large", "a discount larger than its line"),
        LineError::TooLarge => ("amount_too_large", "beyond what an invoice holds"),
    };
    DomainError::Unprocessable {
        code,
        errors: vec![FieldError::new("/lines", code, message)],
    }
}

fn store_error(e: PortError) -> DomainError {
    match e {
        PortError::Constraint(c) if c == NOT_A_DRAFT => DomainError::Conflict {
            code: "not_a_draft",
            message: "the invoice was issued or deleted meanwhile".to_owned(),
        },
        PortError::Constraint(c) if c == OVER_CREDITED => DomainError::Conflict {
            code: "over_credited",
            message: "the invoice has less left to credit".to_owned(),
        },
        other => port(other),
    }
}

impl Invoicing {
    /// The use cases over these ports.
    pub fn new(
        identity: Store,
        store: Arc<dyn InvoiceStore>,
        payments: Arc<dyn nestcms_domain::payments::ports::PaymentRepository>,
        typesetter: Arc<dyn Typesetter>,
    ) -> Self {
        Self {
            identity,
            store,
            payments,
            typesetter,
        }
    }

    pub(crate) async fn staff(
        &self,
        who: Principal,
        org: OrgId,
        action: Action,
    ) -> Result<Caller, DomainError> {
        let c = caller(&self.identity, who, org).await?;
        c.require(action)?;
        Ok(c)
    }

    /// One document of the organization, or 404.
    pub(crate) async fn document(&self, org: OrgId, id: InvoiceId) -> Result<Invoice, DomainError> {
        self.store
            .invoice(org, id)
            .await
            .map_err(port)?
            .ok_or(DomainError::NotFound("invoice"))
    }

    /// Runs the typesetter on a blocking thread (typesetting is CPU-bound).
    pub(crate) async fn typeset(
        &self,
        work: impl FnOnce(&dyn Typesetter) -> Result<Vec<u8>, String> + Send + 'static,
    ) -> Result<Vec<u8>, DomainError> {
        let typesetter = self.typesetter.clone();
        tokio::task::spawn_blocking(move || work(typesetter.as_ref()))
            .await
            .map_err(|e| DomainError::Internal(format!("typesetting task: {e}")))?
            .map_err(|e| DomainError::Internal(format!("typesetting: {e}")))
    }

    pub(crate) async fn seller(&self, org: OrgId) -> Result<TaxProfile, DomainError> {
        self.store
            .tax_profile(org)
            .await
            .map_err(port)?
            .ok_or_else(|| DomainError::Conflict {
                code: "no_tax_profile",
                message: "set the organization's tax profile before invoicing".to_owned(),
            })
    }

    /// The organization's tax profile (staff).
    pub async fn tax_profile(&self, who: Principal, org: OrgId) -> Result<TaxProfile, DomainError> {
        self.staff(who, org, Action::ViewAllRecords).await?;
        self.store
            .tax_profile(org)
            .await
            .map_err(port)?
            .ok_or(DomainError::NotFound("tax profile"))
    }

    /// Sets the organization's tax profile (owners and admins); issued invoices keep the one
    /// they were issued with.
    #[tracing::instrument(name = "invoices.put_tax_profile", skip_all)]
    pub async fn put_tax_profile(
        &self,
        who: Principal,
        org: OrgId,
        i: &ProfileInput,
    ) -> Result<TaxProfile, DomainError> {
        self.staff(who, org, Action::UpdateOrg).await?;
        let p = input::profile(i)?;
        self.store
            .put_tax_profile(org, &p, Utc::now())
            .await
            .map_err(port)?;
        Ok(p)
    }

    /// Issues a draft with the seller's profile as it stands.
    #[tracing::instrument(name = "invoices.issue", skip_all)]
    pub async fn issue(
        &self,
        who: Principal,
        org: OrgId,
        id: InvoiceId,
    ) -> Result<Invoice, DomainError> {
        self.staff(who, org, Action::ManageInvoices).await?;
        let mut d = self.draft(org, id).await?;
        if d.lines.is_empty() || d.totals.gross <= 0 {
            return Err(DomainError::Unprocessable {
                code: "empty_invoice",
                errors: vec![FieldError::new(
                    "/lines",
                    "required",
                    "an invoice needs a line with an amount",
                )],
            });
        }
        d.seller = Some(self.seller(org).await?);
        self.store.issue(&d).await.map_err(store_error)
    }

    /// Issues a credit note taking `amount` (all that is left when absent) off an issued invoice.
    #[tracing::instrument(name = "invoices.credit", skip_all)]
    pub async fn credit(
        &self,
        who: Principal,
        org: OrgId,
        id: InvoiceId,
        amount: Option<&str>,
        reason: &str,
    ) -> Result<Invoice, DomainError> {
        let c = self.staff(who, org, Action::ManageInvoices).await?;
        let inv = self.document(org, id).await?;
        if inv.kind != DocKind::Invoice || inv.state == InvoiceState::Draft {
            return Err(DomainError::Conflict {
                code: "not_creditable",
                message: "only an issued invoice takes a credit note".to_owned(),
            });
        }
        let left = inv.totals.gross - inv.credited;
        let amount = match amount {
            None => left,
            Some(t) => Money::parse_positive(t.trim(), inv.currency)
                .map_err(|e| DomainError::invalid("/amount", e.code(), e.to_string()))?
                .minor(),
        };
        if amount <= 0 || amount > left {
            return Err(DomainError::Unprocessable {
                code: "over_credited",
                errors: vec![FieldError::new(
                    "/amount",
                    "over_credited",
                    format!("at most {} is left to credit", inv.money(left)),
                )],
            });
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(DomainError::invalid(
                "/reason",
                "required",
                "why the invoice is credited, at most 500 characters",
            ));
        }
        let prior = self.store.credit_notes_of(org, id).await.map_err(port)?;
        let mut note = credit_note(&inv, &prior, amount, reason.to_owned(), None, Utc::now())
            .map_err(line_error)?;
        note.created_by = Some(c.user());
        self.store.issue(&note).await.map_err(store_error)
    }

    /// One document: staff see all, a client the ones made out to them.
    pub async fn get(
        &self,
        who: Principal,
        org: OrgId,
        id: InvoiceId,
    ) -> Result<Invoice, DomainError> {
        let c = caller(&self.identity, who, org).await?;
        let d = self.document(org, id).await?;
        if c.sees(d.buyer.client) && (c.is_staff() || d.state != InvoiceState::Draft) {
            Ok(d)
        } else {
            Err(DomainError::NotFound("invoice"))
        }
    }

    /// The organization's documents, newest first; a client's own, issued ones only.
    pub async fn list(
        &self,
        who: Principal,
        org: OrgId,
        mut f: InvoiceFilter,
    ) -> Result<Vec<Invoice>, DomainError> {
        let c = caller(&self.identity, who, org).await?;
        if !c.is_staff() {
            f.client = Some(c.user());
            f.issued_only = true;
        }
        self.store.invoices(org, &f).await.map_err(port)
    }
}
