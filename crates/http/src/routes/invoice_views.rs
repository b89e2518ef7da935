//! How an invoice or note is shown: amounts as decimal strings of its currency, rates as
//! percentages, and the ZATCA QR payload.

use chrono::{DateTime, NaiveDate, Utc};
use nestcms_domain::invoices::{Invoice, Line, Quantity, VatGroup};
use nestcms_domain::percent::format_percent;
use serde::Serialize;
use utoipa::ToSchema;

use crate::routes::tax_profile::TaxProfileResponse;

/// One line.
#[derive(Serialize, ToSchema)]
pub struct LineResponse {
    description: String,
    quantity: String,
    unit_price: String,
    discount: String,
    /// `standard`, `zero_rated` or `exempt`.
    vat_category: &'static str,
    /// Percentage.
    vat_rate: String,
    net: String,
    vat: String,
    gross: String,
}

/// VAT of one category and rate.
#[derive(Serialize, ToSchema)]
pub struct VatGroupResponse {
    vat_category: &'static str,
    vat_rate: String,
    taxable: String,
    vat: String,
}

/// Who is invoiced.
#[derive(Serialize, ToSchema)]
pub struct BuyerResponse {
    name: String,
    vat_number: Option<String>,
    address: Option<String>,
    client_id: Option<uuid::Uuid>,
}

/// An invoice, credit note or debit note.
#[derive(Serialize, ToSchema)]
pub struct InvoiceResponse {
    /// Also its ZATCA UUID.
    id: uuid::Uuid,
    /// `invoice`, `credit_note` or `debit_note`.
    kind: &'static str,
    /// `standard` (B2B) or `simplified` (B2C).
    form: &'static str,
    /// `draft`, `issued`, `partially_paid`, `paid` or `void`.
    state: &'static str,
    /// `INV-000042`, `CN-000003`, or `DRAFT`.
    number: String,
    /// Its place in the organization's chain of documents (ZATCA ICV).
    counter: Option<i64>,
    /// Base64 SHA-256 of the document before it in the chain.
    previous_hash: Option<String>,
    /// Base64 SHA-256 of this document.
    hash: Option<String>,
    issued_at: Option<DateTime<Utc>>,
    due_on: Option<NaiveDate>,
    currency: &'static str,
    prices_include_vat: bool,
    /// The seller as it stood at issue.
    seller: Option<TaxProfileResponse>,
    buyer: BuyerResponse,
    lines: Vec<LineResponse>,
    net: String,
    vat: String,
    gross: String,
    vat_breakdown: Vec<VatGroupResponse>,
    paid: String,
    credited: String,
    balance: String,
    /// The ZATCA phase-1 QR payload (base64 TLV), on issued documents of a VAT-registered seller.
    qr: Option<String>,
    payment_id: Option<uuid::Uuid>,
    contract_id: Option<uuid::Uuid>,
    instalment_seq: Option<u32>,
    /// The invoice a note corrects.
    references: Option<uuid::Uuid>,
    reason: Option<String>,
    note: String,
    created_at: DateTime<Utc>,
}

fn percent(category: nestcms_domain::invoices::VatCategory, rate: i32) -> (&'static str, String) {
    use nestcms_domain::invoices::VatCategory::*;
    let name = match category {
        Standard => "standard",
        ZeroRated => "zero_rated",
        Exempt => "exempt",
    };
    (name, format_percent(rate))
}

impl From<&Invoice> for InvoiceResponse {
    fn from(d: &Invoice) -> Self {
        let m = |v: i64| d.money(v).amount_string();
        let line = |l: &Line| {
            let (vat_category, vat_rate) = percent(l.input.category, l.input.rate);
            LineResponse {
                description: l.input.description.clone(),
                quantity: Quantity::from_thousandths(l.input.quantity).to_string(),
                unit_price: m(l.input.unit_price),
                discount: m(l.input.discount),
                vat_category,
                vat_rate,
                net: m(l.net),
                vat: m(l.vat),
                gross: m(l.gross),
            }
        };
        let group = |g: &VatGroup| {
            let (vat_category, vat_rate) = percent(g.category, g.rate);
            VatGroupResponse {
                vat_category,
                vat_rate,
                taxable: m(g.taxable),
                vat: m(g.vat),
            }
        };
        Self {
            id: d.id.0,
            kind: d.kind.as_str(),
            form: d.form.as_str(),
            state: d.state.as_str(),
            number: d.label(),
            counter: d.counter,
            previous_hash: d.previous_hash.clone(),
            hash: d.hash.clone(),
            issued_at: d.issued_at,
            due_on: d.due_on,
            currency: d.currency.code(),
            prices_include_vat: d.prices_include_vat,
            seller: d.seller.as_ref().map(Into::into),
            buyer: BuyerResponse {
                name: d.buyer.name.clone(),
                vat_number: d.buyer.vat_number.clone(),
                address: d.buyer.address.clone(),
                client_id: d.buyer.client.map(|c| c.0),
            },
            lines: d.lines.iter().map(line).collect(),
            net: m(d.totals.net),
            vat: m(d.totals.vat),
            gross: m(d.totals.gross),
            vat_breakdown: d.totals.breakdown.iter().map(group).collect(),
            paid: m(d.paid),
            credited: m(d.credited),
            balance: m(d.balance()),
            qr: d.qr().ok().flatten(),
            payment_id: d.source.payment.map(|p| p.0),
            contract_id: d.source.contract.map(|c| c.0),
            instalment_seq: d.source.instalment_seq,
            references: d.references.map(|r| r.0),
            reason: d.reason.clone(),
            note: d.note.clone(),
            created_at: d.created_at,
        }
    }
}

/// A page of documents.
#[derive(Serialize, ToSchema)]
pub struct InvoiceList {
    /// Newest first.
    pub data: Vec<InvoiceResponse>,
}
