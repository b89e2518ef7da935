//! The issue transaction. Gap-free numbering needs the number to be taken in the same
//! transaction that writes the document, so a failure gives it back: the organization's chain
//! row is locked first (its update is the first statement, which on SQLite also takes the
//! write lock before anything is read), then the series' counter, then the document is sealed
//! with the previous hash and written. Concurrent issues of one organization queue on the
//! chain row, on one instance or many; a rollback leaves no gap.

use chrono::Utc;
use nestcms_domain::PortError;
use nestcms_domain::events::DomainEvent;
use nestcms_domain::invoices::ports::NOT_A_DRAFT;
use nestcms_domain::invoices::{DocKind, FIRST_PREVIOUS_HASH, Invoice, InvoiceState};
use serde_json::json;

use super::rows::{InvoiceRow, insert_invoice, invoice_select};
use crate::error::port_err;
use crate::events::insert_domain_event;
use crate::time::Ts;
use crate::{Store, with_pool};

/// What the transaction did.
enum Outcome {
    Issued(Box<Invoice>),
    /// The source event had already issued this document.
    Existing(Box<InvoiceRow>),
    /// The draft was issued or deleted meanwhile.
    NotADraft,
    /// The note would credit more than the invoice has left.
    OverCredited,
}

const CHAIN_START: &str = "INSERT INTO invoice_chains (org_id, counter, last_hash) VALUES ($1, 0, $2) ON CONFLICT (org_id) DO NOTHING";
const CHAIN_NEXT: &str = "UPDATE invoice_chains SET counter = counter + 1 WHERE org_id = $1 RETURNING counter, last_hash";
const CHAIN_SEAL: &str = "UPDATE invoice_chains SET last_hash = $2 WHERE org_id = $1";
const SERIES_START: &str = "INSERT INTO invoice_sequences (org_id, kind, last_number) VALUES ($1, $2, 0) ON CONFLICT (org_id, kind) DO NOTHING";
const SERIES_NEXT: &str = "UPDATE invoice_sequences SET last_number = last_number + 1 WHERE org_id = $1 AND kind = $2 RETURNING last_number";
const FROM_DRAFT: &str =
    "DELETE FROM invoices WHERE id = $1 AND org_id = $2 AND state = 'draft' AND updated_at = $3";
const CREDIT: &str = "UPDATE invoices SET credited = credited + $2, updated_at = $3, state = CASE \
     WHEN credited + $2 >= total_gross THEN 'void' \
     WHEN paid + credited + $2 >= total_gross THEN 'paid' \
     WHEN paid > 0 THEN 'partially_paid' ELSE 'issued' END \
     WHERE id = $1 AND kind = 'invoice' AND state <> 'draft' AND credited + $2 <= total_gross";

pub(super) async fn issue(store: &Store, doc: &Invoice) -> Result<Invoice, PortError> {
    let by_event = invoice_select!("source_event = $1");
    let outcome = with_pool!(store.primary(), |p| async {
        let mut tx = p.begin().await?;
        sqlx::query(CHAIN_START)
            .bind(doc.org.0)
            .bind(FIRST_PREVIOUS_HASH)
            .execute(&mut *tx)
            .await?;
        let (counter, previous): (i64, String) = sqlx::query_as(CHAIN_NEXT)
            .bind(doc.org.0)
            .fetch_one(&mut *tx)
            .await?;
        if let Some(event) = doc.source.event {
            let existing: Option<InvoiceRow> = sqlx::query_as(by_event)
                .bind(event)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(row) = existing {
                tx.rollback().await?;
                return Ok(Outcome::Existing(Box::new(row)));
            }
        }
        // A saved draft becomes the issued document: taken out here and written whole below,
        // as long as it is still the version that was read (an edit since is not issued
        // unseen). A document built to be issued at once (a note, a payment's invoice) has no
        // row to take out.
        if doc.state == InvoiceState::Draft {
            let gone = sqlx::query(FROM_DRAFT)
                .bind(doc.id.0)
                .bind(doc.org.0)
                .bind(Ts(doc.updated_at))
                .execute(&mut *tx)
                .await?;
            if gone.rows_affected() != 1 {
                tx.rollback().await?;
                return Ok(Outcome::NotADraft);
            }
        }
        sqlx::query(SERIES_START)
            .bind(doc.org.0)
            .bind(doc.kind.as_str())
            .execute(&mut *tx)
            .await?;
        let (number,): (i64,) = sqlx::query_as(SERIES_NEXT)
            .bind(doc.org.0)
            .bind(doc.kind.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let now = Utc::now();
        let issued = doc.clone().issued(number, counter, previous, now);
        sqlx::query(CHAIN_SEAL)
            .bind(doc.org.0)
            .bind(issued.hash.as_deref())
            .execute(&mut *tx)
            .await?;
        insert_invoice!(&issued).execute(&mut *tx).await?;
        if let (DocKind::CreditNote, Some(referenced)) = (issued.kind, issued.references) {
            let credited = sqlx::query(CREDIT)
                .bind(referenced.0)
                .bind(issued.totals.gross)
                .bind(Ts(now))
                .execute(&mut *tx)
                .await?;
            if credited.rows_affected() != 1 {
                tx.rollback().await?;
                return Ok(Outcome::OverCredited);
            }
        }
        insert_domain_event!(tx, &issued_event(&issued))?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Outcome::Issued(Box::new(issued)))
    }
    .await)
    .map_err(port_err)?;
    match outcome {
        Outcome::Issued(doc) => Ok(*doc),
        Outcome::Existing(row) => row.into_invoice(),
        Outcome::NotADraft => Err(PortError::Constraint(NOT_A_DRAFT.to_owned())),
        Outcome::OverCredited => Err(PortError::Constraint(
            nestcms_domain::invoices::ports::OVER_CREDITED.to_owned(),
        )),
    }
}

/// `invoice.issued`, `credit_note.issued` or `debit_note.issued`.
fn issued_event(d: &Invoice) -> DomainEvent {
    DomainEvent::new(
        &format!("{}.issued", d.kind.as_str()),
        d.org,
        d.id.0,
        json!({
            "number": d.label(),
            "total": d.money(d.totals.gross).amount_string(),
            "vat": d.money(d.totals.vat).amount_string(),
            "currency": d.currency.code(),
            "payment_id": d.source.payment.map(|p| p.0),
            "references": d.references.map(|r| r.0),
            "client_id": d.buyer.client.map(|c| c.0),
        }),
    )
}
