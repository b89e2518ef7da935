//! `/api/v1/orgs/{org_id}/webhooks`: where an organization's events are sent (Standard
//! Webhooks), every message and attempt, secret rotation, redelivery and a test send. Owners
//! and admins only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use nestcms_app::webhooks::EndpointInput;
use nestcms_domain::identity::OrgId;
use nestcms_domain::webhooks::{Attempt, Endpoint, EndpointId, Message};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth_extract::{Authenticated, Client};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath};
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// How many of an endpoint's newest messages are listed.
const NEWEST: u32 = 100;

/// Path of one endpoint.
#[derive(Deserialize)]
pub struct EndpointPath {
    org_id: uuid::Uuid,
    endpoint_id: uuid::Uuid,
}

/// Path of one message.
#[derive(Deserialize)]
pub struct MessagePath {
    org_id: uuid::Uuid,
    message_id: uuid::Uuid,
}

/// An endpoint to register, or the fields to change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointRequest {
    /// `https://…`; names that resolve to loopback, private or link-local addresses are
    /// refused unless the operator allows them.
    url: Option<String>,
    /// A note for people (at most 500 characters).
    #[serde(default, deserialize_with = "crate::limits::opt_max::<500, _>")]
    description: Option<String>,
    /// The types it hears (`payment.paid`, `payment.failed`, `payment.cancelled`,
    /// `payment.held`, `refund.succeeded`, `refund.failed`); empty or absent for all.
    event_types: Option<Vec<String>>,
    /// Whether messages are sent (default true).
    enabled: Option<bool>,
}

impl From<EndpointRequest> for EndpointInput {
    fn from(b: EndpointRequest) -> Self {
        Self {
            url: b.url,
            description: b.description,
            event_types: b.event_types,
            enabled: b.enabled,
        }
    }
}

/// A secret rotation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateRequest {
    /// How long the previous secret keeps signing beside the new one, 0–168 hours
    /// (default 24).
    overlap_hours: Option<u32>,
}

/// An endpoint.
#[derive(Serialize, ToSchema)]
pub struct EndpointResponse {
    id: uuid::Uuid,
    url: String,
    description: String,
    /// Empty: all types.
    event_types: Vec<String>,
    enabled: bool,
    /// `gone` (it answered 410), `failing` (a message exhausted its retries),
    /// `forbidden_target`, or `manual`.
    disabled_reason: Option<String>,
    /// The signing secret (`whsec_…`): shown when the endpoint is created and when its secret
    /// is rotated, never again.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    /// Until when the previous secret also signs, during a rotation.
    previous_secret_expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl EndpointResponse {
    fn of(e: &Endpoint, reveal: bool) -> Self {
        let now = Utc::now();
        Self {
            id: e.id.0,
            url: e.url.clone(),
            description: e.description.clone(),
            event_types: e.event_types.clone(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            secret: reveal
                .then(|| e.secrets.iter().find(|s| s.expires_at.is_none()))
                .flatten()
                .map(|s| s.secret.clone()),
            previous_secret_expires_at: e
                .secrets
                .iter()
                .filter_map(|s| s.expires_at)
                .find(|t| *t > now),
            created_at: e.created_at,
        }
    }
}

/// An organization's endpoints.
#[derive(Serialize, ToSchema)]
pub struct EndpointList {
    data: Vec<EndpointResponse>,
}

/// One message: an event for one endpoint.
#[derive(Serialize, ToSchema)]
pub struct MessageResponse {
    id: uuid::Uuid,
    /// The `webhook-id` header it is sent with.
    webhook_id: String,
    endpoint_id: uuid::Uuid,
    event_id: uuid::Uuid,
    event_type: String,
    /// The JSON body, exactly as sent.
    payload: String,
    /// `pending`, `delivered` or `failed`.
    status: &'static str,
    attempts: u32,
    next_attempt_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
    /// Each attempt, first first (on a single message only).
    #[serde(skip_serializing_if = "Option::is_none")]
    attempt_log: Option<Vec<AttemptResponse>>,
}

impl MessageResponse {
    fn of(m: &Message, attempts: Option<&[Attempt]>) -> Self {
        Self {
            id: m.id,
            webhook_id: m.webhook_id(),
            endpoint_id: m.endpoint.0,
            event_id: m.event_id,
            event_type: m.event_type.clone(),
            payload: m.payload.clone(),
            status: m.status.as_str(),
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            created_at: m.created_at,
            delivered_at: m.delivered_at,
            attempt_log: attempts.map(|a| a.iter().map(AttemptResponse::from).collect()),
        }
    }
}

/// One attempt.
#[derive(Serialize, ToSchema)]
pub struct AttemptResponse {
    /// 1 for the first.
    number: u32,
    at: DateTime<Utc>,
    /// The receiver's status; absent when no answer came.
    status_code: Option<u16>,
    /// The start of the answer, or why none came.
    excerpt: String,
    duration_ms: u64,
    /// `scheduled`, `manual` or `test`.
    trigger: String,
}

impl From<&Attempt> for AttemptResponse {
    fn from(a: &Attempt) -> Self {
        Self {
            number: a.number,
            at: a.at,
            status_code: a.status_code,
            excerpt: a.excerpt.clone(),
            duration_ms: a.duration_ms,
            trigger: a.trigger.clone(),
        }
    }
}

/// An endpoint's newest messages.
#[derive(Serialize, ToSchema)]
pub struct MessageList {
    data: Vec<MessageResponse>,
}

/// Registers an endpoint; the answer carries its signing secret, shown this once.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/webhooks", tag = "webhooks", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), request_body = EndpointRequest, responses(
    (status = 201, description = "Registered", body = EndpointResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The URL leads to a private address, or does not resolve", body = Problem, content_type = "application/problem+json"),
))]
pub async fn create_endpoint(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiPath(p): ApiPath<OrgPath>,
    ApiJson(b): ApiJson<EndpointRequest>,
) -> Result<(StatusCode, Json<EndpointResponse>), ApiError> {
    let e = state
        .webhooks
        .create(who, OrgId(p.org_id), b.into(), &client)
        .await?;
    Ok((StatusCode::CREATED, Json(EndpointResponse::of(&e, true))))
}

/// The organization's endpoints.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/webhooks", tag = "webhooks", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Oldest first", body = EndpointList),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_endpoints(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<OrgPath>,
) -> Result<Json<EndpointList>, ApiError> {
    let all = state.webhooks.list(who, OrgId(p.org_id)).await?;
    Ok(Json(EndpointList {
        data: all.iter().map(|e| EndpointResponse::of(e, false)).collect(),
    }))
}

/// One endpoint.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/webhooks/{endpoint_id}", tag = "webhooks", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("endpoint_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "The endpoint", body = EndpointResponse),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn get_endpoint(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<EndpointPath>,
) -> Result<Json<EndpointResponse>, ApiError> {
    let e = state
        .webhooks
        .get(who, OrgId(p.org_id), EndpointId(p.endpoint_id))
        .await?;
    Ok(Json(EndpointResponse::of(&e, false)))
}

/// Changes an endpoint; `enabled: true` switches a disabled one back on.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/webhooks/{endpoint_id}", tag = "webhooks", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("endpoint_id" = uuid::Uuid, Path)), request_body = EndpointRequest, responses(
    (status = 200, description = "Updated", body = EndpointResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The URL leads to a private address", body = Problem, content_type = "application/problem+json"),
))]
pub async fn update_endpoint(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiPath(p): ApiPath<EndpointPath>,
    ApiJson(b): ApiJson<EndpointRequest>,
) -> Result<Json<EndpointResponse>, ApiError> {
    let org = OrgId(p.org_id);
    let e = state
        .webhooks
        .update(who, org, EndpointId(p.endpoint_id), b.into(), &client)
        .await?;
    Ok(Json(EndpointResponse::of(&e, false)))
}

/// Removes an endpoint and its messages.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/webhooks/{endpoint_id}", tag = "webhooks", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("endpoint_id" = uuid::Uuid, Path)), responses(
    (status = 204, description = "Removed"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn delete_endpoint(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiPath(p): ApiPath<EndpointPath>,
) -> Result<StatusCode, ApiError> {
    let org = OrgId(p.org_id);
    state
        .webhooks
        .delete(who, org, EndpointId(p.endpoint_id), &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret, shown once; the previous one keeps signing for `overlap_hours`.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/webhooks/{endpoint_id}/rotate-secret", tag = "webhooks", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("endpoint_id" = uuid::Uuid, Path)), request_body = RotateRequest, responses(
    (status = 200, description = "Rotated", body = EndpointResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    Client(client): Client,
    ApiPath(p): ApiPath<EndpointPath>,
    ApiJson(b): ApiJson<RotateRequest>,
) -> Result<Json<EndpointResponse>, ApiError> {
    let (org, id) = (OrgId(p.org_id), EndpointId(p.endpoint_id));
    let hours = b.overlap_hours.unwrap_or(24);
    let e = state.webhooks.rotate(who, org, id, hours, &client).await?;
    Ok(Json(EndpointResponse::of(&e, true)))
}

/// Sends a `webhook.test` message now; its attempts show in the message.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/webhooks/{endpoint_id}/test", tag = "webhooks", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("endpoint_id" = uuid::Uuid, Path)), responses(
    (status = 202, description = "Queued", body = MessageResponse),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The endpoint is switched off", body = Problem, content_type = "application/problem+json"),
))]
pub async fn test_endpoint(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<EndpointPath>,
) -> Result<(StatusCode, Json<MessageResponse>), ApiError> {
    let (org, id) = (OrgId(p.org_id), EndpointId(p.endpoint_id));
    let m = state.webhooks.send_test(who, org, id).await?;
    Ok((StatusCode::ACCEPTED, Json(MessageResponse::of(&m, None))))
}

/// The endpoint's newest messages (at most 100).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/webhooks/{endpoint_id}/messages", tag = "webhooks", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("endpoint_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Newest first", body = MessageList),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_messages(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<EndpointPath>,
) -> Result<Json<MessageList>, ApiError> {
    let (org, id) = (OrgId(p.org_id), EndpointId(p.endpoint_id));
    let all = state.webhooks.messages(who, org, id, NEWEST).await?;
    Ok(Json(MessageList {
        data: all.iter().map(|m| MessageResponse::of(m, None)).collect(),
    }))
}

/// One message with every attempt.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/webhook-messages/{message_id}", tag = "webhooks", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("message_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "The message and its attempts", body = MessageResponse),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn get_message(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<MessagePath>,
) -> Result<Json<MessageResponse>, ApiError> {
    let (m, attempts) = state
        .webhooks
        .message(who, OrgId(p.org_id), p.message_id)
        .await?;
    Ok(Json(MessageResponse::of(&m, Some(&attempts))))
}

/// Sends a message again now (same `webhook-id`), whatever became of it.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/webhook-messages/{message_id}/redeliver", tag = "webhooks", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("message_id" = uuid::Uuid, Path)), responses(
    (status = 202, description = "Queued", body = MessageResponse),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The endpoint is switched off, or the message is still being retried", body = Problem, content_type = "application/problem+json"),
))]
pub async fn redeliver_message(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<MessagePath>,
) -> Result<(StatusCode, Json<MessageResponse>), ApiError> {
    let m = state
        .webhooks
        .redeliver(who, OrgId(p.org_id), p.message_id, Utc::now())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(MessageResponse::of(&m, None))))
}
