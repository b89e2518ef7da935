//! Drafts: written and rewritten by staff until issued, checked field by field against the
//! seller's tax profile and the document's currency.

use chrono::Utc;
use nestcms_domain::identity::policy::Action;
use nestcms_domain::identity::{OrgId, Role};
use nestcms_domain::invoices::issue::{blank, form_for, set_lines};
use nestcms_domain::invoices::ports::NOT_A_DRAFT;
use nestcms_domain::invoices::{DocKind, Invoice, InvoiceId, InvoiceState};
use nestcms_domain::{Currency, DomainError, FieldError, PortError};

use super::{DraftInput, Invoicing, input, line_error, store_error};
use crate::{Principal, port};

impl Invoicing {
    async fn build(
        &self,
        org: OrgId,
        i: DraftInput,
        doc: Option<Invoice>,
    ) -> Result<Invoice, DomainError> {
        let seller = self.seller(org).await?;
        let currency: Currency = i
            .currency
            .parse()
            .map_err(|e: nestcms_domain::MoneyError| {
                DomainError::invalid("/currency", e.code(), e.to_string())
            })?;
        let kind = match i.kind.as_deref().unwrap_or("invoice") {
            "invoice" => DocKind::Invoice,
            "debit_note" => DocKind::DebitNote,
            _ => {
                return Err(DomainError::invalid(
                    "/kind",
                    "invalid_kind",
                    "invoice or debit_note; credit notes are issued against an invoice",
                ));
            }
        };
        let mut errors = Vec::new();
        let name = i.buyer.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            errors.push(FieldError::new(
                "/buyer/name",
                "required",
                "the buyer's name, at most 200 characters",
            ));
        }
        if let Some(v) = &i.buyer.vat_number
            && (v.trim().is_empty() || v.len() > 40)
        {
            errors.push(FieldError::new(
                "/buyer/vat_number",
                "invalid_vat_number",
                "1 to 40 characters",
            ));
        }
        if kind == DocKind::DebitNote && i.references.is_none() {
            errors.push(FieldError::new(
                "/references",
                "required",
                "the invoice a debit note adds to",
            ));
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        if let Some(r) = i.references {
            let base = self.store.invoice(org, r).await.map_err(port)?;
            if !base
                .as_ref()
                .is_some_and(|b| b.kind == DocKind::Invoice && b.state != InvoiceState::Draft)
            {
                return Err(DomainError::invalid(
                    "/references",
                    "unknown_invoice",
                    "an issued invoice of this organization",
                ));
            }
            if base.is_some_and(|b| b.currency != currency) {
                return Err(DomainError::invalid(
                    "/currency",
                    "currency_mismatch",
                    "a debit note is in the currency of the invoice it adds to",
                ));
            }
        }
        if let Some(client) = i.buyer.client {
            crate::member_with(
                &self.identity,
                org,
                client,
                &[Role::Client],
                "/buyer/client_id",
                "a client",
            )
            .await?;
        }
        let lines = input::lines(&i.lines, currency, seller.default_rate)?;
        let inclusive = i.prices_include_vat.unwrap_or(seller.prices_include_vat);
        let now = Utc::now();
        let mut d = match doc {
            Some(mut d) => {
                d.kind = kind;
                d.currency = currency;
                d.prices_include_vat = inclusive;
                d.form = form_for(&i.buyer);
                d.buyer = i.buyer;
                d.updated_at = now;
                d
            }
            None => blank(org, kind, currency, inclusive, i.buyer, now),
        };
        d.buyer.name = d.buyer.name.trim().to_owned();
        d.due_on = i.due_on;
        d.note = i.note.unwrap_or_default();
        d.references = i.references;
        set_lines(&mut d, lines).map_err(line_error)?;
        Ok(d)
    }

    /// Writes a draft (staff who manage invoices).
    #[tracing::instrument(name = "invoices.create_draft", skip_all)]
    pub async fn create_draft(
        &self,
        who: Principal,
        org: OrgId,
        i: DraftInput,
    ) -> Result<Invoice, DomainError> {
        let c = self.staff(who, org, Action::ManageInvoices).await?;
        let mut d = self.build(org, i, None).await?;
        d.created_by = Some(c.user());
        self.store.insert_draft(&d).await.map_err(port)?;
        Ok(d)
    }

    /// Rewrites a draft.
    #[tracing::instrument(name = "invoices.update_draft", skip_all)]
    pub async fn update_draft(
        &self,
        who: Principal,
        org: OrgId,
        id: InvoiceId,
        i: DraftInput,
    ) -> Result<Invoice, DomainError> {
        self.staff(who, org, Action::ManageInvoices).await?;
        let d = self.draft(org, id).await?;
        let d = self.build(org, i, Some(d)).await?;
        if !self.store.update_draft(&d).await.map_err(port)? {
            return Err(store_error(PortError::Constraint(NOT_A_DRAFT.to_owned())));
        }
        Ok(d)
    }

    /// Deletes a draft; an issued document is never deleted.
    pub async fn delete_draft(
        &self,
        who: Principal,
        org: OrgId,
        id: InvoiceId,
    ) -> Result<(), DomainError> {
        self.staff(who, org, Action::ManageInvoices).await?;
        self.draft(org, id).await?;
        if self.store.delete_draft(org, id).await.map_err(port)? {
            Ok(())
        } else {
            Err(store_error(PortError::Constraint(NOT_A_DRAFT.to_owned())))
        }
    }

    pub(super) async fn draft(&self, org: OrgId, id: InvoiceId) -> Result<Invoice, DomainError> {
        let d = self.document(org, id).await?;
        if d.state != InvoiceState::Draft {
            return Err(DomainError::Conflict {
                code: "not_a_draft",
                message: format!(
                    "{} is issued: correct it with a credit or debit note",
                    d.label()
                ),
            });
        }
        Ok(d)
    }
}
