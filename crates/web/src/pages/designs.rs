//! Design files on a project's page: uploading a version from a plain multipart form (the
//! form token checked, the size bounded while reading) and downloading one.

use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::response::Response;
use nestcms_app::construction::projects::{self, Upload};
use nestcms_domain::DomainError;
use nestcms_domain::construction::{DesignId, ProjectId};

use super::member_or_return;
use crate::ctx::Person;

/// `POST /app/o/{org}/projects/{id}/designs/{design}/versions`: a multipart form with the
/// file and the form token. The upload limit is the API's (`server.upload_limit_bytes`).
pub async fn upload(
    p: Person,
    Path((org, id, design)): Path<(uuid::Uuid, uuid::Uuid, uuid::Uuid)>,
    req: axum::http::HeaderMap,
    mut form: Multipart,
) -> Response {
    let limit = p.v.state.http.upload_limit_bytes;
    // A member first: nobody else gets to send us a body to read.
    let (c, v) = member_or_return!(p, org);
    let mut token = Vec::new();
    let mut file: Option<Upload> = None;
    let mut too_big = false;
    // A body that breaks off or cannot be read is refused, never kept as a cut-off file.
    let mut broken = false;
    'fields: loop {
        let mut field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                broken = true;
                break;
            }
        };
        match field.name() {
            Some("csrf") => {
                while let Some(chunk) = match field.chunk().await {
                    Ok(chunk) => chunk,
                    Err(_) => {
                        broken = true;
                        break 'fields;
                    }
                } {
                    // A token is 43 characters; a longer field is not one.
                    if token.len() + chunk.len() > 64 {
                        break 'fields;
                    }
                    token.extend_from_slice(&chunk);
                }
            }
            Some("file") => {
                let file_name = field.file_name().unwrap_or("design").to_owned();
                let content_type = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let mut bytes = Vec::new();
                while let Some(chunk) = match field.chunk().await {
                    Ok(chunk) => chunk,
                    Err(_) => {
                        broken = true;
                        break 'fields;
                    }
                } {
                    if bytes.len() + chunk.len() > limit {
                        // Stop reading: the rest of the body is never buffered.
                        too_big = true;
                        break 'fields;
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some(Upload {
                    file_name,
                    content_type,
                    bytes,
                });
            }
            _ => {}
        }
    }
    if !crate::session::form_token_ok(&req, std::str::from_utf8(&token).unwrap_or_default()) {
        let why = v.frame.w.bad_form.to_owned();
        return v.message(StatusCode::FORBIDDEN, why);
    }
    if broken {
        let why = v.frame.w.bad_request.to_owned();
        return v.message(StatusCode::BAD_REQUEST, why);
    }
    let outcome = match (file, too_big) {
        (_, true) => Err(DomainError::invalid(
            "/file",
            "too_large",
            format!("at most {limit} bytes"),
        )),
        (None, _) => Err(DomainError::invalid("/file", "required", "choose a file")),
        (Some(up), false) => {
            let (data, files) = (&v.state.construction, &v.state.files);
            projects::upload_design_version(data, files, &c, ProjectId(id), DesignId(design), up)
                .await
                .map(drop)
        }
    };
    match outcome {
        Ok(()) => v.to(&format!("/app/o/{org}/projects/{id}")),
        Err(e) => v.refuse(&e),
    }
}

/// `GET /app/o/{org}/projects/{id}/designs/{design}/versions/{version}/file`.
pub async fn file(
    p: Person,
    Path((org, id, design, version)): Path<(uuid::Uuid, uuid::Uuid, uuid::Uuid, i32)>,
) -> Response {
    let (c, v) = member_or_return!(p, org);
    let (data, files) = (&v.state.construction, &v.state.files);
    match projects::design_file(data, files, &c, ProjectId(id), DesignId(design), version).await {
        Ok((bytes, content_type, name)) => {
            crate::ctx::file(v.out, bytes, &content_type, &name, false)
        }
        Err(e) => v.refuse(&e),
    }
}
