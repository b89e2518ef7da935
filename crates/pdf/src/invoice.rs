//! The invoice template's model: a document's facts as the strings printed, with bilingual
//! titles and the VAT summary's labels.

use nestcms_domain::invoices::{
    DocKind, Invoice, InvoiceForm, InvoiceState, Quantity, VatCategory,
};
use nestcms_domain::percent::format_percent;
use serde_json::{Value, json};

fn titles(doc: &Invoice) -> (String, String) {
    let (en, ar) = match (doc.kind, doc.form) {
        (DocKind::Invoice, InvoiceForm::Standard) => ("Tax Invoice", "فاتورة ضريبية"),
        (DocKind::Invoice, InvoiceForm::Simplified) => {
            ("Simplified Tax Invoice", "فاتورة ضريبية مبسطة")
        }
        (DocKind::CreditNote, _) => ("Credit Note", "إشعار دائن"),
        (DocKind::DebitNote, _) => ("Debit Note", "إشعار مدين"),
    };
    if doc.state == InvoiceState::Draft {
        (format!("DRAFT {en}"), format!("مسودة {ar}"))
    } else {
        (en.to_owned(), ar.to_owned())
    }
}

fn category(c: VatCategory, rate: i32) -> String {
    match c {
        VatCategory::Standard => format!("{}% Standard — قياسية", format_percent(rate)),
        VatCategory::ZeroRated => "0% Zero-rated — صفرية".to_owned(),
        VatCategory::Exempt => "Exempt — معفاة".to_owned(),
    }
}

/// The JSON the template reads.
pub(crate) fn model(doc: &Invoice, references: Option<&str>) -> Value {
    let m = |v: i64| doc.money(v).amount_string();
    let (title_en, title_ar) = titles(doc);
    let seller = doc.seller.as_ref();
    let lines: Vec<Value> = doc
        .lines
        .iter()
        .map(|l| {
            json!({
                "description": l.input.description,
                "quantity": Quantity::from_thousandths(l.input.quantity).to_string(),
                "unit_price": m(l.input.unit_price),
                "discount": m(l.input.discount),
                "rate": match l.input.category {
                    VatCategory::Standard => format!("{}%", format_percent(l.input.rate)),
                    VatCategory::ZeroRated => "0%".to_owned(),
                    VatCategory::Exempt => "—".to_owned(),
                },
                "net": m(l.net),
                "vat": m(l.vat),
                "gross": m(l.gross),
            })
        })
        .collect();
    let breakdown: Vec<Value> = doc
        .totals
        .breakdown
        .iter()
        .map(|g| json!({ "label": category(g.category, g.rate), "taxable": m(g.taxable), "vat": m(g.vat) }))
        .collect();
    json!({
        "title_en": title_en,
        "title_ar": title_ar,
        "number": doc.label(),
        "uuid": doc.id.0.to_string(),
        "issued_at": doc.issued_at.map_or_else(|| "—".to_owned(), |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
        "due_on": doc.due_on.map(|d| d.to_string()),
        "references": references,
        "reason": doc.reason,
        "currency": doc.currency.code(),
        "seller": {
            "name_en": seller.map_or("", |s| s.legal_name_en.as_str()),
            "name_ar": seller.map_or("", |s| s.legal_name_ar.as_str()),
            "vat_number": seller.and_then(|s| s.vat_number.clone()),
            "address": seller.map_or_else(String::new, |s| {
                [s.address.street.as_str(), s.address.city.as_str(), s.address.postal_code.as_str(), s.country.as_str()]
                    .iter()
                    .filter(|p| !p.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        },
        "buyer": {
            "name": doc.buyer.name,
            "vat_number": doc.buyer.vat_number,
            "address": doc.buyer.address,
        },
        "lines": lines,
        "breakdown": breakdown,
        "totals": { "net": m(doc.totals.net), "vat": m(doc.totals.vat), "gross": m(doc.totals.gross) },
        "note": doc.note,
    })
}
