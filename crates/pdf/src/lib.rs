//! PDF documents typeset in-process with typst: nothing is fetched at run time (no packages,
//! no system fonts; the Amiri font, SIL OFL, is embedded), so a document renders the same on
//! every machine. Arabic is shaped and laid out right to left by typst itself.
//!
//! Compiling is CPU-bound and takes tens of milliseconds: call [`render`] from a blocking pool.

mod invoice;
mod receipt;
mod statement;

use std::sync::LazyLock;

use nestcms_domain::invoices::Invoice;
use nestcms_domain::invoices::ports::{ReceiptDoc, StatementDoc, Typesetter};
use typst::foundations::{Dict, IntoValue, Str};
use typst_as_lib::TypstEngine;

static REGULAR: &[u8] = include_bytes!("../fonts/Amiri-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/Amiri-Bold.ttf");
static INVOICE: &str = include_str!("../templates/invoice.typ");
static STATEMENT: &str = include_str!("../templates/statement.typ");
static RECEIPT: &str = include_str!("../templates/receipt.typ");

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The template refused the data (a bug: the data is ours).
    #[error("typesetting failed: {0}")]
    Typeset(String),
    /// The PDF writer failed.
    #[error("PDF export failed: {0}")]
    Export(String),
    /// The QR code's text is too long for a QR code.
    #[error("QR code: {0}")]
    Qr(String),
}

/// Which template.
#[derive(Debug, Clone, Copy)]
pub enum Template {
    /// An invoice, credit note or debit note.
    Invoice,
    /// A statement of account.
    Statement,
    /// A payment receipt.
    Receipt,
}

static ENGINE: LazyLock<TypstEngine<typst_as_lib::TypstTemplateCollection>> = LazyLock::new(|| {
    TypstEngine::builder()
        .fonts([REGULAR, BOLD])
        .with_static_source_file_resolver([
            ("invoice.typ", INVOICE),
            ("statement.typ", STATEMENT),
            ("receipt.typ", RECEIPT),
        ])
        .build()
});

/// An SVG QR code of `text`.
pub fn qr_svg(text: &str) -> Result<String, PdfError> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| PdfError::Qr(e.to_string()))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(160, 160)
        .quiet_zone(true)
        .build())
}

/// Typesets `data` (the template's JSON model) into a PDF. `qr`, when given, is printed as a
/// QR code.
pub fn render(
    template: Template,
    data: &serde_json::Value,
    qr: Option<&str>,
) -> Result<Vec<u8>, PdfError> {
    let file = match template {
        Template::Invoice => "invoice.typ",
        Template::Statement => "statement.typ",
        Template::Receipt => "receipt.typ",
    };
    let mut inputs = Dict::new();
    inputs.insert(Str::from("data"), Str::from(data.to_string()).into_value());
    let svg = qr.map(qr_svg).transpose()?.unwrap_or_default();
    inputs.insert(Str::from("qr"), Str::from(svg).into_value());
    let compiled = ENGINE.compile_with_input(file, inputs);
    // typst memoises across compiles; without eviction memory grows with every document.
    let doc = compiled
        .output
        .map_err(|e| PdfError::Typeset(format!("{e:?}")));
    let pdf = doc.and_then(|d| {
        typst_pdf::pdf(&d, &typst_pdf::PdfOptions::default())
            .map_err(|e| PdfError::Export(format!("{e:?}")))
    });
    comemo::evict(0);
    pdf
}

/// The [`Typesetter`] port over typst.
#[derive(Debug, Clone, Copy, Default)]
pub struct Typst;

impl Typesetter for Typst {
    fn typeset(&self, doc: &Invoice, references: Option<&str>) -> Result<Vec<u8>, String> {
        let qr = doc.qr().map_err(|e| e.to_string())?;
        render(
            Template::Invoice,
            &invoice::model(doc, references),
            qr.as_deref(),
        )
        .map_err(|e: PdfError| e.to_string())
    }

    fn receipt(&self, doc: &ReceiptDoc) -> Result<Vec<u8>, String> {
        render(Template::Receipt, &receipt::model(doc), None).map_err(|e| e.to_string())
    }

    fn statement(&self, doc: &StatementDoc) -> Result<Vec<u8>, String> {
        render(Template::Statement, &statement::model(doc), None).map_err(|e| e.to_string())
    }
}
