//! `/api/v1/users/me/notifications`: what NestCMS told the caller (receipts so far), newest
//! first. Until e-mail and SMS are configured this is where the messages are read.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use nestcms_domain::notify::Notification;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth_extract::Authenticated;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// How many of the newest are listed.
const NEWEST: u32 = 100;

/// One message.
#[derive(Serialize, ToSchema)]
pub struct NotificationResponse {
    id: uuid::Uuid,
    /// The organization it concerns.
    org_id: Option<uuid::Uuid>,
    /// `payment_receipt`.
    kind: &'static str,
    /// `log` (recorded here; e-mail and SMS when configured).
    channel: &'static str,
    /// `en` or `ar`.
    language: &'static str,
    subject: String,
    body: String,
    /// `recorded`.
    status: &'static str,
    created_at: DateTime<Utc>,
}

impl From<&Notification> for NotificationResponse {
    fn from(n: &Notification) -> Self {
        Self {
            id: n.id,
            org_id: n.org.map(|o| o.0),
            kind: n.kind.as_str(),
            channel: n.channel,
            language: n.language.as_str(),
            subject: n.subject.clone(),
            body: n.body.clone(),
            status: n.status,
            created_at: n.at,
        }
    }
}

/// The caller's notifications.
#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    /// Newest first, at most 100.
    data: Vec<NotificationResponse>,
}

/// The caller's notifications, newest first (at most 100).
#[utoipa::path(get, path = "/api/v1/users/me/notifications", tag = "users", security(("bearer" = [])), responses(
    (status = 200, description = "Newest first", body = NotificationList),
    (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
))]
pub async fn my_notifications(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
) -> Result<Json<NotificationList>, ApiError> {
    let list = state.receipts.of(who.user, NEWEST).await?;
    Ok(Json(NotificationList {
        data: list.iter().map(NotificationResponse::from).collect(),
    }))
}
