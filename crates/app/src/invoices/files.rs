//! A document as files: the bilingual PDF (kept as first rendered once issued) and the UBL XML.

use chrono::Utc;
use nestcms_domain::DomainError;
use nestcms_domain::identity::OrgId;
use nestcms_domain::invoices::{Invoice, InvoiceId, InvoiceState};

use super::Invoicing;
use crate::{Principal, port};

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
        let typesetter = self.typesetter.clone();
        let rendered =
            tokio::task::spawn_blocking(move || typesetter.typeset(&doc, references.as_deref()))
                .await
                .map_err(|e| DomainError::Internal(format!("typesetting task: {e}")))?
                .map_err(|e| DomainError::Internal(format!("typesetting: {e}")))?;
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
}
