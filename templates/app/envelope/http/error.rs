//! The error envelope: `{"error": {"code", "message", "request_id"}}` with a matching status.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::middleware::current_request_id;
use crate::domain;

/// An error response. Build it from a domain error or an extractor rejection and return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
    request_id: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "an internal error occurred; quote the request id when reporting it",
        )
    }

    /// The response, with the request id given explicitly (for code outside a request scope).
    pub fn into_response_with_id(self, request_id: Option<String>) -> Response {
        let body = Body {
            error: Detail {
                code: self.code,
                message: &self.message,
                request_id,
            },
        };
        (self.status, axum::Json(body)).into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.into_response_with_id(current_request_id())
    }
}

impl From<domain::Error> for ApiError {
    fn from(error: domain::Error) -> Self {
        match error {
            domain::Error::Validation(message) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                message,
            ),
            error @ domain::Error::NotFound { .. } => {
                Self::new(StatusCode::NOT_FOUND, "not_found", error.to_string())
            }
            domain::Error::Conflict(message) => {
                Self::new(StatusCode::CONFLICT, "conflict", message)
            }
            domain::Error::Unavailable(source) => {
                tracing::error!(error = %source, "storage unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service_unavailable",
                    "the service is temporarily unavailable; retry later",
                )
            }
            domain::Error::Internal(source) => {
                // The detail goes to the log (with the request id from the span), never to the client.
                tracing::error!(error = %source, debug = ?source, "internal error");
                Self::internal()
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let code = match rejection {
            JsonRejection::JsonSyntaxError(_) => "malformed_json",
            JsonRejection::JsonDataError(_) => "invalid_body",
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            _ => "bad_request",
        };
        rejection_error(rejection.status(), code, rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        rejection_error(rejection.status(), "invalid_path", rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        rejection_error(rejection.status(), "invalid_query", rejection.body_text())
    }
}

/// Client errors keep axum's message (it describes the input); server-side rejections (a route
/// declared wrongly) are logged and hidden like any other internal error.
fn rejection_error(status: StatusCode, code: &'static str, message: String) -> ApiError {
    if status.is_server_error() {
        tracing::error!(%status, message, "extractor failed");
        ApiError::internal()
    } else {
        ApiError::new(status, code, message)
    }
}

/// Fallback for paths no route matches.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

/// Fallback for a known path with an unsupported method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this route",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Error;

    #[test]
    fn domain_errors_map_to_statuses() {
        let cases = [
            (
                Error::Validation("bad".into()),
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
            ),
            (
                Error::NotFound {
                    resource: "item",
                    id: 7,
                },
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                Error::Conflict("dup".into()),
                StatusCode::CONFLICT,
                "conflict",
            ),
            (
                Error::Unavailable("down".into()),
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
            ),
            (
                Error::Internal("boom".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
            ),
        ];
        for (error, status, code) in cases {
            let api = ApiError::from(error);
            assert_eq!((api.status, api.code), (status, code));
        }
    }

    #[test]
    fn internal_errors_do_not_leak_details() {
        let api = ApiError::from(Error::Internal("password=hunter2 at db:5432".into()));
        assert!(!api.message.contains("hunter2"));
        assert!(!api.message.contains("5432"));
    }

    #[tokio::test]
    async fn body_is_the_error_envelope() {
        let response = ApiError::new(StatusCode::CONFLICT, "conflict", "taken")
            .into_response_with_id(Some("req-1".into()));
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "conflict", "message": "taken", "request_id": "req-1"}})
        );
    }
}
