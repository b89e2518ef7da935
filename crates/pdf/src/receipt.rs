//! The receipt template's model.

use nestcms_domain::invoices::ports::ReceiptDoc;
use serde_json::{Value, json};

/// The JSON the template reads.
pub(crate) fn model(doc: &ReceiptDoc) -> Value {
    let seller = doc.seller.as_ref();
    json!({
        "seller_en": seller.map_or(doc.org_name.as_str(), |s| s.legal_name_en.as_str()),
        "seller_ar": seller.map_or("", |s| s.legal_name_ar.as_str()),
        "vat_number": seller.and_then(|s| s.vat_number.clone()),
        "payer": doc.payer,
        "amount": doc.amount.amount_string(),
        "currency": doc.amount.currency().code(),
        "description": doc.description,
        "paid_at": doc.paid_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        "reference": doc.reference,
        "invoice": doc.invoice,
        "refunded": (doc.refunded.minor() > 0).then(|| doc.refunded.amount_string()),
        "payment": doc.payment.to_string(),
    })
}
