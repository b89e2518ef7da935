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
    doc.state = InvoiceState::Issued;
    doc.paid = doc.totals.gross;
    doc.source = Source {
        payment: Some(pay.id),
        contract: pay.contract_id,
        instalment_seq: pay.instalment_seq,
        event: Some(event),
    };
    Ok(doc)
}

/// What is left to credit of an invoice, per VAT category and rate, after its earlier notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Left {
    category: VatCategory,
    rate: i32,
    gross: i64,
    vat: i64,
}

fn left_to_credit(invoice: &Invoice, prior: &[Invoice]) -> Vec<Left> {
    let key = |l: &Line| {
        let rate = if l.input.category == VatCategory::Standard {
            l.input.rate
        } else {
            0
        };
        (l.input.category, rate)
    };
    let mut left: Vec<Left> = Vec::new();
    for (sign, l) in invoice
        .lines
        .iter()
        .map(|l| (1, l))
        .chain(prior.iter().flat_map(|n| n.lines.iter().map(|l| (-1, l))))
    {
        let (category, rate) = key(l);
        match left
            .iter_mut()
            .find(|g| g.category == category && g.rate == rate)
        {
            Some(g) => {
                g.gross += sign * l.gross;
                g.vat += sign * l.vat;
            }
            None => left.push(Left {
                category,
                rate,
                gross: sign * l.gross,
                vat: sign * l.vat,
            }),
        }
    }
    left.retain(|g| g.gross > 0);
    left
}

/// A credit note taking `amount` (minor units, VAT included) off `invoice`, after its earlier
/// notes `prior`. The whole of an uncredited invoice is credited with its own lines; all that
/// is left, with one line per VAT category and rate carrying exactly the VAT left there (so
/// the notes' VAT adds up to the invoice's); a part, spread over what is left of each category
/// and rate in proportion, VAT included and rounded per line.
pub fn credit_note(
    invoice: &Invoice,
    prior: &[Invoice],
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
    let left = left_to_credit(invoice, prior);
    let all_left: i64 = left.iter().map(|g| g.gross).sum();
    let line = |gross: i64, g: &Left| LineInput {
        description: reason.clone(),
        quantity: 1000,
        unit_price: gross,
        discount: 0,
        category: g.category,
        rate: g.rate,
    };
    if amount <= 0 || amount > all_left {
        return Err(LineError::TooLarge);
    }
    if prior.is_empty() && amount == invoice.totals.gross {
        doc.lines = invoice.lines.clone();
        doc.totals = invoice.totals.clone();
    } else if amount == all_left {
        doc.prices_include_vat = true;
        doc.lines = left
            .iter()
            .map(|g| Line {
                input: line(g.gross, g),
                net: g.gross - g.vat,
                vat: g.vat,
                gross: g.gross,
            })
            .collect();
        doc.totals = lines::totals(&doc.lines)?;
    } else {
        doc.prices_include_vat = true;
        let mut shares: Vec<i64> = left
            .iter()
            .map(|g| {
                let share = i128::from(amount) * i128::from(g.gross) / i128::from(all_left);
                i64::try_from(share).unwrap_or(0)
            })
            .collect();
        // What flooring left over goes to the largest group.
        let rest = amount - shares.iter().sum::<i64>();
        if let Some(i) = (0..left.len()).max_by_key(|i| left[*i].gross) {
            shares[i] += rest;
        }
        let inputs = left
            .iter()
            .zip(shares)
            .filter(|(_, s)| *s > 0)
            .map(|(g, s)| line(s, g))
            .collect();
        set_lines(&mut doc, inputs)?;
    }
    doc.seller = invoice.seller.clone();
    doc.state = InvoiceState::Issued;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::OrgId;

    fn invoice() -> Invoice {
        let at = Utc::now();
        let mut d = blank(
            OrgId(Uuid::now_v7()),
            DocKind::Invoice,
            crate::Currency::Sar,
            true,
            Buyer::default(),
            at,
        );
        let line = |unit_price, category, rate| LineInput {
            description: "x".to_owned(),
            quantity: 1000,
            unit_price,
            discount: 0,
            category,
            rate,
        };
        set_lines(
            &mut d,
            vec![
                line(115_000, VatCategory::Standard, 1500),
                line(200_000, VatCategory::Exempt, 0),
            ],
        )
        .unwrap();
        d
    }

    /// 1,150.00 at 15 % (VAT 150.00) and 2,000.00 exempt: 100.00 credited first, then the
    /// 3,050.00 left. Each note spreads over both categories, and together they reverse
    /// exactly the invoice's VAT and amount.
    #[test]
    fn credit_notes_reverse_each_rate_and_add_up_to_the_invoice() {
        let inv = invoice();
        assert_eq!((inv.totals.gross, inv.totals.vat), (315_000, 15_000));
        let first = credit_note(&inv, &[], 10_000, "part".to_owned(), None, Utc::now()).unwrap();
        assert_eq!(first.totals.gross, 10_000);
        // 100.00 × 1150/3150 = 36.50 (of which VAT 4.76) and 63.50 exempt.
        let parts: Vec<(i64, i64)> = first.lines.iter().map(|l| (l.gross, l.vat)).collect();
        assert_eq!(parts, [(3_650, 476), (6_350, 0)]);
        let rest = credit_note(
            &inv,
            std::slice::from_ref(&first),
            305_000,
            "rest".to_owned(),
            None,
            Utc::now(),
        )
        .unwrap();
        assert_eq!(rest.totals.gross, 305_000);
        assert_eq!(
            first.totals.vat + rest.totals.vat,
            inv.totals.vat,
            "the notes reverse all the VAT"
        );
        for (category, rate) in [(VatCategory::Standard, 1500), (VatCategory::Exempt, 0)] {
            let sum = |d: &Invoice| -> i64 {
                d.totals
                    .breakdown
                    .iter()
                    .filter(|g| g.category == category && g.rate == rate)
                    .map(|g| g.taxable + g.vat)
                    .sum()
            };
            assert_eq!(sum(&first) + sum(&rest), sum(&inv), "{category:?}");
        }
        assert_eq!(
            credit_note(&inv, &[first, rest], 1, "more".to_owned(), None, Utc::now()),
            Err(LineError::TooLarge),
            "nothing is left"
        );
    }
}
