//! `junction`: a wiring point that forwards every message unchanged.

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};

use crate::support::settings::{self, Field, NodeSettings};

pub fn node_type() -> NodeType {
    NodeType::runnable("junction", build)
        .category("common")
        .color("#dddddd")
        .editor(settings::editor_json::<JunctionSettings>())
}

/// A junction has no settings (not even a name).
#[derive(Debug, Serialize, Deserialize)]
pub struct JunctionSettings {}

impl NodeSettings for JunctionSettings {
    const FIELDS: &'static [Field] = &[];
}

fn build(_config: &NodeConfig, _cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    Ok(Built::new(Junction, 1))
}

struct Junction;

impl Node for Junction {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
}
