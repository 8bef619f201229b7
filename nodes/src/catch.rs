//! `catch`: receives the errors raised by the nodes in its scope (its tab,
//! its group, or a list of node ids) as `msg.error = {message, source}`.
//! The engine routes errors to it (see [`Listens::Errors`]); the node itself
//! passes them on. With `uncaught`, it only receives errors no other `catch`
//! node on the tab handled.

use flowgate_runtime::listeners::Listens;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};

pub fn node_type() -> NodeType {
    NodeType::runnable("catch", build)
        .category("common")
        .ports(0, 1)
        .color("#e49191")
        .listens(Listens::Errors)
        .editor(
            r#"{"defaults":{"name":"","scope":null,"uncaught":false},
                "fields":[{"name":"scope","type":"json","rows":2,"help":"null: every node on the tab; \"group\": the nodes in this node's group; [\"id\", …]: the selected nodes"},
                          {"name":"uncaught","type":"checkbox","label":"Ignore errors handled by other catch nodes"},
                          {"name":"name","type":"text"}]}"#,
        )
}

fn build(_config: &NodeConfig, _cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    Ok(Built::new(CatchNode, 1))
}

struct CatchNode;

impl Node for CatchNode {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
}
