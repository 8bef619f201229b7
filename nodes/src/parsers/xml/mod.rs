//! `xml`: converts a property between XML text and an object, both ways
//! exactly as Node-RED's xml2js does, so flows that read `msg.payload.a[0].$`
//! or build XML from such an object work unchanged.

mod build;
mod entities;
mod parse;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::support::msgpath::PropPath;
use crate::support::settings::{self, de, Field, NodeSettings};

pub use build::{build as build_xml, BuildOptions};
pub use parse::{parse as parse_xml, ParseOptions, MAX_DEPTH};

/// What the editor's help panel says about the node.
pub const HELP: &str = "Converts between an XML string and its JavaScript object form, in either direction.
A string in the property is parsed as XML into an object; an object is built into an XML string.
Attributes go under a property named $ and text content under _ (both names can be set in the node).
Every child element becomes an array, even when it appears once; empty elements become \"\".
msg.options can pass options of the underlying xml2js library (for example explicitArray, mergeAttrs,
renderOpts for pretty printing, headless to leave out the <?xml ?> header).
Malformed XML is an error that a catch node can handle.";

pub fn node_type() -> NodeType {
    NodeType::runnable("xml", build)
        .help(HELP)
        .category("parser")
        .color("#DEBD5C")
        .editor(settings::editor_json::<XmlSettings>())
}

/// An `xml` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct XmlSettings {
    #[serde(deserialize_with = "de::text")]
    pub property: String,
    /// Key for attributes when parsing; empty is `$`.
    #[serde(deserialize_with = "de::text")]
    pub attr: String,
    /// Key for text content when parsing; empty is `_`.
    #[serde(deserialize_with = "de::text")]
    pub chr: String,
}

impl NodeSettings for XmlSettings {
    const FIELDS: &'static [Field] = &[
        Field::text("property", "payload").label("Property"),
        Field::name(),
        Field::text("attr", "").label("Property name for XML tag attributes"),
        Field::text("chr", "").label("Property name for tag text content"),
    ];
}

/// Why a conversion failed; the text becomes `msg.error.message`, written
/// as Node-RED's `done(err)` shows it (the error's name, then its message;
/// sax's also give the line, column and character).
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    #[error("{0}")]
    Syntax(String),
    #[error("Error: {0}")]
    Builder(String),
    #[error("Error: XML nested deeper than {0} elements")]
    TooDeep(usize),
    #[error("TypeError: Cannot convert undefined or null to object")]
    NotObject,
}

struct Xml {
    id: String,
    property: PropPath,
    attr: String,
    chr: String,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: XmlSettings = settings::load(config, cx)?;
    let property = settings::msg_property(config, "property", &s.property, "payload")?;
    Ok(Built::new(
        Xml {
            id: config.id.clone(),
            property,
            attr: s.attr,
            chr: s.chr,
        },
        1,
    ))
}

impl Node for Xml {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let value = match self.property.get(&msg.body) {
            Ok(Some(v)) => v.into_owned(),
            // No property: pass the message on untouched.
            Ok(None) | Err(_) => {
                out.send(0, msg);
                return Outcome::Ready(Ok(()));
            }
        };
        let options = match msg.body.get("options") {
            Some(Value::Object(o)) => Some(o.clone()),
            _ => None,
        };
        let converted = match &value {
            Value::String(text) => {
                let opts = ParseOptions::from_msg(options.as_ref(), &self.attr, &self.chr);
                // Node-RED hands msg.options to xml2js after writing its own
                // choices into it, so they show on the message that leaves.
                if let Some(Value::Object(o)) = msg.body.get_mut("options") {
                    o.insert("async".into(), Value::Bool(true));
                    o.insert("attrkey".into(), Value::String(opts.attrkey.clone()));
                    o.insert("charkey".into(), Value::String(opts.charkey.clone()));
                }
                parse::parse(text, &opts)
            }
            Value::Object(_) | Value::Array(_) | Value::Null => {
                if let Some(Value::Object(o)) = msg.body.get_mut("options") {
                    o.insert("async".into(), Value::Bool(false));
                }
                build::build(&value, &BuildOptions::from_msg(options.as_ref())).map(Value::String)
            }
            _ => {
                tracing::warn!(node = %self.id, "xml: This node only handles xml strings or js objects.");
                return Outcome::Ready(Ok(()));
            }
        };
        match converted {
            Ok(v) => {
                let _ = self.property.set(&mut msg.body, v);
                out.send(0, msg);
                Outcome::Ready(Ok(()))
            }
            Err(e) => Outcome::Ready(Err(NodeError::new(e.to_string()).with_msg(msg))),
        }
    }
}

#[cfg(test)]
mod tests;
