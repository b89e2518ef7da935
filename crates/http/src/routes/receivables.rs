//! What clients owe: money received outside the gateway recorded against an invoice, a client's
//! statement of account (JSON and PDF), and the organization's aging report.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use nestcms_app::invoices::reports::PaymentInput;
use nestcms_domain::identity::{OrgId, UserId};
use nestcms_domain::invoices::InvoiceId;
use nestcms_domain::invoices::aging::{Aging, Buckets};
use nestcms_domain::invoices::ports::StatementDoc;
use nestcms_domain::{Currency, Money};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth_extract::Authenticated;
use crate::error::{ApiError, PROBLEM_JSON, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::invoice_files::attachment;
use crate::routes::invoice_views::InvoiceResponse;
use crate::routes::invoices::InvoicePath;
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// Money received outside the gateway.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// Decimal in the document's currency.
    amount: String,
    /// `bank_transfer`, `cash`, `cheque`, `card` or `other`.
    method: String,
    /// The bank's or cheque's reference.
    reference: Option<String>,
    /// `YYYY-MM-DD`, today when absent.
    #[serde(default, deserialize_with = "crate::dates::opt_date")]
    paid_on: Option<NaiveDate>,
}

/// Path of a client of the organization.
#[derive(Deserialize)]
pub struct ClientPath {
    org_id: uuid::Uuid,
    client_id: uuid::Uuid,
}

/// A period of days (statements, exports).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day, `YYYY-MM-DD` (default: the first of January).
    #[serde(default, deserialize_with = "crate::dates::opt_date")]
    pub(crate) from: Option<NaiveDate>,
    /// Last day (default: today, UTC).
    #[serde(default, deserialize_with = "crate::dates::opt_date")]
    pub(crate) to: Option<NaiveDate>,
}

/// The day of an aging report.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgingQuery {
    /// `YYYY-MM-DD` (default: today, UTC).
    #[serde(default, deserialize_with = "crate::dates::opt_date")]
    as_of: Option<NaiveDate>,
}

/// One movement.
#[derive(Serialize, ToSchema)]
pub struct StatementLineResponse {
    date: NaiveDate,
    /// `invoice`, `debit_note`, `credit_note`, `payment` or `refund`.
    kind: &'static str,
    reference: String,
    description: String,
    /// Adds to what the client owes.
    debit: Option<String>,
    /// Takes off it.
    credit: Option<String>,
    /// What the client owes after it (negative: in credit).
    balance: String,
}

/// One currency's statement.
#[derive(Serialize, ToSchema)]
pub struct CurrencyStatement {
    currency: &'static str,
    opening_balance: String,
    lines: Vec<StatementLineResponse>,
    total_debits: String,
    total_credits: String,
    closing_balance: String,
}

/// A client's statement of account.
#[derive(Serialize, ToSchema)]
pub struct StatementResponse {
    client_id: uuid::Uuid,
    client_name: String,
    from: NaiveDate,
    to: NaiveDate,
    /// One per currency (amounts are never summed across currencies).
    currencies: Vec<CurrencyStatement>,
}

impl StatementResponse {
    fn of(client: UserId, d: &StatementDoc) -> Self {
        Self {
            client_id: client.0,
            client_name: d.client_name.clone(),
            from: d.from,
            to: d.to,
            currencies: d
                .statements
                .iter()
                .map(|s| {
                    let m = |v: i64| Money::from_minor(v, s.currency).amount_string();
                    CurrencyStatement {
                        currency: s.currency.code(),
                        opening_balance: m(s.opening),
                        lines: s
                            .lines
                            .iter()
                            .map(|l| StatementLineResponse {
                                date: l.entry.at.date_naive(),
                                kind: l.entry.kind.as_str(),
                                reference: l.entry.reference.clone(),
                                description: l.entry.description.clone(),
                                debit: l.entry.kind.is_debit().then(|| m(l.entry.amount)),
                                credit: (!l.entry.kind.is_debit()).then(|| m(l.entry.amount)),
                                balance: m(l.balance),
                            })
                            .collect(),
                        total_debits: m(s.debits),
                        total_credits: m(s.credits),
                        closing_balance: m(s.closing),
                    }
                })
                .collect(),
        }
    }
}

/// Amounts by days past due.
#[derive(Serialize, ToSchema)]
pub struct BucketsResponse {
    current: String,
    days_1_30: String,
    days_31_60: String,
    days_61_90: String,
    over_90: String,
    total: String,
}

impl BucketsResponse {
    fn of(b: &Buckets, c: Currency) -> Self {
        let m = |v: i64| Money::from_minor(v, c).amount_string();
        Self {
            current: m(b.current),
            days_1_30: m(b.days_1_30),
            days_31_60: m(b.days_31_60),
            days_61_90: m(b.days_61_90),
            over_90: m(b.over_90),
            total: m(b.total()),
        }
    }
}

/// One buyer's open amounts.
#[derive(Serialize, ToSchema)]
pub struct AgingRowResponse {
    client_id: Option<uuid::Uuid>,
    buyer: String,
    #[serde(flatten)]
    buckets: BucketsResponse,
}

/// One currency's aging.
#[derive(Serialize, ToSchema)]
pub struct AgingCurrency {
    currency: &'static str,
    /// Largest total first.
    rows: Vec<AgingRowResponse>,
    totals: BucketsResponse,
}

/// The organization's receivables by age.
#[derive(Serialize, ToSchema)]
pub struct AgingResponse {
    as_of: NaiveDate,
    currencies: Vec<AgingCurrency>,
}

fn aging_of(a: &Aging) -> AgingCurrency {
    AgingCurrency {
        currency: a.currency.code(),
        rows: a
            .rows
            .iter()
            .map(|r| AgingRowResponse {
                client_id: r.client.map(|c| c.0),
                buyer: r.buyer.clone(),
                buckets: BucketsResponse::of(&r.buckets, a.currency),
            })
            .collect(),
        totals: BucketsResponse::of(&a.totals, a.currency),
    }
}

/// Records money received against an open invoice or debit note (bank transfer, cash, cheque).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/invoices/{invoice_id}/payments", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("invoice_id" = uuid::Uuid, Path)), request_body = PaymentRequest, responses(
    (status = 200, description = "Recorded; the document as it now stands", body = InvoiceResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = PROBLEM_JSON),
    (status = 404, description = "Not found", body = Problem, content_type = PROBLEM_JSON),
    (status = 409, description = "Not an open invoice or debit note", body = Problem, content_type = PROBLEM_JSON),
    (status = 422, description = "More than is left to pay", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn record_payment(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<InvoicePath>,
    ApiJson(b): ApiJson<PaymentRequest>,
) -> Result<Json<InvoiceResponse>, ApiError> {
    let input = PaymentInput {
        amount: b.amount,
        method: b.method,
        reference: b.reference,
        paid_on: b.paid_on,
    };
    let d = state
        .invoices
        .record_payment(who, OrgId(p.org_id), InvoiceId(p.invoice_id), input)
        .await?;
    Ok(Json((&d).into()))
}

/// A client's statement of account for a period, per currency (staff, or the client).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/clients/{client_id}/statement", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("client_id" = uuid::Uuid, Path), PeriodQuery), responses(
    (status = 200, description = "The statement", body = StatementResponse),
    (status = 400, description = "Invalid period", body = Problem, content_type = PROBLEM_JSON),
    (status = 404, description = "Not found", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn statement(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<ClientPath>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<StatementResponse>, ApiError> {
    let client = UserId(p.client_id);
    let d = state
        .invoices
        .statement(who, OrgId(p.org_id), client, q.from, q.to)
        .await?;
    Ok(Json(StatementResponse::of(client, &d)))
}

/// The statement of account as a bilingual PDF.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/clients/{client_id}/statement/pdf", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("client_id" = uuid::Uuid, Path), PeriodQuery), responses(
    (status = 200, description = "The PDF, inline", content_type = "application/pdf"),
    (status = 400, description = "Invalid period", body = Problem, content_type = PROBLEM_JSON),
    (status = 404, description = "Not found", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn statement_pdf(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<ClientPath>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<axum::response::Response, ApiError> {
    let d = state
        .invoices
        .statement(who, OrgId(p.org_id), UserId(p.client_id), q.from, q.to)
        .await?;
    let name = format!("statement-{}-{}.pdf", d.from, d.to);
    let pdf = state.invoices.statement_pdf(d).await?;
    Ok(attachment(pdf, "application/pdf", &name, true))
}

/// What clients owe on open invoices and debit notes, by days past due (staff).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/reports/aging", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), AgingQuery), responses(
    (status = 200, description = "The report", body = AgingResponse),
    (status = 400, description = "Invalid day", body = Problem, content_type = PROBLEM_JSON),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = PROBLEM_JSON),
))]
pub async fn aging(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<OrgPath>,
    ApiQuery(q): ApiQuery<AgingQuery>,
) -> Result<Json<AgingResponse>, ApiError> {
    let (as_of, report) = state.invoices.aging(who, OrgId(p.org_id), q.as_of).await?;
    Ok(Json(AgingResponse {
        as_of,
        currencies: report.iter().map(aging_of).collect(),
    }))
}
