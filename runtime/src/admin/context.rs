//! Node-RED's `/context` admin endpoints, which the editor's context sidebar
//! reads (Node-RED's `@node-red/runtime/lib/api/context.js`):
//!
//! - `GET /context/global`, `/context/flow/{id}`, `/context/node/{id}`:
//!   `{"<store>": {"<key>": {"msg": "<text>", "format": "<type>"}}}` for every
//!   store, or the one `?store=` names; with `?keysOnly`, the keys only;
//! - `GET …/{key}`: one value, `{"msg", "format"}` (plus `"store"` when it is
//!   not the default store);
//! - `DELETE …/{key}`: removes it, 204.
//!
//! An unknown `?store=` is 404 `not_found`. Values are formatted as the
//! debug sidebar shows them (Node-RED's `util.encodeObject`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::error::{json_response, ApiError};
use super::Admin;
use crate::context::{parse_context_store, path, ContextError, Store};

mod encode;

/// `?store=` and `?keysOnly`.
#[derive(Debug, Default, Deserialize)]
pub struct ContextQuery {
    store: Option<String>,
    #[serde(rename = "keysOnly")]
    keys_only: Option<String>,
}

/// Node-RED answers an unknown store with an `Error` that has no message.
fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "Error")
}

/// The context a scope and id address: `None` for a node that is not
/// deployed (Node-RED answers `{}`).
fn scope_store(admin: &Admin, scope: &str, id: Option<&str>) -> Option<Arc<Store>> {
    let contexts = &admin.runtime.env.contexts;
    match (scope, id) {
        ("global", None) => Some(contexts.global()),
        ("flow", Some(id)) => Some(contexts.lookup(id)),
        ("node", Some(id)) => {
            let flows = admin.runtime.current();
            let index = *flows.by_id.get(id)?;
            if flows.subflows.contains_key(id) {
                // A subflow instance's context is its own flow's.
                return Some(contexts.lookup(id));
            }
            let tab = flows.nodes[index].tab.as_deref().unwrap_or("");
            Some(contexts.lookup(&format!("{id}:{tab}")))
        }
        _ => None,
    }
}

/// `GET /context/global`.
pub async fn get_global(
    State(admin): State<Arc<Admin>>,
    Query(q): Query<ContextQuery>,
) -> Response {
    get(&admin, "global", None, None, q)
}

/// `GET /context/global/{key}`.
pub async fn get_global_key(
    State(admin): State<Arc<Admin>>,
    Path(key): Path<String>,
    Query(q): Query<ContextQuery>,
) -> Response {
    get(&admin, "global", None, Some(&key), q)
}

/// `GET /context/{flow|node}/{id}`.
pub async fn get_scope(
    State(admin): State<Arc<Admin>>,
    Path((scope, id)): Path<(String, String)>,
    Query(q): Query<ContextQuery>,
) -> Response {
    get(&admin, &scope, Some(&id), None, q)
}

/// `GET /context/{flow|node}/{id}/{key}`.
pub async fn get_scope_key(
    State(admin): State<Arc<Admin>>,
    Path((scope, id, key)): Path<(String, String, String)>,
    Query(q): Query<ContextQuery>,
) -> Response {
    get(&admin, &scope, Some(&id), Some(&key), q)
}

/// `DELETE /context/global/{key}`.
pub async fn delete_global_key(
    State(admin): State<Arc<Admin>>,
    Path(key): Path<String>,
    Query(q): Query<ContextQuery>,
) -> Response {
    delete(&admin, "global", None, &key, q)
}

/// `DELETE /context/{flow|node}/{id}/{key}`.
pub async fn delete_scope_key(
    State(admin): State<Arc<Admin>>,
    Path((scope, id, key)): Path<(String, String, String)>,
    Query(q): Query<ContextQuery>,
) -> Response {
    delete(&admin, &scope, Some(&id), &key, q)
}

fn unknown_scope(scope: &str) -> bool {
    !matches!(scope, "global" | "flow" | "node")
}

/// The store a request names: `Err` for a name that is not configured.
fn named_store(admin: &Admin, q: &ContextQuery) -> Result<Option<String>, ApiError> {
    let stores = &admin.runtime.settings().context_stores;
    match &q.store {
        Some(s) if stores.find(s).is_none() => Err(not_found()),
        other => Ok(other.clone()),
    }
}

fn get(
    admin: &Admin,
    scope: &str,
    id: Option<&str>,
    key: Option<&str>,
    q: ContextQuery,
) -> Response {
    if unknown_scope(scope) {
        return ApiError::not_found("no such admin API endpoint").into_response();
    }
    let store_name = match named_store(admin, &q) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let Some(ctx) = scope_store(admin, scope, id) else {
        return json_response(StatusCode::OK, &json!({}));
    };
    let stores = admin.runtime.settings().context_stores.clone();
    let keys_only = q.keys_only.is_some();
    let result = match key {
        Some(key) => {
            let (in_key, key) = parse_context_store(key);
            let name = store_name
                .or(in_key.map(str::to_owned))
                .unwrap_or_else(|| stores.default_name().to_owned());
            let view = ctx.in_store(Some(&name));
            let value = read_path(&view, key);
            match value {
                Err(e) => return unexpected(&e),
                Ok(v) if keys_only => json!({ name: encode::keys_of(v.as_ref()) }),
                Ok(v) => {
                    let mut encoded = encode::encode_object(v.as_ref());
                    if name != stores.default_name() {
                        encoded.insert("store".into(), json!(name));
                    }
                    Value::Object(encoded)
                }
            }
        }
        None => {
            let names: Vec<String> = match store_name {
                Some(n) => vec![n],
                None => stores.names().to_vec(),
            };
            let mut out = Map::new();
            for name in names {
                let view = ctx.in_store(Some(&name));
                let keys = match view.try_keys() {
                    Ok(k) => k,
                    Err(e) => return unexpected(&e),
                };
                let body = if keys_only {
                    json!({ "keys": keys.iter().map(|k| json!({ "key": k })).collect::<Vec<_>>() })
                } else {
                    let mut values = Map::new();
                    for k in keys {
                        match view.try_get(&k) {
                            Ok(v) => {
                                values.insert(k, Value::Object(encode::encode_object(v.as_ref())));
                            }
                            Err(e) => return unexpected(&e),
                        }
                    }
                    Value::Object(values)
                };
                out.insert(name, body);
            }
            Value::Object(out)
        }
    };
    json_response(StatusCode::OK, &result)
}

/// A store failure: Node-RED's `unexpected_error`, 400. The message names
/// the store, never a value.
fn unexpected(e: &ContextError) -> Response {
    ApiError::bad_request("unexpected_error", e.to_string()).into_response()
}

/// The value at a (possibly nested) key, as `context.get` reads it; a key
/// that is not a property path reads as undefined.
fn read_path(store: &Store, key: &str) -> Result<Option<Value>, ContextError> {
    let Ok(segs) = path::parse_path(key) else {
        return Ok(None);
    };
    let top = store.try_get(&path::seg_key(&segs[0]))?;
    Ok(top.and_then(|v| path::walk(&v, &segs[1..]).cloned()))
}

fn delete(admin: &Admin, scope: &str, id: Option<&str>, key: &str, q: ContextQuery) -> Response {
    if unknown_scope(scope) {
        return ApiError::not_found("no such admin API endpoint").into_response();
    }
    let store_name = match named_store(admin, &q) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let Some(ctx) = scope_store(admin, scope, id) else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let (in_key, key) = parse_context_store(key);
    let view = ctx.in_store(store_name.as_deref().or(in_key));
    let Ok(segs) = path::parse_path(key) else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let root = path::seg_key(&segs[0]);
    let result = if segs.len() == 1 {
        view.try_set(&root, None)
    } else {
        match view.try_get(&root) {
            Ok(Some(mut v)) => {
                path::remove(&mut v, &segs[1..]);
                view.try_set(&root, Some(v))
            }
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => unexpected(&e),
    }
}
