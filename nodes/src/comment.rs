//! `comment`: notes on the canvas. Layout only: the loader never runs it
//! (see `LAYOUT_TYPES`); the type is registered so the editor's palette and
//! `flowgate check` know it.

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};

pub fn node_type() -> NodeType {
    NodeType::runnable("comment", build)
        .category("common")
        .ports(0, 0)
        .color("#ffffff")
        .editor(
            r#"{"defaults":{"name":"","info":""},
                "fields":[{"name":"name","type":"text"},{"name":"info","type":"textarea"}]}"#,
        )
}

fn build(_config: &NodeConfig, _cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    Ok(Built::new(Comment, 0))
}

/// Has no input and sends nothing.
struct Comment;

impl Node for Comment {
    fn on_input<'a>(&'a self, _msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        Outcome::Ready(Ok(()))
    }
}
