//! `/comms`: the editor's WebSocket, streaming the runtime's event bus in
//! Node-RED's shape. The server sends JSON arrays of `{"topic", "data"}`
//! (`debug`, `status/<node id>`, `notification/...`), batched every 50 ms,
//! at most 50 per frame, and an `hb` heartbeat when idle; a client's
//! `{"subscribe": topic}` replays the retained events that match (node
//! statuses, the last deploy). As in Node-RED every authenticated client
//! receives every event.
//!
//! With a token configured, the client authenticates in-band: its first
//! message must be `{"auth": <token>}` (answered `{"auth": "ok"}`, or
//! `{"auth": "fail"}` and closed), unless the upgrade request already
//! carried an accepted `Authorization: Bearer`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::auth::{backed_off, bearer, Verdict};
use super::error::ApiError;
use super::origin::{cross_site_reason, foreign_host};
use super::throttle::ClientAddr;
use super::Admin;
use crate::events::Event;

const BATCH_DELAY: Duration = Duration::from_millis(50);
const BATCH_SIZE: usize = 50;
const HEARTBEAT: Duration = Duration::from_secs(15);
/// How long a client has to send its `{"auth": ...}` message.
const AUTH_WAIT: Duration = Duration::from_secs(30);

/// `GET /comms` (WebSocket upgrade). A page on another site may not open it,
/// nor a client backed off for failed authentication (429).
pub async fn upgrade(
    State(admin): State<Arc<Admin>>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(reason) = foreign_host(&admin, &headers) {
        return ApiError::new(StatusCode::FORBIDDEN, "forbidden_host", reason).into_response();
    }
    if let Some(reason) = cross_site_reason(&headers) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            format!("cross-site WebSocket refused: {reason}"),
        )
        .into_response();
    }
    // A wrong header token counts as a failure; the client may still
    // authenticate in-band.
    let header_token = match admin.auth.verify(client, bearer(&headers)) {
        Verdict::BackedOff(wait) => return backed_off(wait),
        Verdict::Accepted if admin.auth.enabled() => bearer(&headers).map(str::to_owned),
        _ => None,
    };
    ws.max_message_size(64 * 1024)
        .on_upgrade(move |socket| Connection::new(admin, socket, client, header_token).run())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Node-RED's topic patterns: `+` is one level, a trailing `/#` any number
/// (including none).
pub fn topic_matches(pattern: &str, topic: &str) -> bool {
    let (pattern, open_ended) = match pattern.strip_suffix("/#") {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let mut t = topic.split('/');
    for p in pattern.split('/') {
        match t.next() {
            Some(seg) if p == "+" && !seg.is_empty() => {}
            Some(seg) if p == seg => {}
            _ => return false,
        }
    }
    open_ended || t.next().is_none()
}

struct Connection {
    admin: Arc<Admin>,
    socket: WebSocket,
    /// Where the client connects from (failed in-band auth counts here).
    client: IpAddr,
    /// The token the client authenticated with (re-checked so a revoked or
    /// expired session is cut off, as in Node-RED).
    token: Option<String>,
    pending: Vec<Value>,
    last_sent: Instant,
    last_sent_ms: u64,
}

enum Step {
    Continue,
    Close,
}

impl Connection {
    fn new(admin: Arc<Admin>, socket: WebSocket, client: IpAddr, token: Option<String>) -> Self {
        Connection {
            admin,
            socket,
            client,
            token,
            pending: Vec::new(),
            last_sent: Instant::now(),
            last_sent_ms: now_ms(),
        }
    }

    async fn send_json(&mut self, v: &Value) -> bool {
        self.socket
            .send(Message::Text(v.to_string().into()))
            .await
            .is_ok()
    }

    async fn fail(&mut self) {
        let _ = self.send_json(&json!({"auth": "fail"})).await;
        let _ = self.socket.send(Message::Close(None)).await;
    }

    async fn run(mut self) {
        let needs_auth = self.admin.auth.enabled() && self.token.is_none();
        if needs_auth && !self.authenticate().await {
            return;
        }
        // Subscribed before the client hears "ok", so it misses nothing
        // that happens after.
        let mut events = self.admin.runtime.events().subscribe();
        if needs_auth && !self.send_json(&json!({"auth": "ok"})).await {
            return;
        }
        let mut flush_at: Option<Instant> = None;
        let mut heartbeat = tokio::time::interval_at(Instant::now() + HEARTBEAT, HEARTBEAT);
        loop {
            let flush = async {
                match flush_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                incoming = self.socket.recv() => {
                    let step = match incoming {
                        Some(Ok(Message::Text(text))) => self.on_message(text.as_str()).await,
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => Step::Close,
                        Some(Ok(_)) => Step::Continue,
                    };
                    if matches!(step, Step::Close) {
                        break;
                    }
                }
                event = events.recv() => match event {
                    Ok(e) => self.queue(e, &mut flush_at),
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!("comms client fell behind: {n} events dropped");
                    }
                    Err(RecvError::Closed) => break,
                },
                _ = flush => {
                    flush_at = None;
                    if !self.flush(&mut flush_at).await {
                        break;
                    }
                }
                _ = heartbeat.tick() => {
                    if let Some(t) = &self.token {
                        if !self.admin.auth.accepts(t) {
                            self.fail().await;
                            break;
                        }
                    }
                    if self.last_sent.elapsed() >= HEARTBEAT {
                        let hb = Event { topic: "hb".into(), data: json!(self.last_sent_ms) };
                        self.queue(hb, &mut flush_at);
                    }
                }
            }
        }
    }

    /// Wait for `{"auth": token}` (the caller acknowledges it); false when
    /// the connection is over.
    async fn authenticate(&mut self) -> bool {
        let first = tokio::time::timeout(AUTH_WAIT, self.socket.recv()).await;
        let Ok(Some(Ok(Message::Text(text)))) = first else {
            self.fail().await;
            return false;
        };
        let token = serde_json::from_str::<Value>(text.as_str())
            .ok()
            .and_then(|v| v.get("auth").and_then(Value::as_str).map(str::to_owned));
        match self.admin.auth.verify(self.client, token.as_deref()) {
            Verdict::Accepted => {
                self.token = token;
                true
            }
            _ => {
                tracing::warn!(client = %self.client, "comms authentication failed");
                self.fail().await;
                false
            }
        }
    }

    async fn on_message(&mut self, text: &str) -> Step {
        let Ok(msg) = serde_json::from_str::<Value>(text) else {
            return Step::Continue;
        };
        if let Some(token) = msg.get("auth").and_then(Value::as_str) {
            if self.admin.auth.verify(self.client, Some(token)) == Verdict::Accepted {
                if self.admin.auth.enabled() {
                    self.token = Some(token.to_owned());
                }
                return if self.send_json(&json!({"auth": "ok"})).await {
                    Step::Continue
                } else {
                    Step::Close
                };
            }
            self.fail().await;
            return Step::Close;
        }
        if let Some(topic) = msg.get("subscribe").and_then(Value::as_str) {
            let retained: Vec<Value> = self
                .admin
                .runtime
                .events()
                .retained()
                .into_iter()
                .filter(|e| topic_matches(topic, &e.topic))
                .map(|e| json!({"topic": e.topic, "data": e.data}))
                .collect();
            if !retained.is_empty() {
                for chunk in retained.chunks(BATCH_SIZE) {
                    if !self.send_json(&Value::Array(chunk.to_vec())).await {
                        return Step::Close;
                    }
                }
            }
        }
        Step::Continue
    }

    fn queue(&mut self, e: Event, flush_at: &mut Option<Instant>) {
        self.pending.push(json!({"topic": e.topic, "data": e.data}));
        if flush_at.is_none() {
            *flush_at = Some(Instant::now() + BATCH_DELAY);
        }
    }

    /// Send one batch; schedule the next if more is waiting.
    async fn flush(&mut self, flush_at: &mut Option<Instant>) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        let n = self.pending.len().min(BATCH_SIZE);
        let batch: Vec<Value> = self.pending.drain(..n).collect();
        if !self.send_json(&Value::Array(batch)).await {
            return false;
        }
        self.last_sent = Instant::now();
        self.last_sent_ms = now_ms();
        if !self.pending.is_empty() {
            *flush_at = Some(Instant::now() + BATCH_DELAY);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::topic_matches;

    #[test]
    fn topics_match_like_node_red() {
        assert!(topic_matches("debug", "debug"));
        assert!(!topic_matches("debug", "debugger"));
        assert!(topic_matches("status/#", "status/abc"));
        assert!(topic_matches("status/#", "status"));
        assert!(!topic_matches("status/#", "statusx/abc"));
        assert!(topic_matches(
            "notification/+",
            "notification/runtime-deploy"
        ));
        assert!(!topic_matches("notification/+", "notification/a/b"));
        assert!(topic_matches("#", "#"));
    }
}
