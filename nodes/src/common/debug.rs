//! `debug`: shows a message property (or the whole message) in the editor's
//! debug sidebar (event bus topic `debug`), the log, and/or the node status.

use std::sync::atomic::{AtomicU64, Ordering};

use flowgate_runtime::events::Events;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::request::as_buffer;
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

use std::sync::Arc;

use crate::support::js;
use crate::support::jsonata::Expression;
use crate::support::msgpath::PropPath;
use crate::support::settings::{self, de, Choices, Field, NodeSettings};
use crate::support::typed_value::{Contexts, TypedValue};
use crate::support::util::publish_status;

/// Node-RED's `debugStatusLength`.
const STATUS_LENGTH: usize = 32;
/// Node-RED's `debugMaxLength` for strings sent to the sidebar.
const MAX_LENGTH: usize = 1000;

pub fn node_type() -> NodeType {
    NodeType::runnable("debug", build)
        .reports_empty_name()
        .category("common")
        .ports(1, 0)
        .color("#87a980")
        .editor(settings::editor_json::<DebugSettings>())
}

crate::choices! {
    /// What the node's status shows.
    pub enum StatusType ("statusType") {
        Auto = "auto",
        Counter = "counter",
        Msg = "msg",
        Jsonata = "jsonata",
    } else Auto
}

/// A `debug` node's settings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DebugSettings {
    /// The property shown, or `"true"` for the whole message.
    #[serde(deserialize_with = "complete")]
    pub complete: String,
    #[serde(deserialize_with = "de::text")]
    pub target_type: String,
    #[serde(deserialize_with = "active")]
    pub active: bool,
    #[serde(deserialize_with = "de::flag")]
    pub tosidebar: bool,
    #[serde(deserialize_with = "de::flag")]
    pub console: bool,
    #[serde(deserialize_with = "de::flag")]
    pub tostatus: bool,
    pub status_type: StatusType,
    #[serde(deserialize_with = "de::text")]
    pub status_val: String,
}

impl NodeSettings for DebugSettings {
    const FIELDS: &'static [Field] = &[
        Field::text("complete", "payload").label("Output"),
        Field::checkbox("tosidebar", true).label("To debug window"),
        Field::checkbox("console", false).label("To system console"),
        Field::checkbox("tostatus", false).label("To node status (32 characters)"),
        Field::name(),
        Field::checkbox("active", true).hidden(),
        Field::text("targetType", "msg").hidden(),
        Field::text("statusVal", "").hidden(),
        Field::select("statusType", StatusType::CHOICES, "auto").hidden(),
    ];
}

/// `complete`: `true` (or `"true"`) is the whole message; `false`, empty
/// text and `"false"` are `payload`.
fn complete<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null | Value::Bool(false) => "payload".to_owned(),
        Value::Bool(true) => "true".to_owned(),
        v => match js::to_js_string(Some(&v)) {
            s if s.is_empty() || s == "false" => "payload".to_owned(),
            s => s,
        },
    })
}

/// `active`: JavaScript truthiness, except that the text `"false"` is off.
fn active<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(js::truthy(Some(&v)) && v != Value::String("false".into()))
}

/// What the node shows.
enum Target {
    WholeMessage,
    Property(String, PropPath),
    /// `targetType` `jsonata`: the expression's value (its source kept for
    /// Node-RED's error text).
    Expression(String, Arc<Expression>),
}

/// What the status shows.
enum StatusSource {
    /// The displayed value (or `msg.status`/`msg.error` when present).
    Auto,
    /// How many messages arrived.
    Counter,
    /// Another property.
    Property(PropPath),
    /// `statusType` `jsonata`: an expression's value.
    Expression(String, Arc<Expression>),
}

struct Debug {
    id: String,
    tab: String,
    name: String,
    target: Target,
    active: bool,
    sidebar: bool,
    console: bool,
    to_status: bool,
    status_source: StatusSource,
    counter: AtomicU64,
    last_status: Mutex<String>,
    events: Events,
    contexts: Contexts,
}

/// Node-RED's error for a debug expression that fails: it names the
/// expression, not the failure.
fn invalid(expression: &str) -> NodeError {
    NodeError::new(format!("Invalid JSONata expression: {expression}"))
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: DebugSettings = settings::load(config, cx)?;
    let expression = |field: &str, text: &str| -> Result<(String, Arc<Expression>), Problem> {
        match TypedValue::build(
            config,
            cx,
            field,
            Some(&Value::String(text.into())),
            "jsonata",
        )? {
            TypedValue::Jsonata(e) => Ok((text.to_owned(), e)),
            _ => unreachable!("a jsonata value compiles to an expression"),
        }
    };
    let target = if s.target_type == "jsonata" {
        let (text, e) = expression("complete", &s.complete)?;
        Target::Expression(text, e)
    } else if s.complete == "true" {
        Target::WholeMessage
    } else {
        let path = PropPath::parse_msg(&s.complete)
            .map_err(|e| config.problem(Some("complete"), e.to_string()))?;
        Target::Property(s.complete, path)
    };
    let status_source = match s.status_type {
        StatusType::Counter => StatusSource::Counter,
        StatusType::Jsonata => {
            let (text, e) = expression("statusVal", &s.status_val)?;
            StatusSource::Expression(text, e)
        }
        StatusType::Msg if !s.status_val.is_empty() => StatusSource::Property(
            PropPath::parse_msg(&s.status_val)
                .map_err(|e| config.problem(Some("statusVal"), e.to_string()))?,
        ),
        StatusType::Msg | StatusType::Auto => StatusSource::Auto,
    };
    Ok(Built::new(
        Debug {
            id: config.id.clone(),
            tab: config.z.clone().unwrap_or_default(),
            name: config.name.clone(),
            target,
            active: s.active,
            sidebar: s.tosidebar,
            console: s.console,
            to_status: s.tostatus,
            status_source,
            counter: AtomicU64::new(0),
            last_status: Mutex::new(String::new()),
            events: cx.events.clone(),
            contexts: Contexts::from_cx(cx),
        },
        0,
    ))
}

/// The sidebar's type label for a value.
pub fn format_of(v: Option<&Value>) -> String {
    match v {
        None => "undefined".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::Bool(_)) => "boolean".into(),
        Some(Value::Number(_)) => "number".into(),
        Some(Value::String(s)) => format!("string[{}]", s.encode_utf16().count()),
        Some(Value::Array(a)) => format!("array[{}]", a.len()),
        Some(v) => match as_buffer(v) {
            Some(b) => format!("buffer[{}]", b.len()),
            None => "Object".into(),
        },
    }
}

/// Text for the log: strings as they are, everything else as JSON.
fn log_text(v: Option<&Value>) -> String {
    match v {
        None => "undefined".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => flowgate_runtime::js_json::to_string(other),
    }
}

fn truncate(s: &str, max: usize) -> String {
    let units: Vec<u16> = s.encode_utf16().collect();
    if units.len() <= max {
        s.to_owned()
    } else {
        format!("{}...", String::from_utf16_lossy(&units[..max]))
    }
}

impl Debug {
    fn show_status(&self, msg: &Message, shown: Option<&Value>) -> Result<(), NodeError> {
        let status = match &self.status_source {
            StatusSource::Counter => {
                let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
                json!({"fill": "blue", "shape": "ring", "text": n})
            }
            source => {
                let value = match source {
                    StatusSource::Property(p) => {
                        p.get(&msg.body).ok().flatten().map(|c| c.into_owned())
                    }
                    StatusSource::Expression(text, e) => e
                        .evaluate(&msg.body, &self.contexts, &[])
                        .map_err(|_| invalid(text))?,
                    _ => match self.target {
                        Target::WholeMessage => msg.body.get("payload").cloned(),
                        _ => shown.cloned(),
                    },
                };
                let (mut fill, mut shape) = ("grey", "dot");
                let mut text = match &value {
                    Some(Value::String(s)) => s.clone(),
                    other => log_text(other.as_ref()),
                };
                let owned;
                if let Some(Value::Object(o)) = &value {
                    if let (Some(f), Some(s), Some(t)) =
                        (o.get("fill"), o.get("shape"), o.get("text"))
                    {
                        owned = (js::to_js_string(Some(f)), js::to_js_string(Some(s)));
                        fill = &owned.0;
                        shape = &owned.1;
                        text = js::to_js_string(Some(t));
                    }
                }
                let (fill_s, shape_s);
                let (fill, shape) = if matches!(source, StatusSource::Auto) {
                    if let Some(e) = msg.body.get("error") {
                        fill_s = "red".to_owned();
                        text = js::to_js_string(e.get("message"));
                        shape_s = shape.to_owned();
                        (fill_s.as_str(), shape_s.as_str())
                    } else if let Some(st) = msg.body.get("status") {
                        text = st
                            .get("text")
                            .map(|t| js::to_js_string(Some(t)))
                            .unwrap_or_default();
                        fill_s = st
                            .get("fill")
                            .and_then(Value::as_str)
                            .unwrap_or("grey")
                            .to_owned();
                        shape_s = st
                            .get("shape")
                            .and_then(Value::as_str)
                            .unwrap_or("ring")
                            .to_owned();
                        (fill_s.as_str(), shape_s.as_str())
                    } else {
                        (fill, shape)
                    }
                } else {
                    (fill, shape)
                };
                json!({"fill": fill, "shape": shape, "text": truncate(&text, STATUS_LENGTH)})
            }
        };
        let key = status.to_string();
        let mut last = self.last_status.lock();
        if *last != key {
            *last = key;
            publish_status(&self.events, &self.id, status);
        }
        Ok(())
    }
}

impl Node for Debug {
    fn on_input<'a>(&'a self, msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        // Ignore its own status coming back through a status node.
        if msg
            .body
            .get("status")
            .and_then(|s| s.get("source"))
            .and_then(|s| s.get("id"))
            == Some(&Value::String(self.id.clone()))
        {
            return Outcome::Ready(Ok(()));
        }
        let (property, shown): (Option<&str>, Option<Value>) = match &self.target {
            Target::WholeMessage => (Some("msg"), Some(Value::Object(msg.body.clone()))),
            Target::Property(name, p) => (
                Some(name),
                p.get(&msg.body).ok().flatten().map(|c| c.into_owned()),
            ),
            // Node-RED's debug message has no `property` for an expression.
            Target::Expression(text, e) => match e.evaluate(&msg.body, &self.contexts, &[]) {
                Ok(v) => (None, v),
                Err(_) => return Outcome::Ready(Err(invalid(text).with_msg(msg))),
            },
        };
        if self.to_status {
            if let Err(e) = self.show_status(&msg, shown.as_ref()) {
                return Outcome::Ready(Err(e.with_msg(msg)));
            }
        }
        if self.console {
            tracing::info!(node = %self.id, name = %self.name, "{}", log_text(shown.as_ref()));
        }
        if self.active && self.sidebar && self.events.has_listeners() {
            let format = format_of(shown.as_ref());
            let value = match shown {
                Some(Value::String(s)) => Value::String(truncate(&s, MAX_LENGTH)),
                Some(v) => v,
                None => Value::Null,
            };
            let timestamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            let mut event = json!({
                "id": self.id,
                "z": self.tab,
                "name": self.name,
                "topic": msg.body.get("topic").map(|t| js::to_js_string(Some(t))).unwrap_or_default(),
                "msg": value,
                "format": format,
                "timestamp": timestamp,
            });
            if let Some(p) = property {
                event["property"] = json!(p);
            }
            self.events.publish("debug", event);
        }
        Outcome::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;

    #[tokio::test]
    async fn jsonata_output_and_status_expressions() {
        let rt = testkit::start(json!([
            {"id": "dj", "type": "debug", "z": "t", "complete": "$uppercase(payload) & '!'",
             "targetType": "jsonata", "tostatus": true, "statusType": "jsonata",
             "statusVal": "$length(payload)", "wires": []}
        ]));
        let mut rx = rt.events().subscribe();
        testkit::inject(&rt, "dj", json!({"payload": "abc"})).await;
        let mut seen = Vec::new();
        while let Ok(e) = rx.try_recv() {
            seen.push((e.topic, e.data));
        }
        let debug = &seen.iter().find(|(t, _)| t == "debug").expect("debug").1;
        assert_eq!(debug["msg"], json!("ABC!"));
        assert!(debug.get("property").is_none(), "{debug}");
        let status = &seen
            .iter()
            .find(|(t, _)| t == "status/dj")
            .expect("status")
            .1;
        assert_eq!(status["text"], json!("3"));
    }

    #[tokio::test]
    async fn publishes_to_the_sidebar_and_status() {
        let rt = testkit::start(json!([
            {"id": "d1", "type": "debug", "z": "t", "name": "show", "complete": "payload.a", "tostatus": true, "wires": []},
            {"id": "d2", "type": "debug", "z": "t", "complete": "true", "active": false, "wires": []}
        ]));
        let mut rx = rt.events().subscribe();
        testkit::inject(
            &rt,
            "d1",
            json!({"payload": {"a": "hello"}, "topic": "greet"}),
        )
        .await;
        testkit::inject(&rt, "d2", json!({"payload": 1})).await;
        let mut seen = Vec::new();
        while let Ok(e) = rx.try_recv() {
            seen.push((e.topic, e.data));
        }
        let status = seen.iter().find(|(t, _)| t == "status/d1").expect("status");
        assert_eq!(
            status.1,
            json!({"fill": "grey", "shape": "dot", "text": "hello"})
        );
        let debug: Vec<_> = seen.iter().filter(|(t, _)| t == "debug").collect();
        assert_eq!(debug.len(), 1, "inactive node d2 publishes nothing");
        let d = &debug[0].1;
        assert_eq!(d["id"], json!("d1"));
        assert_eq!(d["z"], json!("t"));
        assert_eq!(d["name"], json!("show"));
        assert_eq!(d["topic"], json!("greet"));
        assert_eq!(d["property"], json!("payload.a"));
        assert_eq!(d["msg"], json!("hello"));
        assert_eq!(d["format"], json!("string[5]"));
    }

    #[test]
    fn formats() {
        assert_eq!(format_of(Some(&json!([1, 2]))), "array[2]");
        assert_eq!(format_of(Some(&json!({"a": 1}))), "Object");
        assert_eq!(
            format_of(Some(&json!({"type": "Buffer", "data": [1]}))),
            "buffer[1]"
        );
        assert_eq!(format_of(None), "undefined");
    }
}
