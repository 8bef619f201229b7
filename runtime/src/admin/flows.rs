//! `/flows`, `/flows/state`, `/flow/:id` and `/credentials/:type/:id`, with
//! Node-RED's shapes and status codes.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

use super::deploy::{self, Change, DeployError, DeployKind};
use super::error::{json_response, parse_form_or_json, parse_json, read_body, ApiError};
use super::Admin;
use crate::credentials::Credentials;
use crate::model::{Kind, NodeConfig};

/// Node-RED's `Node-RED-API-Version` header: v1 (default) or v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ApiVersion {
    V1,
    V2,
}

fn api_version(headers: &HeaderMap) -> Result<ApiVersion, ApiError> {
    match headers
        .get("node-red-api-version")
        .map(|v| v.to_str().unwrap_or("").trim())
    {
        None | Some("v1") => Ok(ApiVersion::V1),
        Some("v2") => Ok(ApiVersion::V2),
        Some(_) => Err(ApiError::bad_request(
            "invalid_api_version",
            "Invalid API Version requested",
        )),
    }
}

/// A node as the API shows it: never its credentials, only which exist
/// (`{"has_password": true}`), the way Node-RED's editor shows them.
fn export_node(raw: &Map<String, Value>, creds: &Credentials) -> Value {
    let mut m = raw.clone();
    m.shift_remove("credentials");
    if let Some(stored) = raw
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| creds.get(id))
        .filter(|c| !c.is_empty())
    {
        let flags: Map<String, Value> = stored
            .iter()
            .map(|(k, v)| (format!("has_{k}"), Value::Bool(has_value(v))))
            .collect();
        m.insert("credentials".into(), Value::Object(flags));
    }
    Value::Object(m)
}

fn has_value(v: &Value) -> bool {
    !(v.is_null() || v.as_str() == Some(""))
}

fn export_all(source: &[NodeConfig], creds: &Credentials) -> Vec<Value> {
    source.iter().map(|n| export_node(&n.raw, creds)).collect()
}

/// `GET /flows`: v1 the bare array, v2 `{"flows", "rev"}`.
pub async fn get_flows(State(admin): State<Arc<Admin>>, headers: HeaderMap) -> Response {
    let version = match api_version(&headers) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let flows = admin.runtime.current();
    let list = Value::Array(export_all(&flows.source, &admin.runtime.credentials()));
    let body = match version {
        ApiVersion::V1 => list,
        ApiVersion::V2 => json!({ "flows": list, "rev": flows.rev }),
    };
    json_response(StatusCode::OK, &body)
}

/// `POST /flows`: deploy. The body is the bare array or `{"rev"?, "flows",
/// "credentials"?}`; a `rev` other than the current one is refused with 409.
pub async fn post_flows(State(admin): State<Arc<Admin>>, req: Request<Body>) -> Response {
    match post_flows_inner(admin, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn post_flows_inner(admin: Arc<Admin>, req: Request<Body>) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let version = api_version(&parts.headers)?;
    let kind = DeployKind::from_header(
        parts
            .headers
            .get("node-red-deployment-type")
            .and_then(|v| v.to_str().ok()),
    );
    let bytes = read_body(body, admin.options.max_body_bytes).await?;
    let (expected_rev, change) = if kind == DeployKind::Reload {
        (None, Change::Reload)
    } else {
        match parse_json(&bytes)? {
            Value::Array(nodes) => (
                None,
                Change::Replace {
                    nodes,
                    credentials: None,
                },
            ),
            Value::Object(mut obj) => {
                let Some(Value::Array(nodes)) = obj.shift_remove("flows") else {
                    return Err(ApiError::bad_request(
                        "invalid_request",
                        "expected a JSON array of nodes or {\"flows\": [...]}",
                    ));
                };
                let rev = obj.get("rev").map(|r| {
                    r.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| r.to_string())
                });
                (
                    rev,
                    Change::Replace {
                        nodes,
                        credentials: obj.shift_remove("credentials"),
                    },
                )
            }
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_request",
                    "expected a JSON array of nodes or {\"flows\": [...]}",
                ))
            }
        }
    };
    let rev = deploy::deploy(admin, kind, expected_rev, change).await?;
    Ok(match version {
        ApiVersion::V1 => StatusCode::NO_CONTENT.into_response(),
        ApiVersion::V2 => json_response(StatusCode::OK, &json!({ "rev": rev })),
    })
}

fn state_body(admin: &Admin) -> Value {
    let state = if admin.stopped.load(Ordering::Acquire) {
        "stop"
    } else {
        "start"
    };
    json!({ "state": state })
}

/// `GET /flows/state`: `{"state": "start" | "stop"}`.
pub async fn get_state(State(admin): State<Arc<Admin>>) -> Response {
    json_response(StatusCode::OK, &state_body(&admin))
}

/// `POST /flows/state` (`{"state": "start" | "stop"}`): stop or start the
/// flows without a redeploy. Stopped flows answer none of their endpoints.
pub async fn post_state(State(admin): State<Arc<Admin>>, req: Request<Body>) -> Response {
    let result = async {
        let (parts, body) = req.into_parts();
        let bytes = read_body(body, admin.options.max_body_bytes).await?;
        let form = parse_form_or_json(&parts.headers, &bytes)?;
        let state = form.get("state").and_then(Value::as_str).unwrap_or("");
        let run = match state {
            "start" => true,
            "stop" => false,
            other => {
                return Err(ApiError::bad_request(
                    "invalid_run_state",
                    format!("Cannot change flows runtime state to '{other}'"),
                ))
            }
        };
        deploy::set_running(admin.clone(), run).await?;
        Ok(json_response(StatusCode::OK, &state_body(&admin)))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

fn str_field<'a>(n: &'a Value, key: &str) -> Option<&'a str> {
    n.get(key).and_then(Value::as_str)
}

/// What a node is (see [`Kind`]).
fn kind(n: &Value) -> Kind {
    Kind::of_value(n)
}

/// Whether the node sits on the canvas: Node-RED's `getFlow` lists such
/// nodes under `nodes` and every other one under `configs`.
fn has_position(n: &Value) -> bool {
    n.get("x").is_some() && n.get("y").is_some()
}

/// `GET /flow/:id`: one tab as Node-RED's `getFlow` shapes it (`global`: the
/// config nodes that belong to no tab).
pub async fn get_flow(State(admin): State<Arc<Admin>>, Path(id): Path<String>) -> Response {
    let flows = admin.runtime.current();
    let creds = admin.runtime.credentials();
    let nodes = export_all(&flows.source, &creds);
    let tab_ids: Vec<&str> = nodes
        .iter()
        .filter(|n| kind(n) == Kind::Tab)
        .filter_map(|n| str_field(n, "id"))
        .collect();
    let is_container = |z: &str| tab_ids.contains(&z) || is_subflow(&nodes, z);

    let mut result = Map::new();
    result.insert("id".into(), json!(id));
    if id == "global" {
        let configs: Vec<Value> = nodes
            .iter()
            .filter(|n| !matches!(kind(n), Kind::Tab | Kind::Subflow | Kind::Group))
            .filter(|n| !has_position(n))
            .filter(|n| !str_field(n, "z").is_some_and(is_container))
            .cloned()
            .collect();
        if !configs.is_empty() {
            result.insert("configs".into(), Value::Array(configs));
        }
        return json_response(StatusCode::OK, &Value::Object(result));
    }

    let tab = nodes
        .iter()
        .find(|n| kind(n) == Kind::Tab && str_field(n, "id") == Some(&id));
    // Nodes naming a tab that does not exist form one (Node-RED creates it).
    let implied = tab.is_none()
        && nodes
            .iter()
            .any(|n| str_field(n, "z") == Some(&id) && !kind(n).is_container());
    if tab.is_none() && !implied {
        return ApiError::not_found("no flow with that id").into_response();
    }
    if let Some(tab) = tab {
        if let Some(label) = tab.get("label").filter(|l| l.as_str() != Some("")) {
            result.insert("label".into(), label.clone());
        }
        for key in ["disabled", "info", "env"] {
            if let Some(v) = tab.get(key) {
                result.insert(key.into(), v.clone());
            }
        }
    }
    let on_tab = |n: &&Value| str_field(n, "z") == Some(&id);
    let mut list: Vec<Value> = nodes
        .iter()
        .filter(on_tab)
        .filter(|n| kind(n) == Kind::Group)
        .cloned()
        .collect();
    let mut configs = Vec::new();
    for n in nodes.iter().filter(on_tab) {
        if matches!(kind(n), Kind::Group | Kind::Tab | Kind::Subflow) {
            continue;
        }
        match str_field(n, "type") {
            Some(t) if has_position(n) => {
                let mut n = n.clone();
                if t == "link out" {
                    if let Some(m) = n.as_object_mut() {
                        m.shift_remove("wires");
                    }
                }
                list.push(n);
            }
            _ => configs.push(n.clone()),
        }
    }
    result.insert("nodes".into(), Value::Array(list));
    if !configs.is_empty() {
        result.insert("configs".into(), Value::Array(configs));
    }
    json_response(StatusCode::OK, &Value::Object(result))
}

fn is_subflow(nodes: &[Value], id: &str) -> bool {
    nodes
        .iter()
        .any(|n| kind(n) == Kind::Subflow && str_field(n, "id") == Some(id))
}

/// The tab node Node-RED builds from a `POST/PUT /flow` body.
fn tab_node(id: &str, body: &Map<String, Value>) -> Value {
    let mut tab = Map::new();
    tab.insert("type".into(), json!("tab"));
    if let Some(label) = body.get("label") {
        tab.insert("label".into(), label.clone());
    }
    tab.insert("id".into(), json!(id));
    for key in ["info", "disabled", "env", "credentials"] {
        if let Some(v) = body.get(key) {
            tab.insert(key.into(), v.clone());
        }
    }
    Value::Object(tab)
}

fn node_list(body: &Map<String, Value>, key: &str) -> Result<Vec<Value>, DeployError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a.clone()),
        Some(_) => Err(unexpected(format!("{key} must be an array of nodes"))),
    }
}

fn unexpected(message: impl Into<String>) -> DeployError {
    DeployError::BadRequest {
        code: "unexpected_error",
        message: message.into(),
    }
}

async fn read_object(admin: &Admin, req: Request<Body>) -> Result<Map<String, Value>, ApiError> {
    let bytes = read_body(req.into_body(), admin.options.max_body_bytes).await?;
    match parse_json(&bytes)? {
        Value::Object(o) => Ok(o),
        _ => Err(ApiError::bad_request(
            "unexpected_error",
            "expected a JSON object describing the flow",
        )),
    }
}

/// A fresh node id in Node-RED's style: 16 hex characters.
fn generate_id() -> String {
    let mut raw = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut raw);
    hex::encode(raw)
}

/// `POST /flow`: add a tab (`{"label", "nodes", "configs"?, ...}`); answers
/// `{"id"}`.
pub async fn add_flow(State(admin): State<Arc<Admin>>, req: Request<Body>) -> Response {
    let result = async {
        let body = read_object(&admin, req).await?;
        let id = generate_id();
        let tab_id = id.clone();
        let edit = move |mut current: Vec<Value>| -> Result<Vec<Value>, DeployError> {
            if !body.contains_key("nodes") {
                return Err(unexpected("missing nodes property"));
            }
            let existing: std::collections::HashSet<String> = current
                .iter()
                .filter_map(|n| str_field(n, "id").map(str::to_owned))
                .collect();
            let mut added = vec![tab_node(&tab_id, &body)];
            for key in ["nodes", "configs"] {
                for mut n in node_list(&body, key)? {
                    let nid = str_field(&n, "id").unwrap_or("").to_owned();
                    if existing.contains(&nid) {
                        return Err(unexpected("duplicate id"));
                    }
                    if kind(&n).is_container() {
                        let t = str_field(&n, "type").unwrap_or_default();
                        return Err(unexpected(format!("invalid node type: {t}")));
                    }
                    if let Some(m) = n.as_object_mut() {
                        m.insert("z".into(), json!(tab_id));
                    }
                    added.push(n);
                }
            }
            current.extend(added);
            Ok(current)
        };
        deploy::deploy(
            admin.clone(),
            DeployKind::Flows,
            None,
            Change::Edit(Box::new(edit)),
        )
        .await?;
        Ok(json_response(StatusCode::OK, &json!({ "id": id })))
    }
    .await;
    result.unwrap_or_else(|e: ApiError| e.into_response())
}

/// `PUT /flow/:id`: replace one tab (or, for `global`, the global config
/// nodes); answers `{"id"}`.
pub async fn update_flow(
    State(admin): State<Arc<Admin>>,
    Path(id): Path<String>,
    req: Request<Body>,
) -> Response {
    let result = async {
        let body = read_object(&admin, req).await?;
        let tab_id = id.clone();
        let edit = move |current: Vec<Value>| -> Result<Vec<Value>, DeployError> {
            let subflows: Vec<String> = current
                .iter()
                .filter(|n| kind(n) == Kind::Subflow)
                .filter_map(|n| str_field(n, "id").map(str::to_owned))
                .collect();
            // Node-RED's flows: tabs, and the tabs nodes name without a tab
            // node (it creates those).
            let on_a_flow = |n: &Value| {
                str_field(n, "z").is_some_and(|z| !z.is_empty() && !subflows.iter().any(|s| s == z))
            };
            if tab_id == "global" {
                let mut next: Vec<Value> = current
                    .into_iter()
                    .filter(|n| kind(n) == Kind::Tab || on_a_flow(n))
                    .collect();
                next.extend(node_list(&body, "configs")?);
                return Ok(next);
            }
            let exists = current.iter().any(|n| {
                (kind(n) == Kind::Tab && str_field(n, "id") == Some(&tab_id))
                    || str_field(n, "z") == Some(&tab_id)
            });
            if !exists {
                return Err(DeployError::NotFound("no flow with that id".into()));
            }
            let mut next: Vec<Value> = current
                .into_iter()
                .filter(|n| {
                    str_field(n, "z") != Some(&tab_id) && str_field(n, "id") != Some(&tab_id)
                })
                .collect();
            next.push(tab_node(&tab_id, &body));
            for key in ["nodes", "configs"] {
                for mut n in node_list(&body, key)? {
                    if let Some(m) = n.as_object_mut() {
                        m.insert("z".into(), json!(tab_id));
                    }
                    next.push(n);
                }
            }
            Ok(next)
        };
        deploy::deploy(
            admin.clone(),
            DeployKind::Flows,
            None,
            Change::Edit(Box::new(edit)),
        )
        .await?;
        Ok(json_response(StatusCode::OK, &json!({ "id": id })))
    }
    .await;
    result.unwrap_or_else(|e: ApiError| e.into_response())
}

/// `DELETE /flow/:id`: remove a tab and its nodes; 204.
pub async fn delete_flow(State(admin): State<Arc<Admin>>, Path(id): Path<String>) -> Response {
    if id == "global" {
        return ApiError::bad_request("unexpected_error", "not allowed to remove global")
            .into_response();
    }
    let tab_id = id.clone();
    let edit = move |current: Vec<Value>| -> Result<Vec<Value>, DeployError> {
        let exists = current.iter().any(|n| {
            (kind(n) == Kind::Tab && str_field(n, "id") == Some(&tab_id))
                || str_field(n, "z") == Some(&tab_id)
        });
        if !exists {
            return Err(DeployError::NotFound("no flow with that id".into()));
        }
        Ok(current
            .into_iter()
            .filter(|n| str_field(n, "z") != Some(&tab_id) && str_field(n, "id") != Some(&tab_id))
            .collect())
    };
    match deploy::deploy(admin, DeployKind::Flows, None, Change::Edit(Box::new(edit))).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /credentials/:type/:id`: what the editor may know about a node's
/// credentials: `has_<key>` for secrets, values only for keys its type
/// declares as plain text (`"credentials": {"user": {"type": "text"}}` in
/// the node type's editor definition).
pub async fn get_credentials(
    State(admin): State<Arc<Admin>>,
    Path((node_type, id)): Path<(String, String)>,
) -> Response {
    let creds = admin.runtime.credentials();
    let Some(stored) = creds.get(&id) else {
        return json_response(StatusCode::OK, &json!({}));
    };
    let definition: Option<Map<String, Value>> = admin
        .runtime
        .env
        .registry
        .types()
        .into_iter()
        .find(|t| t.name == node_type || t.name.replace(' ', "-") == node_type)
        .and_then(|t| serde_json::from_str::<Value>(t.editor).ok())
        .and_then(|v| v.get("credentials").and_then(Value::as_object).cloned());
    let mut out = Map::new();
    match definition {
        Some(def) => {
            for (key, spec) in &def {
                let text = spec.get("type").and_then(Value::as_str) == Some("text");
                let value = stored.get(key);
                if text {
                    out.insert(key.clone(), value.cloned().unwrap_or_else(|| json!("")));
                } else {
                    out.insert(
                        format!("has_{key}"),
                        Value::Bool(value.is_some_and(has_value)),
                    );
                }
            }
        }
        None => {
            for (key, value) in stored {
                out.insert(format!("has_{key}"), Value::Bool(has_value(value)));
            }
        }
    }
    json_response(StatusCode::OK, &Value::Object(out))
}
