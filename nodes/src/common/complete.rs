//! `complete`: receives the messages the nodes in its scope (a list of node
//! ids on its tab) finished handling without an error, each a copy with
//! `msg.complete = {source: {id, type, name}}`. The engine delivers them (see
//! [`Listens::Complete`]); the node itself passes them on.

use flowgate_runtime::listeners::Listens;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::support::settings::{self, Field, Initial, Kind, NodeSettings};

/// What the editor and `docs/nodes.md` say about the node.
pub const HELP: &str = "Sends a copy of each message that a node in its scope finished handling, with msg.complete.source naming the node.\n\
     Messages that failed reach catch nodes instead.";

pub fn node_type() -> NodeType {
    NodeType::runnable("complete", build)
        .help(HELP)
        .category("common")
        .ports(0, 1)
        .color("#c0edc0")
        .listens(Listens::Complete)
        .editor(settings::editor_json::<CompleteSettings>())
}

/// A `complete` node's settings (the loader reads the same `scope` to
/// route; this checks it and gives the editor its form).
#[derive(Debug, Serialize, Deserialize)]
pub struct CompleteSettings {
    /// The watched node ids. Unlike `catch` and `status`, Node-RED's
    /// `complete` has no whole-tab or group mode: no list watches nothing.
    #[serde(deserialize_with = "ids")]
    pub scope: Vec<String>,
}

impl NodeSettings for CompleteSettings {
    const FIELDS: &'static [Field] = &[
        Field::new("scope", Kind::NodeList, Initial::Json("[]"))
            .label("Report completion of these nodes"),
        // Written by Node-RED's editor, read by nothing.
        Field::checkbox("uncaught", false).hidden(),
        Field::name(),
    ];
}

/// `scope`: a list of node ids; `null` or an empty value (what Node-RED
/// reads as false) is an empty list.
fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::String(s) if s.is_empty() => Ok(Vec::new()),
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                other => Err(serde::de::Error::custom(format!(
                    "scope must list node ids, found {other}"
                ))),
            })
            .collect(),
        _ => Err(serde::de::Error::custom("scope must be a list of node ids")),
    }
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    settings::load::<CompleteSettings>(config, cx)?;
    Ok(Built::new(CompleteNode, 1))
}

struct CompleteNode;

impl Node for CompleteNode {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
}
