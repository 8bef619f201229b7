//! `websocket out`: sends `msg.payload` (or the whole message) to the
//! session `msg._session` names, or to every session when it names none.

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde_json::Value;

use super::hub::outgoing;
use super::{Endpoint, EndpointSettings, ENDPOINT_FIELDS};
use crate::support::settings::{self, Field, NodeSettings};

pub const HELP: &str = "Sends msg.payload on a WebSocket: a Buffer as binary data, anything else as text (objects as JSON); nothing for an empty payload.
With \"entire message\" the whole message, less msg._session, is sent as JSON text.
A message whose msg._session has type \"websocket\" (from a websocket in node) goes to that client only; otherwise to every client of the listener, or to the client's server.";

/// `websocket out`'s settings: its config node.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct WsOutSettings {
    #[serde(flatten)]
    pub endpoint: EndpointSettings,
}

impl NodeSettings for WsOutSettings {
    const FIELDS: &'static [Field] = &ENDPOINT_FIELDS;
}

pub fn node_type() -> NodeType {
    NodeType::runnable("websocket out", build)
        .help(HELP)
        .category("network")
        .ports(1, 0)
        .color("rgb(215, 215, 160)")
        .editor(settings::editor_json::<WsOutSettings>())
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: WsOutSettings = settings::load(config, cx)?;
    let endpoint = Endpoint::resolve(config, &s.endpoint, cx)?;
    Ok(Built::new(
        WsOut {
            id: config.id.clone(),
            endpoint,
            token: Mutex::default(),
        },
        0,
    ))
}

struct WsOut {
    id: String,
    endpoint: Endpoint,
    token: Mutex<Option<u64>>,
}

impl Node for WsOut {
    fn on_input<'a>(&'a self, msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        let hub = self.endpoint.hub();
        if let Some(frame) = outgoing(hub.wholemsg, &msg.body) {
            let session = msg
                .body
                .get("_session")
                .filter(|s| s.get("type").and_then(Value::as_str) == Some("websocket"));
            match session {
                Some(s) => {
                    let id = crate::support::js::to_js_string(s.get("id"));
                    hub.reply(&id, frame);
                }
                None => hub.broadcast(frame),
            }
        }
        Outcome::Ready(Ok(()))
    }

    fn start(&self, _handle: NodeHandle) {
        *self.token.lock() = Some(self.endpoint.hub().add_watcher(&self.id));
        self.endpoint.attach();
    }

    fn stop(&self) {
        if let Some(token) = self.token.lock().take() {
            self.endpoint.hub().forget(token);
        }
        self.endpoint.detach();
    }
}
