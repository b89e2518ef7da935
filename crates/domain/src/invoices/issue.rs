//! The documents NestCMS writes by itself: the invoice for a paid payment and the credit note
//! for a settled refund, built from what was paid so they tie out to the minor unit.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::lines::{self, Line, LineError, LineInput, VatCategory};
use super::model::{Buyer, DocKind, Invoice, InvoiceForm, InvoiceId, InvoiceState, Source};
use super::tax::TaxProfile;
use crate::payments::Payment;

/// The form a buyer's invoice takes: standard when they gave a VAT number.
pub fn form_for(buyer: &Buyer) -> InvoiceForm {
    if buyer.vat_number.is_some() {
        InvoiceForm::Standard
    } else {
        InvoiceForm::Simplified
    }
}

/// A draft with no lines yet.
pub fn blank(
    org: crate::identity::OrgId,
    kind: DocKind,
    currency: crate::Currency,
    prices_include_vat: bool,
    buyer: Buyer,
    at: DateTime<Utc>,
) -> Invoice {
    Invoice {
        id: InvoiceId::new(),
        org,
        kind,
        form: form_for(&buyer),
        state: InvoiceState::Draft,
        number: None,
        counter: None,
        previous_hash: None,
        hash: None,
        issued_at: None,
        due_on: None,
        currency,
        prices_include_vat,
        seller: None,
        buyer,
        lines: Vec::new(),
        totals: lines::Totals::default(),
        paid: 0,
        credited: 0,
        source: Source::default(),
        references: None,
        reason: None,
        note: String::new(),
        created_by: None,
        created_at: at,
        updated_at: at,
    }
}

/// Gives a document its lines and their totals.
pub fn set_lines(doc: &mut Invoice, inputs: Vec<LineInput>) -> Result<(), LineError> {
    let computed: Vec<Line> = inputs
        .into_iter()
        .map(|l| lines::compute(l, doc.prices_include_vat))
        .collect::<Result<_, _>>()?;
    doc.totals = lines::totals(&computed)?;
    doc.lines = computed;
    Ok(())
}

/// The invoice for a paid payment: one line, the amount paid with VAT included at the
/// seller's default rate, already paid.
pub fn for_payment(
    pay: &Payment,
    seller: &TaxProfile,
    buyer: Buyer,
    description: String,
    event: Uuid,
    at: DateTime<Utc>,
) -> Result<Invoice, LineError> {
    let mut doc = blank(
        pay.org_id,
        DocKind::Invoice,
        pay.amount.currency(),
        true,
        buyer,
        at,
    );
    set_lines(
        &mut doc,
        vec![LineInput {
            description,
            quantity: 1000,
            unit_price: pay.amount.minor(),
            discount: 0,
            category: VatCategory::Standard,
            rate: seller.default_rate,
        }],
    )?;
    doc.seller = Some(seller.clone());
    doc.paid = doc.totals.gross;
    doc.source = Source {
        payment: Some(pay.id),
        contract: pay.contract_id,
        instalment_seq: pay.instalment_seq,
        event: Some(event),
    };
    Ok(doc)
}

/// A credit note taking `amount` (minor units) off `invoice`: its lines again when the
/// whole of an uncredited invoice is credited, else one line with VAT included at the rate
/// most of the invoice carries.
pub fn credit_note(
    invoice: &Invoice,
    amount: i64,
    reason: String,
    event: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<Invoice, LineError> {
    let mut doc = blank(
        invoice.org,
        DocKind::CreditNote,
        invoice.currency,
        invoice.prices_include_vat,
        invoice.buyer.clone(),
        at,
    );
    doc.form = invoice.form;
    if invoice.credited == 0 && amount == invoice.totals.gross {
        doc.lines = invoice.lines.clone();
        doc.totals = invoice.totals.clone();
    } else {
        let main = invoice
            .totals
            .breakdown
            .iter()
            .max_by_key(|g| g.taxable)
            .map_or((VatCategory::Standard, 0), |g| (g.category, g.rate));
        doc.prices_include_vat = true;
        set_lines(
            &mut doc,
            vec![LineInput {
                description: reason.clone(),
                quantity: 1000,
                unit_price: amount,
                discount: 0,
                category: main.0,
                rate: main.1,
            }],
        )?;
    }
    doc.seller = invoice.seller.clone();
    doc.references = Some(invoice.id);
    doc.reason = Some(reason);
    doc.source = Source {
        payment: invoice.source.payment,
        contract: invoice.source.contract,
        instalment_seq: invoice.source.instalment_seq,
        event,
    };
    Ok(doc)
}
