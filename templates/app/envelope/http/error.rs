//! The error envelope: `{"error": {"code", "message", "request_id"}}` with a matching status.

use axum::extract::path::ErrorKind;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::middleware::current_request_id;
use crate::domain;

/// Seconds a client should wait before retrying after a 503.
const RETRY_AFTER_SECS: &str = "1";

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
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // Availability errors are temporary: tell clients when to try again.
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        response
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
        let status = rejection.status();
        let raw = rejection.body_text();
        let (code, message) = match &rejection {
            JsonRejection::JsonDataError(_) => ("invalid_body", explain(&raw, "the body", "")),
            JsonRejection::JsonSyntaxError(_) => ("malformed_json", explain_syntax(&raw)),
            JsonRejection::MissingJsonContentType(_) => (
                "unsupported_media_type",
                "the body must be JSON sent with `Content-Type: application/json`".to_owned(),
            ),
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => (
                "payload_too_large",
                "the request body is larger than this service accepts".to_owned(),
            ),
            _ => (
                "bad_request",
                "the request body could not be read".to_owned(),
            ),
        };
        rejection_error(status, code, &raw, message)
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        let message = match &rejection {
            PathRejection::FailedToDeserializePathParams(error) => match error.kind() {
                ErrorKind::ParseErrorAtKey {
                    key, expected_type, ..
                } => format!("path parameter `{key}` must be {}", expected(expected_type)),
                ErrorKind::ParseError { expected_type, .. }
                | ErrorKind::ParseErrorAtIndex { expected_type, .. } => {
                    format!("the path parameter must be {}", expected(expected_type))
                }
                ErrorKind::InvalidUtf8InPathParam { key } => {
                    format!("path parameter `{key}` is not valid UTF-8")
                }
                _ => "the path parameters are invalid".to_owned(),
            },
            _ => "the path parameters are invalid".to_owned(),
        };
        rejection_error(
            rejection.status(),
            "invalid_path",
            &rejection.body_text(),
            message,
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        let raw = rejection.body_text();
        let message = explain(&raw, "the query string", "query parameter ");
        rejection_error(rejection.status(), "invalid_query", &raw, message)
    }
}

/// Client errors get `message`, written in API terms; the raw rejection (which names Rust
/// types) goes to the debug log only. Server-side rejections (a route declared wrongly) are
/// logged and hidden like any other internal error.
fn rejection_error(status: StatusCode, code: &'static str, raw: &str, message: String) -> ApiError {
    if status.is_server_error() {
        tracing::error!(%status, raw, "extractor failed");
        ApiError::internal()
    } else {
        tracing::debug!(%status, raw, "request rejected");
        ApiError::new(status, code, message)
    }
}

/// Splits axum's `<summary>: [<path>: ]<serde message>[ at line L column C]` into the path
/// (`None` at the top level) and the message.
fn detail(raw: &str) -> (Option<&str>, &str) {
    // serde's messages start with one of these; anything before `: ` otherwise is a path.
    const MESSAGES: [&str; 9] = [
        "invalid type",
        "invalid value",
        "invalid length",
        "missing field",
        "unknown field",
        "unknown variant",
        "duplicate field",
        "invalid digit",
        "cannot parse",
    ];
    let detail = raw.split_once(": ").map_or("", |(_, detail)| detail);
    let detail = match detail.rsplit_once(" at line ") {
        Some((message, position)) if position.contains(" column ") => message,
        _ => detail,
    };
    if MESSAGES.iter().any(|m| detail.starts_with(m)) {
        return (None, detail);
    }
    match detail.split_once(": ") {
        Some((path, message)) if path != "." => (Some(path), message),
        Some((_, message)) => (None, message),
        None => (None, detail),
    }
}

/// A serde data error as the client should read it: which field, what was expected. Never
/// repeats Rust type names (`struct ItemInput`, `u32`) or the client's value.
fn explain(raw: &str, whole: &str, label: &str) -> String {
    let (path, message) = detail(raw);
    let subject = path.map_or_else(|| whole.to_owned(), |path| format!("{label}`{path}`"));
    // A field name the client made up is echoed, but never more than 64 characters of it.
    let quoted = |s: &str| {
        s.split('`')
            .nth(1)
            .map(|q| q.chars().take(64).collect::<String>())
    };
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = quoted(rest).unwrap_or_default();
        return match path {
            Some(path) => format!("{label}`{path}.{field}` is required"),
            None => format!("{label}`{field}` is required"),
        };
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let field = quoted(rest).unwrap_or_default();
        return match rest.split_once(", expected ") {
            Some((_, known)) => format!("{label}`{field}` is not known; expected {known}"),
            None => format!("{label}`{field}` is not known"),
        };
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        let field = quoted(rest).unwrap_or_default();
        return format!("{label}`{field}` is given more than once");
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return match rest.split_once(", expected ") {
            Some((_, known)) => format!("{subject} must be {known}"),
            None => format!("{subject} has an unknown value"),
        };
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (sent, wanted) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!(
            "{subject} must be {}, not {}",
            expected(wanted),
            received(sent)
        );
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        let wanted = rest
            .split_once(", expected ")
            .map_or("", |(_, wanted)| wanted);
        return format!("{subject} must be {}", expected(wanted));
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        let wanted = rest
            .split_once(", expected ")
            .map_or("", |(_, wanted)| wanted);
        return format!("{subject} must be {}", expected(wanted));
    }
    if message.contains("digit")
        || message.contains("too large")
        || message.contains("too small")
        || message.contains("empty string")
    {
        return format!("{subject} must be a whole number within range");
    }
    format!("{subject} has an invalid value")
}

/// A syntax error keeps serde_json's description (it names no Rust type) and its position.
fn explain_syntax(raw: &str) -> String {
    let detail = raw.split_once(": ").map_or(raw, |(_, detail)| detail);
    if detail.starts_with("EOF while parsing a value at line 1 column 0") {
        return "the request body is empty; send a JSON object".to_owned();
    }
    format!("the body is not valid JSON: {detail}")
}

/// What serde or axum call the expected type, in JSON terms.
fn expected(rust: &str) -> String {
    let range = |min: &dyn std::fmt::Display, max: &dyn std::fmt::Display| {
        format!("an integer from {min} to {max}")
    };
    match rust.trim() {
        "a string" | "a borrowed string" | "String" | "str" | "char" | "a character" => {
            "a string".to_owned()
        }
        "u8" => range(&0, &u8::MAX),
        "u16" => range(&0, &u16::MAX),
        "u32" => range(&0, &u32::MAX),
        "u64" | "usize" => range(&0, &u64::MAX),
        "i8" => range(&i8::MIN, &i8::MAX),
        "i16" => range(&i16::MIN, &i16::MAX),
        "i32" => range(&i32::MIN, &i32::MAX),
        "i64" | "isize" => range(&i64::MIN, &i64::MAX),
        "f32" | "f64" => "a number".to_owned(),
        "a boolean" | "bool" => "`true` or `false`".to_owned(),
        "a sequence" => "an array".to_owned(),
        other if other.starts_with("struct ") || other.starts_with("a map") => {
            "a JSON object".to_owned()
        }
        other if other.starts_with("tuple") || other.starts_with("an array") => {
            "an array".to_owned()
        }
        _ => "a value of another type".to_owned(),
    }
}

/// What serde calls the value the client sent, in JSON terms.
fn received(unexpected: &str) -> &'static str {
    match unexpected.split([' ', ',']).next().unwrap_or_default() {
        "integer" | "floating" => "a number",
        "string" | "char" => "a string",
        "boolean" => "a boolean",
        "null" | "unit" => "null",
        "map" => "an object",
        "sequence" => "an array",
        _ => "a value of another type",
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

    #[tokio::test]
    async fn unavailable_answers_carry_retry_after() {
        let response =
            ApiError::from(Error::Unavailable("down".into())).into_response_with_id(None);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response
                .headers()
                .get(header::RETRY_AFTER)
                .map(HeaderValue::as_bytes),
            Some(RETRY_AFTER_SECS.as_bytes())
        );
    }

    /// A body with a field of each kind, to provoke every serde error.
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // only deserialized
    struct Probe {
        name: String,
        count: u32,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)] // only deserialized
    struct QueryProbe {
        page: Option<u32>,
    }

    async fn json_rejection(body: &[u8], content_type: &str) -> ApiError {
        use axum::extract::FromRequest;
        let request = axum::http::Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, content_type)
            .body(axum::body::Body::from(body.to_vec()))
            .unwrap();
        let rejection = axum::Json::<Probe>::from_request(request, &())
            .await
            .unwrap_err();
        ApiError::from(rejection)
    }

    /// Rust's vocabulary never reaches a client.
    fn assert_api_terms(error: &ApiError) {
        for leak in [
            "struct",
            "Probe",
            "u32",
            "i64",
            "invalid type",
            "expected a",
            "serde",
        ] {
            assert!(!error.message.contains(leak), "{leak:?} in {error:?}");
        }
    }

    #[tokio::test]
    async fn json_rejections_name_the_field_in_api_terms() {
        let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
        let cases: [(&[u8], u16, &str, &str); 13] = [
            (
                br#"{"name": 5, "count": 1}"#,
                422,
                "invalid_body",
                "`name` must be a string, not a number",
            ),
            (
                br#"{"name": null, "count": 1}"#,
                422,
                "invalid_body",
                "`name` must be a string, not null",
            ),
            (
                br#"{"count": 1}"#,
                422,
                "invalid_body",
                "`name` is required",
            ),
            (
                br#"{"name": "a", "count": 1, "colour": "red"}"#,
                422,
                "invalid_body",
                "`colour` is not known",
            ),
            (
                br#"{"name": "a", "count": -1}"#,
                422,
                "invalid_body",
                "`count` must be an integer from 0 to 4294967295",
            ),
            (
                br#"{"name": "a", "count": 99999999999999999999999}"#,
                422,
                "invalid_body",
                "`count` must be",
            ),
            (
                br#"{"name": "a", "count": 1, "tags": [1]}"#,
                422,
                "invalid_body",
                "`tags[0]` must be a string",
            ),
            (b"[]", 422, "invalid_body", "the body must be a JSON object"),
            (
                b"\"text\"",
                422,
                "invalid_body",
                "the body must be a JSON object, not a string",
            ),
            (deep.as_bytes(), 422, "invalid_body", "must be"),
            (b"", 400, "malformed_json", "the request body is empty"),
            (b"{\"name\": ", 400, "malformed_json", "not valid JSON"),
            (
                b"{\"name\": \"\xff\xfe\", \"count\": 1}",
                400,
                "malformed_json",
                "not valid JSON",
            ),
        ];
        for (body, status, code, message) in cases {
            let error = json_rejection(body, "application/json").await;
            let shown = String::from_utf8_lossy(body);
            assert_eq!(
                (error.status.as_u16(), error.code),
                (status, code),
                "{shown}: {error:?}"
            );
            assert!(error.message.contains(message), "{shown}: {error:?}");
            assert_api_terms(&error);
        }
    }

    #[tokio::test]
    async fn echoed_field_names_are_bounded() {
        let body = format!(
            r#"{{"name": "a", "count": 1, "{}": 1}}"#,
            "k".repeat(10_000)
        );
        let error = json_rejection(body.as_bytes(), "application/json").await;
        assert_eq!(error.code, "invalid_body");
        assert!(error.message.len() < 200, "{error:?}");
    }

    #[tokio::test]
    async fn wrong_content_type_is_415() {
        let error = json_rejection(br#"{"name": "a", "count": 1}"#, "text/plain").await;
        assert_eq!(
            (error.status, error.code),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        );
    }

    #[tokio::test]
    async fn query_rejections_name_the_parameter() {
        use axum::extract::FromRequestParts;
        for query in ["page=abc", "page=-1", "page=99999999999", "page="] {
            let request = axum::http::Request::builder()
                .uri(format!("/items?{query}"))
                .body(())
                .unwrap();
            let (mut parts, ()) = request.into_parts();
            let rejection = axum::extract::Query::<QueryProbe>::from_request_parts(&mut parts, &())
                .await
                .unwrap_err();
            let error = ApiError::from(rejection);
            assert_eq!(
                (error.status, error.code),
                (StatusCode::BAD_REQUEST, "invalid_query")
            );
            assert!(
                error.message.starts_with("query parameter `page` must be"),
                "{query}: {error:?}"
            );
            assert_api_terms(&error);
        }
    }
}
