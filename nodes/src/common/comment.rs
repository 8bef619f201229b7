//! `comment`: notes on the canvas. Layout only: the loader never runs it
//! (see `Kind::is_layout`); the type is registered so the editor's palette and
//! `flowgate check` know it.

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};

use crate::support::settings::{self, de, Field, Initial, Kind, NodeSettings};

pub fn node_type() -> NodeType {
    NodeType::runnable("comment", build)
        .category("common")
        .ports(0, 0)
        .color("#ffffff")
        .editor(settings::editor_json::<CommentSettings>())
}

/// A comment's text (shown in the editor; nothing reads it at run time).
#[derive(Debug, Serialize, Deserialize)]
pub struct CommentSettings {
    #[serde(deserialize_with = "de::text")]
    pub info: String,
}

impl NodeSettings for CommentSettings {
    const FIELDS: &'static [Field] = &[
        Field::name(),
        Field::new("info", Kind::TextArea, Initial::Str("")).label("Text"),
    ];
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    settings::load::<CommentSettings>(config, cx)?;
    Ok(Built::new(Comment, 0))
}

/// Has no input and sends nothing.
struct Comment;

impl Node for Comment {
    fn on_input<'a>(&'a self, _msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        Outcome::Ready(Ok(()))
    }
}
