//! An issued invoice as documents: its PDF (bilingual, Arabic shaped and in logical order when
//! read back, the same bytes every time) and its UBL 2.1 XML, valid against the OASIS schemas
//! kept in `tests/data/ubl-2.1`.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::helpers::{TestApp, spawn_app};
use crate::invoices::{SELLER_AR, saudi};
use crate::payments::{Shop, ok, shop};

/// Whether `tool` is installed; when not, says the test was skipped (which fails the at-scale
/// CI run, where `.ci/tools.sh` installs it).
fn have(tool: &str, test: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        nestcms_testkit::skipped(
            test,
            &format!("{tool} is not installed (.ci/tools.sh installs it)"),
        );
    }
    found
}

/// Issues an invoice with an Arabic line; returns its path.
pub(crate) async fn issued(app: &TestApp, s: &Shop) -> anyhow::Result<String> {
    saudi(app, s).await?;
    let base = format!("/api/v1/orgs/{}/invoices", s.org);
    let body = json!({
        "currency": "SAR", "buyer": { "name": "مؤسسة الريان", "vat_number": "310000000000003", "address": "Jeddah" },
        "due_on": "2026-12-31",
        "lines": [
            { "description": "أعمال الخرسانة المسلحة", "quantity": "12.5", "unit_price": "230.00" },
            { "description": "Site supervision", "quantity": "1", "unit_price": "1150.00", "discount": "50.00" },
        ],
        "note": "Bank transfer within 30 days.",
    });
    let d = ok(app.post(Some(&s.owner), &base, &body).await?, 201).await?;
    let path = format!("{base}/{}", d["id"].as_str().unwrap_or_default());
    ok(
        app.post(Some(&s.owner), &format!("{path}/issue"), &json!({}))
            .await?,
        200,
    )
    .await?;
    Ok(path)
}

#[tokio::test]
async fn an_invoice_pdf_reads_back_in_arabic_and_english_and_never_changes() -> anyhow::Result<()> {
    let test = "an_invoice_pdf_reads_back_in_arabic_and_english_and_never_changes";
    if !have("pdftotext", test) || !have("pdftoppm", test) {
        return Ok(());
    }
    let app = spawn_app().await?;
    let s = shop(&app).await?;
    let path = issued(&app, &s).await?;
    let res = app.get_as(&s.owner, &format!("{path}/pdf")).await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(
        res.headers()["content-disposition"]
            .to_str()?
            .contains("INV-000001.pdf")
    );
    let pdf = res.bytes().await?;
    assert!(pdf.starts_with(b"%PDF"));
    // The client it is made out to is another buyer here: the owner reads it again, and gets
    // the very same bytes.
    let again = app
        .get_as(&s.owner, &format!("{path}/pdf"))
        .await?
        .bytes()
        .await?;
    assert_eq!(pdf, again, "an issued invoice's PDF never changes");

    let dir = tempfile::tempdir()?;
    let file = dir.path().join("invoice.pdf");
    std::fs::write(&file, &pdf)?;
    let text = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()?;
    assert!(
        text.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&text.stderr)
    );
    let text = String::from_utf8(text.stdout)?;
    // pdftotext marks each run's direction with bidi controls and sometimes splits a word at a
    // wide glyph: compare letters only, in the order read.
    let letters = |t: &str| -> String {
        t.chars()
            .filter(|c| {
                !c.is_whitespace()
                    && !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
            })
            .collect()
    };
    let read = letters(&text);
    // Shaped Arabic read back in logical order: a missing font gives no letters, a broken
    // bidi reversed ones, and neither matches.
    for words in [
        "فاتورة ضريبية",
        SELLER_AR,
        "أعمال الخرسانة المسلحة",
        "الرقم الضريبي",
        "الإجمالي شامل الضريبة",
    ] {
        assert!(
            read.contains(&letters(words)),
            "{words:?} not found in:\n{text}"
        );
    }
    for words in [
        "Tax Invoice",
        "INV-000001",
        "300000000000003",
        "Site supervision",
    ] {
        assert!(text.contains(words), "{words:?} not found in:\n{text}");
    }
    // 12.5 × 230.00 = 2875.00 and 1150.00 − 50.00 = 1100.00, VAT included: 3975.00 in all.
    assert!(text.contains("3975.00"), "{text}");
    let png = Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&file)
        .arg(dir.path().join("page"))
        .output()?;
    assert!(
        png.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&png.stderr)
    );
    let page = std::fs::read(dir.path().join("page.png"))?;
    if let Some(keep) = std::env::var_os("NESTCMS_KEEP_PDF") {
        std::fs::write(keep, &pdf)?;
    }
    assert!(
        page.starts_with(b"\x89PNG") && page.len() > 5_000,
        "a rendered page, {} bytes",
        page.len()
    );
    Ok(())
}

/// Validates `xml` against the UBL 2.1 Invoice schema with xmllint; the error text when not.
fn validate(xml: &[u8], dir: &std::path::Path) -> anyhow::Result<Result<(), String>> {
    let file = dir.join("doc.xml");
    std::fs::write(&file, xml)?;
    let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ubl-2.1/maindoc/UBL-Invoice-2.1.xsd");
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&schema)
        .arg(&file)
        .output()?;
    Ok(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

#[tokio::test]
async fn invoices_and_credit_notes_export_as_ubl_that_the_oasis_schemas_accept()
-> anyhow::Result<()> {
    let test = "invoices_and_credit_notes_export_as_ubl_that_the_oasis_schemas_accept";
    if !have("xmllint", test) {
        return Ok(());
    }
    let app = spawn_app().await?;
    let s = shop(&app).await?;
    let path = issued(&app, &s).await?;
    let res = app.get_as(&s.owner, &format!("{path}/ubl")).await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/xml");
    let xml = res.bytes().await?;
    let dir = tempfile::tempdir()?;
    validate(&xml, dir.path())?
        .map_err(|e| anyhow::anyhow!("invalid UBL: {e}\n{}", String::from_utf8_lossy(&xml)))?;
    let text = String::from_utf8(xml.to_vec())?;
    for part in [
        "<cbc:ID>INV-000001</cbc:ID>",
        "<cbc:InvoiceTypeCode name=\"0100000\">388</cbc:InvoiceTypeCode>",
        "<cbc:ID>ICV</cbc:ID><cbc:UUID>1</cbc:UUID>",
        "<cbc:CompanyID>300000000000003</cbc:CompanyID>",
        "<cbc:TaxInclusiveAmount currencyID=\"SAR\">3975.00</cbc:TaxInclusiveAmount>",
        "أعمال الخرسانة المسلحة",
    ] {
        assert!(text.contains(part), "{part} not in {text}");
    }
    // The schema is really checked: a document without its number is refused.
    let broken = text.replacen("<cbc:ID>INV-000001</cbc:ID>", "", 1);
    assert!(
        validate(broken.as_bytes(), dir.path())?.is_err(),
        "xmllint accepts anything"
    );

    // A credit note: type 381, referring to the invoice.
    let cn = ok(
        app.post(
            Some(&s.owner),
            &format!("{path}/credit-notes"),
            &json!({ "amount": "115.00", "reason": "Less steel" }),
        )
        .await?,
        201,
    )
    .await?;
    let note = format!(
        "/api/v1/orgs/{}/invoices/{}/ubl",
        s.org,
        cn["id"].as_str().unwrap_or_default()
    );
    let xml = app.get_as(&s.owner, &note).await?.bytes().await?;
    validate(&xml, dir.path())?.map_err(|e| anyhow::anyhow!("invalid UBL: {e}"))?;
    let text = String::from_utf8(xml.to_vec())?;
    assert!(text.contains(">381</cbc:InvoiceTypeCode>"), "{text}");
    assert!(
        text.contains("<cac:InvoiceDocumentReference><cbc:ID>INV-000001</cbc:ID>"),
        "{text}"
    );
    // A draft has none yet.
    let draft = ok(
        app.post(
            Some(&s.owner),
            &format!("/api/v1/orgs/{}/invoices", s.org),
            &json!({ "currency": "SAR", "buyer": { "name": "B" }, "lines": [] }),
        )
        .await?,
        201,
    )
    .await?;
    let res = app
        .get_as(
            &s.owner,
            &format!(
                "/api/v1/orgs/{}/invoices/{}/ubl",
                s.org,
                draft["id"].as_str().unwrap_or_default()
            ),
        )
        .await?;
    assert_eq!(res.status(), 409);
    // Its PDF is rendered on request, not kept: a draft may still change.
    let pdf = app
        .get_as(
            &s.owner,
            &format!(
                "/api/v1/orgs/{}/invoices/{}/pdf",
                s.org,
                draft["id"].as_str().unwrap_or_default()
            ),
        )
        .await?;
    assert_eq!(pdf.status(), 200);
    assert!(pdf.bytes().await?.starts_with(b"%PDF"));
    Ok(())
}
