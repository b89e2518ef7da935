//! [`InvoiceStore`] for [`Store`]: tax profiles, drafts, and the issue transaction that gives a
//! document its gap-free number and its place in the organization's chain ([`issue`]).

mod export;
mod issue;
mod ledger;
mod rows;

use chrono::{DateTime, Utc};
use nestcms_domain::PortError;
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::invoices::ports::{InvoiceFilter, InvoiceStore};
use nestcms_domain::invoices::{Address, Buyer, Country, Invoice, InvoiceId, TaxProfile};
use nestcms_domain::payments::PaymentId;
use sqlx::types::Json;

use crate::error::port_err;
use crate::identity::unknown;
use crate::time::Ts;
use crate::{Store, read_pool, with_pool};
use rows::{InvoiceRow, invoice_select};

/// A stored currency code.
fn currency(code: &str) -> Result<nestcms_domain::Currency, PortError> {
    code.parse().map_err(|_| unknown("currency", code))
}

/// A stored document kind.
fn doc_kind(kind: &str) -> Result<nestcms_domain::invoices::DocKind, PortError> {
    nestcms_domain::invoices::DocKind::parse(kind).ok_or_else(|| unknown("invoice kind", kind))
}

/// A day's recorded payment placed at noon UTC, after the documents issued that morning.
fn midday(day: chrono::NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc()
}

type ProfileRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    i32,
    bool,
);

const UPDATE_DRAFT: &str = "UPDATE invoices SET kind = $2, form = $3, due_on = $4, currency = $5, prices_include_vat = $6, \
     buyer = $7, client_id = $8, lines = $9, total_net = $10, total_vat = $11, total_gross = $12, breakdown = $13, \
     references_id = $14, reason = $15, note = $16, updated_at = $17 WHERE id = $1 AND state = 'draft'";

#[async_trait::async_trait]
impl InvoiceStore for Store {
    async fn tax_profile(&self, org: OrgId) -> Result<Option<TaxProfile>, PortError> {
        let sql = "SELECT country, legal_name_en, legal_name_ar, vat_number, street, city, postal_code, default_rate, prices_include_vat \
                   FROM tax_profiles WHERE org_id = $1";
        let row: Option<ProfileRow> = with_pool!(self.primary(), |p| sqlx::query_as(sql)
            .bind(org.0)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        row.map(
            |(country, en, ar, vat, street, city, postal_code, rate, incl)| {
                Ok(TaxProfile {
                    country: Country::parse(&country)
                        .ok_or_else(|| unknown("country", &country))?,
                    legal_name_en: en,
                    legal_name_ar: ar,
                    vat_number: vat,
                    address: Address {
                        street,
                        city,
                        postal_code,
                    },
                    default_rate: rate,
                    prices_include_vat: incl,
                })
            },
        )
        .transpose()
    }

    async fn put_tax_profile(
        &self,
        org: OrgId,
        t: &TaxProfile,
        at: DateTime<Utc>,
    ) -> Result<(), PortError> {
        let sql = "INSERT INTO tax_profiles (org_id, country, legal_name_en, legal_name_ar, vat_number, street, city, postal_code, default_rate, prices_include_vat, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (org_id) DO UPDATE SET \
                   country = excluded.country, legal_name_en = excluded.legal_name_en, legal_name_ar = excluded.legal_name_ar, \
                   vat_number = excluded.vat_number, street = excluded.street, city = excluded.city, postal_code = excluded.postal_code, \
                   default_rate = excluded.default_rate, prices_include_vat = excluded.prices_include_vat, updated_at = excluded.updated_at";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(org.0)
            .bind(t.country.as_str())
            .bind(&t.legal_name_en)
            .bind(&t.legal_name_ar)
            .bind(&t.vat_number)
            .bind(&t.address.street)
            .bind(&t.address.city)
            .bind(&t.address.postal_code)
            .bind(t.default_rate)
            .bind(t.prices_include_vat)
            .bind(Ts(at))
            .execute(p)
            .await
            .map(|_| ()))
        .map_err(port_err)
    }

    async fn insert_draft(&self, d: &Invoice) -> Result<(), PortError> {
        with_pool!(self.primary(), |p| rows::insert_invoice!(d)
            .execute(p)
            .await
            .map(|_| ()))
        .map_err(port_err)
    }

    async fn update_draft(&self, d: &Invoice) -> Result<bool, PortError> {
        with_pool!(self.primary(), |p| sqlx::query(UPDATE_DRAFT)
            .bind(d.id.0)
            .bind(d.kind.as_str())
            .bind(d.form.as_str())
            .bind(d.due_on)
            .bind(d.currency.code())
            .bind(d.prices_include_vat)
            .bind(Json(&d.buyer))
            .bind(d.buyer.client.map(|c| c.0))
            .bind(Json(&d.lines))
            .bind(d.totals.net)
            .bind(d.totals.vat)
            .bind(d.totals.gross)
            .bind(Json(&d.totals.breakdown))
            .bind(d.references.map(|r| r.0))
            .bind(&d.reason)
            .bind(&d.note)
            .bind(Ts(d.updated_at))
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1))
        .map_err(port_err)
    }

    async fn delete_draft(&self, org: OrgId, id: InvoiceId) -> Result<bool, PortError> {
        let sql = "DELETE FROM invoices WHERE id = $1 AND org_id = $2 AND state = 'draft'";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(id.0)
            .bind(org.0)
            .execute(p)
            .await
            .map(|r| r.rows_affected() == 1))
        .map_err(port_err)
    }

    async fn issue(&self, doc: &Invoice) -> Result<Invoice, PortError> {
        issue::issue(self, doc).await
    }

    async fn invoice(&self, org: OrgId, id: InvoiceId) -> Result<Option<Invoice>, PortError> {
        let sql = invoice_select!("id = $1 AND org_id = $2");
        let row: Option<InvoiceRow> = with_pool!(self.primary(), |p| sqlx::query_as(sql)
            .bind(id.0)
            .bind(org.0)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        row.map(InvoiceRow::into_invoice).transpose()
    }

    async fn invoices(&self, org: OrgId, f: &InvoiceFilter) -> Result<Vec<Invoice>, PortError> {
        let sql = invoice_select!(
            "org_id = $1 AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR client_id = $3) \
             AND ($4 IS NULL OR id < $4) AND ($6 = 0 OR state <> 'draft') ORDER BY id DESC LIMIT $5"
        );
        let kind = f.kind.map(|k| k.as_str());
        let client = f.client.map(|c| c.0);
        let before = f.before.map(|b| b.0);
        let limit = i64::from(f.limit);
        let rows: Vec<InvoiceRow> = read_pool!(self, |p| sqlx::query_as(sql)
            .bind(org.0)
            .bind(kind)
            .bind(client)
            .bind(before)
            .bind(limit)
            .bind(i32::from(f.issued_only))
            .fetch_all(p)
            .await)
        .await
        .map_err(port_err)?;
        rows.into_iter().map(InvoiceRow::into_invoice).collect()
    }

    async fn document_of_event(
        &self,
        org: OrgId,
        event: uuid::Uuid,
    ) -> Result<Option<Invoice>, PortError> {
        let sql = invoice_select!("source_event = $1 AND org_id = $2");
        let row: Option<InvoiceRow> = with_pool!(self.primary(), |p| sqlx::query_as(sql)
            .bind(event)
            .bind(org.0)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        row.map(InvoiceRow::into_invoice).transpose()
    }

    async fn buyer(&self, client: UserId) -> Result<Option<Buyer>, PortError> {
        let sql = "SELECT full_name FROM users WHERE id = $1";
        let row: Option<(String,)> = with_pool!(self.primary(), |p| sqlx::query_as(sql)
            .bind(client.0)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        Ok(row.map(|(name,)| Buyer {
            name,
            client: Some(client),
            ..Buyer::default()
        }))
    }

    async fn kept_pdf(&self, id: InvoiceId) -> Result<Option<Vec<u8>>, PortError> {
        let sql = "SELECT pdf FROM invoice_pdfs WHERE invoice_id = $1";
        let row: Option<(Vec<u8>,)> = with_pool!(self.primary(), |p| sqlx::query_as(sql)
            .bind(id.0)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        Ok(row.map(|(pdf,)| pdf))
    }

    async fn keep_pdf(
        &self,
        id: InvoiceId,
        pdf: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Vec<u8>, PortError> {
        let sql = "INSERT INTO invoice_pdfs (invoice_id, pdf, created_at) VALUES ($1, $2, $3) ON CONFLICT (invoice_id) DO NOTHING";
        with_pool!(self.primary(), |p| sqlx::query(sql)
            .bind(id.0)
            .bind(pdf)
            .bind(Ts(at))
            .execute(p)
            .await
            .map(|_| ()))
        .map_err(port_err)?;
        self.kept_pdf(id).await?.ok_or(PortError::NotFound)
    }

    async fn record_payment(
        &self,
        p: &nestcms_domain::invoices::InvoicePayment,
    ) -> Result<Invoice, PortError> {
        self.record_invoice_payment(p).await
    }

    async fn ledger(
        &self,
        org: OrgId,
        client: UserId,
    ) -> Result<Vec<nestcms_domain::invoices::statement::LedgerEntry>, PortError> {
        self.client_ledger(org, client).await
    }

    async fn receivables(
        &self,
        org: OrgId,
        as_of: chrono::NaiveDate,
    ) -> Result<Vec<nestcms_domain::invoices::aging::Receivable>, PortError> {
        self.open_documents(org, as_of).await
    }

    async fn issued_between(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Invoice>, PortError> {
        self.documents_issued(org, from, to, limit).await
    }

    async fn received_between(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<nestcms_domain::invoices::export::ReceivedPayment>, PortError> {
        self.payments_received(org, from, to, limit).await
    }

    async fn receipt_facts(
        &self,
        payment: PaymentId,
    ) -> Result<Option<(DateTime<Utc>, String, Option<String>)>, PortError> {
        self.paid_facts(payment.0).await
    }

    async fn credit_notes_of(
        &self,
        org: OrgId,
        invoice: InvoiceId,
    ) -> Result<Vec<Invoice>, PortError> {
        let sql = invoice_select!(
            "org_id = $1 AND references_id = $2 AND kind = 'credit_note' AND state <> 'draft' ORDER BY counter"
        );
        let rows: Vec<InvoiceRow> = with_pool!(self.primary(), |p| sqlx::query_as(sql)
            .bind(org.0)
            .bind(invoice.0)
            .fetch_all(p)
            .await)
        .map_err(port_err)?;
        rows.into_iter().map(InvoiceRow::into_invoice).collect()
    }

    async fn invoice_for_payment(&self, payment: PaymentId) -> Result<Option<Invoice>, PortError> {
        let sql = invoice_select!(
            "payment_id = $1 AND kind = 'invoice' AND state <> 'draft' ORDER BY created_at LIMIT 1"
        );
        let row: Option<InvoiceRow> = with_pool!(self.primary(), |p| sqlx::query_as(sql)
            .bind(payment.0)
            .fetch_optional(p)
            .await)
        .map_err(port_err)?;
        row.map(InvoiceRow::into_invoice).transpose()
    }
}
