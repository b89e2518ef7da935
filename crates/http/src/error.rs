//! [`ApiError`]: the HTTP layer's one error type, rendered as RFC 9457 problem details.
//!
//! Handlers return `Result<_, ApiError>`; domain and port errors convert with `?`. The status
//! mapping lives here and nowhere else. A 5xx carries its internal cause for the log only: it is
//! logged once, here, inside the request's span (so with its request id), and the client sees a
//! generic detail.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nestcms_domain::{DomainError, FieldError, PortError};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One offending input field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// JSON pointer to the field, e.g. `/price`.
    pub field: String,
    /// Stable machine code, e.g. `too_many_decimals`.
    pub code: String,
    /// Human explanation.
    pub message: String,
}

impl From<FieldError> for FieldProblem {
    fn from(e: FieldError) -> Self {
        Self {
            field: e.field,
            code: e.code.to_owned(),
            message: e.message,
        }
    }
}

/// An RFC 9457 problem details document, with NestCMS's extension members.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// URI identifying the problem type: `urn:nestcms:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the problem type (the HTTP reason phrase).
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    pub detail: String,
    /// Stable machine-readable code; clients branch on this, not on `detail`.
    pub code: String,
    /// The request id (also in the `x-request-id` header); quote it when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The request path that produced the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Offending fields for validation failures; empty otherwise.
    pub errors: Vec<FieldProblem>,
    /// Problem-specific members, e.g. `checks` on a failed readiness probe.
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    /// A problem for a status, with a code and a detail.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            type_uri: format!("urn:nestcms:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            request_id: None,
            instance: None,
            errors: Vec::new(),
            extensions: serde_json::Map::new(),
        }
    }

    /// The generic problem for a status produced outside our handlers (router, limits, timeout).
    pub fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => ("not_found", "no resource at this path"),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "this path does not accept that method; see the Allow header",
            ),
            StatusCode::REQUEST_TIMEOUT => (
                "request_timeout",
                "the request took too long and was abandoned",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "payload_too_large",
                "the request body is larger than the server accepts",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "the request body has an unsupported Content-Type",
            ),
            StatusCode::TOO_MANY_REQUESTS => {
                ("too_many_requests", "too many requests; retry later")
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                ("unavailable", "the service is temporarily unavailable")
            }
            s if s.is_server_error() => (
                "internal_error",
                "an internal error occurred; quote the request id when reporting it",
            ),
            _ => ("bad_request", "the request could not be processed"),
        };
        Self::new(status, code, detail)
    }

    /// Serialises the problem into a response with the problem media type.
    pub fn into_response_with(self, status: StatusCode) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{}".to_vec());
        let mut res = (status, body).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        res.extensions_mut().insert(self);
        res
    }
}

/// An error a handler returns.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    /// Boxed: errors travel through every `Result` in a handler, so keep them pointer-sized.
    problem: Box<Problem>,
    /// The cause, for the log only (5xx).
    internal: Option<String>,
    /// Seconds for `Retry-After`, on 429 and 503.
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, a stable code and a detail for the client.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            problem: Box::new(Problem::new(status, code, detail)),
            internal: None,
            retry_after: None,
        }
    }

    /// A 400 listing the offending fields.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{} is invalid: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        let mut e = Self::new(StatusCode::BAD_REQUEST, "validation_failed", detail);
        e.problem.errors = errors.into_iter().map(FieldProblem::from).collect();
        e
    }

    /// A 500 whose cause is logged but never shown.
    pub fn internal(cause: impl Into<String>) -> Self {
        let mut e = Self::from_problem(Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR));
        e.internal = Some(cause.into());
        e
    }

    /// Wraps a fully built problem.
    pub fn from_problem(problem: Problem) -> Self {
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self {
            status,
            problem: Box::new(problem),
            internal: None,
            retry_after: None,
        }
    }

    /// Attaches field errors.
    pub fn with_errors(mut self, errors: Vec<FieldProblem>) -> Self {
        self.problem.errors = errors;
        self
    }

    /// Adds an extension member.
    pub fn with_extension(mut self, key: &str, value: serde_json::Value) -> Self {
        self.problem.extensions.insert(key.to_owned(), value);
        self
    }

    /// Asks the client to wait before retrying (`Retry-After`).
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Validation(errors) => Self::validation(errors),
            DomainError::NotFound(what) => Self::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            DomainError::Conflict { code, message } => {
                Self::new(StatusCode::CONFLICT, code, message)
            }
            DomainError::Unprocessable { code, errors } => {
                let detail = errors.first().map_or_else(
                    || "the request breaks a business rule".to_owned(),
                    |e| e.message.clone(),
                );
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
                    .with_errors(errors.into_iter().map(FieldProblem::from).collect())
            }
            DomainError::Forbidden(message) => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", message)
            }
            DomainError::Unauthenticated { code, message } => {
                Self::new(StatusCode::UNAUTHORIZED, code, message)
            }
            DomainError::RateLimited {
                code,
                message,
                retry_after_secs,
            } => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                code,
                format!("{message}; retry in {retry_after_secs} s"),
            )
            .with_retry_after(retry_after_secs),
            DomainError::GatewayUnavailable { retry_after_secs } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "gateway_unavailable",
                "the payment gateway is not answering; nothing was charged or refunded, try again shortly",
            )
            .with_retry_after(retry_after_secs),
            DomainError::Unavailable(what) => {
                let mut err = if what == "database" {
                    crate::dbgate::unavailable(5)
                } else {
                    Self::from_problem(Problem::for_status(StatusCode::SERVICE_UNAVAILABLE))
                };
                err.internal = Some(format!("{what} unavailable"));
                err
            }
            DomainError::Internal(cause) => Self::internal(cause),
        }
    }
}

impl From<PortError> for ApiError {
    /// Through the one storage-error mapping of the use cases (`nestcms_app::storage_error`).
    fn from(e: PortError) -> Self {
        nestcms_app::storage_error(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            let cause = self.internal.as_deref().unwrap_or("unspecified");
            tracing::error!(error.code = %self.problem.code, error.cause = %cause, "request failed: {cause}");
        }
        let mut res = (*self.problem).into_response_with(self.status);
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}
