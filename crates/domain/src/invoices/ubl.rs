//! An issued document as UBL 2.1 XML, the data model of ZATCA phase 2 (unsigned for now): an
//! `Invoice` whose type code says invoice (388), credit note (381) or debit note (383), with the
//! counter (`ICV`), the previous document's hash (`PIH`) and the QR code as additional document
//! references, seller and buyer with their VAT numbers, the VAT summary and every line.
//!
//! Written by hand: the structure is fixed and small, and all it needs beyond `format!` is
//! escaping text (an XML library would add a dependency to the domain for one function). The
//! element order follows the UBL 2.1 schemas, which the tests validate against.

use std::fmt::Write as _;

use super::lines::VatCategory;
use super::model::{DocKind, Invoice, InvoiceForm};
use super::tax::TaxProfile;

/// `text` escaped for XML, without the characters XML 1.0 cannot carry.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The UBL type code of a document kind.
const fn type_code(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Invoice => "388",
        DocKind::CreditNote => "381",
        DocKind::DebitNote => "383",
    }
}

fn party(
    x: &mut String,
    role: &str,
    name: &str,
    vat: Option<&str>,
    address: Option<(&str, &str, &str, &str)>,
) {
    let _ = write!(x, "<cac:{role}><cac:Party>");
    if let Some((street, city, postal, country)) = address {
        x.push_str("<cac:PostalAddress>");
        if !street.is_empty() {
            let _ = write!(x, "<cbc:StreetName>{}</cbc:StreetName>", esc(street));
        }
        if !city.is_empty() {
            let _ = write!(x, "<cbc:CityName>{}</cbc:CityName>", esc(city));
        }
        if !postal.is_empty() {
            let _ = write!(x, "<cbc:PostalZone>{}</cbc:PostalZone>", esc(postal));
        }
        if !country.is_empty() {
            let _ = write!(
                x,
                "<cac:Country><cbc:IdentificationCode>{country}</cbc:IdentificationCode></cac:Country>"
            );
        }
        x.push_str("</cac:PostalAddress>");
    }
    if let Some(v) = vat {
        let _ = write!(
            x,
            "<cac:PartyTaxScheme><cbc:CompanyID>{}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>",
            esc(v)
        );
    }
    let _ = write!(
        x,
        "<cac:PartyLegalEntity><cbc:RegistrationName>{}</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:{role}>",
        esc(name)
    );
}

fn tax_category(x: &mut String, element: &str, category: VatCategory, rate: i32) {
    let _ = write!(
        x,
        "<cac:{element}><cbc:ID>{}</cbc:ID><cbc:Percent>{}</cbc:Percent>",
        category.code(),
        crate::percent::format_percent(if category == VatCategory::Standard {
            rate
        } else {
            0
        })
    );
    if category == VatCategory::Exempt {
        x.push_str("<cbc:TaxExemptionReason>Exempt supply</cbc:TaxExemptionReason>");
    }
    let _ = write!(
        x,
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:{element}>"
    );
}

/// The UBL XML of an issued document; `references` is the number of the invoice a note
/// corrects. `None` for a draft.
pub fn to_xml(doc: &Invoice, references: Option<&str>) -> Option<String> {
    let (issued, seller) = (doc.issued_at?, doc.seller.as_ref()?);
    let cur = doc.currency.code();
    let m = |v: i64| doc.money(v).amount_string();
    let amount =
        |tag: &str, v: i64| format!("<cbc:{tag} currencyID=\"{cur}\">{}</cbc:{tag}>", m(v));
    let mut x = String::with_capacity(4096);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\" xmlns:cac=\"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2\" xmlns:cbc=\"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2\">");
    let subtype = match doc.form {
        InvoiceForm::Standard => "0100000",
        InvoiceForm::Simplified => "0200000",
    };
    let _ = write!(
        x,
        "<cbc:UBLVersionID>2.1</cbc:UBLVersionID><cbc:ProfileID>reporting:1.0</cbc:ProfileID><cbc:ID>{}</cbc:ID><cbc:UUID>{}</cbc:UUID>\
         <cbc:IssueDate>{}</cbc:IssueDate><cbc:IssueTime>{}</cbc:IssueTime>",
        esc(&doc.label()),
        doc.id.0,
        issued.format("%Y-%m-%d"),
        issued.format("%H:%M:%SZ"),
    );
    if let Some(due) = doc.due_on {
        let _ = write!(x, "<cbc:DueDate>{due}</cbc:DueDate>");
    }
    let _ = write!(
        x,
        "<cbc:InvoiceTypeCode name=\"{subtype}\">{}</cbc:InvoiceTypeCode>",
        type_code(doc.kind)
    );
    for note in [doc.reason.as_deref(), Some(doc.note.as_str())]
        .into_iter()
        .flatten()
    {
        if !note.is_empty() {
            let _ = write!(x, "<cbc:Note>{}</cbc:Note>", esc(note));
        }
    }
    let _ = write!(
        x,
        "<cbc:DocumentCurrencyCode>{cur}</cbc:DocumentCurrencyCode><cbc:TaxCurrencyCode>{cur}</cbc:TaxCurrencyCode>"
    );
    if let Some(r) = references {
        let _ = write!(
            x,
            "<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>{}</cbc:ID></cac:InvoiceDocumentReference></cac:BillingReference>",
            esc(r)
        );
    }
    if let Some(counter) = doc.counter {
        let _ = write!(
            x,
            "<cac:AdditionalDocumentReference><cbc:ID>ICV</cbc:ID><cbc:UUID>{counter}</cbc:UUID></cac:AdditionalDocumentReference>"
        );
    }
    let embedded = |x: &mut String, id: &str, value: &str| {
        let _ = write!(
            x,
            "<cac:AdditionalDocumentReference><cbc:ID>{id}</cbc:ID><cac:Attachment><cbc:EmbeddedDocumentBinaryObject mimeCode=\"text/plain\">{}</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>",
            esc(value)
        );
    };
    if let Some(pih) = &doc.previous_hash {
        embedded(&mut x, "PIH", pih);
    }
    if let Ok(Some(qr)) = doc.qr() {
        embedded(&mut x, "QR", &qr);
    }
    seller_party(&mut x, seller);
    party(
        &mut x,
        "AccountingCustomerParty",
        &doc.buyer.name,
        doc.buyer.vat_number.as_deref(),
        doc.buyer.address.as_deref().map(|a| (a, "", "", "")),
    );
    let _ = write!(
        x,
        "<cac:TaxTotal>{}</cac:TaxTotal><cac:TaxTotal>{}",
        amount("TaxAmount", doc.totals.vat),
        amount("TaxAmount", doc.totals.vat)
    );
    for g in &doc.totals.breakdown {
        let _ = write!(
            x,
            "<cac:TaxSubtotal>{}{}",
            amount("TaxableAmount", g.taxable),
            amount("TaxAmount", g.vat)
        );
        tax_category(&mut x, "TaxCategory", g.category, g.rate);
        x.push_str("</cac:TaxSubtotal>");
    }
    let _ = write!(
        x,
        "</cac:TaxTotal><cac:LegalMonetaryTotal>{}{}{}{}{}</cac:LegalMonetaryTotal>",
        amount("LineExtensionAmount", doc.totals.net),
        amount("TaxExclusiveAmount", doc.totals.net),
        amount("TaxInclusiveAmount", doc.totals.gross),
        amount("PrepaidAmount", doc.paid.min(doc.totals.gross)),
        amount(
            "PayableAmount",
            doc.totals.gross - doc.paid.min(doc.totals.gross)
        ),
    );
    for (n, l) in doc.lines.iter().enumerate() {
        let qty = super::lines::Quantity::from_thousandths(l.input.quantity);
        let _ = write!(
            x,
            "<cac:InvoiceLine><cbc:ID>{}</cbc:ID><cbc:InvoicedQuantity unitCode=\"C62\">{qty}</cbc:InvoicedQuantity>{}",
            n + 1,
            amount("LineExtensionAmount", l.net),
        );
        if l.input.discount > 0 {
            let _ = write!(
                x,
                "<cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:AllowanceChargeReason>Discount</cbc:AllowanceChargeReason>{}</cac:AllowanceCharge>",
                amount("Amount", l.input.discount)
            );
        }
        let _ = write!(
            x,
            "<cac:TaxTotal>{}{}</cac:TaxTotal><cac:Item><cbc:Name>{}</cbc:Name>",
            amount("TaxAmount", l.vat),
            amount("RoundingAmount", l.gross),
            esc(&l.input.description)
        );
        tax_category(
            &mut x,
            "ClassifiedTaxCategory",
            l.input.category,
            l.input.rate,
        );
        let _ = write!(
            x,
            "</cac:Item><cac:Price><cbc:PriceAmount currencyID=\"{cur}\">{}</cbc:PriceAmount></cac:Price></cac:InvoiceLine>",
            net_price(doc, l)
        );
    }
    x.push_str("</Invoice>\n");
    Some(x)
}

/// A line's unit price without VAT, to two decimals more than the currency has (a price that
/// includes VAT rarely divides exactly).
fn net_price(doc: &Invoice, l: &super::lines::Line) -> String {
    let rate = match l.input.category {
        VatCategory::Standard if doc.prices_include_vat => i128::from(l.input.rate),
        _ => 0,
    };
    // In hundredths of a minor unit, rounded half up.
    let scaled =
        (2 * i128::from(l.input.unit_price) * 1_000_000 + (10_000 + rate)) / (2 * (10_000 + rate));
    let digits = doc.currency.exponent() + 2;
    let unit = 10_i128.pow(digits);
    format!(
        "{}.{:0width$}",
        scaled / unit,
        scaled % unit,
        width = digits as usize
    )
}

fn seller_party(x: &mut String, s: &TaxProfile) {
    party(
        x,
        "AccountingSupplierParty",
        s.seller_name(),
        s.vat_number.as_deref(),
        Some((
            &s.address.street,
            &s.address.city,
            &s.address.postal_code,
            s.country.as_str(),
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn text_is_escaped_and_stripped_of_what_xml_cannot_carry() {
        assert_eq!(
            esc("A&B <c> \"d\" 'e'\u{1}\u{ffff}"),
            "A&amp;B &lt;c&gt; &quot;d&quot; &apos;e&apos;"
        );
        assert_eq!(esc("أعمال\tالخرسانة"), "أعمال\tالخرسانة");
    }
}
