//! The rows accountants export: documents issued and payments received in a period.

use chrono::{DateTime, NaiveDate, Utc};
use nestcms_domain::PortError;
use nestcms_domain::identity::OrgId;
use nestcms_domain::invoices::export::ReceivedPayment;
use nestcms_domain::invoices::{Buyer, DocKind, Invoice};
use sqlx::types::Json;
use uuid::Uuid;

use super::rows::{InvoiceRow, invoice_select};
use super::{currency, doc_kind, midday};
use crate::error::port_err;
use crate::time::Ts;
use crate::{Store, read_pool};

type GatewayRow = (
    Ts,
    Uuid,
    Option<String>,
    String,
    String,
    i64,
    i64,
    Option<i64>,
);
type RecordedRow = (
    NaiveDate,
    String,
    String,
    String,
    i64,
    Json<Buyer>,
    String,
    Option<i64>,
);

impl Store {
    pub(super) async fn paid_facts(
        &self,
        payment: Uuid,
    ) -> Result<Option<(DateTime<Utc>, String, Option<String>)>, PortError> {
        let sql = "SELECT MIN(e.created_at), u.full_name, MIN(i.number) FROM payments p JOIN users u ON u.id = p.client_id \
                   JOIN payment_events e ON e.payment_id = p.id AND e.kind = 'state_changed' AND e.detail ->> 'to' = 'paid' \
                   LEFT JOIN invoices i ON i.payment_id = p.id AND i.kind = 'invoice' AND i.state <> 'draft' \
                   WHERE p.id = $1 GROUP BY u.full_name";
        let row: Option<(Ts, String, Option<i64>)> = read_pool!(self, |p| sqlx::query_as(sql)
            .bind(payment)
            .fetch_optional(p)
            .await)
        .await
        .map_err(port_err)?;
        Ok(row.map(|(at, name, n)| (at.0, name, n.map(|n| DocKind::Invoice.number(n)))))
    }

    pub(super) async fn documents_issued(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Invoice>, PortError> {
        let sql = invoice_select!(
            "org_id = $1 AND state <> 'draft' AND issued_at >= $2 AND issued_at < $3 ORDER BY counter LIMIT $4"
        );
        let rows: Vec<InvoiceRow> = read_pool!(self, |p| sqlx::query_as(sql)
            .bind(org.0)
            .bind(Ts(from))
            .bind(Ts(to))
            .bind(i64::from(limit))
            .fetch_all(p)
            .await)
        .await
        .map_err(port_err)?;
        rows.into_iter().map(InvoiceRow::into_invoice).collect()
    }

    pub(super) async fn payments_received(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ReceivedPayment>, PortError> {
        let gateway = "SELECT MIN(e.created_at), p.id, p.tran_ref, u.full_name, p.currency, p.amount_minor, p.refunded_minor, MIN(i.number) \
                       FROM payments p JOIN users u ON u.id = p.client_id \
                       JOIN payment_events e ON e.payment_id = p.id AND e.kind = 'state_changed' AND e.detail ->> 'to' = 'paid' \
                       LEFT JOIN invoices i ON i.payment_id = p.id AND i.kind = 'invoice' AND i.state <> 'draft' \
                       WHERE p.org_id = $1 GROUP BY p.id, p.tran_ref, u.full_name, p.currency, p.amount_minor, p.refunded_minor \
                       HAVING MIN(e.created_at) >= $2 AND MIN(e.created_at) < $3 ORDER BY MIN(e.created_at) LIMIT $4";
        let recorded = "SELECT ip.paid_on, ip.reference, ip.method, i.currency, ip.amount_minor, i.buyer, i.kind, i.number \
                        FROM invoice_payments ip JOIN invoices i ON i.id = ip.invoice_id \
                        WHERE ip.org_id = $1 AND ip.paid_on >= $2 AND ip.paid_on < $3 ORDER BY ip.paid_on, ip.id LIMIT $4";
        let (o, l) = (org.0, i64::from(limit));
        let (first, last) = (from.date_naive(), to.date_naive());
        let (g, r): (Vec<GatewayRow>, Vec<RecordedRow>) = read_pool!(self, |p| async {
            Ok::<_, sqlx::Error>((
                sqlx::query_as(gateway)
                    .bind(o)
                    .bind(Ts(from))
                    .bind(Ts(to))
                    .bind(l)
                    .fetch_all(p)
                    .await?,
                sqlx::query_as(recorded)
                    .bind(o)
                    .bind(first)
                    .bind(last)
                    .bind(l)
                    .fetch_all(p)
                    .await?,
            ))
        }
        .await)
        .await
        .map_err(port_err)?;
        let mut out = Vec::with_capacity(g.len() + r.len());
        for (at, id, tran_ref, payer, cur, amount, refunded, invoice) in g {
            out.push(ReceivedPayment {
                at: at.0,
                source: "gateway",
                reference: tran_ref.unwrap_or_else(|| id.to_string()),
                payer,
                currency: currency(&cur)?,
                amount,
                refunded,
                method: "card".to_owned(),
                invoice: invoice.map(|n| DocKind::Invoice.number(n)),
            });
        }
        for (day, reference, method, cur, amount, buyer, kind, n) in r {
            let kind = doc_kind(&kind)?;
            out.push(ReceivedPayment {
                at: midday(day),
                source: "recorded",
                reference,
                payer: buyer.0.name,
                currency: currency(&cur)?,
                amount,
                refunded: 0,
                method,
                invoice: n.map(|n| kind.number(n)),
            });
        }
        out.sort_by_key(|p| p.at);
        out.truncate(limit as usize);
        Ok(out)
    }
}
