//! `websocket-client`: a connection to a WebSocket server (`ws://` or
//! `wss://`), opened while a `websocket in` or `websocket out` node uses
//! it, reopened 3 seconds after it closes or fails (Node-RED's interval),
//! with an optional heartbeat: a ping every `hb` seconds, and the
//! connection dropped when the previous ping got no answer.

use std::sync::Arc;
use std::time::Duration;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, ConfigObject, NodeType};
use flowgate_runtime::Problem;
use futures::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::hub::{Frame, Hub, SEND_QUEUE};
use super::listener::WHOLEMSG;
use crate::support::settings::{self, de, Field, Initial, Kind, NodeSettings};
use crate::support::wire::generate_id;

/// Node-RED reconnects a closed or failed client after 3 seconds.
const RECONNECT: Duration = Duration::from_secs(3);

pub const HELP: &str = "A connection to a WebSocket server at a ws:// or wss:// URL, open while a websocket in or websocket out node uses it.
It reconnects 3 seconds after the connection closes or fails. With a heartbeat of N seconds it pings the server every N seconds and reconnects when a ping goes unanswered.
Subprotocol: a comma-separated list sent in Sec-WebSocket-Protocol. Headers are sent with the upgrade request.
Send/Receive: the payload, or the entire message as JSON text. Messages larger than --max-body are refused.";

/// A `websocket-client`'s settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClientSettings {
    #[serde(deserialize_with = "de::text")]
    pub path: String,
    #[serde(deserialize_with = "de::flag")]
    pub wholemsg: bool,
    #[serde(deserialize_with = "de::number")]
    pub hb: Option<f64>,
    #[serde(deserialize_with = "de::text")]
    pub subprotocol: String,
    #[serde(deserialize_with = "de::list")]
    pub headers: Vec<Value>,
}

impl NodeSettings for ClientSettings {
    const FIELDS: &'static [Field] = &[
        Field::text("path", "").label("URL").required(),
        Field::new("tls", Kind::Config("tls-config"), Initial::Str("")).hidden(),
        Field::text("subprotocol", "").label("Subprotocol"),
        Field::select("wholemsg", WHOLEMSG, "false").label("Send/Receive"),
        Field::new("hb", Kind::Number, Initial::Str("")).label("Send heartbeat"),
        Field::new("headers", Kind::Json, Initial::Json("[]")).hidden(),
        Field::name(),
    ];
    const LABEL: Option<&'static str> = Some("{path}");
}

pub fn node_type() -> NodeType {
    NodeType::config("websocket-client", build)
        .help(HELP)
        .editor(settings::editor_json::<ClientSettings>())
}

/// The shared state of one client: its hub and the connecting task.
pub struct WsClient {
    pub hub: Arc<Hub>,
    target: Arc<Target>,
    running: Mutex<Running>,
}

/// Where and how to connect.
struct Target {
    url: String,
    subprotocols: Vec<String>,
    headers: Vec<(String, String)>,
    heartbeat: Option<Duration>,
    max: usize,
}

#[derive(Default)]
struct Running {
    users: usize,
    task: Option<tokio::task::AbortHandle>,
}

impl WsClient {
    /// A node using the client started: the first one opens the connection.
    pub fn attach(&self) {
        let mut r = self.running.lock();
        r.users += 1;
        if r.task.is_none() {
            let (hub, target) = (Arc::clone(&self.hub), Arc::clone(&self.target));
            r.task = Some(tokio::spawn(run(hub, target)).abort_handle());
        }
    }

    /// A node using the client stopped: the last one closes the connection.
    pub fn detach(&self) {
        let mut r = self.running.lock();
        r.users = r.users.saturating_sub(1);
        if r.users == 0 {
            if let Some(task) = r.task.take() {
                task.abort();
                self.hub.drop_sessions();
            }
        }
    }
}

impl Drop for WsClient {
    fn drop(&mut self) {
        if let Some(task) = self.running.get_mut().task.take() {
            task.abort();
        }
    }
}

/// Header `{keyType, keyValue, valueType, valueValue}` entries: a type of
/// `other` means the typed-in text, `env` an environment variable, any
/// other type is itself the name or value (a header chosen from the list).
fn headers(list: &[Value], cx: &BuildCx<'_>) -> Vec<(String, String)> {
    let field = |h: &Value, t: &str, v: &str| -> String {
        let kind = h.get(t).and_then(Value::as_str).unwrap_or("other");
        let value = h.get(v).and_then(Value::as_str).unwrap_or("");
        match kind {
            "other" => value.to_owned(),
            "env" => cx.env(value).unwrap_or_default(),
            named => named.to_owned(),
        }
    };
    list.iter()
        .map(|h| {
            (
                field(h, "keyType", "keyValue"),
                field(h, "valueType", "valueValue"),
            )
        })
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .collect()
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<ConfigObject, Problem> {
    let s: ClientSettings = settings::load(config, cx)?;
    let url = s.path.trim().to_owned();
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("ws://") || lower.starts_with("wss://")) {
        return Err(config.problem(Some("path"), "URL must start with ws:// or wss://"));
    }
    if let Err(e) = url.as_str().into_client_request() {
        return Err(config.problem(Some("path"), format!("invalid URL: {e}")));
    }
    if config.str("tls").is_some_and(|t| !t.is_empty()) {
        tracing::warn!(
            node = %config.id,
            "websocket-client: the tls-config is not used; wss:// connections verify the \
             server against the public web's root certificates"
        );
    }
    let heartbeat =
        s.hb.filter(|h| *h >= 1.0)
            .map(|h| Duration::from_secs(h as u64));
    let subprotocols = s
        .subprotocol
        .split(',')
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    let target = Target {
        url,
        subprotocols,
        headers: headers(&s.headers, cx),
        heartbeat,
        max: cx.settings.max_body_bytes,
    };
    Ok(Arc::new(WsClient {
        hub: Arc::new(Hub::new(s.wholemsg, false, cx.events.clone())),
        target: Arc::new(target),
        running: Mutex::default(),
    }))
}

/// Connect, serve the connection until it ends, wait, and again.
async fn run(hub: Arc<Hub>, target: Arc<Target>) {
    loop {
        let id = generate_id();
        match connect(&target).await {
            Ok(ws) => session(&hub, &target, &id, ws).await,
            Err(e) => {
                tracing::warn!(url = %target.url, "websocket: connection failed: {e}");
                hub.errored(&id);
            }
        }
        tokio::time::sleep(RECONNECT).await;
    }
}

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(target: &Target) -> Result<Stream, tokio_tungstenite::tungstenite::Error> {
    let mut req = target.url.as_str().into_client_request()?;
    if !target.subprotocols.is_empty() {
        if let Ok(v) = http::HeaderValue::from_str(&target.subprotocols.join(", ")) {
            req.headers_mut().insert("sec-websocket-protocol", v);
        }
    }
    for (k, v) in &target.headers {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(v),
        ) {
            req.headers_mut().insert(k, v);
        }
    }
    let config = WebSocketConfig::default()
        .max_message_size(Some(target.max))
        .max_frame_size(Some(target.max));
    let (ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), false).await?;
    Ok(ws)
}

/// One open connection: frames in and out, pings, until it ends.
async fn session(hub: &Hub, target: &Target, id: &str, ws: Stream) {
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::channel(SEND_QUEUE);
    hub.opened(id, tx);
    let period = target.heartbeat.unwrap_or(Duration::from_secs(3600));
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    let mut awaiting_pong = false;
    let failed = loop {
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(WsMessage::Text(t))) => hub.received(id, Frame::Text(t.as_str().to_owned())).await,
                Some(Ok(WsMessage::Binary(b))) => hub.received(id, Frame::Binary(b.to_vec())).await,
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => awaiting_pong = false,
                Some(Ok(WsMessage::Close(_))) | None => break false,
                Some(Ok(WsMessage::Frame(_))) => {}
                Some(Err(e)) => {
                    tracing::warn!(url = %target.url, "websocket: connection error: {e}");
                    break true;
                }
            },
            out = rx.recv() => {
                let Some(frame) = out else { break false };
                let m = match frame {
                    Frame::Text(t) => WsMessage::Text(t.into()),
                    Frame::Binary(b) => WsMessage::Binary(b.into()),
                };
                if sink.send(m).await.is_err() {
                    break true;
                }
            }
            _ = beat.tick(), if target.heartbeat.is_some() => {
                if awaiting_pong {
                    tracing::warn!(url = %target.url, "websocket: heartbeat timeout");
                    break true;
                }
                awaiting_pong = true;
                if sink.send(WsMessage::Ping(Vec::new().into())).await.is_err() {
                    break true;
                }
            }
        }
    };
    if failed {
        hub.errored(id);
    }
    hub.closed(id);
}
