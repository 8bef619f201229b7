//! Node-RED's WebSocket nodes: the `websocket-listener` (a server path on
//! the flows' port) and `websocket-client` (a connection to a server)
//! config nodes, and the `websocket in` / `websocket out` nodes that use
//! either through its [`hub::Hub`].

pub mod client;
pub mod hub;
pub mod listener;
pub mod ws_in;
pub mod ws_out;

use std::sync::Arc;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, NodeType};
use flowgate_runtime::Problem;
use serde::{Deserialize, Serialize};

use crate::support::settings::{de, Field, Initial, Kind};
use hub::Hub;

/// Every WebSocket node type.
pub fn node_types() -> Vec<NodeType> {
    vec![
        listener::node_type(),
        client::node_type(),
        ws_in::node_type(),
        ws_out::node_type(),
    ]
}

/// The config fields of `websocket in` and `websocket out`: a listener
/// (`server`) or a client (`client`, which wins when both are set, as in
/// Node-RED).
#[derive(Debug, Serialize, Deserialize)]
pub struct EndpointSettings {
    #[serde(deserialize_with = "de::text")]
    pub server: String,
    #[serde(deserialize_with = "de::text")]
    pub client: String,
}

/// [`EndpointSettings`]' table entries.
pub const ENDPOINT_FIELDS: [Field; 3] = [
    Field::new(
        "server",
        Kind::Config("websocket-listener"),
        Initial::Str(""),
    )
    .label("Path"),
    Field::new("client", Kind::Config("websocket-client"), Initial::Str("")).label("URL"),
    Field::name(),
];

/// The config node a `websocket in` / `websocket out` node uses.
pub enum Endpoint {
    Listener(Arc<listener::Listener>),
    Client(Arc<client::WsClient>),
}

impl Endpoint {
    /// The node's `client`, else its `server`; neither is a problem naming
    /// the field (Node-RED's "Missing server configuration").
    pub fn resolve(
        config: &NodeConfig,
        s: &EndpointSettings,
        cx: &BuildCx<'_>,
    ) -> Result<Self, Problem> {
        if !s.client.is_empty() {
            return cx
                .config::<client::WsClient>(config, "client", "websocket-client")
                .map(Endpoint::Client);
        }
        if s.server.is_empty() {
            return Err(config.problem(Some("server"), "Missing server configuration"));
        }
        cx.config::<listener::Listener>(config, "server", "websocket-listener")
            .map(Endpoint::Listener)
    }

    pub fn hub(&self) -> &Arc<Hub> {
        match self {
            Endpoint::Listener(l) => &l.hub,
            Endpoint::Client(c) => &c.hub,
        }
    }

    /// A node using it started: a client connects when it is the first.
    pub fn attach(&self) {
        if let Endpoint::Client(c) = self {
            c.attach();
        }
    }

    /// A node using it stopped.
    pub fn detach(&self) {
        if let Endpoint::Client(c) = self {
            c.detach();
        }
    }
}
