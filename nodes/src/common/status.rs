//! `status`: receives the status changes of the nodes in its scope (its tab,
//! its group, or a list of node ids) as `msg.status = {fill, shape, text,
//! source: {id, type, name}}`. The engine routes status events to it (see
//! [`Listens::Status`]); the node itself just passes them on.

use flowgate_runtime::listeners::Listens;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::support::settings::{self, Field, Initial, Kind, NodeSettings};

/// What the editor and `docs/nodes.md` say about the node.
pub const HELP: &str = "Receives the status of the nodes in its scope whenever one changes, as msg.status = {fill, shape, text, source}.";

pub fn node_type() -> NodeType {
    NodeType::runnable("status", build)
        .help(HELP)
        .category("common")
        .ports(0, 1)
        .color("#c0edc0")
        .listens(Listens::Status)
        .editor(settings::editor_json::<StatusSettings>())
}

/// Which nodes a `status` or `catch` node listens to (the loader routes by
/// it): one rule for both, as in Node-RED.
#[derive(Debug, Serialize)]
pub enum Scope {
    /// `null`: every node on its tab.
    Tab,
    /// `"group"`: the nodes of its group.
    Group,
    /// These node ids.
    Nodes(Vec<String>),
}

/// A `status` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct StatusSettings {
    #[serde(deserialize_with = "scope")]
    pub scope: Scope,
}

impl NodeSettings for StatusSettings {
    const FIELDS: &'static [Field] = &[
        // Edited as JSON: null, "group" or a list of ids.
        Field::new("scope", Kind::Json, Initial::Null).label(SCOPE_LABEL),
        Field::name(),
    ];
}

/// The editor's label for a listener's `scope` field.
pub(crate) const SCOPE_LABEL: &str =
    "Scope (null: every node on the tab; \"group\": this node's group; [\"id\", …]: those nodes)";

/// A listener's `scope`: `null`, `"group"` or a list of node ids.
pub(crate) fn scope<'de, D: Deserializer<'de>>(d: D) -> Result<Scope, D::Error> {
    match Value::deserialize(d)? {
        // Node-RED tests the scope for truth: an empty one is the whole tab.
        Value::Null => Ok(Scope::Tab),
        Value::String(s) if s.is_empty() => Ok(Scope::Tab),
        Value::String(s) if s == "group" => Ok(Scope::Group),
        v @ Value::Array(_) => serde_json::from_value(v)
            .map(Scope::Nodes)
            .map_err(D::Error::custom),
        _ => Err(D::Error::custom(
            "scope must be null (whole tab), \"group\" or a list of node ids",
        )),
    }
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    settings::load::<StatusSettings>(config, cx)?;
    Ok(Built::new(StatusNode, 1))
}

struct StatusNode;

impl Node for StatusNode {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use crate::support::util::{publish_status, status};
    use crate::testkit::{self, Sink};
    use serde_json::json;

    #[tokio::test]
    async fn receives_status_of_nodes_in_scope() {
        let rt = testkit::start(json!([
            {"id": "st-src", "type": "debug", "z": "t", "name": "watched", "wires": []},
            {"id": "st-other", "type": "debug", "z": "t", "wires": []},
            {"id": "st-all", "type": "status", "z": "t", "scope": null, "wires": [["st-all-out"]]},
            {"id": "st-one", "type": "status", "z": "t", "scope": ["st-src"], "wires": [["st-one-out"]]},
            {"id": "st-elsewhere", "type": "status", "z": "t2", "scope": null, "wires": [["st-else-out"]]},
            {"id": "st-all-out", "type": "test sink", "z": "t", "wires": []},
            {"id": "st-one-out", "type": "test sink", "z": "t", "wires": []},
            {"id": "st-else-out", "type": "test sink", "z": "t2", "wires": []}
        ]));
        let mut all = Sink::new("st-all-out");
        let mut one = Sink::new("st-one-out");
        let mut elsewhere = Sink::new("st-else-out");
        publish_status(rt.events(), "st-src", status("green", "dot", 5));
        let m = all.next().await;
        assert_eq!(
            m.body["status"],
            json!({"fill": "green", "shape": "dot", "text": "5",
                   "source": {"id": "st-src", "type": "debug", "name": "watched"}})
        );
        assert_eq!(
            one.next().await.body["status"]["source"]["id"],
            json!("st-src")
        );
        publish_status(rt.events(), "st-other", status("red", "ring", "x"));
        assert_eq!(
            all.next().await.body["status"]["source"]["id"],
            json!("st-other")
        );
        tokio::task::yield_now().await;
        assert!(one.try_next().is_none());
        assert!(elsewhere.try_next().is_none());
    }
}
