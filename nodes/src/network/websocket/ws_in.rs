//! `websocket in`: sends what arrives on a listener's sessions or a
//! client's connection; its status follows the connect and disconnect
//! events.

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use parking_lot::Mutex;

use super::{Endpoint, EndpointSettings, ENDPOINT_FIELDS};
use crate::support::settings::{self, Field, NodeSettings};

pub const HELP: &str = "Sends a message for each WebSocket message received on a listener's path or a client's connection.
msg.payload is the text (a string) or binary data (a Buffer); with \"entire message\" the text is parsed as a JSON message.
msg._session {type: \"websocket\", id} names the client, so a websocket out node can reply to it alone.
The node's status reports connect and disconnect events (event, _session) to status nodes, as Node-RED 3+ does.";

/// `websocket in`'s settings: its config node.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct WsInSettings {
    #[serde(flatten)]
    pub endpoint: EndpointSettings,
}

impl NodeSettings for WsInSettings {
    const FIELDS: &'static [Field] = &ENDPOINT_FIELDS;
}

pub fn node_type() -> NodeType {
    NodeType::runnable("websocket in", build)
        .help(HELP)
        .category("network")
        .ports(0, 1)
        .color("rgb(215, 215, 160)")
        .editor(settings::editor_json::<WsInSettings>())
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: WsInSettings = settings::load(config, cx)?;
    let endpoint = Endpoint::resolve(config, &s.endpoint, cx)?;
    Ok(Built::new(
        WsIn {
            id: config.id.clone(),
            endpoint,
            tokens: Mutex::default(),
        },
        1,
    ))
}

struct WsIn {
    id: String,
    endpoint: Endpoint,
    tokens: Mutex<Vec<u64>>,
}

impl Node for WsIn {
    fn on_input<'a>(&'a self, _msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        Outcome::Ready(Ok(()))
    }

    fn start(&self, handle: NodeHandle) {
        let hub = self.endpoint.hub();
        *self.tokens.lock() = vec![hub.add_input(handle), hub.add_watcher(&self.id)];
        self.endpoint.attach();
    }

    fn stop(&self) {
        for token in self.tokens.lock().drain(..) {
            self.endpoint.hub().forget(token);
        }
        self.endpoint.detach();
    }
}
