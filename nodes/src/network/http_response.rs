//! `http response`: answers the request a message came from, with Node-RED's
//! precedence rules (node status and headers win over the message's) and
//! Express's body conventions.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use flowgate_runtime::exchange::Reply;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::request::as_buffer;
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::support::settings::{self, Field, Initial, Kind, NodeSettings};

/// An `http response` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct HttpResponseSettings {
    /// Empty: the message's `statusCode`, else 200.
    #[serde(
        rename = "statusCode",
        deserialize_with = "status_code",
        serialize_with = "ser_status"
    )]
    pub status_code: Option<StatusCode>,
    #[serde(deserialize_with = "headers")]
    pub headers: Map<String, Value>,
}

impl NodeSettings for HttpResponseSettings {
    const FIELDS: &'static [Field] = &[
        Field::text("statusCode", "").label("Status code"),
        Field::new("headers", Kind::Headers, Initial::Json("{}")).label("Headers"),
        Field::name(),
    ];
}

/// A status code as a number or numeric text; empty text is none.
fn status_code<'de, D: Deserializer<'de>>(d: D) -> Result<Option<StatusCode>, D::Error> {
    let v = Value::deserialize(d)?;
    let n = match &v {
        Value::Null => return Ok(None),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.and_then(|n| u16::try_from(n).ok())
        .and_then(|n| StatusCode::from_u16(n).ok())
        .filter(|s| (100..=999).contains(&s.as_u16()))
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("invalid status code {v}")))
}

fn ser_status<S: Serializer>(status: &Option<StatusCode>, s: S) -> Result<S::Ok, S::Error> {
    match status {
        Some(code) => s.serialize_u16(code.as_u16()),
        None => s.serialize_str(""),
    }
}

fn headers<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    match Value::deserialize(d)? {
        Value::Object(h) => Ok(h),
        Value::Null => Ok(Map::new()),
        _ => Err(D::Error::custom("headers must be an object")),
    }
}

pub fn node_type() -> NodeType {
    NodeType::runnable("http response", build)
        .category("network")
        .ports(1, 0)
        .color("#e7e7ae")
        .editor(settings::editor_json::<HttpResponseSettings>())
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: HttpResponseSettings = settings::load(config, cx)?;
    let mut headers = Vec::new();
    let mut problems = Vec::new();
    for (k, v) in &s.headers {
        let Ok(name) = HeaderName::from_bytes(k.as_bytes()) else {
            problems.push(config.problem(Some("headers"), format!("invalid header name \"{k}\"")));
            continue;
        };
        match header_values(&name, v) {
            Some(values) => headers.push((k.clone(), name, values)),
            None => problems
                .push(config.problem(Some("headers"), format!("invalid value for header \"{k}\""))),
        }
    }
    if !problems.is_empty() {
        return Err(settings::report(cx, problems));
    }
    Ok(Built::new(
        HttpResponse {
            status: s.status_code,
            headers,
        },
        0,
    ))
}

struct HttpResponse {
    status: Option<StatusCode>,
    /// The node's headers: the name as configured, and its values.
    headers: Vec<(String, HeaderName, Vec<HeaderValue>)>,
}

impl Node for HttpResponse {
    fn on_input<'a>(&'a self, msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        let Some(exchange) = msg.exchange() else {
            tracing::warn!(
                "http response: no request to answer (the message did not come from http in)"
            );
            return Outcome::Ready(Ok(()));
        };
        let reply = self.reply(&msg);
        if !exchange.respond(reply) {
            tracing::debug!("http response: request already answered");
        }
        Outcome::Ready(Ok(()))
    }

    /// The answer comes from `msg.payload`, `statusCode`, `headers` and
    /// `cookies`, never from the request.
    fn reads_request(&self) -> bool {
        false
    }
}

impl HttpResponse {
    fn reply(&self, msg: &Message) -> Reply {
        let mut headers = HeaderMap::new();
        for (_, name, values) in &self.headers {
            set_header(&mut headers, name, values.clone());
        }
        // Node-RED adds the message's headers the node does not name with
        // the same spelling, and Express then sets them in turn: one that
        // differs only in case replaces the node's.
        if let Some(Value::Object(mh)) = msg.body.get("headers").filter(|h| !passed_through(h)) {
            for (k, v) in mh {
                let Ok(name) = HeaderName::from_bytes(k.as_bytes()) else {
                    continue;
                };
                if self.headers.iter().any(|(own, ..)| own == k) || k == "x-node-red-request-node" {
                    continue;
                }
                if let Some(values) = header_values(&name, v) {
                    set_header(&mut headers, &name, values);
                }
            }
        }
        if let Some(Value::Object(cookies)) = msg.body.get("cookies") {
            for (name, c) in cookies {
                if let Some(v) = set_cookie(name, c) {
                    headers.append(http::header::SET_COOKIE, v);
                }
            }
        }
        let status = self
            .status
            .or_else(|| msg_status(msg.body.get("statusCode")))
            .unwrap_or(StatusCode::OK);
        let body = match msg.body.get("payload") {
            None => Bytes::new(),
            Some(Value::String(s)) => {
                default_type(&mut headers, "text/html; charset=utf-8");
                Bytes::from(s.clone().into_bytes())
            }
            Some(Value::Number(n)) => {
                default_type(&mut headers, "text/html; charset=utf-8");
                Bytes::from(flowgate_runtime::js_json::number_text(n).into_bytes())
            }
            Some(v) => match as_buffer(v) {
                Some(bytes) => {
                    default_type(&mut headers, "application/octet-stream");
                    Bytes::from(bytes)
                }
                None => {
                    // Express's `res.jsonp`, which Node-RED answers objects with.
                    if !headers.contains_key(http::header::CONTENT_TYPE) {
                        headers.insert(http::header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
                    }
                    default_type(&mut headers, "application/json; charset=utf-8");
                    // Sized for a typical answer (a token, a small record):
                    // growing from serde_json's 128 bytes copies it twice.
                    let mut json = Vec::with_capacity(512);
                    crate::support::json_text::write_value(&mut json, v);
                    match msg
                        .exchange()
                        .and_then(|ex| jsonp_callback(ex.query.as_deref()?))
                    {
                        Some(callback) => {
                            headers.insert(http::header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
                            headers.insert(
                                http::header::CONTENT_TYPE,
                                HeaderValue::from_static("text/javascript; charset=utf-8"),
                            );
                            Bytes::from(jsonp_body(&callback, &json))
                        }
                        None => Bytes::from(json),
                    }
                }
            },
        };
        // Express's `res.send` answers 204 and 304 without a body and
        // without the headers that describe one, whatever the flow set.
        let body = if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
            for name in [
                http::header::CONTENT_TYPE,
                http::header::CONTENT_LENGTH,
                http::header::TRANSFER_ENCODING,
            ] {
                headers.remove(name);
            }
            Bytes::new()
        } else {
            body
        };
        Reply {
            status,
            headers,
            body,
        }
    }
}

const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");

/// The JSONP callback the request names (`?callback=name`, the first of
/// several), as Express reads it: through the query parser, a string.
fn jsonp_callback(query: &str) -> Option<String> {
    let parsed = flowgate_runtime::request::parse_query(Some(query));
    match parsed.get("callback")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.first()?.as_str().map(str::to_owned),
        _ => None,
    }
    .filter(|c| !c.is_empty())
}

/// Express's JSONP body: the callback name cut to `[]`, word characters,
/// `$` and `.`, and the two line separators JSON allows but JavaScript does
/// not escaped.
fn jsonp_body(callback: &str, json: &[u8]) -> Vec<u8> {
    let name: String = callback
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.' | '[' | ']'))
        .collect();
    let json = String::from_utf8_lossy(json)
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    format!("/**/ typeof {name} === 'function' && {name}({json});").into_bytes()
}

/// Set `name` to `values` (one header line each), replacing what was set.
fn set_header(headers: &mut HeaderMap, name: &HeaderName, values: Vec<HeaderValue>) {
    headers.remove(name);
    for v in values {
        headers.append(name.clone(), v);
    }
}

/// Whether `msg.headers` are an `http request` node's response headers,
/// unchanged (Node-RED then does not copy them into the response).
fn passed_through(headers: &Value) -> bool {
    let Some(Value::String(hash)) = headers.get("x-node-red-request-node") else {
        return false;
    };
    let mut rest = headers.as_object().cloned().unwrap_or_default();
    rest.shift_remove("x-node-red-request-node");
    crate::support::util::hash_sum(&Value::Object(rest)) == *hash
}

fn default_type(headers: &mut HeaderMap, value: &'static str) {
    if !headers.contains_key(http::header::CONTENT_TYPE) {
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(value));
    }
}

/// `parseInt(msg.statusCode)`: a number or a numeric string.
fn msg_status(v: Option<&Value>) -> Option<StatusCode> {
    let n = match v? {
        Value::Number(n) => n.as_f64().map(|f| f as i64),
        Value::String(s) => {
            let digits: String = s
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            digits.parse().ok()
        }
        _ => None,
    }?;
    u16::try_from(n)
        .ok()
        .and_then(|n| StatusCode::from_u16(n).ok())
}

/// A header's values from JSON: an array is one header line per element,
/// as Express sets it (a content type stays one line).
fn header_values(name: &HeaderName, v: &Value) -> Option<Vec<HeaderValue>> {
    match v {
        Value::Array(items) if name != http::header::CONTENT_TYPE => items
            .iter()
            .map(|i| header_value(name, &Value::String(js_text(i))))
            .collect(),
        _ => header_value(name, v).map(|h| vec![h]),
    }
}

/// `String(v)` for a header value.
fn js_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => flowgate_runtime::js_json::number_text(n),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => items.iter().map(js_text).collect::<Vec<_>>().join(","),
        Value::Object(_) => "[object Object]".into(),
    }
}

/// A header value from JSON, with Express's charset rule for content types:
/// `text/*` and `application/json|javascript` without a charset get `utf-8`.
fn header_value(name: &HeaderName, v: &Value) -> Option<HeaderValue> {
    let mut s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => flowgate_runtime::js_json::number_text(n),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => return None,
    };
    if name == http::header::CONTENT_TYPE && !s.to_ascii_lowercase().contains("charset") {
        let mime = s
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if mime.starts_with("text/")
            || mime == "application/json"
            || mime == "application/javascript"
        {
            s.push_str("; charset=utf-8");
        }
    }
    HeaderValue::from_str(&s).ok()
}

/// One `msg.cookies` entry as a `Set-Cookie` header, as Express's
/// `res.cookie` / `res.clearCookie` write them.
fn set_cookie(name: &str, c: &Value) -> Option<HeaderValue> {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let empty = Map::new();
    let (value, opts, clear) = match c {
        Value::Null => (String::new(), &empty, true),
        Value::Object(o) => match o.get("value") {
            Some(Value::Null) => (String::new(), o, true),
            Some(Value::String(s)) => (s.clone(), o, false),
            Some(other) => (other.to_string(), o, false),
            None => (String::new(), o, false),
        },
        Value::String(s) => (s.clone(), &empty, false),
        other => (other.to_string(), &empty, false),
    };
    let mut out = format!("{}={}", name, enc(&value));
    if let Some(max_age) = opts
        .get("maxAge")
        .and_then(Value::as_f64)
        .filter(|_| !clear)
    {
        let secs = (max_age / 1000.0).floor() as i64;
        out.push_str(&format!("; Max-Age={secs}"));
        let when = if secs >= 0 {
            SystemTime::now() + Duration::from_secs(secs as u64)
        } else {
            SystemTime::UNIX_EPOCH
        };
        out.push_str(&format!("; Expires={}", httpdate::fmt_http_date(when)));
    }
    if let Some(d) = opts.get("domain").and_then(Value::as_str) {
        out.push_str(&format!("; Domain={d}"));
    }
    out.push_str(&format!(
        "; Path={}",
        opts.get("path").and_then(Value::as_str).unwrap_or("/")
    ));
    if clear {
        out.push_str("; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    } else if let Some(e) = opts.get("expires").and_then(Value::as_str) {
        out.push_str(&format!("; Expires={e}"));
    }
    if opts.get("httpOnly").and_then(Value::as_bool) == Some(true) {
        out.push_str("; HttpOnly");
    }
    if opts.get("secure").and_then(Value::as_bool) == Some(true) {
        out.push_str("; Secure");
    }
    match opts.get("sameSite") {
        Some(Value::Bool(true)) => out.push_str("; SameSite=Strict"),
        Some(Value::String(s)) => {
            let mut c = s.chars();
            let cap: String = c
                .next()
                .map(|f| {
                    f.to_uppercase()
                        .chain(c.flat_map(char::to_lowercase))
                        .collect()
                })
                .unwrap_or_default();
            out.push_str(&format!("; SameSite={cap}"));
        }
        _ => {}
    }
    HeaderValue::from_str(&out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_type_gets_charset_like_express() {
        let v = header_value(&http::header::CONTENT_TYPE, &json!("application/json")).unwrap();
        assert_eq!(v, "application/json; charset=utf-8");
        let v = header_value(&http::header::CONTENT_TYPE, &json!("image/png")).unwrap();
        assert_eq!(v, "image/png");
    }

    #[test]
    fn cookies_set_and_clear() {
        let v = set_cookie("a", &json!("b c")).unwrap();
        assert_eq!(v, "a=b%20c; Path=/");
        let v = set_cookie("a", &Value::Null).unwrap();
        assert_eq!(v, "a=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
        let v = set_cookie("s", &json!({"value":"x","httpOnly":true,"path":"/api"})).unwrap();
        assert_eq!(v, "s=x; Path=/api; HttpOnly");
    }

    #[test]
    fn status_from_message_is_parse_int() {
        assert_eq!(
            msg_status(Some(&json!("404abc"))),
            Some(StatusCode::NOT_FOUND)
        );
        assert_eq!(msg_status(Some(&json!(201))), Some(StatusCode::CREATED));
        assert_eq!(msg_status(Some(&json!("x"))), None);
    }
}
