//! `/api/v1/orgs/{org_id}/offers`: quotes to clients.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use nestcms_app::construction::offers::{self, NewOffer};
use nestcms_domain::construction::{Offer, OfferId, OfferStatus};
use nestcms_domain::identity::UserId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::common::{List, Order, money_in, money_out, page};
use super::contracts::ContractResponse;
use crate::auth_extract::InOrg;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// Path of one offer.
#[derive(Deserialize)]
pub struct OfferPath {
    offer_id: uuid::Uuid,
}

/// A new offer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOfferRequest {
    /// A member with the client role.
    client_id: uuid::Uuid,
    title: String,
    scope: String,
    /// Decimal text, at most the currency's decimals, e.g. `"1500.00"`.
    price: String,
    /// ISO 4217, e.g. `SAR`, `KWD`.
    currency: String,
    /// Last day to accept (`YYYY-MM-DD`).
    #[serde(deserialize_with = "crate::dates::date")]
    valid_until: NaiveDate,
}

/// Listing filters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfferFilter {
    /// Only offers in this state.
    #[param(value_type = Option<String>)]
    status: Option<OfferStatus>,
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

/// An offer.
#[derive(Serialize, ToSchema)]
pub struct OfferResponse {
    id: uuid::Uuid,
    client_id: uuid::Uuid,
    author_id: uuid::Uuid,
    title: String,
    scope: String,
    price: String,
    currency: String,
    valid_until: NaiveDate,
    /// `review`, `approved_by_client`, `rejected_by_client`, `converted_to_contract`, `closed`.
    status: String,
    contract_id: Option<uuid::Uuid>,
    created_at: DateTime<Utc>,
}

impl From<&Offer> for OfferResponse {
    fn from(o: &Offer) -> Self {
        Self {
            id: o.id.0,
            client_id: o.client_id.0,
            author_id: o.author_id.0,
            title: o.title.clone(),
            scope: o.scope.clone(),
            price: money_out(o.price),
            currency: o.price.currency().code().to_owned(),
            valid_until: o.valid_until,
            status: o.status.as_str().to_owned(),
            contract_id: o.contract_id.map(|c| c.0),
            created_at: o.created_at,
        }
    }
}

/// Writes an offer for a client (staff).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/offers", tag = "offers", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), request_body = CreateOfferRequest, responses(
    (status = 201, description = "Created", body = OfferResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found or not a member", body = Problem, content_type = "application/problem+json"),
))]
pub async fn create_offer(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiJson(b): ApiJson<CreateOfferRequest>,
) -> Result<(StatusCode, Json<OfferResponse>), ApiError> {
    let n = NewOffer {
        client_id: UserId(b.client_id),
        title: b.title,
        scope: b.scope,
        price: money_in(&b.price, &b.currency, "/price", "/currency")?,
        valid_until: b.valid_until,
    };
    let o = offers::create(&state.identity, &state.construction, &c, n).await?;
    Ok((StatusCode::CREATED, Json(OfferResponse::from(&o))))
}

/// Offers (clients see their own).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/offers", tag = "offers", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), OfferFilter), responses(
    (status = 200, description = "Offers, newest first", body = List<OfferResponse>),
    (status = 404, description = "Not found or not a member", body = Problem, content_type = "application/problem+json"),
))]
pub async fn list_offers(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(_p): ApiPath<OrgPath>,
    ApiQuery(f): ApiQuery<OfferFilter>,
) -> Result<Json<List<OfferResponse>>, ApiError> {
    let page = offers::list(
        &state.construction,
        &c,
        f.status,
        page(f.limit, f.starting_after, f.order),
    )
    .await?;
    Ok(Json(List::from_paged(page)))
}

/// One offer.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/offers/{offer_id}", tag = "offers", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("offer_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "The offer", body = OfferResponse),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
))]
pub async fn get_offer(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<OfferPath>,
) -> Result<Json<OfferResponse>, ApiError> {
    Ok(Json(OfferResponse::from(
        &offers::get(&state.construction, &c, OfferId(p.offer_id)).await?,
    )))
}

/// The client accepts the offer; it becomes a contract in review (once).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/offers/{offer_id}/approve", tag = "offers", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("offer_id" = uuid::Uuid, Path)), responses(
    (status = 201, description = "The new contract (`id` is the contract_id)", body = ContractResponse),
    (status = 403, description = "Not the offer's client", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already converted, expired, or not in review", body = Problem, content_type = "application/problem+json"),
))]
pub async fn approve_offer(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<OfferPath>,
) -> Result<(StatusCode, Json<ContractResponse>), ApiError> {
    let k = offers::approve(&state.construction, &c, OfferId(p.offer_id)).await?;
    Ok((StatusCode::CREATED, Json(ContractResponse::from(&k))))
}

/// The client declines the offer.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/offers/{offer_id}/reject", tag = "offers", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("offer_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Declined", body = OfferResponse),
    (status = 403, description = "Not the offer's client", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not in review", body = Problem, content_type = "application/problem+json"),
))]
pub async fn reject_offer(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<OfferPath>,
) -> Result<Json<OfferResponse>, ApiError> {
    Ok(Json(OfferResponse::from(
        &offers::reject(&state.construction, &c, OfferId(p.offer_id)).await?,
    )))
}

/// Staff withdraw an offer.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/offers/{offer_id}/close", tag = "offers", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path), ("offer_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "Closed", body = OfferResponse),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already converted or closed", body = Problem, content_type = "application/problem+json"),
))]
pub async fn close_offer(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<OfferPath>,
) -> Result<Json<OfferResponse>, ApiError> {
    Ok(Json(OfferResponse::from(
        &offers::close(&state.construction, &c, OfferId(p.offer_id)).await?,
    )))
}
