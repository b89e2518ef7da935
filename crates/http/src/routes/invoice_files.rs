//! `/api/v1/orgs/{org_id}/invoices/{invoice_id}/pdf` and `/ubl`: an invoice or note as files,
//! the bilingual PDF and the UBL 2.1 XML.

use axum::extract::State;
use nestcms_domain::identity::OrgId;
use nestcms_domain::invoices::InvoiceId;

use crate::auth_extract::Authenticated;
use crate::error::{ApiError, PROBLEM_JSON, Problem};
use crate::extract::ApiPath;
use crate::routes::invoices::InvoicePath;
use crate::state::AppState;

/// The document as a bilingual (English / Arabic) PDF with its QR code; an issued document's
/// PDF is the same bytes every time.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/invoices/{invoice_id}/pdf", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("invoice_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "The PDF, inline", content_type = "application/pdf"),
    (status = 404, description = "Not found", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn invoice_pdf(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<InvoicePath>,
) -> Result<axum::response::Response, ApiError> {
    let (label, pdf) = state
        .invoices
        .pdf(who, OrgId(p.org_id), InvoiceId(p.invoice_id))
        .await?;
    // The label is ASCII letters, digits and a dash (`INV-000042`, `DRAFT`).
    Ok(attachment(
        pdf,
        "application/pdf",
        &format!("{label}.pdf"),
        true,
    ))
}

/// The issued document as UBL 2.1 XML (the ZATCA phase-2 data model, unsigned).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/invoices/{invoice_id}/ubl", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("invoice_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "The XML", content_type = "application/xml"),
    (status = 404, description = "Not found", body = Problem, content_type = PROBLEM_JSON),
    (status = 409, description = "A draft", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn invoice_ubl(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<InvoicePath>,
) -> Result<axum::response::Response, ApiError> {
    let (label, xml) = state
        .invoices
        .ubl(who, OrgId(p.org_id), InvoiceId(p.invoice_id))
        .await?;
    Ok(attachment(
        xml.into_bytes(),
        "application/xml",
        &format!("{label}.xml"),
        false,
    ))
}

/// A paid payment's receipt as a bilingual PDF (staff, or the client who paid).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/payments/{payment_id}/receipt", tag = "payments", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("payment_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "The PDF, inline", content_type = "application/pdf"),
    (status = 404, description = "Not found", body = Problem, content_type = PROBLEM_JSON),
    (status = 409, description = "Not paid", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn payment_receipt(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<crate::routes::payments::PaymentPath>,
) -> Result<axum::response::Response, ApiError> {
    let (name, pdf) = state
        .invoices
        .receipt(
            who,
            OrgId(p.org_id),
            nestcms_domain::payments::PaymentId(p.payment_id),
        )
        .await?;
    // The name is the gateway's reference or a UUID: ASCII.
    Ok(attachment(pdf, "application/pdf", &name, true))
}

/// A file answer: its type and, as the browser should show or save it, its name (ASCII). The
/// API and the web pages answer files with it.
pub fn attachment(
    body: Vec<u8>,
    content_type: &str,
    name: &str,
    inline: bool,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse as _;
    let mut res = body.into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let how = if inline { "inline" } else { "attachment" };
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("{how}; filename=\"{name}\""))
            .unwrap_or(HeaderValue::from_static("attachment")),
    );
    res
}
