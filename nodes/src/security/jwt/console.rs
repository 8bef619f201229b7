//! The editor's token console: list the deployed `jwt-config` nodes, issue a
//! token with one (an organisation portal's "Generate JWT" page) and
//! check a token against one. Admin routes of `jwt-config` (declared with
//! its node type), so behind the admin API's authentication; it never
//! returns key material. Errors take the admin API's `{"code", "message"}`
//! shape.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use flowgate_runtime::admin::ApiError;
use flowgate_runtime::error_body::json as json_response;
use flowgate_runtime::service::Runtime;
use flowgate_runtime::Flows;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::claims::{peek, type_name};
use super::config::JwtConfig;

/// Every deployed `jwt-config`, ordered by name then id.
pub fn configs(flows: &Flows) -> Vec<Arc<JwtConfig>> {
    let mut list: Vec<Arc<JwtConfig>> = flows
        .configs_of_type("jwt-config")
        .filter_map(|(_, obj)| obj.clone().downcast::<JwtConfig>().ok())
        .collect();
    list.sort_by(|a, b| (a.name(), a.id()).cmp(&(b.name(), b.id())));
    list
}

/// Why a config could not be picked.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    #[error("no jwt-config with id or name \"{0}\" (known: {1})")]
    NotFound(String, String),
    #[error("{1} jwt-config nodes are named \"{0}\"; use the id")]
    Ambiguous(String, usize),
}

/// The config with id `wanted`, else the one named `wanted`.
pub fn find_config(flows: &Flows, wanted: &str) -> Result<Arc<JwtConfig>, FindError> {
    let all = configs(flows);
    if let Some(c) = all.iter().find(|c| c.id() == wanted) {
        return Ok(c.clone());
    }
    let named: Vec<&Arc<JwtConfig>> = all.iter().filter(|c| c.name() == wanted).collect();
    match named.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let known: Vec<String> = all.iter().map(|c| c.label()).collect();
            Err(FindError::NotFound(
                wanted.to_owned(),
                if known.is_empty() {
                    "none deployed".into()
                } else {
                    known.join(", ")
                },
            ))
        }
        many => Err(FindError::Ambiguous(wanted.to_owned(), many.len())),
    }
}

/// `GET /jwt/configs`.
pub(super) async fn list_configs(State(runtime): State<Arc<Runtime>>) -> Response {
    let list: Vec<Value> = configs(&runtime.current())
        .iter()
        .map(|c| c.summary())
        .collect();
    json_response(StatusCode::OK, &Value::Array(list))
}

/// The request body as an object with a `config` string, or the error answer.
fn parse_request(body: &Bytes) -> Result<(Map<String, Value>, String), ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("body is not JSON: {e}"),
        )
    })?;
    let Value::Object(obj) = value else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "body must be a JSON object",
        ));
    };
    let config = match obj.get("config") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "\"config\" must name a jwt-config by id or name",
            ))
        }
    };
    Ok((obj, config))
}

fn lookup(runtime: &Runtime, wanted: &str) -> Result<Arc<JwtConfig>, ApiError> {
    find_config(&runtime.current(), wanted).map_err(|e| match e {
        FindError::NotFound(..) => ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
        FindError::Ambiguous(..) => ApiError::new(StatusCode::CONFLICT, "ambiguous", e.to_string()),
    })
}

/// `POST /jwt/console/generate`.
pub(super) async fn generate(
    State(runtime): State<Arc<Runtime>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (mut req, wanted) = parse_request(&body)?;
    let claims = match req.shift_remove("claims") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!(
                    "\"claims\" must be a JSON object, not {}",
                    type_name(&other)
                ),
            ))
        }
    };
    let config = lookup(&runtime, &wanted)?;
    let issued = config
        .issue(claims)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "cannot_sign", e.to_string()))?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"token": issued.token, "header": issued.header, "claims": issued.claims}),
    ))
}

/// `POST /jwt/console/verify`.
pub(super) async fn verify(
    State(runtime): State<Arc<Runtime>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (req, wanted) = parse_request(&body)?;
    let token = match req.get("token") {
        Some(Value::String(t)) => t.trim().to_owned(),
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "\"token\" must be a string",
            ))
        }
    };
    let config = lookup(&runtime, &wanted)?;
    let body = match config.verifier().verify(&token).await {
        Ok(v) => json!({"valid": true, "header": v.header, "claims": v.claims}),
        Err(e) => {
            let (header, claims) = peek(&token);
            json!({"valid": false, "reason": e.to_string(), "header": header, "claims": claims})
        }
    };
    Ok(json_response(StatusCode::OK, &body))
}
