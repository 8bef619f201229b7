//! `catch`: receives the errors raised by the nodes in its scope (its tab,
//! its group, or a list of node ids) as `msg.error = {message, source}`.
//! The engine routes errors to it (see [`Listens::Errors`]); the node itself
//! passes them on. With `uncaught`, it only receives errors no other `catch`
//! node on the tab handled.

use flowgate_runtime::listeners::Listens;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};

use crate::common::status::{scope, Scope, SCOPE_LABEL};
use crate::support::settings::{self, de, Field, Initial, Kind, NodeSettings};

/// What the editor and `docs/nodes.md` say about the node.
pub const HELP: &str = "Receives the errors of the nodes in its scope (the whole flow, a group, or chosen nodes), with msg.error = {message, source}.\n\
     With \"uncaught\" it only gets errors no other catch node handled.";

pub fn node_type() -> NodeType {
    NodeType::runnable("catch", build)
        .help(HELP)
        .category("common")
        .ports(0, 1)
        .color("#e49191")
        .listens(Listens::Errors)
        .editor(settings::editor_json::<CatchSettings>())
}

/// A `catch` node's settings (the loader reads the same fields to route
/// errors; this checks them and gives the editor its form).
#[derive(Debug, Serialize, Deserialize)]
pub struct CatchSettings {
    #[serde(deserialize_with = "scope")]
    pub scope: Scope,
    /// Only errors no other `catch` node handled.
    #[serde(deserialize_with = "de::flag")]
    pub uncaught: bool,
}

impl NodeSettings for CatchSettings {
    const FIELDS: &'static [Field] = &[
        Field::new("scope", Kind::Json, Initial::Null).label(SCOPE_LABEL),
        Field::checkbox("uncaught", false).label("Ignore errors handled by other catch nodes"),
        Field::name(),
    ];
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    settings::load::<CatchSettings>(config, cx)?;
    Ok(Built::new(CatchNode, 1))
}

struct CatchNode;

impl Node for CatchNode {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
}
