//! The `invoices` row and its conversions.

use nestcms_domain::PortError;
use nestcms_domain::construction::ContractId;
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::invoices::{
    Buyer, DocKind, Invoice, InvoiceForm, InvoiceId, InvoiceState, Line, Source, TaxProfile,
    Totals, VatGroup,
};
use nestcms_domain::payments::PaymentId;
use sqlx::types::Json;
use uuid::Uuid;

use crate::identity::unknown;
use crate::time::Ts;

/// The select of whole documents, with a condition (a literal) after `WHERE`.
macro_rules! invoice_select {
    ($cond:literal) => {
        concat!(
            "SELECT id, org_id, kind, form, state, number, counter, previous_hash, hash, issued_at, due_on, \
     currency, prices_include_vat, seller, buyer, lines, total_net, total_vat, total_gross, breakdown, paid, credited, \
     payment_id, contract_id, instalment_seq, source_event, references_id, reason, note, created_by, created_at, updated_at FROM invoices WHERE ",
            $cond
        )
    };
}
pub(super) use invoice_select;

pub(super) const INSERT: &str = "INSERT INTO invoices (id, org_id, kind, form, state, number, counter, previous_hash, hash, issued_at, due_on, \
     currency, prices_include_vat, seller, buyer, client_id, lines, total_net, total_vat, total_gross, breakdown, paid, credited, \
     payment_id, contract_id, instalment_seq, source_event, references_id, reason, note, created_by, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)";

/// The insert of a whole document, draft or issued, as a query for whichever backend the
/// surrounding [`crate::with_pool!`] arm binds.
macro_rules! insert_invoice {
    ($d:expr) => {{
        let d: &nestcms_domain::invoices::Invoice = $d;
        sqlx::query($crate::invoices::rows::INSERT)
            .bind(d.id.0)
            .bind(d.org.0)
            .bind(d.kind.as_str())
            .bind(d.form.as_str())
            .bind(d.state.as_str())
            .bind(d.number)
            .bind(d.counter)
            .bind(d.previous_hash.as_ref())
            .bind(d.hash.as_ref())
            .bind(d.issued_at.map($crate::time::Ts))
            .bind(d.due_on)
            .bind(d.currency.code())
            .bind(d.prices_include_vat)
            .bind(d.seller.as_ref().map(sqlx::types::Json))
            .bind(sqlx::types::Json(&d.buyer))
            .bind(d.buyer.client.map(|c| c.0))
            .bind(sqlx::types::Json(&d.lines))
            .bind(d.totals.net)
            .bind(d.totals.vat)
            .bind(d.totals.gross)
            .bind(sqlx::types::Json(&d.totals.breakdown))
            .bind(d.paid)
            .bind(d.credited)
            .bind(d.source.payment.map(|p| p.0))
            .bind(d.source.contract.map(|c| c.0))
            .bind(d.source.instalment_seq.and_then(|s| i32::try_from(s).ok()))
            .bind(d.source.event)
            .bind(d.references.map(|r| r.0))
            .bind(d.reason.as_ref())
            .bind(d.note.clone())
            .bind(d.created_by.map(|u| u.0))
            .bind($crate::time::Ts(d.created_at))
            .bind($crate::time::Ts(d.updated_at))
    }};
}
pub(super) use insert_invoice;

#[derive(sqlx::FromRow)]
pub(super) struct InvoiceRow {
    id: Uuid,
    org_id: Uuid,
    kind: String,
    form: String,
    state: String,
    number: Option<i64>,
    counter: Option<i64>,
    previous_hash: Option<String>,
    hash: Option<String>,
    issued_at: Option<Ts>,
    due_on: Option<chrono::NaiveDate>,
    currency: String,
    prices_include_vat: bool,
    seller: Option<Json<TaxProfile>>,
    buyer: Json<Buyer>,
    lines: Json<Vec<Line>>,
    total_net: i64,
    total_vat: i64,
    total_gross: i64,
    breakdown: Json<Vec<VatGroup>>,
    paid: i64,
    credited: i64,
    payment_id: Option<Uuid>,
    contract_id: Option<Uuid>,
    instalment_seq: Option<i32>,
    source_event: Option<Uuid>,
    references_id: Option<Uuid>,
    reason: Option<String>,
    note: String,
    created_by: Option<Uuid>,
    created_at: Ts,
    updated_at: Ts,
}

impl InvoiceRow {
    pub(super) fn into_invoice(self) -> Result<Invoice, PortError> {
        Ok(Invoice {
            id: InvoiceId(self.id),
            org: OrgId(self.org_id),
            kind: DocKind::parse(&self.kind).ok_or_else(|| unknown("invoice kind", &self.kind))?,
            form: InvoiceForm::parse(&self.form)
                .ok_or_else(|| unknown("invoice form", &self.form))?,
            state: InvoiceState::parse(&self.state)
                .ok_or_else(|| unknown("invoice state", &self.state))?,
            number: self.number,
            counter: self.counter,
            previous_hash: self.previous_hash,
            hash: self.hash,
            issued_at: self.issued_at.map(|t| t.0),
            due_on: self.due_on,
            currency: self
                .currency
                .parse()
                .map_err(|_| unknown("currency", &self.currency))?,
            prices_include_vat: self.prices_include_vat,
            seller: self.seller.map(|j| j.0),
            buyer: self.buyer.0,
            lines: self.lines.0,
            totals: Totals {
                net: self.total_net,
                vat: self.total_vat,
                gross: self.total_gross,
                breakdown: self.breakdown.0,
            },
            paid: self.paid,
            credited: self.credited,
            source: Source {
                payment: self.payment_id.map(PaymentId),
                contract: self.contract_id.map(ContractId),
                instalment_seq: self.instalment_seq.and_then(|s| u32::try_from(s).ok()),
                event: self.source_event,
            },
            references: self.references_id.map(InvoiceId),
            reason: self.reason,
            note: self.note,
            created_by: self.created_by.map(UserId),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}
