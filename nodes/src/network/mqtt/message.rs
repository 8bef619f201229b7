//! Between MQTT packets and messages, as Node-RED's MQTT nodes convert:
//! an incoming publish becomes `{topic, payload, qos, retain, …v5
//! properties}` with the payload decoded by the node's `datatype`; an
//! outgoing message's payload is serialised (objects as JSON, buffers as
//! bytes, other values as their text) and its v5 properties read.

use bytes::Bytes;
use flowgate_runtime::request::{as_buffer, buffer_value};
use serde_json::{Map, Value};

use crate::support::js;

crate::choices! {
    /// How an `mqtt in` node turns a payload into `msg.payload`.
    pub enum Datatype ("output type") {
        AutoDetect = "auto-detect" ("auto-detect (parsed JSON object, string or buffer)"),
        Auto = "auto" ("auto-detect (string or buffer)"),
        Buffer = "buffer" ("a Buffer"),
        Utf8 = "utf8" ("a String"),
        Json = "json" ("a parsed JSON object"),
        Base64 = "base64" ("a Base64 encoded string"),
    }
}

/// MQTT 5 publish properties, as Node-RED names them on a message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Properties {
    pub response_topic: Option<String>,
    pub correlation_data: Option<Bytes>,
    pub content_type: Option<String>,
    pub message_expiry_interval: Option<u32>,
    pub payload_format_indicator: Option<bool>,
    pub user_properties: Vec<(String, String)>,
}

/// A publish received from the broker.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub topic: String,
    pub payload: Bytes,
    pub qos: u8,
    pub retain: bool,
    /// Present on MQTT 5 connections.
    pub properties: Option<Properties>,
    /// The MQTT 5 subscription identifiers the broker matched.
    pub subscription_ids: Vec<usize>,
}

/// A publish to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub topic: String,
    pub payload: Bytes,
    pub qos: u8,
    pub retain: bool,
    pub properties: Properties,
}

/// Why an incoming payload did not become a message (Node-RED's texts).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    #[error("Invalid JSON string")]
    NotText,
    #[error("Failed to parse JSON string")]
    BadJson,
}

/// Media types whose payloads Node-RED's auto-detect reads a known way.
fn media_kind(content_type: &str) -> Option<&'static str> {
    Some(match content_type {
        "text/css" | "text/html" | "text/plain" | "application/xml" => "string",
        "application/json" => "json",
        "application/octet-stream"
        | "application/pdf"
        | "application/x-gtar"
        | "application/x-gzip"
        | "application/x-tar"
        | "application/zip"
        | "audio/aac"
        | "audio/ac3"
        | "audio/basic"
        | "audio/mp4"
        | "audio/ogg"
        | "image/bmp"
        | "image/gif"
        | "image/jpeg"
        | "image/tiff"
        | "image/png" => "buffer",
        _ => return None,
    })
}

/// `msg.payload` for `payload` read as `datatype` (Node-RED's
/// `subscriptionHandler`).
pub fn decode(
    datatype: Datatype,
    payload: &[u8],
    props: Option<&Properties>,
) -> Result<Value, DecodeError> {
    let text = || String::from_utf8_lossy(payload).into_owned();
    let utf8 = std::str::from_utf8(payload).ok();
    let declared_utf8 = props.and_then(|p| p.payload_format_indicator) == Some(true);
    let parse_or_text = |s: String, parse: bool| -> Value {
        if parse {
            if let Ok(v) = serde_json::from_str::<Value>(&s) {
                return v;
            }
        }
        Value::String(s)
    };
    let detect = datatype == Datatype::AutoDetect;
    Ok(match datatype {
        Datatype::Buffer => buffer_value(payload),
        Datatype::Base64 => {
            use base64::Engine;
            Value::String(base64::engine::general_purpose::STANDARD.encode(payload))
        }
        Datatype::Utf8 => Value::String(text()),
        Datatype::Json => {
            if !(declared_utf8 || utf8.is_some()) {
                return Err(DecodeError::NotText);
            }
            serde_json::from_str(&text()).map_err(|_| DecodeError::BadJson)?
        }
        Datatype::Auto | Datatype::AutoDetect => {
            let content_type = props.and_then(|p| p.content_type.as_deref());
            if declared_utf8 || content_type.is_some_and(|c| !c.is_empty()) {
                let lower = content_type.unwrap_or("undefined").to_ascii_lowercase();
                match media_kind(&lower) {
                    Some("string") => Value::String(text()),
                    Some("buffer") => buffer_value(payload),
                    Some(_) => {
                        let s = text();
                        let parsed: Value =
                            serde_json::from_str(&s).map_err(|_| DecodeError::BadJson)?;
                        if detect {
                            parsed
                        } else {
                            Value::String(s)
                        }
                    }
                    None if declared_utf8 || utf8.is_some() => parse_or_text(text(), detect),
                    None => buffer_value(payload),
                }
            } else {
                match utf8 {
                    Some(s) => parse_or_text(s.to_owned(), detect),
                    None => buffer_value(payload),
                }
            }
        }
    })
}

/// The message for an incoming publish: `topic`, `payload`, `qos`,
/// `retain`, the v5 properties Node-RED copies, and `_topic` when the
/// broker is on `localhost` / `127.0.0.1` (as Node-RED adds it there).
pub fn to_message(
    p: &Incoming,
    datatype: Datatype,
    local_broker: bool,
) -> Result<Map<String, Value>, DecodeError> {
    let mut m = Map::new();
    m.insert("topic".into(), Value::String(p.topic.clone()));
    m.insert("payload".into(), Value::Null);
    m.insert("qos".into(), Value::from(p.qos));
    m.insert("retain".into(), Value::Bool(p.retain));
    if let Some(props) = &p.properties {
        if let Some(t) = props.response_topic.as_ref().filter(|t| !t.is_empty()) {
            m.insert("responseTopic".into(), Value::String(t.clone()));
        }
        if let Some(c) = &props.correlation_data {
            m.insert("correlationData".into(), buffer_value(c));
        }
        if let Some(t) = props.content_type.as_ref().filter(|t| !t.is_empty()) {
            m.insert("contentType".into(), Value::String(t.clone()));
        }
        if let Some(e) = props.message_expiry_interval {
            m.insert("messageExpiryInterval".into(), Value::from(e));
        }
        if let Some(f) = props.payload_format_indicator {
            m.insert("payloadFormatIndicator".into(), Value::Bool(f));
        }
        if !props.user_properties.is_empty() {
            let users = props
                .user_properties
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            m.insert("userProperties".into(), Value::Object(users));
        }
    }
    let payload = decode(datatype, &p.payload, p.properties.as_ref())?;
    m.insert("payload".into(), payload);
    if local_broker {
        m.insert("_topic".into(), Value::String(p.topic.clone()));
    }
    Ok(m)
}

/// The bytes Node-RED publishes for a payload: a Buffer's bytes, an
/// object's JSON, `null`/absent as nothing, other values as their text.
pub fn payload_bytes(payload: Option<&Value>) -> Bytes {
    match payload {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(s)) => Bytes::from(s.clone().into_bytes()),
        Some(v @ (Value::Object(_) | Value::Array(_))) => match as_buffer(v) {
            Some(b) => Bytes::from(b),
            None => Bytes::from(crate::parsers::json::stringify(v, false).into_bytes()),
        },
        Some(v) => Bytes::from(js::to_js_string(Some(v)).into_bytes()),
    }
}

/// Node-RED's `setUserProperties`: string values kept, others as their
/// JSON, `null` dropped.
pub fn user_properties(v: Option<&Value>) -> Vec<(String, String)> {
    let Some(Value::Object(m)) = v else {
        return Vec::new();
    };
    m.iter()
        .filter_map(|(k, v)| match v {
            Value::Null => None,
            Value::String(s) => Some((k.clone(), s.clone())),
            other => Some((k.clone(), crate::parsers::json::stringify(other, false))),
        })
        .collect()
}

/// The v5 properties of an outgoing message (Node-RED's `publish`).
pub fn properties_of(msg: &Map<String, Value>) -> Properties {
    let text = |k: &str| match msg.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    let correlation_data = match msg.get("correlationData") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(Bytes::from(s.clone().into_bytes())),
        Some(v) => as_buffer(v).map(Bytes::from),
    };
    let expiry = msg
        .get("messageExpiryInterval")
        .map(|v| js::parse_float(Some(v)))
        .filter(|n| n.is_finite() && *n >= 0.0 && *n <= f64::from(u32::MAX))
        .map(|n| n as u32);
    let format = match msg.get("payloadFormatIndicator") {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if s == "true" => Some(true),
        Some(Value::String(s)) if s == "false" => Some(false),
        _ => None,
    };
    Properties {
        response_topic: text("responseTopic"),
        correlation_data,
        content_type: text("contentType"),
        message_expiry_interval: expiry,
        payload_format_indicator: format,
        user_properties: user_properties(msg.get("userProperties")),
    }
}

/// A topic a client may publish on: not empty, no wildcards or control
/// characters (Node-RED's `isValidPublishTopic`).
pub fn valid_publish_topic(topic: &str) -> bool {
    !topic.is_empty()
        && !topic.chars().any(|c| {
            matches!(
                c,
                '+' | '#' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' | '\u{b}' | '\0'
            )
        })
}

/// A topic filter a client may subscribe to: `#` only last and alone in
/// its level, `+` alone in its level (Node-RED's `isValidSubscriptionTopic`).
pub fn valid_subscription_topic(topic: &str) -> bool {
    let levels: Vec<&str> = topic.split('/').collect();
    levels.iter().enumerate().all(|(i, level)| {
        if level.contains('#') {
            *level == "#" && i == levels.len() - 1
        } else {
            !level.contains('+') || *level == "+"
        }
    })
}

/// Whether `topic` matches the subscription `filter` (`+`, `#`, and a
/// `$share/<group>/` prefix), as Node-RED's `matchTopic` decides.
pub fn matches(filter: &str, topic: &str) -> bool {
    let filter = match filter.strip_prefix("$share/") {
        Some(rest) => match rest.split_once('/') {
            Some((group, f)) if !group.is_empty() && !group.contains(['+', '#']) => f,
            _ => filter,
        },
        None => filter,
    };
    if filter == "#" {
        return true;
    }
    let mut f = filter.split('/').peekable();
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) if f.peek().is_none() => return true,
            (Some("+"), Some(level)) if !level.is_empty() => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            (Some("#"), None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
