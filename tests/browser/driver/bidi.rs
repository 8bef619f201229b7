//! The page's errors as Firefox reports them over WebDriver BiDi
//! (`log.entryAdded`): uncaught exceptions, unhandled rejections and
//! `console.error` calls, from the first script the page runs. A hook
//! injected after navigation would miss errors thrown while the editor's
//! modules load; the BiDi subscription is in place before the page opens.

use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

/// A BiDi connection to the session's browser.
pub struct Bidi {
    socket: Socket,
    next_id: u64,
    /// Error-level log entries seen while waiting for command answers.
    early: Vec<String>,
}

impl Bidi {
    /// Connect to the session's `webSocketUrl`.
    pub fn connect(url: &str, timeout: Duration) -> Bidi {
        let (socket, _) =
            tungstenite::connect(url).unwrap_or_else(|e| panic!("connect to BiDi at {url}: {e}"));
        if let MaybeTlsStream::Plain(tcp) = socket.get_ref() {
            tcp.set_read_timeout(Some(timeout))
                .expect("BiDi read timeout");
        }
        Bidi {
            socket,
            next_id: 1,
            early: Vec::new(),
        }
    }

    /// Send a command and wait (bounded by the read timeout) for its result.
    pub fn command(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let text = json!({"id": id, "method": method, "params": params}).to_string();
        self.socket
            .send(Message::text(text))
            .unwrap_or_else(|e| panic!("send BiDi {method}: {e}"));
        loop {
            let msg = self
                .socket
                .read()
                .unwrap_or_else(|e| panic!("no answer to BiDi {method}: {e}"));
            let Message::Text(t) = msg else { continue };
            let v: Value = serde_json::from_str(t.as_str()).expect("BiDi message is JSON");
            if v["id"] == json!(id) {
                if v["type"] == json!("error") {
                    panic!("BiDi {method} failed: {v}");
                }
                return v["result"].clone();
            }
            if let Some(e) = error_entry(&v) {
                self.early.push(e);
            }
        }
    }

    /// Hand the connection to a thread that collects every error-level log
    /// entry into `sink` until the browser closes the connection.
    pub fn collect_errors(mut self, sink: Arc<Mutex<Vec<String>>>) {
        sink.lock().unwrap().append(&mut self.early);
        std::thread::spawn(move || loop {
            match self.socket.read() {
                Ok(Message::Text(t)) => {
                    if let Ok(v) = serde_json::from_str::<Value>(t.as_str()) {
                        if let Some(e) = error_entry(&v) {
                            sink.lock().unwrap().push(e);
                        }
                    }
                }
                Ok(Message::Close(_)) => break,
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        });
    }
}

/// `"javascript: TypeError: …"` or `"console: …"` for an error-level
/// `log.entryAdded` event, with where it came from.
fn error_entry(v: &Value) -> Option<String> {
    if v["method"] != json!("log.entryAdded") {
        return None;
    }
    let p = &v["params"];
    if p["level"] != json!("error") {
        return None;
    }
    let frame = &p["stackTrace"]["callFrames"][0];
    let at = match frame["url"].as_str() {
        Some(url) if !url.is_empty() => format!(
            " (at {url}:{}:{})",
            frame["lineNumber"].as_u64().unwrap_or(0) + 1,
            frame["columnNumber"].as_u64().unwrap_or(0) + 1
        ),
        _ => String::new(),
    };
    Some(format!(
        "{}: {}{at}",
        p["type"].as_str().unwrap_or("log"),
        p["text"].as_str().unwrap_or_default()
    ))
}
