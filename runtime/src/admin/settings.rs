//! `GET /settings`: the runtime settings the editor reads at start-up, in
//! Node-RED's shape (`httpNodeRoot`, `version`, context stores, editor
//! options), never anything secret.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use http::StatusCode;
use serde_json::{json, Value};

use super::auth::ADMIN_USER;
use super::error::json_response;
use super::Admin;

/// `GET /settings`.
pub async fn get_settings(State(admin): State<Arc<Admin>>) -> Response {
    json_response(StatusCode::OK, &settings(&admin))
}

fn settings(admin: &Admin) -> Value {
    let rt = &admin.runtime;
    let s = rt.settings();
    let mut categories: Vec<&str> = Vec::new();
    for t in rt.env.registry.types() {
        if !categories.contains(&t.category) {
            categories.push(t.category);
        }
    }
    let mut body = json!({
        "httpNodeRoot": "/",
        "httpAdminRoot": admin.options.normalized_root(),
        "version": env!("CARGO_PKG_VERSION"),
        "runtime": "flowgate",
        "context": {"default": s.context_stores.default_name(), "stores": s.context_stores.names()},
        "libraries": [],
        "flowFilePretty": true,
        "flowEncryptionType": if s.credential_key.is_some() { "user" } else { "disabled" },
        "diagnostics": {"enabled": false, "ui": false},
        "telemetryEnabled": false,
        "runtimeState": {"enabled": true, "ui": true, "state": if admin.stopped.load(Ordering::Acquire) { "stop" } else { "start" }},
        "functionExternalModules": false,
        "functionTimeout": s.function_timeout.as_secs_f64(),
        "httpRequestTimeout": s.http_timeout.as_secs_f64(),
        "apiMaxLength": admin.options.max_body_bytes,
        "paletteCategories": categories,
        "externalModules": {"palette": {"allowInstall": false, "allowUpload": false}},
        "editorTheme": {"languages": ["en-US"], "projects": {"enabled": false}},
    });
    if admin.auth.enabled() {
        body["user"] = json!({"username": ADMIN_USER, "permissions": "*"});
    }
    if let Some(path) = &s.flows_path {
        body["files"] = json!({
            "flow": path.file_name().map(|n| n.to_string_lossy().into_owned()),
            "credentials": rt.credentials_path().and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())),
        });
    }
    body
}
