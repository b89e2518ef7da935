//! A document as files: the bilingual PDF (kept as first rendered once issued) and the UBL XML.

use chrono::Utc;
use nestcms_domain::DomainError;
use nestcms_domain::identity::OrgId;
use nestcms_domain::invoices::{Invoice, InvoiceId, InvoiceState};

use nestcms_domain::invoices::ports::ReceiptDoc;
use nestcms_domain::payments::PaymentId;

use super::Invoicing;
use crate::{Principal, caller, port};

impl Invoicing {
    /// The number of the invoice a note corrects.
    async fn referenced_label(&self, doc: &Invoice) -> Result<Option<String>, DomainError> {
        Ok(match doc.references {
            Some(r) => self
                .store
                .invoice(doc.org, r)
                .await
                .map_err(port)?
                .map(|d| d.label()),
            None => None,
        })
    }

    /// A document's number and UBL 2.1 XML (issued documents only).
    pub async fn ubl(
        &self,
        who: Principal,
        org: OrgId,
        id: InvoiceId,
    ) -> Result<(String, String), DomainError> {
        let doc = self.get(who, org, id).await?;
        let references = self.referenced_label(&doc).await?;
        let xml = nestcms_domain::invoices::ubl::to_xml(&doc, references.as_deref()).ok_or_else(
            || DomainError::Conflict {
                code: "not_issued",
                message: "a draft has no UBL document until it is issued".to_owned(),
            },
        )?;
        Ok((doc.label(), xml))
    }

    /// A document's number and PDF, for whoever may read it. An issued document's is kept as first
    /// rendered, so it never changes; a draft's is rendered each time, marked as a draft.
    #[tracing::instrument(name = "invoices.pdf", skip_all)]
    pub async fn pdf(
        &self,
        who: Principal,
        org: OrgId,
        id: InvoiceId,
    ) -> Result<(String, Vec<u8>), DomainError> {
        let doc = self.get(who, org, id).await?;
        let label = doc.label();
        let issued = doc.state != InvoiceState::Draft;
        if issued && let Some(pdf) = self.store.kept_pdf(id).await.map_err(port)? {
            return Ok((label, pdf));
        }
        let references = self.referenced_label(&doc).await?;
        let rendered = self
            .typeset(move |t| t.typeset(&doc, references.as_deref()))
            .await?;
        if issued {
            let kept = self
                .store
                .keep_pdf(id, &rendered, Utc::now())
                .await
                .map_err(port)?;
            Ok((label, kept))
        } else {
            Ok((label, rendered))
        }
    }

    /// A paid payment's receipt as a PDF: staff, or the client who paid.
    #[tracing::instrument(name = "invoices.receipt", skip_all)]
    pub async fn receipt(
        &self,
        who: Principal,
        org: OrgId,
        id: PaymentId,
    ) -> Result<(String, Vec<u8>), DomainError> {
        let c = caller(&self.identity, who, org).await?;
        let pay = self
            .payments
            .payment(org, id)
            .await
            .map_err(port)?
            .filter(|p| c.sees(Some(p.client_id)))
            .ok_or(DomainError::NotFound("payment"))?;
        let Some((paid_at, payer, invoice)) = self.store.receipt_facts(id).await.map_err(port)?
        else {
            return Err(DomainError::Conflict {
                code: "not_paid",
                message: "a payment has a receipt once it is paid".to_owned(),
            });
        };
        let doc = ReceiptDoc {
            seller: self.store.tax_profile(org).await.map_err(port)?,
            org_name: self
                .identity
                .org(org)
                .await
                .map_err(port)?
                .map(|o| o.title)
                .unwrap_or_default(),
            payment: id.0,
            reference: pay.tran_ref.clone().unwrap_or_else(|| id.0.to_string()),
            payer,
            description: pay.description.clone(),
            amount: pay.amount,
            refunded: pay.refunded,
            paid_at,
            invoice,
        };
        let name = format!("receipt-{}.pdf", doc.reference);
        let pdf = self.typeset(move |t| t.receipt(&doc)).await?;
        Ok((name, pdf))
    }
}
