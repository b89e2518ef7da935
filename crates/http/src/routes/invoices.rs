//! `/api/v1/orgs/{org_id}/invoices`: tax invoices, credit notes and debit notes. Staff write
//! drafts, issue them (a gap-free number, the seller's profile as it stands, the ZATCA chain)
//! and credit issued invoices; an issued document never changes. Clients read their own.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use nestcms_app::invoices::DraftInput;
use nestcms_app::invoices::input::LineText;
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::invoices::ports::InvoiceFilter;
use nestcms_domain::invoices::{Buyer, DocKind, InvoiceId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth_extract::Authenticated;
use crate::error::{ApiError, PROBLEM_JSON, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::invoice_views::{InvoiceList, InvoiceResponse};
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// Path of one document.
#[derive(Deserialize)]
pub struct InvoicePath {
    pub(crate) org_id: uuid::Uuid,
    pub(crate) invoice_id: uuid::Uuid,
}

/// A line as typed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    description: String,
    /// Decimal, up to three decimals (`"2.5"`).
    quantity: String,
    /// Decimal in the invoice's currency, with or without VAT as the invoice says.
    unit_price: String,
    /// Decimal taken off the line (default 0).
    discount: Option<String>,
    /// `standard` (default), `zero_rated` or `exempt`.
    vat_category: Option<String>,
    /// Percentage; the tax profile's default rate when absent.
    vat_rate: Option<String>,
}

/// Who is invoiced.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyerRequest {
    name: String,
    /// A business buyer's VAT number: the invoice is then a standard (B2B) one.
    vat_number: Option<String>,
    #[serde(default, deserialize_with = "crate::limits::opt_max::<500, _>")]
    address: Option<String>,
    /// The client account it is made out to (they can then read it).
    client_id: Option<uuid::Uuid>,
}

/// A draft, new or rewritten.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    /// `invoice` (default) or `debit_note`.
    kind: Option<String>,
    /// ISO 4217.
    currency: String,
    /// Whether unit prices include VAT; the tax profile's setting when absent.
    prices_include_vat: Option<bool>,
    buyer: BuyerRequest,
    /// At most 200.
    lines: Vec<LineRequest>,
    /// `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "crate::dates::opt_date")]
    due_on: Option<NaiveDate>,
    /// Printed under the lines.
    #[serde(default, deserialize_with = "crate::limits::opt_max::<2000, _>")]
    note: Option<String>,
    /// The invoice a debit note adds to.
    references: Option<uuid::Uuid>,
}

impl From<DraftRequest> for DraftInput {
    fn from(b: DraftRequest) -> Self {
        Self {
            kind: b.kind,
            currency: b.currency,
            prices_include_vat: b.prices_include_vat,
            buyer: Buyer {
                name: b.buyer.name,
                vat_number: b.buyer.vat_number,
                address: b.buyer.address,
                client: b.buyer.client_id.map(UserId),
            },
            lines: b
                .lines
                .into_iter()
                .map(|l| LineText {
                    description: l.description,
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    discount: l.discount,
                    vat_category: l.vat_category,
                    vat_rate: l.vat_rate,
                })
                .collect(),
            due_on: b.due_on,
            note: b.note,
            references: b.references.map(InvoiceId),
        }
    }
}

/// A credit note against an issued invoice.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditRequest {
    /// Decimal, VAT included; all that is left to credit when absent.
    amount: Option<String>,
    /// Why (printed on the note).
    reason: String,
}

/// Which documents.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    /// `invoice`, `credit_note` or `debit_note`.
    kind: Option<String>,
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The last id of the previous page.
    starting_after: Option<uuid::Uuid>,
}

/// Writes a draft.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/invoices", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), request_body = DraftRequest, responses(
    (status = 201, description = "Draft written", body = InvoiceResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = PROBLEM_JSON),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = PROBLEM_JSON),
    (status = 409, description = "No tax profile yet", body = Problem, content_type = PROBLEM_JSON),
    (status = 422, description = "A discount larger than its line", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn create_invoice(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<OrgPath>,
    ApiJson(b): ApiJson<DraftRequest>,
) -> Result<(StatusCode, Json<InvoiceResponse>), ApiError> {
    let d = state
        .invoices
        .create_draft(who, OrgId(p.org_id), b.into())
        .await?;
    Ok((StatusCode::CREATED, Json((&d).into())))
}

/// The organization's documents, newest first (a client sees their own issued ones).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/invoices", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), InvoiceQuery), responses(
    (status = 200, description = "Newest first", body = InvoiceList),
    (status = 400, description = "Invalid parameter", body = Problem, content_type = PROBLEM_JSON),
    (status = 404, description = "Not a member", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn list_invoices(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<OrgPath>,
    ApiQuery(q): ApiQuery<InvoiceQuery>,
) -> Result<Json<InvoiceList>, ApiError> {
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(DocKind::parse(k).ok_or_else(|| {
            nestcms_domain::DomainError::invalid(
                "/kind",
                "invalid_kind",
                "invoice, credit_note or debit_note",
            )
        })?),
    };
    let filter = InvoiceFilter {
        kind,
        client: None,
        issued_only: false,
        before: q.starting_after.map(InvoiceId),
        limit: q.limit.unwrap_or(50).clamp(1, 100),
    };
    let docs = state.invoices.list(who, OrgId(p.org_id), filter).await?;
    Ok(Json(InvoiceList {
        data: docs.iter().map(Into::into).collect(),
    }))
}

/// One document.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/invoices/{invoice_id}", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("invoice_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "The document", body = InvoiceResponse),
    (status = 404, description = "Not found", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn get_invoice(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<InvoicePath>,
) -> Result<Json<InvoiceResponse>, ApiError> {
    let d = state
        .invoices
        .get(who, OrgId(p.org_id), InvoiceId(p.invoice_id))
        .await?;
    Ok(Json((&d).into()))
}

/// Rewrites a draft; an issued document is corrected only by a note.
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/invoices/{invoice_id}", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("invoice_id" = uuid::Uuid, Path)), request_body = DraftRequest, responses(
    (status = 200, description = "Draft rewritten", body = InvoiceResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = PROBLEM_JSON),
    (status = 404, description = "Not found", body = Problem, content_type = PROBLEM_JSON),
    (status = 409, description = "Already issued", body = Problem, content_type = PROBLEM_JSON),
    (status = 422, description = "A discount larger than its line", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn update_invoice(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<InvoicePath>,
    ApiJson(b): ApiJson<DraftRequest>,
) -> Result<Json<InvoiceResponse>, ApiError> {
    let d = state
        .invoices
        .update_draft(who, OrgId(p.org_id), InvoiceId(p.invoice_id), b.into())
        .await?;
    Ok(Json((&d).into()))
}

/// Deletes a draft; an issued document is never deleted.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/invoices/{invoice_id}", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("invoice_id" = uuid::Uuid, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 404, description = "Not found", body = Problem, content_type = PROBLEM_JSON),
    (status = 409, description = "Already issued", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn delete_invoice(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<InvoicePath>,
) -> Result<StatusCode, ApiError> {
    state
        .invoices
        .delete_draft(who, OrgId(p.org_id), InvoiceId(p.invoice_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issues a draft: its number, the seller's profile as it stands, its place in the chain.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/invoices/{invoice_id}/issue", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("invoice_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Issued", body = InvoiceResponse),
    (status = 404, description = "Not found", body = Problem, content_type = PROBLEM_JSON),
    (status = 409, description = "Already issued, or no tax profile", body = Problem, content_type = PROBLEM_JSON),
    (status = 422, description = "No line with an amount", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn issue_invoice(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<InvoicePath>,
) -> Result<Json<InvoiceResponse>, ApiError> {
    let d = state
        .invoices
        .issue(who, OrgId(p.org_id), InvoiceId(p.invoice_id))
        .await?;
    Ok(Json((&d).into()))
}

/// Issues a credit note against an issued invoice.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/invoices/{invoice_id}/credit-notes", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("invoice_id" = uuid::Uuid, Path)), request_body = CreditRequest, responses(
    (status = 201, description = "Credit note issued", body = InvoiceResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = PROBLEM_JSON),
    (status = 404, description = "Not found", body = Problem, content_type = PROBLEM_JSON),
    (status = 409, description = "Not an issued invoice", body = Problem, content_type = PROBLEM_JSON),
    (status = 422, description = "More than is left to credit", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn credit_invoice(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<InvoicePath>,
    ApiJson(b): ApiJson<CreditRequest>,
) -> Result<(StatusCode, Json<InvoiceResponse>), ApiError> {
    let d = state
        .invoices
        .credit(
            who,
            OrgId(p.org_id),
            InvoiceId(p.invoice_id),
            b.amount.as_deref(),
            &b.reason,
        )
        .await?;
    Ok((StatusCode::CREATED, Json((&d).into())))
}
