//! The JSON bodies HTTP answers carry, errors in particular, built in one
//! place. Two error shapes, each where its side of Node-RED uses it:
//!
//! - `{"error": message}` on flows' endpoints and from the connection layer
//!   (a node error nothing caught adds `"node"`: the node that raised it);
//! - `{"code", "message"}` on the admin API and node types' admin routes,
//!   as Node-RED's admin API answers (a refused deploy adds `"problems"`);
//!   `POST /auth/token` alone answers OAuth's `{"error",
//!   "error_description"}` (RFC 6749), as Node-RED's does.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde_json::{json, Value};

use crate::error::Problem;

/// The content type of every JSON answer, as Express's `res.json` sends it.
pub fn json_content_type() -> HeaderValue {
    HeaderValue::from_static("application/json; charset=utf-8")
}

/// A JSON answer.
pub fn json(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).expect("JSON serializes");
    (
        status,
        [(http::header::CONTENT_TYPE, json_content_type())],
        bytes,
    )
        .into_response()
}

/// A flow endpoint's (or the connection layer's) error: `{"error": message}`.
pub fn flow_error(status: StatusCode, message: impl Into<String>) -> Response {
    json(status, &json!({ "error": message.into() }))
}

/// The body answering a request whose flow failed at node `node_id` with
/// nothing catching the error: `{"error": message, "node": node_id}`.
pub fn node_error(node_id: &str, message: &str) -> Bytes {
    Bytes::from(
        serde_json::to_vec(&json!({ "error": message, "node": node_id }))
            .expect("error body serializes"),
    )
}

/// An admin error: `{"code", "message"}`, with `"problems"` when there are
/// any (every problem of a refused deploy).
pub fn admin_error(
    status: StatusCode,
    code: &str,
    message: &str,
    problems: &[Problem],
) -> Response {
    let mut body = json!({ "code": code, "message": message });
    if !problems.is_empty() {
        body["problems"] = serde_json::to_value(problems).expect("problems serialize");
    }
    json(status, &body)
}

/// An OAuth token endpoint's error (RFC 6749, section 5.2).
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}
