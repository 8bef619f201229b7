//! Node-RED's library API, read-only, for its `examples` library: the
//! example flows shipped with the runtime, which the editor's Import dialog
//! lists in its Examples tab. The shapes are Node-RED 5's:
//!
//! - `GET /library/examples/flows/` → the modules with examples (`["flowgate"]`);
//! - `GET /library/examples/flows/flowgate` → one `{"fn": name}` per example
//!   (here with its `title` and `description` too, which Node-RED's clients
//!   ignore);
//! - `GET /library/examples/flows/flowgate/<name>` → the flow file's text;
//! - anything else under it → 404 `{"code": "not_found", "message": "not_found"}`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{header, StatusCode};
use serde_json::{json, Value};

use super::error::{json_response, ApiError};
use super::nodes::MODULE;
use super::Admin;

/// The path the examples library answers under, relative to the admin root.
pub const EXAMPLES_PATH: &str = "/library/examples/flows";

/// One example flow.
#[derive(Debug, Clone, Copy)]
pub struct ExampleFlow {
    /// Its name in the library: the file name without `.json`.
    pub name: &'static str,
    /// What the Examples list shows: a title and what the flow does.
    pub title: &'static str,
    pub description: &'static str,
    /// The flow file as shipped (an array of nodes or `{"rev", "flows"}`).
    pub flow: &'static str,
}

/// `GET /library/examples/flows` (with or without the trailing slash).
pub async fn modules(State(admin): State<Arc<Admin>>) -> Response {
    let modules: Vec<&str> = if admin.options.examples.is_empty() {
        Vec::new()
    } else {
        vec![MODULE]
    };
    json_response(StatusCode::OK, &json!(modules))
}

/// `GET /library/examples/flows/{*path}`: a module's list, or one flow.
pub async fn entry(State(admin): State<Arc<Admin>>, Path(path): Path<String>) -> Response {
    let examples = admin.options.examples;
    let path = path.trim_end_matches('/');
    let not_found = || ApiError::not_found("not_found").into_response();
    if examples.is_empty() {
        return not_found();
    }
    match path.split_once('/') {
        None if path == MODULE => {
            let list: Vec<Value> = examples
                .iter()
                .map(|e| json!({"fn": e.name, "title": e.title, "description": e.description}))
                .collect();
            json_response(StatusCode::OK, &Value::Array(list))
        }
        Some((MODULE, name)) => match examples.iter().find(|e| e.name == name) {
            Some(e) => ([(header::CONTENT_TYPE, "application/json")], e.flow).into_response(),
            None => not_found(),
        },
        _ => not_found(),
    }
}
