//! `/api/v1/users/me/notifications`: what NestCMS told the caller (receipts so far), newest
//! first; until e-mail and SMS are configured this is where the messages are read. And
//! `/api/v1/users/me/language`: the language they are written in.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use nestcms_domain::notify::Notification;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth_extract::Authenticated;
use crate::error::{ApiError, Problem};
use crate::extract::ApiJson;
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
    let list =
        nestcms_app::notify::notifications_of(state.notifications.as_ref(), who.user, NEWEST)
            .await?;
    Ok(Json(NotificationList {
        data: list.iter().map(NotificationResponse::from).collect(),
    }))
}

/// The language of the caller's messages.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageBody {
    /// `en` or `ar`.
    #[serde(deserialize_with = "crate::limits::max::<8, _>")]
    language: String,
}

/// Sets the language the caller's messages (receipts, reminders) are written in.
#[utoipa::path(put, path = "/api/v1/users/me/language", tag = "users", security(("bearer" = [])), request_body = LanguageBody, responses(
    (status = 200, description = "Set", body = LanguageBody),
    (status = 400, description = "Not a language NestCMS writes in", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
))]
pub async fn set_language(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiJson(body): ApiJson<LanguageBody>,
) -> Result<Json<LanguageBody>, ApiError> {
    let language = state.auth.set_language(who, &body.language).await?;
    Ok(Json(LanguageBody {
        language: language.as_str().to_owned(),
    }))
}

/// The channels the caller is told on.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelsBody {
    /// `email` and/or `sms` (SMS needs a phone number on the account); empty: messages are
    /// only listed here. Channels the installation has not set up fall back to the list.
    channels: Vec<String>,
}

fn channels_body(list: &[nestcms_domain::notify::Channel]) -> ChannelsBody {
    ChannelsBody {
        channels: list.iter().map(|c| c.as_str().to_owned()).collect(),
    }
}

/// The channels the caller's messages go out on.
#[utoipa::path(get, path = "/api/v1/users/me/notification-channels", tag = "users", security(("bearer" = [])), responses(
    (status = 200, description = "The channels", body = ChannelsBody),
    (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
))]
pub async fn my_channels(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
) -> Result<Json<ChannelsBody>, ApiError> {
    let list = nestcms_app::notify::channels_of(state.notifications.as_ref(), who.user).await?;
    Ok(Json(channels_body(&list)))
}

/// Chooses the channels the caller's messages go out on.
#[utoipa::path(put, path = "/api/v1/users/me/notification-channels", tag = "users", security(("bearer" = [])), request_body = ChannelsBody, responses(
    (status = 200, description = "Set", body = ChannelsBody),
    (status = 400, description = "Unknown or repeated channel, or SMS without a phone number", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
))]
pub async fn set_channels(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiJson(body): ApiJson<ChannelsBody>,
) -> Result<Json<ChannelsBody>, ApiError> {
    let list =
        nestcms_app::notify::set_channels(state.notifications.as_ref(), who.user, &body.channels)
            .await?;
    Ok(Json(channels_body(&list)))
}
