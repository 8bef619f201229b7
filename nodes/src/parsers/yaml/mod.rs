//! `yaml`: converts a message property between YAML text and a value, as
//! Node-RED does with js-yaml 4: text is loaded (YAML 1.2 core schema, one
//! document), anything else that is an object is dumped in js-yaml's exact
//! output format ([`dump`]), other values are dropped with a warning.

mod dump;
mod scalar;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::request::as_buffer;
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use dump::dump;

use crate::support::js;
use crate::support::msgpath::PropPath;
use crate::support::settings::{self, de, Field, NodeSettings};

/// What Node-RED's help panel says about the node.
pub const HELP: &str = "Converts a message property between a YAML string and the value it \
describes, in either direction.
A string is parsed as one YAML document (YAML 1.2 core schema) and replaced by the value.
An object or array is turned into a YAML document (two-space indentation, block style).
Other values are dropped with a warning; text that is not valid YAML raises a catchable error.
The property defaults to msg.payload.";

pub fn node_type() -> NodeType {
    NodeType::runnable("yaml", build)
        .help(HELP)
        .category("parser")
        .color("#DEBD5C")
        .editor(settings::editor_json::<YamlSettings>())
}

/// A `yaml` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct YamlSettings {
    /// The message property converted; empty is `payload`.
    #[serde(deserialize_with = "de::text")]
    pub property: String,
}

impl NodeSettings for YamlSettings {
    const FIELDS: &'static [Field] = &[
        Field::text("property", "payload")
            .required()
            .label("Property"),
        Field::name(),
    ];
}

struct Yaml {
    id: String,
    property: PropPath,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: YamlSettings = settings::load(config, cx)?;
    let property = settings::msg_property(config, "property", &s.property, "payload")?;
    Ok(Built::new(
        Yaml {
            id: config.id.clone(),
            property,
        },
        1,
    ))
}

impl Node for Yaml {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let value = match self.property.get(&msg.body) {
            Ok(Some(v)) => v.into_owned(),
            Ok(None) => {
                out.send(0, msg);
                return Outcome::Ready(Ok(()));
            }
            // A missing parent throws in Node-RED's getMessageProperty.
            Err(e) => return Outcome::Ready(Err(NodeError::new(e.to_string()).with_msg(msg))),
        };
        match &value {
            Value::String(text) => match load(text) {
                Ok(Some(loaded)) => {
                    let _ = self.property.set(&mut msg.body, loaded);
                }
                // An empty document is `undefined`: the property goes.
                Ok(None) => {
                    let _ = self.property.delete(&mut msg.body);
                }
                Err(e) => return Outcome::Ready(Err(NodeError::new(e).with_msg(msg))),
            },
            v if as_buffer(v).is_some() => {
                tracing::warn!(node = %self.id, "yaml: Ignored non-object payload");
                return Outcome::Ready(Ok(()));
            }
            Value::Object(_) | Value::Array(_) | Value::Null => {
                let _ = self
                    .property
                    .set(&mut msg.body, Value::String(dump(&value)));
            }
            Value::Bool(_) | Value::Number(_) => {
                tracing::warn!(node = %self.id, "yaml: Ignored unsupported payload type");
                return Outcome::Ready(Ok(()));
            }
        }
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
}

/// `yaml.load(text)`: the document's value, `None` for text that is only
/// white space (js-yaml's `undefined`; a comment alone loads as `null`).
pub fn load(text: &str) -> Result<Option<Value>, String> {
    if text.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
        return Ok(None);
    }
    if !has_content(text) {
        return Ok(Some(Value::Null));
    }
    let mut doc: serde_norway::Value = serde_norway::from_str(text).map_err(load_error)?;
    doc.apply_merge().map_err(|e| e.to_string())?;
    Ok(Some(to_json(doc, &mut scalar::Source::new(text))))
}

/// The parser's message, in js-yaml's words where they are known.
fn load_error(e: serde_norway::Error) -> String {
    let text = e.to_string();
    if text.contains("more than one document") {
        return "expected a single document in the stream, but found more".into();
    }
    text
}

/// Whether the text holds anything but blank lines, comments and document
/// markers.
fn has_content(text: &str) -> bool {
    text.lines().any(|line| {
        let t = line.trim();
        !t.is_empty() && !t.starts_with('#') && t != "---" && t != "..."
    })
}

/// A loaded YAML value as the JavaScript value js-yaml builds: mapping keys
/// become strings in JavaScript's key order, numbers doubles, plain
/// timestamps dates (serialized as ISO text), tags are dropped.
fn to_json(v: serde_norway::Value, source: &mut scalar::Source<'_>) -> Value {
    use serde_norway::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => js::number(n.as_f64().unwrap_or(f64::NAN)),
        Y::String(s) => source.resolve(&s).unwrap_or(Value::String(s)),
        Y::Sequence(items) => Value::Array(items.into_iter().map(|i| to_json(i, source)).collect()),
        Y::Mapping(map) => {
            let mut entries = Map::new();
            for (k, v) in map {
                let key = match to_json(k, source) {
                    Value::String(s) => s,
                    other => js::to_js_string(Some(&other)),
                };
                entries.insert(key, to_json(v, source));
            }
            let mut out = Map::new();
            for key in crate::sequence::parts::key_order(&entries) {
                out.insert(key.clone(), entries[key].clone());
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => to_json(tagged.value, source),
    }
}

#[cfg(test)]
mod tests;
