//! Uploading and downloading design files:
//! `POST …/projects/{project_id}/designs/{design_id}/uploads` (raw body, PDF/PNG/JPEG) and
//! `GET …/designs/{design_id}/versions/{version}/file`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use nestcms_app::construction::projects::{self, Upload};
use nestcms_domain::construction::{DesignId, ProjectId};
use serde::Deserialize;
use utoipa::IntoParams;

use super::project_parts::DesignResponse;
use crate::auth_extract::InOrg;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

/// Path of a design.
#[derive(Deserialize)]
pub struct DesignPath {
    project_id: uuid::Uuid,
    design_id: uuid::Uuid,
}

/// Path of one version of a design.
#[derive(Deserialize)]
pub struct VersionPath {
    project_id: uuid::Uuid,
    design_id: uuid::Uuid,
    version: i32,
}

/// The uploaded file's name.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// Original file name (kept, sanitised, for downloads).
    #[serde(default, deserialize_with = "crate::limits::opt_max::<255, _>")]
    file_name: Option<String>,
}

/// The raw request body within the upload limit (413 beyond it).
pub struct RawBody(Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|r| {
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "the file is larger than the server accepts (server.upload_limit_bytes)",
                    )
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "unreadable_body",
                        "the request body could not be read",
                    )
                }
            })
    }
}

/// Uploads a file as the design's next version.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/projects/{project_id}/designs/{design_id}/uploads", tag = "projects", security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path), ("design_id" = uuid::Uuid, Path), UploadQuery),
    request_body(description = "The file's bytes; Content-Type must name its type", content(("application/pdf"), ("image/png"), ("image/jpeg"))),
    responses(
        (status = 201, description = "The design with the new version", body = DesignResponse),
        (status = 400, description = "Unsupported type, empty, or bytes not of the declared type", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not on the project", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too large", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn upload_design_file(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<DesignPath>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: axum::http::HeaderMap,
    RawBody(bytes): RawBody,
) -> Result<(StatusCode, Json<DesignResponse>), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let upload = Upload {
        file_name: q.file_name.unwrap_or_default(),
        content_type,
        bytes: bytes.to_vec(),
    };
    let d = projects::upload_design_version(
        &state.construction,
        &state.files,
        &c,
        ProjectId(p.project_id),
        DesignId(p.design_id),
        upload,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(DesignResponse::from(&d))))
}

/// Downloads an uploaded version.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/projects/{project_id}/designs/{design_id}/versions/{version}/file", tag = "projects", security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path), ("project_id" = uuid::Uuid, Path), ("design_id" = uuid::Uuid, Path), ("version" = i32, Path)),
    responses(
        (status = 200, description = "The file, as an attachment", content(("application/pdf"), ("image/png"), ("image/jpeg"))),
        (status = 404, description = "Not found, or the version is a link", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn download_design_file(
    State(state): State<AppState>,
    InOrg(c): InOrg,
    ApiPath(p): ApiPath<VersionPath>,
) -> Result<Response, ApiError> {
    let (bytes, content_type, name) = projects::design_file(
        &state.construction,
        &state.files,
        &c,
        ProjectId(p.project_id),
        DesignId(p.design_id),
        p.version,
    )
    .await?;
    Ok(super::invoice_files::attachment(
        bytes,
        &content_type,
        &name,
        false,
    ))
}
