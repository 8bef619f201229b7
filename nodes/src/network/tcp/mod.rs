//! Node-RED's TCP nodes: `tcp in` (a server or a client turning bytes into
//! messages), `tcp out` (writing to a server, to a client connection, or
//! replying on the connection a `tcp in` message came from) and
//! `tcp request` (write, then read a reply).
//!
//! As in Node-RED, the connections of `tcp in` nodes are in one
//! process-wide pool by session id, so a `tcp out` in reply mode can write
//! to the connection `msg._session` names.

pub mod framer;
pub mod tcp_in;
pub mod tcp_out;
pub mod tcp_request;

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use flowgate_runtime::registry::NodeType;
use parking_lot::Mutex;
use tokio::sync::mpsc;

/// Connections one `tcp in` or `tcp out` server accepts at a time; further
/// ones are closed at once (with a log line).
pub const MAX_CONNECTIONS: usize = 1000;

/// Writes one connection may have queued: beyond it (a peer that does not
/// read), further writes to it are dropped with a warning.
pub const WRITE_QUEUE: usize = 1024;

/// Node-RED's `socketReconnectTime`: a client connection that was lost is
/// tried again after 10 seconds.
pub const RECONNECT: Duration = Duration::from_secs(10);

/// A client that closed after a whole message (`tcp out` with "close
/// after send", a `tcp in` in single mode) reconnects at once (20 ms).
pub const QUICK_RECONNECT: Duration = Duration::from_millis(20);

/// Every TCP node type.
pub fn node_types() -> Vec<NodeType> {
    vec![
        tcp_in::node_type(),
        tcp_out::node_type(),
        tcp_request::node_type(),
    ]
}

/// What a writer task is asked to do with its connection.
#[derive(Debug)]
pub enum Cmd {
    Write(Vec<u8>),
    /// Write, then close (`tcp out` server with "close after send").
    WriteEnd(Vec<u8>),
    /// Close at once (`msg.reset`).
    Destroy,
}

/// The open `tcp in` connections by session id.
static POOL: LazyLock<Mutex<HashMap<String, mpsc::Sender<Cmd>>>> = LazyLock::new(Mutex::default);

/// A connection's entry in the pool, removed when dropped.
pub struct Pooled(String);

impl Pooled {
    pub fn add(id: &str, tx: mpsc::Sender<Cmd>) -> Self {
        POOL.lock().insert(id.to_owned(), tx);
        Pooled(id.to_owned())
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        POOL.lock().remove(&self.0);
    }
}

/// Ask connection `id` of the pool, or every pooled connection when `id`
/// is `None`, to do `cmd`.
pub fn to_pool(id: Option<&str>, cmd: impl Fn() -> Cmd) {
    let targets: Vec<(String, mpsc::Sender<Cmd>)> = {
        let pool = POOL.lock();
        match id {
            Some(id) => pool
                .get(id)
                .map(|tx| vec![(id.to_owned(), tx.clone())])
                .unwrap_or_default(),
            None => pool.iter().map(|(k, tx)| (k.clone(), tx.clone())).collect(),
        }
    };
    for (id, tx) in targets {
        send_cmd(&id, &tx, cmd());
    }
}

/// Queue `cmd` for a connection's writer; a full queue drops it.
pub fn send_cmd(id: &str, tx: &mpsc::Sender<Cmd>, cmd: Cmd) {
    if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(cmd) {
        tracing::warn!(
            session = id,
            "tcp: the connection has {WRITE_QUEUE} writes waiting, dropped this one"
        );
    }
}

/// A node with a `tls` config node is refused rather than run in plain
/// text: flowgate's TCP nodes do not speak TLS, and a flow that asks for it
/// must not silently send its data unencrypted.
pub fn refuse_tls(
    config: &flowgate_runtime::model::NodeConfig,
) -> Result<(), flowgate_runtime::Problem> {
    match config.str("tls") {
        Some(t) if !t.is_empty() => Err(config.problem(
            Some("tls"),
            "TLS is not supported by flowgate's TCP nodes (remove the tls-config to use plain TCP)",
        )),
        _ => Ok(()),
    }
}

/// Node-RED's delimiter escapes: `\n`, `\r` and `\t` typed as two
/// characters are the control characters.
pub fn unescape(text: &str) -> String {
    text.replace("\\n", "\n")
        .replace("\\r", "\r")
        .replace("\\t", "\t")
}

/// A port field: a number from 1 to 65535, else `None`.
pub fn port(value: Option<f64>) -> Option<u16> {
    value
        .filter(|p| p.fract() == 0.0 && *p >= 1.0 && *p <= 65535.0)
        .map(|p| p as u16)
}

/// Bind a listening socket on every interface, as Node.js's
/// `server.listen(port)` does: IPv6 and IPv4 together when the host has
/// IPv6 (so an IPv4 peer's address reads `::ffff:127.0.0.1`, as in
/// Node-RED), else IPv4 alone.
pub async fn listen(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    crate::support::wire::bind_retrying(|| async move {
        match tokio::net::TcpListener::bind(("::", port)).await {
            Ok(l) => Ok(l),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(e),
            Err(_) => tokio::net::TcpListener::bind(("0.0.0.0", port)).await,
        }
    })
    .await
}

/// A server's status text: Node-RED's "N connection(s)".
pub fn connections_text(count: usize) -> String {
    if count == 1 {
        "1 connection".into()
    } else {
        format!("{count} connections")
    }
}

/// Read and discard what a peer sends until it closes (a `tcp out`
/// connection is for writing).
pub async fn drain(mut reader: tokio::net::tcp::OwnedReadHalf) {
    use tokio::io::AsyncReadExt;
    let mut sink = [0u8; 4096];
    while matches!(reader.read(&mut sink).await, Ok(n) if n > 0) {}
}

/// Write queued commands to `writer` until the queue closes, a write fails
/// or a command closes the connection. Returns whether it closed on
/// request.
pub async fn write_loop(
    mut writer: tokio::net::tcp::OwnedWriteHalf,
    rx: &mut mpsc::Receiver<Cmd>,
) -> bool {
    use tokio::io::AsyncWriteExt;
    while let Some(cmd) = rx.recv().await {
        match cmd {
            Cmd::Write(bytes) => {
                if writer.write_all(&bytes).await.is_err() {
                    return false;
                }
            }
            Cmd::WriteEnd(bytes) => {
                let _ = writer.write_all(&bytes).await;
                let _ = writer.shutdown().await;
                return true;
            }
            Cmd::Destroy => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_and_ports_read_as_node_red_does() {
        assert_eq!(unescape("\\r\\n"), "\r\n");
        assert_eq!(unescape(";"), ";");
        assert_eq!(port(Some(80.0)), Some(80));
        assert_eq!(port(Some(0.0)), None);
        assert_eq!(port(Some(70000.0)), None);
        assert_eq!(port(None), None);
    }
}
