//! `udp in`: sends each datagram received on a port (and, with multicast,
//! for a group it joins) as `msg.payload`, with the sender in `msg.fromip`
//! (`address:port`), `msg.ip` and `msg.port`.

use std::net::SocketAddr;
use std::sync::Arc;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map};
use tokio::net::UdpSocket;

use super::{iface, join, Ipv};
use crate::network::sockets::tcp::{port, tcp_in::DataType};
use crate::support::settings::{self, de, Choice, Choices, Field, Initial, Kind, NodeSettings};
use crate::support::wire::{bind_retrying, send_one_in_order, Decode};

pub const HELP: &str = "Listens for UDP datagrams on a port and sends each as a message.
msg.payload is a Buffer, a String or a Base64 String; msg.fromip is \"address:port\" of the sender, msg.ip and msg.port the same apart.
With multicast messages the node joins the group on the interface with the given address (any interface when empty). A group that cannot be joined is an error the node reports (catch nodes receive it).
The port is bound without address reuse: two nodes or processes cannot share it.";

/// `multicast`: plain datagrams or a multicast group.
const MULTICAST: &[Choice] = &[
    Choice {
        value: "false",
        label: Some("udp messages"),
    },
    Choice {
        value: "true",
        label: Some("multicast messages"),
    },
];

/// A `udp in` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct UdpInSettings {
    #[serde(deserialize_with = "de::flag")]
    pub multicast: bool,
    #[serde(deserialize_with = "de::text")]
    pub group: String,
    #[serde(deserialize_with = "de::text")]
    pub iface: String,
    #[serde(deserialize_with = "de::number")]
    pub port: Option<f64>,
    pub ipv: Ipv,
    pub datatype: DataType,
}

impl NodeSettings for UdpInSettings {
    const FIELDS: &'static [Field] = &[
        Field::select("multicast", MULTICAST, "false").label("Listen for"),
        Field::text("group", "").label("Group"),
        Field::text("iface", "").label("Local IF"),
        Field::new("port", Kind::Number, Initial::Str(""))
            .label("on Port")
            .required(),
        Field::select("ipv", Ipv::CHOICES, "udp4").label("using"),
        Field::select("datatype", DataType::CHOICES, "buffer").label("Output"),
        Field::name(),
    ];
}

pub fn node_type() -> NodeType {
    NodeType::runnable("udp in", build)
        .help(HELP)
        .category("network")
        .ports(0, 1)
        .color("Silver")
        .editor(settings::editor_json::<UdpInSettings>())
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: UdpInSettings = settings::load(config, cx)?;
    let Some(port) = port(s.port) else {
        return Err(config.problem(Some("port"), "invalid port"));
    };
    if s.multicast && s.group.trim().is_empty() {
        return Err(config.problem(Some("group"), "invalid multicast group"));
    }
    let conf = Conf {
        id: config.id.clone(),
        port,
        bind: SocketAddr::new(s.ipv.any(), port),
        group: s.multicast.then(|| s.group.trim().to_owned()),
        iface: iface(&config.id, &s.iface),
        decode: s.datatype.decode(),
    };
    Ok(Built::new(
        UdpIn {
            conf: Arc::new(conf),
            task: Mutex::default(),
        },
        1,
    ))
}

struct Conf {
    id: String,
    port: u16,
    bind: SocketAddr,
    group: Option<String>,
    iface: Option<String>,
    decode: Decode,
}

struct UdpIn {
    conf: Arc<Conf>,
    task: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Node for UdpIn {
    fn on_input<'a>(&'a self, _msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        Outcome::Ready(Ok(()))
    }

    fn start(&self, handle: NodeHandle) {
        let task = tokio::spawn(receive(Arc::clone(&self.conf), handle));
        *self.task.lock() = Some(task.abort_handle());
    }

    fn stop(&self) {
        if let Some(task) = self.task.lock().take() {
            task.abort();
        }
    }
}

async fn receive(c: Arc<Conf>, handle: NodeHandle) {
    let socket = match bind_retrying(|| UdpSocket::bind(c.bind)).await {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && c.port < 1024 => {
            handle.error(NodeError::new(
                "UDP access error, you may need root access for ports below 1024",
            ));
            return;
        }
        Err(e) => {
            handle.error(NodeError::new(format!("error: {e}")));
            return;
        }
    };
    if let Some(group) = &c.group {
        let _ = socket.set_broadcast(true);
        let _ = socket.set_multicast_loop_v4(false);
        let _ = socket.set_multicast_ttl_v4(128);
        match join(&socket, group, c.iface.as_deref()) {
            Ok(()) => tracing::info!(node = %c.id, "udp multicast group {group}"),
            Err(e) => handle.error(NodeError::new(e)),
        }
    }
    tracing::info!(node = %c.id, "udp listener at {}", socket.local_addr().map(|a| a.to_string()).unwrap_or_default());
    let mut buf = vec![0u8; 65536];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        let mut body = Map::new();
        body.insert("payload".into(), c.decode.payload(&buf[..n]));
        body.insert(
            "fromip".into(),
            json!(format!("{}:{}", from.ip(), from.port())),
        );
        body.insert("ip".into(), json!(from.ip().to_string()));
        body.insert("port".into(), json!(from.port()));
        send_one_in_order(&handle, Message::from_body(body)).await;
    }
}
