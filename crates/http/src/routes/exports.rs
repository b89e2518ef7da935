//! `/api/v1/orgs/{org_id}/exports/*.csv`: documents issued and payments received in a period,
//! as CSV for accountants (UTF-8 with a byte-order mark, so spreadsheet programs read Arabic
//! names right). Text a spreadsheet would run as a formula is prefixed with `'`.

use axum::extract::State;
use nestcms_domain::Money;
use nestcms_domain::identity::OrgId;

use crate::auth_extract::Authenticated;
use crate::error::{ApiError, PROBLEM_JSON, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::invoice_files::attachment;
use crate::routes::orgs::OrgPath;
use crate::routes::receivables::PeriodQuery;
use crate::state::AppState;

/// Text as a cell no spreadsheet runs as a formula (CSV injection).
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

/// Writes rows as CSV with a byte-order mark.
fn csv_bytes(
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>, ApiError> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let fail =
        |e: csv::Error| ApiError::from(nestcms_domain::DomainError::Internal(format!("csv: {e}")));
    w.write_record(header).map_err(fail)?;
    for r in rows {
        w.write_record(&r).map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| ApiError::from(nestcms_domain::DomainError::Internal(format!("csv: {e}"))))
}

/// Documents issued in the period, one row each, in chain order.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/exports/invoices.csv", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), PeriodQuery), responses(
    (status = 200, description = "CSV, as an attachment", content_type = "text/csv"),
    (status = 400, description = "Invalid period", body = Problem, content_type = PROBLEM_JSON),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = PROBLEM_JSON),
    (status = 422, description = "Too many rows: export a shorter period", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn invoices_csv(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<OrgPath>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<axum::response::Response, ApiError> {
    let nestcms_app::invoices::reports::Export {
        from,
        to,
        docs,
        numbers,
    } = state
        .invoices
        .export_invoices(who, OrgId(p.org_id), q.from, q.to)
        .await?;
    let header = [
        "number",
        "kind",
        "form",
        "state",
        "issued_at",
        "due_on",
        "buyer",
        "buyer_vat_number",
        "currency",
        "net",
        "vat",
        "gross",
        "paid",
        "credited",
        "balance",
        "corrects",
        "payment_id",
        "uuid",
        "counter",
        "hash",
    ];
    let rows = docs.iter().map(|d| {
        let m = |v: i64| d.money(v).amount_string();
        vec![
            d.label(),
            d.kind.as_str().to_owned(),
            d.form.as_str().to_owned(),
            d.state.as_str().to_owned(),
            d.issued_at
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default(),
            d.due_on.map(|t| t.to_string()).unwrap_or_default(),
            cell(&d.buyer.name),
            cell(d.buyer.vat_number.as_deref().unwrap_or_default()),
            d.currency.code().to_owned(),
            m(d.totals.net),
            m(d.totals.vat),
            m(d.totals.gross),
            m(d.paid),
            m(d.credited),
            m(d.balance()),
            d.references
                .and_then(|r| numbers.get(&r).cloned())
                .unwrap_or_default(),
            d.source
                .payment
                .map(|p| p.0.to_string())
                .unwrap_or_default(),
            d.id.0.to_string(),
            d.counter.map(|c| c.to_string()).unwrap_or_default(),
            cell(d.hash.as_deref().unwrap_or_default()),
        ]
    });
    let body = csv_bytes(&header, rows)?;
    Ok(attachment(
        body,
        "text/csv; charset=utf-8",
        &format!("invoices-{from}-{to}.csv"),
        false,
    ))
}

/// Payments received in the period, through the gateway or recorded by staff.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/exports/payments.csv", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), PeriodQuery), responses(
    (status = 200, description = "CSV, as an attachment", content_type = "text/csv"),
    (status = 400, description = "Invalid period", body = Problem, content_type = PROBLEM_JSON),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = PROBLEM_JSON),
    (status = 422, description = "Too many rows: export a shorter period", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn payments_csv(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<OrgPath>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<axum::response::Response, ApiError> {
    let (from, to, rows) = state
        .invoices
        .export_payments(who, OrgId(p.org_id), q.from, q.to)
        .await?;
    let header = [
        "received_at",
        "source",
        "reference",
        "payer",
        "currency",
        "amount",
        "refunded",
        "method",
        "invoice",
    ];
    let rows = rows.iter().map(|r| {
        let m = |v: i64| Money::from_minor(v, r.currency).amount_string();
        vec![
            r.at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            r.source.to_owned(),
            cell(&r.reference),
            cell(&r.payer),
            r.currency.code().to_owned(),
            m(r.amount),
            m(r.refunded),
            r.method.clone(),
            r.invoice.clone().unwrap_or_default(),
        ]
    });
    let body = csv_bytes(&header, rows)?;
    Ok(attachment(
        body,
        "text/csv; charset=utf-8",
        &format!("payments-{from}-{to}.csv"),
        false,
    ))
}
