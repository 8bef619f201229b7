//! `udp out`: sends `msg.payload` as one datagram to the node's address and
//! port, or `msg.ip` and `msg.port` when the node leaves them empty; as
//! broadcast or to a multicast group it joins.

use std::sync::Arc;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::net::UdpSocket;
use tokio::sync::OnceCell;

use super::{iface, join, Ipv};
use crate::network::sockets::tcp::port;
use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings};
use crate::support::wire::{bind_retrying, payload_bytes};

crate::choices! {
    /// What kind of datagram is sent.
    pub enum Cast ("message kind") {
        Unicast = "false" ("udp message"),
        Broadcast = "broad" ("broadcast message"),
        Multicast = "multi" ("multicast message"),
    }
}

pub const HELP: &str = "Sends msg.payload as a UDP datagram to the address and port set on the node, or to msg.ip and msg.port when they are empty.
A Buffer is sent as its bytes, text as UTF-8 (decoded from Base64 with \"Decode Base64 encoded payload?\"), anything else as JavaScript prints it.
Broadcast and multicast messages enable broadcast on the socket; multicast joins the group (the address) on the interface with the given address. The socket is bound to the local port given (any when empty).
A missing address or port is a warning (\"udp: ip address not set\"); a failed send an error on the message.";

/// A `udp out` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct UdpOutSettings {
    #[serde(deserialize_with = "de::text")]
    pub addr: String,
    #[serde(deserialize_with = "de::text")]
    pub iface: String,
    #[serde(deserialize_with = "de::number")]
    pub port: Option<f64>,
    pub ipv: Ipv,
    #[serde(deserialize_with = "de::number")]
    pub outport: Option<f64>,
    #[serde(deserialize_with = "de::flag")]
    pub base64: bool,
    pub multicast: Cast,
}

impl NodeSettings for UdpOutSettings {
    const FIELDS: &'static [Field] = &[
        Field::select("multicast", Cast::CHOICES, "false").label("Send a"),
        Field::text("addr", "").label("Address"),
        Field::new("port", Kind::Number, Initial::Str("")).label("to port"),
        Field::select("ipv", Ipv::CHOICES, "udp4").label("using"),
        Field::text("iface", "").label("Local IF"),
        Field::new("outport", Kind::Number, Initial::Str("")).label("bind to local port"),
        Field::checkbox("base64", false).label("Decode Base64 encoded payload?"),
        Field::name(),
    ];
}

pub fn node_type() -> NodeType {
    NodeType::runnable("udp out", build)
        .help(HELP)
        .category("network")
        .ports(1, 0)
        .color("Silver")
        .editor(settings::editor_json::<UdpOutSettings>())
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: UdpOutSettings = settings::load(config, cx)?;
    let outport = match s.outport {
        None => 0,
        Some(p) => port(Some(p)).ok_or_else(|| config.problem(Some("outport"), "invalid port"))?,
    };
    Ok(Built::new(
        UdpOut {
            id: config.id.clone(),
            addr: s.addr.trim().to_owned(),
            port: s.port.filter(|p| *p != 0.0),
            ipv: s.ipv,
            iface: iface(&config.id, &s.iface),
            outport,
            base64: s.base64,
            cast: s.multicast,
            socket: Arc::new(OnceCell::new()),
        },
        0,
    ))
}

struct UdpOut {
    id: String,
    addr: String,
    port: Option<f64>,
    ipv: Ipv,
    iface: Option<String>,
    outport: u16,
    base64: bool,
    cast: Cast,
    /// Bound on the first message (Node-RED binds shortly after start).
    socket: Arc<OnceCell<Result<UdpSocket, String>>>,
}

impl UdpOut {
    async fn bind(&self) -> Result<UdpSocket, String> {
        let local = (self.ipv.any(), self.outport);
        let socket = bind_retrying(|| UdpSocket::bind(local))
            .await
            .map_err(|e| format!("udp : {e}"))?;
        if self.cast != Cast::Unicast {
            let _ = socket.set_broadcast(true);
            let _ = socket.set_multicast_loop_v4(false);
        }
        if self.cast == Cast::Multicast {
            let _ = socket.set_multicast_ttl_v4(128);
            join(&socket, &self.addr, self.iface.as_deref())?;
        }
        Ok(socket)
    }
}

impl Node for UdpOut {
    fn on_input<'a>(&'a self, msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        let Some(payload) = msg.body.get("payload") else {
            return Outcome::Ready(Ok(()));
        };
        let addr = if self.addr.is_empty() {
            match msg.body.get("ip") {
                Some(Value::String(s)) => s.clone(),
                Some(v @ Value::Number(_)) => crate::support::js::to_js_string(Some(v)),
                _ => String::new(),
            }
        } else {
            self.addr.clone()
        };
        let port = self
            .port
            .unwrap_or_else(|| crate::support::js::to_number(msg.body.get("port")));
        let warning = if addr.is_empty() {
            Some("udp: ip address not set")
        } else if port == 0.0 {
            Some("udp: port not set")
        } else if port.is_nan() || !(1.0..=65535.0).contains(&port) || port.fract() != 0.0 {
            Some("udp: port number not valid")
        } else {
            None
        };
        if let Some(w) = warning {
            tracing::warn!(node = %self.id, "{w}");
            return Outcome::Ready(Ok(()));
        }
        let bytes = payload_bytes(payload, self.base64);
        Outcome::Pending(Box::pin(async move {
            let socket = self.socket.get_or_init(|| self.bind()).await;
            let sent = match socket {
                Ok(s) => s
                    .send_to(&bytes, (addr.as_str(), port as u16))
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("udp : {e}")),
                Err(e) => Err(e.clone()),
            };
            sent.map_err(|e| NodeError::new(e).with_msg(msg))
        }))
    }

    fn start(&self, _handle: NodeHandle) {}
}
