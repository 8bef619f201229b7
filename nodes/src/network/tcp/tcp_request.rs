//! `tcp request` (`tcpget`): writes `msg.payload` to `server:port` (or
//! `msg.host:msg.port`) and sends the reply on in `msg.payload`, read until
//! a timeout after its first byte, a character, a number of bytes, or
//! (keep connection open) whatever arrives, as Node-RED's `TcpGet` does.
//! Each message has its own connection except in "keep connection open"
//! mode, which keeps one per `host:port` and sends each chunk with the
//! last message written to it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::framer::{Framer, Framing};
use super::{port, send_cmd, unescape, write_loop, Cmd, WRITE_QUEUE};
use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings};
use crate::support::wire::{concat_bytes, send_in_order, Decode};

crate::choices! {
    /// When the reply is complete.
    pub enum Out ("return") {
        Time = "time" ("after a fixed timeout of"),
        Char = "char" ("when character received is"),
        Count = "count" ("after a fixed number of characters"),
        Sit = "sit" ("never - keep connection open"),
        Immed = "immed" ("immediately - don't wait for reply"),
    }
}

crate::choices! {
    /// What the reply payload is.
    pub enum Ret ("return type") {
        Buffer = "buffer" ("Buffer"),
        String = "string" ("String"),
    }
}

pub const HELP: &str = "Writes msg.payload to a TCP server (server and port, or msg.host and msg.port when they are empty) and sends the reply in msg.payload, the rest of the message kept.
Return: after a fixed timeout (ms) from the first byte of the reply, when a character arrives (included in the reply; \\n, \\r, \\t or 0x.. for control characters), after a fixed number of bytes, never (keep the connection open: every chunk is sent with the last message written, and text can be split on a delimiter), or immediately (nothing is sent on).
The reply is a Buffer or a String. msg.reset = true closes the kept connections (\"host:port\" one of them).
A failed connection is an error on the message (\"connect failed host:port\"). A reply is held up to --max-body bytes.";

/// A `tcp request` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct TcpRequestSettings {
    #[serde(deserialize_with = "de::text")]
    pub server: String,
    #[serde(deserialize_with = "de::number")]
    pub port: Option<f64>,
    pub out: Out,
    pub ret: Ret,
    #[serde(deserialize_with = "de::text")]
    pub splitc: String,
    #[serde(deserialize_with = "de::text")]
    pub newline: String,
    #[serde(deserialize_with = "de::flag")]
    pub trim: bool,
}

impl NodeSettings for TcpRequestSettings {
    const FIELDS: &'static [Field] = &[
        Field::text("server", "").label("Server"),
        Field::new("port", Kind::Number, Initial::Str("")).label("port"),
        Field::select("out", Out::CHOICES, "time")
            .label("Return")
            .required(),
        Field::text("splitc", "0")
            .label("ms / character / chars")
            .required(),
        Field::select("ret", Ret::CHOICES, "buffer").label("Return type"),
        Field::text("newline", "").label("delimited by"),
        Field::checkbox("trim", false).label("re-attach delimiter"),
        Field::new("tls", Kind::Config("tls-config"), Initial::Str("")).hidden(),
        Field::name(),
    ];
}

pub fn node_type() -> NodeType {
    NodeType::runnable("tcp request", build)
        .help(HELP)
        .category("network")
        .color("Silver")
        .editor(settings::editor_json::<TcpRequestSettings>())
}

/// The byte `splitc` names in "char" mode: an escape (`\n`, `\r`, `\t`,
/// `\e`, `\f`, `\0`), `0x..`, or the first character.
fn split_char(text: &str) -> Option<u8> {
    let named = match text {
        "\\n" => Some(0x0a),
        "\\r" => Some(0x0d),
        "\\t" => Some(0x09),
        "\\e" => Some(0x1b),
        "\\f" => Some(0x0c),
        "\\0" => Some(0x00),
        _ => None,
    };
    if named.is_some() {
        return named;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return u8::from_str_radix(hex, 16).ok();
    }
    text.bytes().next()
}

/// When a reply (outside "keep connection open") is complete.
#[derive(Debug, Clone, Copy)]
enum Until {
    Timeout(Duration),
    Char(u8),
    Count(usize),
    Immediately,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: TcpRequestSettings = settings::load(config, cx)?;
    super::refuse_tls(config)?;
    let number = || {
        s.splitc
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| *n >= 0.0)
            .ok_or_else(|| config.problem(Some("splitc"), "must be a number"))
    };
    let until = match s.out {
        Out::Time => Some(Until::Timeout(Duration::from_millis(number()? as u64))),
        Out::Count => Some(Until::Count((number()? as usize).max(1))),
        Out::Char => {
            Some(Until::Char(split_char(&s.splitc).ok_or_else(|| {
                config.problem(Some("splitc"), "missing character")
            })?))
        }
        Out::Immed => Some(Until::Immediately),
        Out::Sit => None,
    };
    let node = TcpRequest {
        host: s.server.trim().to_owned(),
        port: port(s.port),
        until,
        string: s.ret == Ret::String,
        newline: unescape(&s.newline),
        reattach: s.trim,
        max: cx.settings.max_body_bytes,
        kept: Arc::default(),
        handle: Mutex::default(),
    };
    Ok(Built::new(node, 1))
}

/// A kept connection ("keep connection open"): its writer and the last
/// message written to it.
struct Kept {
    tx: mpsc::Sender<Cmd>,
    last: Arc<Mutex<Message>>,
    task: tokio::task::AbortHandle,
}

struct TcpRequest {
    host: String,
    port: Option<u16>,
    until: Option<Until>,
    string: bool,
    newline: String,
    reattach: bool,
    max: usize,
    kept: Arc<Mutex<HashMap<String, Kept>>>,
    handle: Mutex<Option<NodeHandle>>,
}

impl TcpRequest {
    fn reply(&self, bytes: &[u8]) -> Value {
        if self.string {
            Decode::Utf8.payload(bytes)
        } else {
            Decode::Buffer.payload(bytes)
        }
    }

    /// "keep connection open": `msg.reset`, then the write on the kept
    /// connection (opened when there is none).
    fn sit(&self, msg: Message, target: String, payload: Option<Vec<u8>>) {
        match msg.body.get("reset") {
            Some(Value::Bool(true)) => {
                for (_, k) in self.kept.lock().drain() {
                    k.task.abort();
                }
            }
            Some(Value::String(t)) if t.contains(':') => {
                if let Some(k) = self.kept.lock().remove(t) {
                    k.task.abort();
                }
            }
            _ => {}
        }
        if msg.body.contains_key("reset") && !msg.body.contains_key("payload") {
            return;
        }
        let Some(handle) = self.handle.lock().clone() else {
            return;
        };
        let mut kept = self.kept.lock();
        let k = kept
            .entry(target.clone())
            .or_insert_with(|| self.open_kept(target, handle, msg.clone()));
        *k.last.lock() = msg;
        if let Some(bytes) = payload {
            send_cmd("tcp request", &k.tx, Cmd::Write(bytes));
        }
    }

    fn open_kept(&self, target: String, handle: NodeHandle, first: Message) -> Kept {
        let (tx, mut rx) = mpsc::channel(WRITE_QUEUE);
        let last = Arc::new(Mutex::new(first));
        let (l, kept) = (Arc::clone(&last), Arc::clone(&self.kept));
        // Each chunk as it comes, text split on the delimiter: `tcp in`'s
        // stream framing as a client.
        let framing = Framing {
            stream: true,
            decode: if self.string {
                Decode::Utf8
            } else {
                Decode::Buffer
            },
            newline: self.newline.clone(),
            reattach: self.reattach,
            server: false,
            max_buffer: self.max,
        };
        let task = tokio::spawn(async move {
            let socket = match TcpStream::connect(target.as_str()).await {
                Ok(s) => s,
                Err(_) => {
                    let msg = l.lock().clone();
                    handle.error(NodeError::new(format!("connect failed {target}")).with_msg(msg));
                    kept.lock().remove(&target);
                    return;
                }
            };
            let (mut reader, writer) = socket.into_split();
            let reading = async {
                let mut framer = Framer::new(framing);
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n @ 1..) = reader.read(&mut buf).await {
                    let Ok(payloads) = framer.data(&buf[..n]) else {
                        return;
                    };
                    let mut out = Outputs::default();
                    for payload in payloads {
                        // The last message's clone: an `http in` request
                        // it carries can still be answered.
                        let mut msg = l.lock().clone();
                        msg.body.insert("payload".into(), payload);
                        out.send(0, msg);
                    }
                    send_in_order(&handle, out).await;
                }
            };
            tokio::select! {
                _ = reading => {}
                _ = write_loop(writer, &mut rx) => {}
            }
            kept.lock().remove(&target);
        });
        Kept {
            tx,
            last,
            task: task.abort_handle(),
        }
    }
}

/// Read a reply until `until` says it is complete (or the peer closes).
async fn read_reply(socket: &mut TcpStream, until: Until, max: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let read = match deadline {
            Some(d) => match tokio::time::timeout_at(d, socket.read(&mut buf)).await {
                Ok(r) => r,
                Err(_) => return got,
            },
            None => socket.read(&mut buf).await,
        };
        let n = match read {
            Ok(0) | Err(_) => {
                // Closed: a timed reply is still sent when its time comes.
                if let Some(d) = deadline {
                    tokio::time::sleep_until(d).await;
                    return got;
                }
                return Vec::new();
            }
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            if got.len() < max {
                got.push(b);
            }
            match until {
                Until::Char(c) if b == c => return got,
                Until::Count(k) if got.len() >= k => return got,
                _ => {}
            }
        }
        if let (Until::Timeout(t), None) = (until, deadline) {
            deadline = Some(tokio::time::Instant::now() + t);
        }
    }
}

impl Node for TcpRequest {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let payload = msg.body.get("payload").map(concat_bytes);
        let host = if self.host.is_empty() {
            msg.body
                .get("host")
                .map(|h| crate::support::js::to_js_string(Some(h)))
        } else {
            Some(self.host.clone())
        };
        let port = self
            .port
            .or_else(|| port(Some(crate::support::js::to_number(msg.body.get("port")))));
        let (Some(host), Some(port)) = (host.filter(|h| !h.is_empty()), port) else {
            tracing::warn!("tcp request: Host and/or port not set");
            return Outcome::Ready(Ok(()));
        };
        let target = format!("{host}:{port}");
        let Some(until) = self.until else {
            self.sit(msg, target, payload);
            return Outcome::Ready(Ok(()));
        };
        Outcome::Pending(Box::pin(async move {
            let mut socket = match TcpStream::connect(target.as_str()).await {
                Ok(s) => s,
                Err(_) => {
                    return Err(NodeError::new(format!("connect failed {target}")).with_msg(msg))
                }
            };
            if let Some(bytes) = payload {
                let _ = socket.write_all(&bytes).await;
            }
            if let Until::Immediately = until {
                let _ = socket.shutdown().await;
                return Ok(());
            }
            let reply = read_reply(&mut socket, until, self.max).await;
            if reply.is_empty() {
                return Ok(());
            }
            msg.body.insert("payload".into(), self.reply(&reply));
            out.send(0, msg);
            Ok(())
        }))
    }

    fn start(&self, handle: NodeHandle) {
        *self.handle.lock() = Some(handle);
    }

    fn stop(&self) {
        for (_, k) in self.kept.lock().drain() {
            k.task.abort();
        }
        *self.handle.lock() = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_characters() {
        assert_eq!(split_char("\\n"), Some(b'\n'));
        assert_eq!(split_char("0x41"), Some(b'A'));
        assert_eq!(split_char(";"), Some(b';'));
        assert_eq!(split_char(""), None);
    }
}
