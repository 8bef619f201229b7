//! The admin API's errors (`{"code", "message"}`, built by
//! [`crate::error_body`]), request body
//! reading with a size limit and JSON parse positions, and the refusal of
//! declared oversize bodies.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use super::Admin;
use crate::error::Problem;
use crate::server::{read_limited, BodyReadError};

/// An admin API error: status, Node-RED's machine-readable `code`, a
/// message for people and, for a rejected deploy, every problem found.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub problems: Vec<Problem>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            problems: Vec::new(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        crate::error_body::admin_error(self.status, self.code, &self.message, &self.problems)
    }
}

/// A JSON response with Node-RED's content type.
pub use crate::error_body::json as json_response;

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "request_too_large",
        format!("request body is larger than {limit} bytes"),
    )
}

/// Read a request body of at most `limit` bytes (a declared
/// `Content-Length` over the limit is refused before reading anything).
pub async fn read_body(body: Body, limit: usize) -> Result<bytes::Bytes, ApiError> {
    read_limited(body, limit).await.map_err(|e| match e {
        BodyReadError::TooLarge(limit) => too_large(limit),
        BodyReadError::TimedOut(why) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            why.to_string(),
        ),
        BodyReadError::Broken(_) => ApiError::bad_request("invalid_request", e.to_string()),
    })
}

/// Parse a JSON body, reporting where it is malformed.
pub fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    serde_json::from_slice(bytes).map_err(|e| {
        let what = e.to_string();
        let what = what.split(" at line ").next().unwrap_or(&what).to_owned();
        ApiError::bad_request(
            "invalid_json",
            format!(
                "request body is not valid JSON: {what} at line {} column {}",
                e.line(),
                e.column()
            ),
        )
    })
}

/// A form or JSON body as a JSON object (`/auth/token` accepts both, as
/// Node-RED's body parsers do).
pub fn parse_form_or_json(headers: &HeaderMap, bytes: &[u8]) -> Result<Value, ApiError> {
    let is_form = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes)
            .map_err(|e| ApiError::bad_request("invalid_request", format!("invalid form: {e}")))?;
        Ok(Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ))
    } else if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(json!({}))
    } else {
        parse_json(bytes)
    }
}

/// Refuse a body whose declared `Content-Length` is over the limit before
/// any route reads it (routes that take the body through an extractor
/// included), so a client that sent `Expect: 100-continue` gets 413 without
/// `100 Continue` and never sends the body. How fast the body must arrive is
/// the connection layer's rule (`--body-timeout`, `--min-body-rate`).
pub async fn limits(State(admin): State<Arc<Admin>>, req: Request, next: Next) -> Response {
    let limit = admin.options.max_body_bytes;
    if axum::body::HttpBody::size_hint(req.body()).lower() > limit as u64 {
        return too_large(limit).into_response();
    }
    next.run(req).await
}
