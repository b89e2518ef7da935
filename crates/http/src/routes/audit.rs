//! `/api/v1/orgs/{org_id}/audit`: the security audit log, newest first, cursor-paginated.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use nestcms_app::identity::audit;
use nestcms_domain::identity::{EventId, OrgId, SecurityEvent};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth_extract::Authenticated;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// Page selection.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The last id of the previous page.
    starting_after: Option<uuid::Uuid>,
}

/// One event.
#[derive(Serialize, ToSchema)]
pub struct EventResponse {
    id: uuid::Uuid,
    /// E.g. `login_succeeded`, `login_failed`, `role_changed`, `grant_revoked`, `mfa_enabled`.
    kind: String,
    actor_id: Option<uuid::Uuid>,
    subject_id: Option<uuid::Uuid>,
    session_id: Option<uuid::Uuid>,
    ip: Option<String>,
    #[schema(value_type = Object)]
    detail: serde_json::Value,
    at: DateTime<Utc>,
}

impl From<SecurityEvent> for EventResponse {
    fn from(e: SecurityEvent) -> Self {
        Self {
            id: e.id.0,
            kind: e.kind,
            actor_id: e.actor.map(|u| u.0),
            subject_id: e.subject.map(|u| u.0),
            session_id: e.session.map(|s| s.0),
            ip: e.ip,
            detail: e.detail,
            at: e.at,
        }
    }
}

/// A page of events.
#[derive(Serialize, ToSchema)]
pub struct EventPage {
    data: Vec<EventResponse>,
    /// Whether older events follow; pass the last `id` as `starting_after`.
    has_more: bool,
}

/// The organization's security events and its members' account events (owners and admins, or
/// anyone granted `read` on `audit_log`).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/audit", tag = "audit", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), Page), responses(
    (status = 200, description = "Events, newest first", body = EventPage),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found or not a member", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_audit(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<OrgPath>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<EventPage>, ApiError> {
    let (events, has_more) = audit::list(
        &state.identity,
        who,
        OrgId(p.org_id),
        page.starting_after.map(EventId),
        page.limit.unwrap_or(50),
    )
    .await?;
    Ok(Json(EventPage {
        data: events.into_iter().map(EventResponse::from).collect(),
        has_more,
    }))
}
