//! `json`: converts a property between JSON text and an object. Invalid JSON
//! is a catchable node error whose message is the one Node.js's `JSON.parse`
//! gives, since flows often return `msg.error.message` to the client.

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::request::as_buffer;
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::support::settings::{self, de, Choices, Field, NodeSettings};

use crate::support::msgpath::PropPath;

pub fn node_type() -> NodeType {
    NodeType::runnable("json", build)
        .category("parser")
        .color("#DEBD5C")
        .editor(settings::editor_json::<JsonSettings>())
}

crate::choices! {
    /// Which way the node converts.
    pub enum Action ("action") {
        /// Either way.
        Toggle = "",
        /// Always to a JSON string.
        ToString = "str",
        /// Always to an object.
        ToObject = "obj",
    }
}

/// A `json` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct JsonSettings {
    pub action: Action,
    /// The message property converted; empty is `payload`.
    #[serde(deserialize_with = "de::text")]
    pub property: String,
    #[serde(deserialize_with = "de::flag")]
    pub pretty: bool,
}

impl NodeSettings for JsonSettings {
    const FIELDS: &'static [Field] = &[
        Field::select("action", Action::CHOICES, "").label("Action"),
        Field::text("property", "payload").label("Property"),
        Field::checkbox("pretty", false).label("Format JSON string"),
        Field::name(),
    ];
}

struct Json {
    action: Action,
    property: PropPath,
    pretty: bool,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: JsonSettings = settings::load(config, cx)?;
    let property = settings::msg_property(config, "property", &s.property, "payload")?;
    Ok(Built::new(
        Json {
            action: s.action,
            property,
            pretty: s.pretty,
        },
        1,
    ))
}

/// `JSON.stringify(value, null, indent)`.
pub fn stringify(value: &Value, pretty: bool) -> String {
    if pretty {
        flowgate_runtime::js_json::to_string_pretty(value, b"    ")
    } else {
        flowgate_runtime::js_json::to_string(value)
    }
}

impl Node for Json {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let value = match self.property.get(&msg.body) {
            Ok(Some(v)) => v.into_owned(),
            // No property: pass the message on untouched.
            Ok(None) | Err(_) => {
                out.send(0, msg);
                return Outcome::Ready(Ok(()));
            }
        };
        let text = match &value {
            Value::String(s) => Some(s.clone()),
            v => as_buffer(v).map(|b| String::from_utf8_lossy(&b).into_owned()),
        };
        match text {
            Some(text) => {
                if self.action != Action::ToString {
                    match parse(&text) {
                        Ok(parsed) => {
                            let _ = self.property.set(&mut msg.body, parsed);
                        }
                        Err(e) => return Outcome::Ready(Err(NodeError::new(e).with_msg(msg))),
                    }
                }
                out.send(0, msg);
            }
            None => match value {
                Value::Object(_)
                | Value::Array(_)
                | Value::Bool(_)
                | Value::Number(_)
                | Value::Null => {
                    if self.action != Action::ToObject {
                        let s = stringify(&value, self.pretty);
                        let _ = self.property.set(&mut msg.body, Value::String(s));
                    }
                    out.send(0, msg);
                }
                _ => tracing::warn!("json: Ignored unsupported payload type"),
            },
        }
        Outcome::Ready(Ok(()))
    }
}

/// `JSON.parse(text)`, failing with V8's error message.
pub fn parse(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|_| v8_json_error(text))
}

/// The message V8's `JSON.parse` throws for invalid `text` (Node.js 18–22):
/// the script library's scanner, so a `json` node and a function body's
/// `JSON.parse` report a bad document in the same words.
pub fn v8_json_error(text: &str) -> String {
    flowgate_script::jslib::v8json::error_message(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, Sink};
    use serde_json::json;

    #[test]
    fn pretty_uses_four_spaces() {
        assert_eq!(
            stringify(&json!({"a": [1]}), true),
            "{\n    \"a\": [\n        1\n    ]\n}"
        );
    }

    #[tokio::test]
    async fn converts_both_ways_and_errors_are_catchable() {
        let rt = testkit::start(json!([
            {"id": "j1", "type": "json", "z": "t", "property": "data", "action": "", "wires": [["j1-out"]]},
            {"id": "j1-out", "type": "test sink", "z": "t", "wires": []},
            {"id": "j1-catch", "type": "catch", "z": "t", "scope": ["j1"], "wires": [["j1-err"]]},
            {"id": "j1-err", "type": "test sink", "z": "t", "wires": []}
        ]));
        let mut out = Sink::new("j1-out");
        let mut err = Sink::new("j1-err");
        testkit::inject(&rt, "j1", json!({"data": "{\"a\":[1,2]}"})).await;
        assert_eq!(out.next().await.body["data"], json!({"a": [1, 2]}));
        testkit::inject(&rt, "j1", json!({"data": {"b": true}})).await;
        assert_eq!(out.next().await.body["data"], json!("{\"b\":true}"));
        testkit::inject(&rt, "j1", json!({"other": 1})).await;
        assert_eq!(out.next().await.body["other"], json!(1));
        testkit::inject(&rt, "j1", json!({"data": "{bad"})).await;
        let e = err.next().await;
        assert_eq!(
            e.body["error"]["message"],
            json!("Expected property name or '}' in JSON at position 1 (line 1 column 2)")
        );
        assert_eq!(e.body["data"], json!("{bad"));
    }
}
