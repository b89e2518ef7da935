//! The statement template's model.

use nestcms_domain::Money;
use nestcms_domain::invoices::ports::StatementDoc;
use serde_json::{Value, json};

/// The JSON the template reads.
pub(crate) fn model(doc: &StatementDoc) -> Value {
    let statements: Vec<Value> = doc
        .statements
        .iter()
        .map(|s| {
            let m = |v: i64| Money::from_minor(v, s.currency).amount_string();
            let lines: Vec<Value> = s
                .lines
                .iter()
                .map(|l| {
                    let (debit, credit) = if l.entry.kind.is_debit() {
                        (m(l.entry.amount), String::new())
                    } else {
                        (String::new(), m(l.entry.amount))
                    };
                    json!({
                        "date": l.entry.at.date_naive().to_string(),
                        "reference": l.entry.reference,
                        "description": l.entry.description,
                        "debit": debit,
                        "credit": credit,
                        "balance": m(l.balance),
                    })
                })
                .collect();
            json!({
                "currency": s.currency.code(),
                "opening": m(s.opening),
                "debits": m(s.debits),
                "credits": m(s.credits),
                "closing": m(s.closing),
                "lines": lines,
            })
        })
        .collect();
    let seller = doc.seller.as_ref();
    json!({
        "seller_en": seller.map_or(doc.org_name.as_str(), |s| s.legal_name_en.as_str()),
        "seller_ar": seller.map_or("", |s| s.legal_name_ar.as_str()),
        "client": doc.client_name,
        "from": doc.from.to_string(),
        "to": doc.to.to_string(),
        "statements": statements,
    })
}
