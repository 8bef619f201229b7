//! `tcp out`: writes `msg.payload` to a server it keeps a connection to
//! (Connect to), to every client connected to its own port (Listen on), or
//! on the `tcp in` connection `msg._session` names (Reply to TCP).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use flowgate_runtime::events::Events;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::{
    connections_text, drain, listen, port, send_cmd, to_pool, write_loop, Cmd, MAX_CONNECTIONS,
    QUICK_RECONNECT, RECONNECT, WRITE_QUEUE,
};
use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings};
use crate::support::util::publish_status;
use crate::support::wire::payload_bytes;

crate::choices! {
    /// Where the node writes.
    pub enum Mode ("type") {
        Client = "client" ("Connect to"),
        Server = "server" ("Listen on"),
        Reply = "reply" ("Reply to TCP"),
    } else Client
}

pub const HELP: &str = "Writes msg.payload to TCP: to a server it stays connected to (Connect to), to every client connected to its port (Listen on), or on the connection of a tcp in message (Reply to TCP: msg._session names the connection; without it, every tcp in connection).
A Buffer is written as its bytes, text as UTF-8 (or decoded from Base64 with \"Decode Base64 message?\"), anything else as JavaScript prints it. msg.reset = true closes the connection instead (reply mode).
\"Close connection after each message is sent?\" closes the connection after the write (a client reconnects at once).
Messages arriving while a client is not connected are dropped, as in Node-RED.";

/// A `tcp out` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct TcpOutSettings {
    pub beserver: Mode,
    #[serde(deserialize_with = "de::text")]
    pub host: String,
    #[serde(deserialize_with = "de::number")]
    pub port: Option<f64>,
    #[serde(deserialize_with = "de::flag")]
    pub base64: bool,
    #[serde(deserialize_with = "de::flag")]
    pub end: bool,
}

impl NodeSettings for TcpOutSettings {
    const FIELDS: &'static [Field] = &[
        Field::select("beserver", Mode::CHOICES, "client").label("Type"),
        Field::new("port", Kind::Number, Initial::Str("")).label("port"),
        Field::text("host", "").label("at host"),
        Field::checkbox("end", false).label("Close connection after each message is sent?"),
        Field::checkbox("base64", false).label("Decode Base64 message?"),
        Field::new("tls", Kind::Config("tls-config"), Initial::Str("")).hidden(),
        Field::name(),
    ];
}

pub fn node_type() -> NodeType {
    NodeType::runnable("tcp out", build)
        .help(HELP)
        .category("network")
        .ports(1, 0)
        .color("Silver")
        .editor(settings::editor_json::<TcpOutSettings>())
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: TcpOutSettings = settings::load(config, cx)?;
    super::refuse_tls(config)?;
    let port = match (s.beserver, port(s.port)) {
        (Mode::Reply, _) => 0,
        (_, Some(p)) => p,
        (_, None) => return Err(config.problem(Some("port"), "Invalid port")),
    };
    if s.beserver == Mode::Client && s.host.trim().is_empty() {
        return Err(config.problem(Some("host"), "Invalid host"));
    }
    let out = TcpOut {
        conf: Arc::new(Conf {
            id: config.id.clone(),
            mode: s.beserver,
            host: s.host.trim().to_owned(),
            port,
            base64: s.base64,
            end: s.end,
            events: cx.events.clone(),
            connected: AtomicBool::new(false),
            link: Mutex::default(),
            clients: Mutex::default(),
        }),
        task: Mutex::default(),
    };
    Ok(Built::new(out, 0))
}

struct Conf {
    id: String,
    mode: Mode,
    host: String,
    port: u16,
    base64: bool,
    end: bool,
    events: Events,
    /// Client mode: whether the connection is up.
    connected: AtomicBool,
    /// Client mode: the connection's writer.
    link: Mutex<Option<mpsc::Sender<Cmd>>>,
    /// Server mode: the writers of the connected clients.
    clients: Mutex<Vec<(u64, mpsc::Sender<Cmd>)>>,
}

impl Conf {
    fn status(&self, status: Value) {
        publish_status(&self.events, &self.id, status);
    }
}

struct TcpOut {
    conf: Arc<Conf>,
    task: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Node for TcpOut {
    fn on_input<'a>(&'a self, msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        let c = &self.conf;
        let payload = msg.body.get("payload").filter(|p| !p.is_null());
        match c.mode {
            Mode::Reply => {
                let reset = msg.body.get("reset") == Some(&Value::Bool(true));
                let session = msg
                    .body
                    .get("_session")
                    .filter(|s| s.get("type").and_then(Value::as_str) == Some("tcp"));
                let id = session.map(|s| crate::support::js::to_js_string(s.get("id")));
                // Node-RED writes `"" + msg.payload`, `undefined` included.
                let bytes = match msg.body.get("payload") {
                    Some(p) => payload_bytes(p, c.base64),
                    None => b"undefined".to_vec(),
                };
                to_pool(id.as_deref(), || {
                    if reset {
                        Cmd::Destroy
                    } else {
                        Cmd::Write(bytes.clone())
                    }
                });
            }
            Mode::Client => {
                if let (Some(p), true) = (payload, c.connected.load(Ordering::Acquire)) {
                    let bytes = payload_bytes(p, c.base64);
                    let cmd = if c.end {
                        Cmd::WriteEnd(bytes)
                    } else {
                        Cmd::Write(bytes)
                    };
                    if let Some(tx) = c.link.lock().as_ref() {
                        send_cmd(&c.id, tx, cmd);
                    }
                }
            }
            Mode::Server => {
                if let Some(p) = payload {
                    let bytes = payload_bytes(p, c.base64);
                    let clients = c.clients.lock().clone();
                    for (_, tx) in clients {
                        let cmd = if c.end {
                            Cmd::WriteEnd(bytes.clone())
                        } else {
                            Cmd::Write(bytes.clone())
                        };
                        send_cmd(&c.id, &tx, cmd);
                    }
                }
            }
        }
        Outcome::Ready(Ok(()))
    }

    fn start(&self, handle: NodeHandle) {
        let conf = Arc::clone(&self.conf);
        let task = match conf.mode {
            Mode::Reply => return,
            Mode::Client => tokio::spawn(client_loop(conf)),
            Mode::Server => tokio::spawn(serve(conf, handle)),
        };
        *self.task.lock() = Some(task.abort_handle());
    }

    fn stop(&self) {
        if let Some(task) = self.task.lock().take() {
            task.abort();
        }
        self.conf.connected.store(false, Ordering::Release);
        *self.conf.link.lock() = None;
        self.conf.clients.lock().clear();
    }
}

/// Keep a connection to the server: reconnect at once after a "close
/// after send", else 10 s after it is lost.
async fn client_loop(c: Arc<Conf>) {
    loop {
        c.status(json!({"fill": "grey", "shape": "dot", "text": "common.status.connecting"}));
        let mut asked_to_close = false;
        match TcpStream::connect((c.host.as_str(), c.port)).await {
            Ok(socket) => {
                tracing::info!(node = %c.id, "tcp out: connected to {}:{}", c.host, c.port);
                c.status(
                    json!({"fill": "green", "shape": "dot", "text": "common.status.connected"}),
                );
                let (tx, mut rx) = mpsc::channel(WRITE_QUEUE);
                *c.link.lock() = Some(tx);
                c.connected.store(true, Ordering::Release);
                let (reader, writer) = socket.into_split();
                tokio::select! {
                    _ = drain(reader) => {}
                    closed = write_loop(writer, &mut rx) => asked_to_close = closed,
                }
                c.connected.store(false, Ordering::Release);
                *c.link.lock() = None;
            }
            Err(e) => tracing::info!(node = %c.id, "tcp out: error: {e}"),
        }
        c.status(json!({"fill": "red", "shape": "ring", "text": "common.status.disconnected"}));
        if asked_to_close {
            tokio::time::sleep(QUICK_RECONNECT).await;
        } else {
            tracing::info!(node = %c.id, "tcp out: connection lost to {}:{}", c.host, c.port);
            tokio::time::sleep(RECONNECT).await;
        }
    }
}

/// Listen on the port; each client's writer is kept for broadcasts.
async fn serve(c: Arc<Conf>, handle: NodeHandle) {
    let listener = match listen(c.port).await {
        Ok(l) => l,
        Err(e) => {
            handle.error(NodeError::new(format!(
                "unable to listen on port {}, error: {e}",
                c.port
            )));
            return;
        }
    };
    tracing::info!(node = %c.id, "tcp out: listening on port {}", c.port);
    c.status(json!({"text": connections_text(0)}));
    let mut connections = JoinSet::new();
    let mut next = 0u64;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((socket, peer)) = accepted else { continue };
                if connections.len() >= MAX_CONNECTIONS {
                    tracing::warn!(node = %c.id, %peer, "tcp out: {MAX_CONNECTIONS} connections open, refused one");
                    continue;
                }
                next += 1;
                let token = next;
                let (tx, mut rx) = mpsc::channel(WRITE_QUEUE);
                let n = {
                    let mut clients = c.clients.lock();
                    clients.push((token, tx));
                    clients.len()
                };
                c.status(json!({"text": connections_text(n)}));
                let conf = Arc::clone(&c);
                connections.spawn(async move {
                    let (reader, writer) = socket.into_split();
                    tokio::select! {
                        _ = drain(reader) => {}
                        _ = write_loop(writer, &mut rx) => {}
                    }
                    let n = {
                        let mut clients = conf.clients.lock();
                        clients.retain(|(t, _)| *t != token);
                        clients.len()
                    };
                    conf.status(json!({"text": connections_text(n)}));
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}
