//! `/api/v1/orgs/{org_id}/tax-profile`: what the organization's invoices say about it as
//! seller (legal names in English and Arabic, VAT number checked per country, address,
//! default rate). Staff read it; owners and admins set it.

use axum::Json;
use axum::extract::State;
use nestcms_app::invoices::input::ProfileInput;
use nestcms_domain::identity::OrgId;
use nestcms_domain::invoices::TaxProfile;
use nestcms_domain::percent::format_percent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth_extract::Authenticated;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath};
use crate::routes::orgs::OrgPath;
use crate::state::AppState;

/// A tax profile to set.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxProfileRequest {
    /// `SA`, `AE`, `EG`, `KW`, `BH`, `OM` or `QA`.
    country: String,
    legal_name_en: String,
    #[serde(default)]
    legal_name_ar: String,
    /// Required where the country has VAT (Saudi: 15 digits, first and last `3`).
    vat_number: Option<String>,
    street: String,
    city: String,
    #[serde(default)]
    postal_code: String,
    /// Percentage (`"15"`); the country's standard rate when absent.
    default_rate: Option<String>,
    /// Whether typed prices include VAT (default true).
    prices_include_vat: Option<bool>,
}

/// A tax profile.
#[derive(Serialize, ToSchema)]
pub struct TaxProfileResponse {
    country: &'static str,
    legal_name_en: String,
    legal_name_ar: String,
    vat_number: Option<String>,
    street: String,
    city: String,
    postal_code: String,
    /// Percentage with two decimals.
    default_rate: String,
    prices_include_vat: bool,
}

impl From<&TaxProfile> for TaxProfileResponse {
    fn from(t: &TaxProfile) -> Self {
        Self {
            country: t.country.as_str(),
            legal_name_en: t.legal_name_en.clone(),
            legal_name_ar: t.legal_name_ar.clone(),
            vat_number: t.vat_number.clone(),
            street: t.address.street.clone(),
            city: t.address.city.clone(),
            postal_code: t.address.postal_code.clone(),
            default_rate: format_percent(t.default_rate),
            prices_include_vat: t.prices_include_vat,
        }
    }
}

/// The organization's tax profile.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/tax-profile", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), responses(
    (status = 200, description = "The profile", body = TaxProfileResponse),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "None set", body = Problem, content_type = "application/problem+json"),
))]
pub async fn get_tax_profile(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<OrgPath>,
) -> Result<Json<TaxProfileResponse>, ApiError> {
    let t = state.invoices.tax_profile(who, OrgId(p.org_id)).await?;
    Ok(Json((&t).into()))
}

/// Sets the organization's tax profile; invoices already issued keep the one they carry.
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/tax-profile", tag = "invoices", security(("bearer" = [])), params(("org_id" = uuid::Uuid, Path)), request_body = TaxProfileRequest, responses(
    (status = 200, description = "Set", body = TaxProfileResponse),
    (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "Role does not allow it", body = Problem, content_type = "application/problem+json"),
))]
pub async fn put_tax_profile(
    State(state): State<AppState>,
    Authenticated(who): Authenticated,
    ApiPath(p): ApiPath<OrgPath>,
    ApiJson(b): ApiJson<TaxProfileRequest>,
) -> Result<Json<TaxProfileResponse>, ApiError> {
    let input = ProfileInput {
        country: b.country,
        legal_name_en: b.legal_name_en,
        legal_name_ar: b.legal_name_ar,
        vat_number: b.vat_number,
        street: b.street,
        city: b.city,
        postal_code: b.postal_code,
        default_rate: b.default_rate,
        prices_include_vat: b.prices_include_vat,
    };
    let t = state
        .invoices
        .put_tax_profile(who, OrgId(p.org_id), &input)
        .await?;
    Ok(Json((&t).into()))
}
