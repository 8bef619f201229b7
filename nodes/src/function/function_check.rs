//! `POST /function/check`: the editor's live problems. The editor posts a
//! body as the user types and underlines what deploy would refuse, with
//! deploy's own message: a function node's body goes through the same
//! check as the node's factory ([`function_node::check`]), a JSONata
//! expression through the same compile as a `change`, `switch` or `inject`
//! field ([`Expression::compile`]). An admin route: behind the admin API's
//! authentication, Origin check and body limit.

use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use flowgate_runtime::admin::ApiError;
use flowgate_runtime::error_body::json as json_response;
use flowgate_script::{BodyError, SourceSpan};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::function_node::{self, FunctionSettings, Lang, LibSetting};
use crate::support::jsonata::{CompileError, Expression};

/// The largest body the check takes (bytes of `code`): far more than any
/// hand-written function (about 900 lines), and small enough that a check,
/// which costs what deploying the body costs and grows faster than the
/// body, stays under a second even in a debug build while the user types.
pub const MAX_CHECK_CODE_BYTES: usize = 64 * 1024;

/// Checks running at once, whatever the number of open editors: the rest
/// wait their turn, so typing never takes more than these threads.
static RUNNING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// What the editor posts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckRequest {
    language: String,
    /// Which of a function node's bodies `code` is: `func` (the default),
    /// `initialize` or `finalize`.
    #[serde(default)]
    field: Option<String>,
    code: String,
    /// The node's `libs` (its modules), as Node-RED's editor writes them.
    #[serde(default)]
    libs: Vec<LibSetting>,
    #[serde(default)]
    outputs: Option<f64>,
}

/// One problem as the editor shows it: 1-based positions, the end
/// exclusive, and the field deploy would name.
struct Found {
    field: String,
    span: Option<SourceSpan>,
    message: String,
}

pub(super) async fn endpoint(body: Bytes) -> Response {
    match answer(&body).await {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(e) => e.into_response(),
    }
}

async fn answer(body: &[u8]) -> Result<Value, ApiError> {
    let req: CheckRequest = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("invalid_request", e.to_string()))?;
    if req.code.len() > MAX_CHECK_CODE_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!("code is larger than {MAX_CHECK_CODE_BYTES} bytes, the most the check takes"),
        ));
    }
    let code = req.code.clone();
    let _turn = RUNNING.acquire().await.map_err(|_| unexpected())?;
    // Translating and compiling run on a thread of their own (the script
    // crate's compile stack); keep them off the async workers.
    let found = tokio::task::spawn_blocking(move || check(req))
        .await
        .map_err(|_| unexpected())??;
    let problems: Vec<Value> = found.iter().map(|f| problem_json(f, &code)).collect();
    Ok(json!({ "problems": problems }))
}

fn unexpected() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "unexpected_error",
        "the check failed on this body",
    )
}

fn check(req: CheckRequest) -> Result<Vec<Found>, ApiError> {
    let lang = match req.language.as_str() {
        "javascript" => Lang::JavaScript,
        "rhai" => Lang::Rhai,
        "jsonata" => return Ok(check_jsonata(&req.code)),
        other => {
            return Err(ApiError::bad_request(
                "invalid_request",
                format!("\"language\" must be javascript, rhai or jsonata, not {other:?}"),
            ))
        }
    };
    let mut settings = FunctionSettings {
        lang,
        func: String::new(),
        outputs: req.outputs,
        timeout: None,
        initialize: String::new(),
        finalize: String::new(),
        libs: req.libs,
    };
    let slot = match req.field.as_deref().unwrap_or("func") {
        "func" => &mut settings.func,
        "initialize" => &mut settings.initialize,
        "finalize" => &mut settings.finalize,
        other => {
            return Err(ApiError::bad_request(
                "invalid_request",
                format!("\"field\" must be func, initialize or finalize, not {other:?}"),
            ))
        }
    };
    *slot = req.code;
    Ok(match function_node::check(&settings) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .into_iter()
            .map(|e| found(e.field, e.error))
            .collect(),
    })
}

fn found(field: &str, e: BodyError) -> Found {
    Found {
        field: field.to_owned(),
        span: e.span,
        message: e.message,
    }
}

/// A JSONata expression as a `change`, `switch` or `inject` field compiles
/// it; `$env` names resolve at deploy, so none is needed here.
fn check_jsonata(code: &str) -> Vec<Found> {
    let Err(e) = Expression::compile(code, &|_| serde_json::Value::Null) else {
        return Vec::new();
    };
    let span = match &e {
        CompileError::Syntax { at: Some(at), .. } => Some(char_span(code, *at)),
        _ => None,
    };
    vec![Found {
        field: String::new(),
        span,
        message: e.to_string(),
    }]
}

/// The one character at 0-based character index `at` of `code` (or the end).
fn char_span(code: &str, at: usize) -> SourceSpan {
    let before: String = code.chars().take(at).collect();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    SourceSpan {
        line,
        column,
        end_line: line,
        end_column: column + 1,
    }
}

/// A problem without a place in the code (the module list, the output
/// count, a body nesting too deeply) covers the whole code.
fn problem_json(f: &Found, code: &str) -> Value {
    let span = f.span.unwrap_or_else(|| SourceSpan {
        line: 1,
        column: 1,
        end_line: code.split('\n').count(),
        end_column: code.rsplit('\n').next().unwrap_or("").chars().count() + 1,
    });
    let mut v = json!({
        "line": span.line,
        "column": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
        "severity": "error",
        "message": f.message,
    });
    if !f.field.is_empty() {
        v["field"] = json!(f.field);
    }
    v
}
