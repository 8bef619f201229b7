//! `tcp in`: listens on a port (or connects to a server) and sends what
//! arrives, framed as [`super::framer`] says, with `msg._session =
//! {type: "tcp", id}` naming the connection (and, as a server, `msg.ip` and
//! `msg.port` the peer).

use std::net::SocketAddr;
use std::sync::Arc;

use flowgate_runtime::events::Events;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::framer::{Framer, Framing};
use super::{
    connections_text, listen, port, unescape, write_loop, Pooled, MAX_CONNECTIONS, WRITE_QUEUE,
};
use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings};
use crate::support::util::publish_status;
use crate::support::wire::{generate_id, send_in_order, Decode};

crate::choices! {
    /// Listen on a port, or connect to a server.
    pub enum Role ("type") {
        Server = "server" ("Listen on"),
        Client = "client" ("Connect to"),
    }
}

crate::choices! {
    /// A stream of payloads, or one per connection.
    pub enum DataMode ("output") {
        Stream = "stream" ("stream of"),
        Single = "single" ("single"),
    }
}

crate::choices! {
    /// What a payload is.
    pub enum DataType ("datatype") {
        Buffer = "buffer" ("Buffer"),
        Utf8 = "utf8" ("String"),
        Base64 = "base64" ("Base64 String"),
    }
}

impl DataType {
    pub fn decode(self) -> Decode {
        match self {
            DataType::Buffer => Decode::Buffer,
            DataType::Utf8 => Decode::Utf8,
            DataType::Base64 => Decode::Base64,
        }
    }
}

pub const HELP: &str = "Listens on a TCP port (Listen on) or connects to a server (Connect to) and sends what arrives.
Output: a stream of payloads (each chunk as it arrives, or text split on the delimiter, which \"re-attach delimiter\" keeps) or a single payload sent when the peer closes the connection.
msg.payload is a Buffer, a String or a Base64 String; msg.topic is the node's topic; msg._session {type: \"tcp\", id} names the connection, so a tcp out node in reply mode can answer on it. As a server, msg.ip and msg.port are the peer's.
Status events report each connect and disconnect (event, ip, port, _session) to status nodes. A server accepts at most 1000 connections at a time; a connection holding more than --max-body bytes without a complete message is closed.
A client reconnects 10 seconds after it loses the connection.";

/// A `tcp in` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct TcpInSettings {
    pub server: Role,
    #[serde(deserialize_with = "de::text")]
    pub host: String,
    #[serde(deserialize_with = "de::number")]
    pub port: Option<f64>,
    pub datamode: DataMode,
    pub datatype: DataType,
    #[serde(deserialize_with = "de::text")]
    pub newline: String,
    #[serde(deserialize_with = "de::text")]
    pub topic: String,
    #[serde(deserialize_with = "de::flag")]
    pub trim: bool,
}

impl NodeSettings for TcpInSettings {
    const FIELDS: &'static [Field] = &[
        Field::select("server", Role::CHOICES, "server").label("Type"),
        Field::new("port", Kind::Number, Initial::Str(""))
            .label("port")
            .required(),
        Field::text("host", "").label("at host"),
        Field::select("datamode", DataMode::CHOICES, "stream").label("Output"),
        Field::select("datatype", DataType::CHOICES, "buffer").label("payload(s)"),
        Field::text("newline", "").label("delimited by"),
        Field::checkbox("trim", false).label("re-attach delimiter"),
        Field::text("topic", "").label("Topic"),
        Field::checkbox("base64", false).hidden(),
        Field::new("tls", Kind::Config("tls-config"), Initial::Str("")).hidden(),
        Field::name(),
    ];
}

pub fn node_type() -> NodeType {
    NodeType::runnable("tcp in", build)
        .help(HELP)
        .category("network")
        .ports(0, 1)
        .color("Silver")
        .editor(settings::editor_json::<TcpInSettings>())
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: TcpInSettings = settings::load(config, cx)?;
    super::refuse_tls(config)?;
    let Some(port) = port(s.port) else {
        return Err(config.problem(Some("port"), "Invalid port"));
    };
    let server = s.server == Role::Server;
    if !server && s.host.trim().is_empty() {
        return Err(config.problem(Some("host"), "Invalid host"));
    }
    let conf = Conf {
        id: config.id.clone(),
        server,
        host: s.host.trim().to_owned(),
        port,
        topic: s.topic,
        framing: Framing {
            stream: s.datamode == DataMode::Stream,
            decode: s.datatype.decode(),
            newline: unescape(&s.newline),
            reattach: s.trim,
            server,
            max_buffer: cx.settings.max_body_bytes,
        },
        events: cx.events.clone(),
    };
    Ok(Built::new(
        TcpIn {
            conf: Arc::new(conf),
            task: Mutex::default(),
        },
        1,
    ))
}

struct Conf {
    id: String,
    server: bool,
    host: String,
    port: u16,
    topic: String,
    framing: Framing,
    events: Events,
}

impl Conf {
    fn status(&self, status: Value) {
        publish_status(&self.events, &self.id, status);
    }

    fn message(&self, payload: Value, peer: Option<SocketAddr>, id: &str) -> Message {
        let mut body = Map::new();
        body.insert("topic".into(), Value::String(self.topic.clone()));
        body.insert("payload".into(), payload);
        if let Some(peer) = peer {
            body.insert("ip".into(), json!(peer.ip().to_string()));
            body.insert("port".into(), json!(peer.port()));
        }
        body.insert("_session".into(), json!({"type": "tcp", "id": id}));
        Message::from_body(body)
    }
}

struct TcpIn {
    conf: Arc<Conf>,
    task: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Node for TcpIn {
    fn on_input<'a>(&'a self, _msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        Outcome::Ready(Ok(()))
    }

    fn start(&self, handle: NodeHandle) {
        let conf = Arc::clone(&self.conf);
        let task = if conf.server {
            tokio::spawn(serve(conf, handle))
        } else {
            tokio::spawn(connect_loop(conf, handle))
        };
        *self.task.lock() = Some(task.abort_handle());
    }

    fn stop(&self) {
        if let Some(task) = self.task.lock().take() {
            task.abort();
        }
    }
}

/// Accept connections until stopped; each runs in the set, which aborts
/// them all when this task is aborted.
async fn serve(conf: Arc<Conf>, handle: NodeHandle) {
    let listener = match listen(conf.port).await {
        Ok(l) => l,
        Err(e) => {
            handle.error(NodeError::new(format!(
                "unable to listen on port {}, error: {e}",
                conf.port
            )));
            return;
        }
    };
    tracing::info!(node = %conf.id, "tcp in: listening on port {}", conf.port);
    let mut connections = JoinSet::new();
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((socket, peer)) = accepted else { continue };
                if connections.len() >= MAX_CONNECTIONS {
                    tracing::warn!(node = %conf.id, %peer, "tcp in: {MAX_CONNECTIONS} connections open, refused one");
                    continue;
                }
                let (conf, handle, count) = (Arc::clone(&conf), handle.clone(), Arc::clone(&count));
                connections.spawn(server_connection(conf, handle, socket, peer, count));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn server_connection(
    conf: Arc<Conf>,
    handle: NodeHandle,
    socket: TcpStream,
    peer: SocketAddr,
    count: Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::Ordering;
    let id = generate_id();
    let (tx, mut rx) = mpsc::channel(WRITE_QUEUE);
    let _pooled = Pooled::add(&id, tx);
    let event = |n: usize, event: &str| {
        json!({"text": connections_text(n), "event": event, "ip": peer.ip().to_string(),
               "port": peer.port(), "_session": {"type": "tcp", "id": id}})
    };
    conf.status(event(count.fetch_add(1, Ordering::AcqRel) + 1, "connect"));
    let (reader, writer) = socket.into_split();
    tokio::select! {
        _ = read_connection(&conf, &handle, reader, Some(peer), &id) => {}
        _ = write_loop(writer, &mut rx) => {}
    }
    conf.status(event(
        count.fetch_sub(1, Ordering::AcqRel) - 1,
        "disconnect",
    ));
}

/// Connect, read until the connection ends, and again: after 20 ms when a
/// single-mode message was sent, else after 10 s, as Node-RED does.
async fn connect_loop(conf: Arc<Conf>, handle: NodeHandle) {
    loop {
        let id = generate_id();
        conf.status(json!({"fill": "grey", "shape": "dot", "text": "common.status.connecting"}));
        let sent_whole = match TcpStream::connect((conf.host.as_str(), conf.port)).await {
            Ok(socket) => client_connection(&conf, &handle, socket, &id).await,
            Err(e) => {
                tracing::info!(node = %conf.id, "tcp in: {e}");
                false
            }
        };
        conf.status(
            json!({"fill": "red", "shape": "ring", "text": "common.status.disconnected",
                           "_session": {"type": "tcp", "id": id}}),
        );
        let wait = if sent_whole {
            super::QUICK_RECONNECT
        } else {
            tracing::info!(node = %conf.id, "tcp in: connection lost to {}:{}", conf.host, conf.port);
            super::RECONNECT
        };
        tokio::time::sleep(wait).await;
    }
}

/// One client connection; whether it ended with a whole message sent.
async fn client_connection(conf: &Conf, handle: &NodeHandle, socket: TcpStream, id: &str) -> bool {
    tracing::info!(node = %conf.id, "tcp in: connected to {}:{}", conf.host, conf.port);
    conf.status(
        json!({"fill": "green", "shape": "dot", "text": "common.status.connected",
                       "_session": {"type": "tcp", "id": id}}),
    );
    let (tx, mut rx) = mpsc::channel(WRITE_QUEUE);
    let _pooled = Pooled::add(id, tx);
    let (reader, writer) = socket.into_split();
    tokio::select! {
        whole = read_connection(conf, handle, reader, None, id) => whole,
        _ = write_loop(writer, &mut rx) => false,
    }
}

/// Read one connection until it ends, sending what the framer makes of it
/// (each chunk's messages together, in order); whether the end sent a
/// message (single mode, or text after the last delimiter). A connection
/// holding too much without a complete message is dropped.
async fn read_connection(
    conf: &Conf,
    handle: &NodeHandle,
    mut reader: tokio::net::tcp::OwnedReadHalf,
    peer: Option<SocketAddr>,
    id: &str,
) -> bool {
    let mut framer = Framer::new(conf.framing.clone());
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => match framer.data(&buf[..n]) {
                Ok(payloads) => {
                    let mut out = Outputs::default();
                    for p in payloads {
                        out.send(0, conf.message(p, peer, id));
                    }
                    send_in_order(handle, out).await;
                }
                Err(e) => {
                    tracing::warn!(node = %conf.id, "{e}");
                    return false;
                }
            },
        }
    }
    match framer.end() {
        Some(p) => {
            handle.send(0, conf.message(p, peer, id));
            true
        }
        None => false,
    }
}
