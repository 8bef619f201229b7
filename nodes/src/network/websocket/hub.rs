//! What a `websocket-listener` or `websocket-client` config node shares
//! with the `websocket in` / `websocket out` nodes that use it: the open
//! sessions, the input nodes messages go to, and the status events
//! Node-RED 3+ sends (`event: "connect" | "disconnect" | "error"` with
//! `_session`).

use std::collections::HashMap;

use flowgate_runtime::events::Events;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::Message;
use parking_lot::Mutex;
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, watch};

use crate::support::util::publish_status;
use crate::support::wire::{send_one_in_order, Decode};

/// Frames one session may have queued for sending: beyond it (a client
/// that does not read), further messages to it are dropped with a warning
/// instead of growing without bound.
pub const SEND_QUEUE: usize = 256;

/// One message on a WebSocket, either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

/// Sessions, input nodes and status watchers of one config node.
pub struct Hub {
    /// `wholemsg`: frames carry the whole message as JSON, not the payload.
    pub wholemsg: bool,
    /// A listener counts its sessions in its status; a client does not.
    server: bool,
    events: Events,
    state: Mutex<State>,
    shutdown: watch::Sender<bool>,
}

#[derive(Default)]
struct State {
    /// Open sessions by id (a listener's clients; a client's one link).
    sessions: HashMap<String, mpsc::Sender<Frame>>,
    inputs: Vec<(u64, NodeHandle)>,
    watchers: Vec<(u64, String)>,
    next: u64,
}

impl Hub {
    pub fn new(wholemsg: bool, server: bool, events: Events) -> Self {
        Hub {
            wholemsg,
            server,
            events,
            state: Mutex::default(),
            shutdown: watch::channel(false).0,
        }
    }

    /// A `websocket in` node receives what arrives from now on; the token
    /// undoes it ([`Hub::forget`]).
    pub fn add_input(&self, handle: NodeHandle) -> u64 {
        let mut s = self.state.lock();
        s.next += 1;
        let token = s.next;
        s.inputs.push((token, handle));
        token
    }

    /// A node shows the connect and disconnect events as its status.
    pub fn add_watcher(&self, node_id: &str) -> u64 {
        let mut s = self.state.lock();
        s.next += 1;
        let token = s.next;
        s.watchers.push((token, node_id.to_owned()));
        token
    }

    /// Undo [`Hub::add_input`] or [`Hub::add_watcher`].
    pub fn forget(&self, token: u64) {
        let mut s = self.state.lock();
        s.inputs.retain(|(t, _)| *t != token);
        s.watchers.retain(|(t, _)| *t != token);
    }

    /// How many sessions are open.
    pub fn session_count(&self) -> usize {
        self.state.lock().sessions.len()
    }

    /// A session opened; frames for it go to `tx`.
    pub fn opened(&self, id: &str, tx: mpsc::Sender<Frame>) {
        let count = {
            let mut s = self.state.lock();
            s.sessions.insert(id.to_owned(), tx);
            s.sessions.len()
        };
        let text = format!("connected {}", self.count_text(count));
        self.status(
            json!({"fill": "green", "shape": "dot", "text": text, "event": "connect"}),
            id,
        );
    }

    /// A session closed.
    pub fn closed(&self, id: &str) {
        let count = {
            let mut s = self.state.lock();
            s.sessions.remove(id);
            s.sessions.len()
        };
        let status = if self.server && count > 0 {
            json!({"fill": "green", "shape": "dot", "text": format!("connected {count}")})
        } else {
            json!({"fill": "red", "shape": "ring", "text": "common.status.disconnected"})
        };
        let mut status = status;
        status["event"] = json!("disconnect");
        self.status(status, id);
    }

    /// A connection failed (a client's connect or heartbeat).
    pub fn errored(&self, id: &str) {
        self.status(
            json!({"fill": "red", "shape": "ring", "text": "common.status.error", "event": "error"}),
            id,
        );
    }

    /// A client shows "connected " without a count, as Node-RED does.
    fn count_text(&self, count: usize) -> String {
        if self.server {
            count.to_string()
        } else {
            String::new()
        }
    }

    fn status(&self, mut status: Value, id: &str) {
        status["_session"] = json!({"type": "websocket", "id": id});
        let watchers: Vec<String> = self
            .state
            .lock()
            .watchers
            .iter()
            .map(|(_, n)| n.clone())
            .collect();
        for node in watchers {
            publish_status(&self.events, &node, status.clone());
        }
    }

    /// A frame arrived on session `id`: every `websocket in` node sends it,
    /// in the order frames arrive ([`send_one_in_order`]).
    pub async fn received(&self, id: &str, frame: Frame) {
        let body = incoming(self.wholemsg, id, frame);
        let inputs: Vec<NodeHandle> = self
            .state
            .lock()
            .inputs
            .iter()
            .map(|(_, h)| h.clone())
            .collect();
        for handle in inputs {
            send_one_in_order(&handle, Message::from_body(body.clone())).await;
        }
    }

    /// Send to one session of a listener (a message with `_session`);
    /// unknown or closed sessions are ignored, as in Node-RED.
    pub fn reply(&self, id: &str, frame: Frame) {
        if !self.server {
            // Node-RED keeps no sessions for a client: a reply goes nowhere.
            return;
        }
        let tx = self.state.lock().sessions.get(id).cloned();
        if let Some(tx) = tx {
            queue(id, &tx, frame);
        }
    }

    /// Send to every session (a listener's clients, or a client's link).
    pub fn broadcast(&self, frame: Frame) {
        let all: Vec<(String, mpsc::Sender<Frame>)> = self
            .state
            .lock()
            .sessions
            .iter()
            .map(|(id, tx)| (id.clone(), tx.clone()))
            .collect();
        for (id, tx) in all {
            queue(&id, &tx, frame.clone());
        }
    }

    /// Forget every session without a status (their connections were
    /// dropped with the task serving them).
    pub fn drop_sessions(&self) {
        self.state.lock().sessions.clear();
    }

    /// Close every session (the config node is gone).
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves when [`Hub::shutdown`] is called.
    pub fn closing(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.shutdown.subscribe();
        async move {
            let _ = rx.wait_for(|closed| *closed).await;
        }
    }
}

fn queue(id: &str, tx: &mpsc::Sender<Frame>, frame: Frame) {
    if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(frame) {
        tracing::warn!(
            session = id,
            "websocket: an error occurred while sending: the session has {SEND_QUEUE} messages \
             waiting, dropped this one"
        );
    }
}

/// The message Node-RED's listener makes of a frame: with `wholemsg`, the
/// frame parsed as JSON (anything but an object becomes `msg.payload`, text
/// that is no JSON too), else `{payload}`; a text frame is a string, a
/// binary one a Buffer. `_session` names the session.
fn incoming(wholemsg: bool, id: &str, frame: Frame) -> Map<String, Value> {
    let raw = || match &frame {
        Frame::Text(t) => Value::String(t.clone()),
        Frame::Binary(b) => Decode::Buffer.payload(b),
    };
    let mut body = Map::new();
    if wholemsg {
        let bytes = match &frame {
            Frame::Text(t) => t.as_bytes(),
            Frame::Binary(b) => b.as_slice(),
        };
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(m)) => body = m,
            Ok(other) => {
                body.insert("payload".into(), other);
            }
            Err(_) => {
                body.insert("payload".into(), raw());
            }
        }
    } else {
        body.insert("payload".into(), raw());
    }
    body.insert("_session".into(), json!({"type": "websocket", "id": id}));
    body
}

/// What a `websocket out` node sends for `msg`: the whole message less
/// `_session` as JSON (`wholemsg`), or the payload (a Buffer as binary,
/// anything else as text, objects as JSON). `None` when there is nothing
/// to send (no payload, or empty text), as Node-RED's `if (payload)`.
pub fn outgoing(wholemsg: bool, msg: &Map<String, Value>) -> Option<Frame> {
    if wholemsg {
        let mut copy = msg.clone();
        copy.shift_remove("_session");
        return Some(Frame::Text(flowgate_runtime::js_json::to_string(&copy)));
    }
    let payload = msg.get("payload")?;
    if let Some(bytes) = flowgate_runtime::request::as_buffer(payload) {
        return Some(Frame::Binary(bytes));
    }
    let text = crate::parsers::csv::ensure_string(Some(payload));
    (!text.is_empty()).then_some(Frame::Text(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn frames_become_messages_as_in_node_red() {
        let m = incoming(false, "s1", Frame::Text("{\"a\":1}".into()));
        assert_eq!(
            Value::Object(m),
            json!({"payload": "{\"a\":1}", "_session": {"type": "websocket", "id": "s1"}})
        );
        let m = incoming(
            true,
            "s1",
            Frame::Text("{\"topic\":\"t\",\"payload\":2}".into()),
        );
        assert_eq!(m["topic"], json!("t"));
        assert_eq!(m["payload"], json!(2));
        assert_eq!(
            incoming(true, "s1", Frame::Text("7".into()))["payload"],
            json!(7)
        );
        assert_eq!(
            incoming(true, "s1", Frame::Text("not json".into()))["payload"],
            json!("not json")
        );
        assert_eq!(
            incoming(false, "s1", Frame::Binary(vec![1]))["payload"],
            json!({"type": "Buffer", "data": [1]})
        );
    }

    #[test]
    fn messages_become_frames_as_in_node_red() {
        let msg = obj(json!({"payload": {"a": 1}, "_session": {"id": "x"}}));
        assert_eq!(outgoing(false, &msg), Some(Frame::Text("{\"a\":1}".into())));
        assert_eq!(
            outgoing(true, &msg),
            Some(Frame::Text("{\"payload\":{\"a\":1}}".into()))
        );
        assert_eq!(outgoing(false, &obj(json!({"payload": ""}))), None);
        assert_eq!(outgoing(false, &obj(json!({"topic": "t"}))), None);
        assert_eq!(
            outgoing(false, &obj(json!({"payload": 5}))),
            Some(Frame::Text("5".into()))
        );
        assert_eq!(
            outgoing(
                false,
                &obj(json!({"payload": {"type": "Buffer", "data": [9]}}))
            ),
            Some(Frame::Binary(vec![9]))
        );
    }
}
