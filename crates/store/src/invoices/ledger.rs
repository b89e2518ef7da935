//! What statements, aging and recorded payments read and write: the movements of a client's
//! balance gathered from documents, gateway payments, refunds and recorded payments, and the
//! documents of an organization open on a given day.
//!
//! A gateway payment (and its refunds) counts on a statement once it has its invoice: a payment
//! never invoiced (made before invoicing was set up) settles nothing the statement shows, and
//! listing it alone would leave the client in credit.

use chrono::NaiveDate;
use nestcms_domain::PortError;
use nestcms_domain::events::DomainEvent;
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::invoices::aging::Receivable;
use nestcms_domain::invoices::ports::NOT_PAYABLE;
use nestcms_domain::invoices::statement::{EntryKind, LedgerEntry};
use nestcms_domain::invoices::{Buyer, DocKind, Invoice, InvoicePayment, Line};
use serde_json::json;
use sqlx::types::Json;
use uuid::Uuid;

use super::rows::{InvoiceRow, invoice_select};
use super::{currency, doc_kind, midday};
use crate::error::port_err;
use crate::events::insert_domain_event;
use crate::time::Ts;
use crate::{Store, read_pool, with_pool};

const PAY: &str = "UPDATE invoices SET paid = paid + $3, updated_at = $4, state = CASE \
     WHEN paid + credited + $3 >= total_gross THEN 'paid' ELSE 'partially_paid' END \
     WHERE id = $1 AND org_id = $2 AND kind IN ('invoice', 'debit_note') \
     AND state IN ('issued', 'partially_paid') AND paid + credited + $3 <= total_gross";
const INSERT_PAYMENT: &str = "INSERT INTO invoice_payments (id, invoice_id, org_id, amount_minor, method, reference, paid_on, recorded_by, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

type DocRow = (
    Ts,
    String,
    Option<i64>,
    i64,
    String,
    Option<String>,
    Json<Vec<Line>>,
);
type PayRow = (Ts, Uuid, Option<String>, i64, String, String);
type RefundRow = (Ts, Option<String>, i64, String, String);
type ManualRow = (NaiveDate, i64, String, String, String, String, Option<i64>);
type OpenRow = (
    Option<Uuid>,
    Json<Buyer>,
    Option<NaiveDate>,
    Ts,
    String,
    i64,
);

impl Store {
    pub(super) async fn record_invoice_payment(
        &self,
        p: &InvoicePayment,
    ) -> Result<Invoice, PortError> {
        let sql = invoice_select!("id = $1");
        let paid = with_pool!(self.primary(), |db| async {
            let mut tx = db.begin().await?;
            let moved = sqlx::query(PAY)
                .bind(p.invoice.0)
                .bind(p.org.0)
                .bind(p.amount)
                .bind(Ts(p.created_at))
                .execute(&mut *tx)
                .await?;
            if moved.rows_affected() != 1 {
                tx.rollback().await?;
                return Ok(None);
            }
            sqlx::query(INSERT_PAYMENT)
                .bind(p.id)
                .bind(p.invoice.0)
                .bind(p.org.0)
                .bind(p.amount)
                .bind(p.method.as_str())
                .bind(&p.reference)
                .bind(p.paid_on)
                .bind(p.recorded_by.0)
                .bind(Ts(p.created_at))
                .execute(&mut *tx)
                .await?;
            let row: InvoiceRow = sqlx::query_as(sql).bind(p.invoice.0).fetch_one(&mut *tx).await?;
            let event = DomainEvent::new(
                "invoice.payment_recorded",
                p.org,
                p.invoice.0,
                json!({ "payment_id": p.id, "amount_minor": p.amount, "method": p.method.as_str(), "paid_on": p.paid_on }),
            );
            insert_domain_event!(tx, &event)?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Some(row))
        }
        .await)
        .map_err(port_err)?;
        match paid {
            Some(row) => row.into_invoice(),
            None => Err(PortError::Constraint(NOT_PAYABLE.to_owned())),
        }
    }

    pub(super) async fn client_ledger(
        &self,
        org: OrgId,
        client: UserId,
    ) -> Result<Vec<LedgerEntry>, PortError> {
        let docs_sql = "SELECT issued_at, kind, number, total_gross, currency, reason, lines FROM invoices \
                        WHERE org_id = $1 AND client_id = $2 AND state <> 'draft'";
        let pays_sql = "SELECT MIN(e.created_at), p.id, p.tran_ref, p.amount_minor, p.currency, p.description FROM payments p \
                        JOIN payment_events e ON e.payment_id = p.id AND e.kind = 'state_changed' AND e.detail ->> 'to' = 'paid' \
                        WHERE p.org_id = $1 AND p.client_id = $2 AND EXISTS (SELECT 1 FROM invoices i WHERE i.payment_id = p.id \
                        AND i.kind = 'invoice' AND i.state <> 'draft') GROUP BY p.id, p.tran_ref, p.amount_minor, p.currency, p.description";
        let refunds_sql = "SELECT r.settled_at, r.tran_ref, r.amount_minor, p.currency, r.reason FROM refunds r \
                           JOIN payments p ON p.id = r.payment_id \
                           WHERE p.org_id = $1 AND p.client_id = $2 AND r.state = 'succeeded' AND r.settled_at IS NOT NULL \
                           AND EXISTS (SELECT 1 FROM invoices i WHERE i.payment_id = p.id AND i.kind = 'invoice' AND i.state <> 'draft')";
        let manual_sql = "SELECT ip.paid_on, ip.amount_minor, i.currency, ip.method, ip.reference, i.kind, i.number \
                          FROM invoice_payments ip JOIN invoices i ON i.id = ip.invoice_id WHERE ip.org_id = $1 AND i.client_id = $2";
        let (o, c) = (org.0, client.0);
        let (docs, pays, refunds, manual): (
            Vec<DocRow>,
            Vec<PayRow>,
            Vec<RefundRow>,
            Vec<ManualRow>,
        ) = with_pool!(self.primary(), |p| async {
            Ok::<_, sqlx::Error>((
                sqlx::query_as(docs_sql)
                    .bind(o)
                    .bind(c)
                    .fetch_all(p)
                    .await?,
                sqlx::query_as(pays_sql)
                    .bind(o)
                    .bind(c)
                    .fetch_all(p)
                    .await?,
                sqlx::query_as(refunds_sql)
                    .bind(o)
                    .bind(c)
                    .fetch_all(p)
                    .await?,
                sqlx::query_as(manual_sql)
                    .bind(o)
                    .bind(c)
                    .fetch_all(p)
                    .await?,
            ))
        }
        .await)
        .map_err(port_err)?;
        let mut out = Vec::new();
        for (at, kind, number, gross, cur, reason, lines) in docs {
            let k = doc_kind(&kind)?;
            let reference = k.number(number.unwrap_or(0));
            out.push(LedgerEntry {
                at: at.0,
                kind: match k {
                    DocKind::Invoice => EntryKind::Invoice,
                    DocKind::CreditNote => EntryKind::CreditNote,
                    DocKind::DebitNote => EntryKind::DebitNote,
                },
                reference,
                description: reason
                    .or_else(|| lines.0.first().map(|l| l.input.description.clone()))
                    .unwrap_or_default(),
                currency: currency(&cur)?,
                amount: gross,
            });
        }
        for (at, id, tran_ref, amount, cur, description) in pays {
            out.push(LedgerEntry {
                at: at.0,
                kind: EntryKind::Payment,
                reference: tran_ref.unwrap_or_else(|| id.to_string()),
                description,
                currency: currency(&cur)?,
                amount,
            });
        }
        for (at, tran_ref, amount, cur, reason) in refunds {
            out.push(LedgerEntry {
                at: at.0,
                kind: EntryKind::Refund,
                reference: tran_ref.unwrap_or_default(),
                description: reason,
                currency: currency(&cur)?,
                amount,
            });
        }
        for (day, amount, cur, method, reference, kind, number) in manual {
            let doc = doc_kind(&kind)?.number(number.unwrap_or(0));
            out.push(LedgerEntry {
                at: midday(day),
                kind: EntryKind::Payment,
                reference: if reference.is_empty() {
                    doc.clone()
                } else {
                    reference
                },
                description: format!("{method} against {doc}"),
                currency: currency(&cur)?,
                amount,
            });
        }
        Ok(out)
    }

    pub(super) async fn open_documents(
        &self,
        org: OrgId,
        as_of: NaiveDate,
    ) -> Result<Vec<Receivable>, PortError> {
        // What each invoice and debit note issued by the end of `as_of` still owed that day:
        // its total, less what the gateway paid at issue (all it was paid beyond recorded
        // payments), the payments recorded by then and the credit notes issued by then.
        let sql = "SELECT i.client_id, i.buyer, i.due_on, i.issued_at, i.currency, CAST(i.total_gross \
                   - (i.paid - COALESCE((SELECT SUM(ip.amount_minor) FROM invoice_payments ip WHERE ip.invoice_id = i.id), 0)) \
                   - COALESCE((SELECT SUM(ip.amount_minor) FROM invoice_payments ip WHERE ip.invoice_id = i.id AND ip.paid_on <= $2), 0) \
                   - COALESCE((SELECT SUM(n.total_gross) FROM invoices n WHERE n.references_id = i.id AND n.kind = 'credit_note' \
                   AND n.state <> 'draft' AND n.issued_at < $3), 0) AS BIGINT) \
                   FROM invoices i WHERE i.org_id = $1 AND i.kind IN ('invoice', 'debit_note') AND i.state <> 'draft' AND i.issued_at < $3";
        let end = Ts((as_of + chrono::Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc());
        let rows: Vec<OpenRow> = read_pool!(self, |p| sqlx::query_as(sql)
            .bind(org.0)
            .bind(as_of)
            .bind(end)
            .fetch_all(p)
            .await)
        .await
        .map_err(port_err)?;
        rows.into_iter()
            .filter(|r| r.5 > 0)
            .map(|(client, buyer, due, issued, cur, balance)| {
                Ok(Receivable {
                    client: client.map(UserId),
                    buyer: buyer.0.name,
                    due: due.unwrap_or_else(|| issued.0.date_naive()),
                    currency: currency(&cur)?,
                    balance,
                })
            })
            .collect()
    }
}
