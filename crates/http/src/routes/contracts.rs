//! `/api/v1/orgs/{org_id}/contracts`: agreements, instalment schedules, approval.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use nestcms_app::construction::contracts;
use nestcms_domain::construction::standing::ScheduledInstalment;
use nestcms_domain::construction::{Contract, ContractId, ContractStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::common::{List, Order, money_in, money_out, page};
use crate::auth_extract::InOrg;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// Path of one contract.
#[derive(Deserialize)]
pub struct ContractPath {
    contract_id: uuid::Uuid,
}

/// One instalment in a schedule (the contract's currency).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstalmentDto {
    /// Decimal text, e.g. `"500.000"` for KWD.
    amount: String,
    /// `YYYY-MM-DD`.
    #[serde(deserialize_with = "crate::dates::date")]
    due_date: NaiveDate,
}

/// Listing filters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContractFilter {
    /// Only contracts in this state.
    #[param(value_type = Option<String>)]
    status: Option<ContractStatus>,
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The last id of the previous page.
    starting_after: Option<uuid::Uuid>,
    /// `desc` (newest first, default) or `asc`.
    #[param(value_type = Option<String>)]
    #[serde(default)]
    order: Order,
}

/// A contract.
#[derive(Serialize, ToSchema)]
pub struct ContractResponse {
    id: uuid::Uuid,
    offer_id: Option<uuid::Uuid>,
    client_id: uuid::Uuid,
    employee_ids: Vec<uuid::Uuid>,
    title: String,
    content: String,
    document_ref: Option<String>,
    total: String,
    currency: String,
    /// `review`, `approved_by_client`, `rejected_by_client`, `active`, `closed`.
    status: String,
    instalments: Vec<InstalmentDto>,
    /// Each instalment's standing today, with its payment (only when one contract is read).
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule: Option<Vec<StandingDto>>,
    created_at: DateTime<Utc>,
}

/// One instalment and where it stands.
#[derive(Serialize, ToSchema)]
pub struct StandingDto {
    /// 1-based position.
    seq: u32,
    /// Decimal text in the contract's currency.
    amount: String,
    /// `YYYY-MM-DD`.
    due_date: NaiveDate,
    /// `scheduled` (the contract is not approved: nothing is owed yet), `due`, `paid` or
    /// `overdue` (past its due date, in UTC, and not paid). A payment that is fully refunded
    /// leaves the instalment owed again.
    status: &'static str,
    /// The payment that paid it, or the one under way, or the latest attempt.
    payment_id: Option<uuid::Uuid>,
    /// That payment's state.
    payment_state: Option<&'static str>,
    /// The tax invoice issued for that payment.
    invoice_id: Option<uuid::Uuid>,
    /// Its number (`INV-000042`).
    invoice_number: Option<String>,
}

impl From<&ScheduledInstalment> for StandingDto {
    fn from(s: &ScheduledInstalment) -> Self {
        Self {
            seq: s.instalment.seq,
            amount: money_out(s.instalment.amount),
            due_date: s.instalment.due_date,
            status: s.standing.as_str(),
            payment_id: s.payment.map(|p| p.payment.0),
            payment_state: s.payment.map(|p| p.state.as_str()),
            invoice_id: s.payment.and_then(|p| p.invoice).map(|(id, _)| id),
            invoice_number: s
                .payment
                .and_then(|p| p.invoice)
                .map(|(_, n)| nestcms_domain::invoices::DocKind::Invoice.number(n)),
        }
    }
}

impl From<&Contract> for ContractResponse {
    fn from(k: &Contract) -> Self {
        Self {
            id: k.id.0,
            offer_id: k.offer_id.map(|o| o.0),
            client_id: k.client_id.0,
            employee_ids: k.employee_ids.iter().map(|e| e.0).collect(),
            title: k.title.clone(),
            content: k.content.clone(),
            document_ref: k.document_ref.clone(),
            total: money_out(k.total),
            currency: k.total.currency().code().to_owned(),
            status: k.status.as_str().to_owned(),
            instalments: k
                .instalments
                .iter()
                .map(|i| InstalmentDto {
                    amount: money_out(i.amount),
                    due_date: i.due_date,
                })
                .collect(),
            schedule: None,
            created_at: k.created_at,
        }
    }
}

/// Contracts (clients see their own; instalments are omitted in lists).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/contracts", tag = "contracts", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ContractFilter), responses(
    (status = 200, description = "Contracts, newest first", body = List<ContractResponse>),
    (status = 404, description = "Not found or not a member", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_contracts(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiQuery(f): ApiQuery<ContractFilter>,
) -> Result<Json<List<ContractResponse>>, ApiError> {
    let page = contracts::list(
        &state.construction,
        &c,
        f.status,
        page(f.limit, f.starting_after, f.order),
    )
    .await?;
    Ok(Json(List::from_paged(page)))
}

/// One contract with its instalments, each with where it stands (due, paid, overdue) and its
/// payment.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/contracts/{contract_id}", tag = "contracts", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("contract_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "The contract", body = ContractResponse),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn get_contract(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ContractPath>,
) -> Result<Json<ContractResponse>, ApiError> {
    let k = contracts::get(&state.construction, &c, ContractId(p.contract_id)).await?;
    let schedule = contracts::schedule(&state.construction, &k).await?;
    let mut out = ContractResponse::from(&k);
    out.schedule = Some(schedule.iter().map(StandingDto::from).collect());
    Ok(Json(out))
}

/// Replaces the instalment schedule (only in review; must sum exactly to the total).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/contracts/{contract_id}/instalments", tag = "contracts", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("contract_id" = uuid::Uuid, Path)), request_body = Vec<InstalmentDto>, responses(
    (status = 200, description = "The contract with its schedule", body = ContractResponse),
    (status = 400, description = "Malformed amount", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not in review", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Does not sum to the total, dates not increasing", body = Problem, content_type = "application/problem+json"),
))]
pub async fn set_instalments(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ContractPath>,
    ApiJson(items): ApiJson<Vec<InstalmentDto>>,
) -> Result<Json<ContractResponse>, ApiError> {
    let id = ContractId(p.contract_id);
    let currency = contracts::get(&state.construction, &c, id)
        .await?
        .total
        .currency();
    let mut parsed = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        parsed.push((
            money_in(
                &item.amount,
                currency.code(),
                &format!("/{i}/amount"),
                "/currency",
            )?,
            item.due_date,
        ));
    }
    Ok(Json(ContractResponse::from(
        &contracts::set_instalments(&state.construction, &c, id, parsed).await?,
    )))
}

async fn move_to(
    state: AppState,
    c: nestcms_app::Caller,
    p: ContractPath,
    to: ContractStatus,
) -> Result<Json<ContractResponse>, ApiError> {
    Ok(Json(ContractResponse::from(
        &contracts::transition(&state.construction, &c, ContractId(p.contract_id), to).await?,
    )))
}

/// The client accepts the contract (it needs an instalment schedule).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/contracts/{contract_id}/approve", tag = "contracts", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("contract_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Approved", body = ContractResponse),
    (status = 403, description = "Not the contract's client", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Illegal transition or no schedule", body = Problem, content_type = "application/problem+json"),
))]
pub async fn approve_contract(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ContractPath>,
) -> Result<Json<ContractResponse>, ApiError> {
    move_to(state, c, p, ContractStatus::ApprovedByClient).await
}

/// The client declines the contract.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/contracts/{contract_id}/reject", tag = "contracts", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("contract_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Declined", body = ContractResponse),
    (status = 403, description = "Not the contract's client", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Illegal transition", body = Problem, content_type = "application/problem+json"),
))]
pub async fn reject_contract(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ContractPath>,
) -> Result<Json<ContractResponse>, ApiError> {
    move_to(state, c, p, ContractStatus::RejectedByClient).await
}

/// Starts an approved contract (managers).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/contracts/{contract_id}/activate", tag = "contracts", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("contract_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Active", body = ContractResponse),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Illegal transition", body = Problem, content_type = "application/problem+json"),
))]
pub async fn activate_contract(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ContractPath>,
) -> Result<Json<ContractResponse>, ApiError> {
    move_to(state, c, p, ContractStatus::Active).await
}

/// Closes a contract (managers).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/contracts/{contract_id}/close", tag = "contracts", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("contract_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Closed", body = ContractResponse),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Illegal transition", body = Problem, content_type = "application/problem+json"),
))]
pub async fn close_contract(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ContractPath>,
) -> Result<Json<ContractResponse>, ApiError> {
    move_to(state, c, p, ContractStatus::Closed).await
}

/// New terms (only in review).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermsRequest {
    title: Option<String>,
    content: Option<String>,
    /// URL or file reference of the document; empty to clear.
    #[serde(default, deserialize_with = "crate::limits::opt_max::<2000, _>")]
    document_ref: Option<String>,
    /// Responsible employees (replaces the list).
    employee_ids: Option<Vec<uuid::Uuid>>,
}

/// Edits the terms of a contract in review (managers).
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/contracts/{contract_id}", tag = "contracts", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("contract_id" = uuid::Uuid, Path)), request_body = TermsRequest, responses(
    (status = 200, description = "Updated", body = ContractResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not in review", body = Problem, content_type = "application/problem+json"),
))]
pub async fn update_contract(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<ContractPath>,
    ApiJson(b): ApiJson<TermsRequest>,
) -> Result<Json<ContractResponse>, ApiError> {
    let t = contracts::Terms {
        title: b.title,
        content: b.content,
        document_ref: b.document_ref,
        employee_ids: b.employee_ids.map(|v| {
            v.into_iter()
                .map(nestcms_domain::identity::UserId)
                .collect()
        }),
    };
    Ok(Json(ContractResponse::from(
        &contracts::update_terms(
            &state.identity,
            &state.construction,
            &c,
            ContractId(p.contract_id),
            t,
        )
        .await?,
    )))
}
