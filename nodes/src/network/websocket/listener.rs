//! `websocket-listener`: a WebSocket server path on the flows' own port,
//! next to the `http in` endpoints (Node-RED serves it on its HTTP server's
//! `upgrade` event). The upgrade request has passed the server's limits
//! (connections, head size and time) like any request; frames and messages
//! are limited to `--max-body` bytes, and each listener to
//! [`MAX_SESSIONS`] open sessions.

use std::sync::Arc;

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use flowgate_runtime::http::flow_request;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, ConfigObject, NodeType};
use flowgate_runtime::service::Runtime;
use flowgate_runtime::Problem;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::hub::{Frame, Hub, SEND_QUEUE};
use crate::support::settings::{self, de, Choice, Field, NodeSettings};
use crate::support::wire::generate_id;

/// Open sessions one listener accepts; a further upgrade is answered 503.
pub const MAX_SESSIONS: usize = 1000;

pub const HELP: &str = "A WebSocket server path on the same port as the flows' http in endpoints.
websocket in nodes using it receive what clients send (msg._session names the client); websocket out nodes send to one client (msg._session) or to all.
Send/Receive: the payload, or the entire message as JSON text.
Frames and messages larger than --max-body are refused (the connection closes); at most 1000 clients per listener.
Two listeners, or a listener and an http in node, on one path are a load error.";

/// The `wholemsg` options: payload only, or the entire message.
pub const WHOLEMSG: &[Choice] = &[
    Choice {
        value: "false",
        label: Some("payload"),
    },
    Choice {
        value: "true",
        label: Some("entire message"),
    },
];

/// A `websocket-listener`'s settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct ListenerSettings {
    #[serde(deserialize_with = "de::text")]
    pub path: String,
    #[serde(deserialize_with = "de::flag")]
    pub wholemsg: bool,
}

impl NodeSettings for ListenerSettings {
    const FIELDS: &'static [Field] = &[
        Field::text("path", "").label("Path").required(),
        Field::select("wholemsg", WHOLEMSG, "false").label("Send/Receive"),
        Field::name(),
    ];
    const LABEL: Option<&'static str> = Some("{path}");
}

pub fn node_type() -> NodeType {
    NodeType::config("websocket-listener", build)
        .help(HELP)
        .editor(settings::editor_json::<ListenerSettings>())
        .public_route("/{*path}", |rt| get(upgrade).with_state(rt))
}

/// The shared state of one listener: its full path and its sessions.
pub struct Listener {
    pub path: String,
    pub hub: Arc<Hub>,
}

impl Drop for Listener {
    /// The deployment holding this listener is gone (and no new one reuses
    /// it): its clients are disconnected, as Node-RED closes the server.
    fn drop(&mut self) {
        self.hub.shutdown();
    }
}

/// The path served: Node-RED's, with the leading slash users leave out.
fn full_path(path: &str) -> String {
    format!("/{}", path.trim().trim_start_matches('/'))
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<ConfigObject, Problem> {
    let s: ListenerSettings = settings::load(config, cx)?;
    if s.path.trim().is_empty() {
        return Err(config.problem(Some("path"), "missing path"));
    }
    if s.path.contains("://") {
        return Err(config.problem(
            Some("path"),
            "is a URL: a websocket-listener serves a path on this server; use a \
             websocket-client to connect to a URL",
        ));
    }
    let path = full_path(&s.path);
    let lower = path.to_ascii_lowercase();
    if let Some(prefix) = cx
        .settings
        .reserved_paths
        .iter()
        .find(|p| lower == **p || lower.starts_with(&format!("{p}/")))
    {
        return Err(config.problem(
            Some("path"),
            format!(
                "path \"{path}\" collides with flowgate's admin route {prefix} (choose another \
                 path, or move the admin API with --admin-root)"
            ),
        ));
    }
    let twin = cx.flow_nodes().iter().find(|n| {
        n.node_type == "websocket-listener"
            && n.id != config.id
            && n.str("path").is_some_and(|p| full_path(p) == path)
    });
    if let Some(other) = twin {
        return Err(config.problem(
            Some("path"),
            format!(
                "Cannot have two WebSocket listeners on the same path: {path} (also \
                 websocket-listener {})",
                other.id
            ),
        ));
    }
    cx.claim_route("GET", &path);
    Ok(Arc::new(Listener {
        path,
        hub: Arc::new(Hub::new(s.wholemsg, true, cx.events.clone())),
    }))
}

fn is_upgrade(req: &Request) -> bool {
    req.headers()
        .get(http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Every GET: a WebSocket upgrade on a listener's path opens a session;
/// anything else goes on to the flows as if this route did not exist.
async fn upgrade(State(runtime): State<Arc<Runtime>>, req: Request) -> Response {
    let hub = is_upgrade(&req)
        .then(|| {
            let flows = runtime.current();
            let hub = flows
                .configs_of_type("websocket-listener")
                .filter_map(|(_, obj)| obj.clone().downcast::<Listener>().ok())
                .find(|l| l.path == req.uri().path())
                .map(|l| Arc::clone(&l.hub));
            hub
        })
        .flatten();
    let Some(hub) = hub else {
        return flow_request(State(runtime), req).await;
    };
    if hub.session_count() >= MAX_SESSIONS {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many WebSocket sessions",
        )
            .into_response();
    }
    let max = runtime.settings().max_body_bytes;
    let (mut parts, _) = req.into_parts();
    match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(ws) => ws
            .max_message_size(max)
            .max_frame_size(max)
            .on_upgrade(move |socket| serve(hub, socket)),
        Err(rejection) => rejection.into_response(),
    }
}

/// One client's session, until it closes or the listener goes.
async fn serve(hub: Arc<Hub>, mut socket: WebSocket) {
    let id = generate_id();
    let (tx, mut rx) = mpsc::channel(SEND_QUEUE);
    let closing = hub.closing();
    tokio::pin!(closing);
    hub.opened(&id, tx);
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(t))) => hub.received(&id, Frame::Text(t.as_str().to_owned())).await,
                Some(Ok(WsMessage::Binary(b))) => hub.received(&id, Frame::Binary(b.to_vec())).await,
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {}
                Some(Ok(WsMessage::Close(_))) | None => break,
                Some(Err(e)) => {
                    tracing::info!(session = %id, "websocket: session closed: {e}");
                    break;
                }
            },
            out = rx.recv() => {
                let Some(frame) = out else { break };
                let m = match frame {
                    Frame::Text(t) => WsMessage::Text(t.into()),
                    Frame::Binary(b) => WsMessage::Binary(b.into()),
                };
                if socket.send(m).await.is_err() {
                    break;
                }
            }
            _ = &mut closing => {
                let _ = socket.send(WsMessage::Close(None)).await;
                break;
            }
        }
    }
    hub.closed(&id);
}
