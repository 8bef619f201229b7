//! `GET /nodes`: the node types this runtime can run, as JSON. Each entry
//! has Node-RED's node-set fields (`id`, `name`, `types`, `enabled`,
//! `module`, `version`) so its tools can list them, plus what an editor's
//! palette needs: category, ports, colour, defaults and the field
//! definitions.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use http::StatusCode;
use serde_json::{json, Value};

use super::error::json_response;
use super::Admin;
use crate::registry::{NodeKind, NodeType};

/// The module every built-in node type is reported under.
pub(super) const MODULE: &str = "flowgate";

/// One node type's entry.
pub fn describe(t: &NodeType) -> Value {
    let editor: Value = serde_json::from_str(t.editor).unwrap_or_else(|e| {
        tracing::warn!(r#type = %t.name, "node type's editor definition is not JSON: {e}");
        json!({})
    });
    let defaults = editor.get("defaults").cloned().unwrap_or_else(|| json!({}));
    let credentials = editor.get("credentials").cloned();
    let mut entry = json!({
        "id": format!("{MODULE}/{}", t.name),
        "name": t.name,
        "types": [t.name],
        "enabled": true,
        "local": false,
        "user": false,
        "module": MODULE,
        "version": env!("CARGO_PKG_VERSION"),
        "type": t.name,
        "category": t.category,
        "config": matches!(t.kind, NodeKind::Config(_)),
        "inputs": t.inputs,
        "outputs": t.outputs,
        "color": t.color,
        "defaults": defaults,
        "editor": editor,
    });
    if let Some(c) = credentials {
        entry["credentials"] = c;
    }
    if !t.help.is_empty() {
        entry["help"] = json!(t.help);
    }
    entry
}

/// `GET /nodes`.
pub async fn get_nodes(State(admin): State<Arc<Admin>>) -> Response {
    let list: Vec<Value> = admin
        .runtime
        .env
        .registry
        .types()
        .into_iter()
        .map(describe)
        .collect();
    json_response(StatusCode::OK, &Value::Array(list))
}
