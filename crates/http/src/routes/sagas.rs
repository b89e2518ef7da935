//! `/api/v1/orgs/{org_id}/payments/{payment_id}/sagas`: what a payment set in motion (the
//! instalment, the receipt, the project; a refund's notice or its compensation), step by step.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use nestcms_domain::payments::PaymentId;
use nestcms_domain::sagas::Saga;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth_extract::InOrg;
use crate::error::{ApiError, Problem};
use crate::extract::ApiPath;
use crate::routes::payments::PaymentPath;
use crate::state::AppState;

/// One step.
#[derive(Serialize, ToSchema)]
pub struct StepResponse {
    /// `instalment_paid`, `invoice_issued`, `receipt_sent`, `project_activated`,
    /// `instalment_reopened`, `credit_note_issued`,
    /// `client_notified`, `amount_released` or `staff_alerted`.
    name: String,
    /// `pending`, `done` or `skipped`.
    status: String,
    at: Option<DateTime<Utc>>,
    note: Option<String>,
}

/// One saga.
#[derive(Serialize, ToSchema)]
pub struct SagaResponse {
    id: uuid::Uuid,
    /// `payment` or `refund`.
    kind: &'static str,
    /// `running`, `completed` or `compensated`.
    state: &'static str,
    /// The payment event that started it.
    event_id: uuid::Uuid,
    steps: Vec<StepResponse>,
    /// Runs so far.
    attempts: u32,
    /// Why the last run stopped short, while it retries.
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&Saga> for SagaResponse {
    fn from(s: &Saga) -> Self {
        Self {
            id: s.id,
            kind: s.kind.as_str(),
            state: s.state.as_str(),
            event_id: s.event_id,
            steps: s
                .steps
                .iter()
                .map(|t| StepResponse {
                    name: t.name.clone(),
                    status: t.status.clone(),
                    at: t.at,
                    note: t.note.clone(),
                })
                .collect(),
            attempts: s.attempts,
            last_error: s.last_error.clone(),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A payment's sagas.
#[derive(Serialize, ToSchema)]
pub struct SagaList {
    /// Oldest first.
    data: Vec<SagaResponse>,
}

/// The sagas a payment started (staff).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/payments/{payment_id}/sagas", tag = "payments", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("payment_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Oldest first", body = SagaList),
    (status = 403, description = "Clients do not see sagas", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn payment_sagas(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<PaymentPath>,
) -> Result<Json<SagaList>, ApiError> {
    // Staff only: a saga's notes and errors are the firm's, not the client's.
    c.require(nestcms_domain::identity::policy::Action::ViewAllRecords)?;
    let pay = state.payments.get(&c, PaymentId(p.payment_id)).await?;
    let all = nestcms_app::sagas::sagas_of(state.sagas.as_ref(), &pay)
        .await
        .map_err(nestcms_app::storage_error)?;
    Ok(Json(SagaList {
        data: all.iter().map(SagaResponse::from).collect(),
    }))
}
