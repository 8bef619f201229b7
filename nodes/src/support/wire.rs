//! Message payloads as bytes on a socket and back, the way Node-RED's
//! WebSocket, TCP and UDP nodes convert them: one copy of each rule.

use base64::Engine as _;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::request::{as_buffer, buffer_value};
use flowgate_runtime::{Message, Outputs};
use serde_json::Value;

use super::js;

/// `Buffer.from("" + payload)`: a Buffer's bytes, text as UTF-8, anything
/// else as JavaScript prints it (`[object Object]` for an object), which is
/// what the TCP and UDP nodes write.
pub fn concat_bytes(v: &Value) -> Vec<u8> {
    if let Some(bytes) = as_buffer(v) {
        return bytes;
    }
    match v {
        Value::String(s) => s.clone().into_bytes(),
        other => js::to_js_string(Some(other)).into_bytes(),
    }
}

/// The bytes a TCP or UDP node writes for `payload`: with its "decode
/// Base64" option, text is read as Base64 (`Buffer.from(text, "base64")`);
/// otherwise, and for non-text payloads, [`concat_bytes`].
pub fn payload_bytes(v: &Value, base64: bool) -> Vec<u8> {
    match v {
        Value::String(s) if base64 => base64_lenient(s),
        other => concat_bytes(other),
    }
}

/// Node.js's `Buffer.from(text, "base64")`: standard and URL-safe
/// alphabets, padding optional, other characters skipped, and decoding
/// stops at the first `=`.
pub fn base64_lenient(text: &str) -> Vec<u8> {
    let clean: String = text
        .chars()
        .take_while(|&c| c != '=')
        .filter_map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '+' | '/' => Some(c),
            '-' => Some('+'),
            '_' => Some('/'),
            _ => None,
        })
        .collect();
    // A lone trailing sextet carries no whole byte: Node.js drops it.
    let usable = if clean.len() % 4 == 1 {
        &clean[..clean.len() - 1]
    } else {
        &clean[..]
    };
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(usable)
        .unwrap_or_default()
}

/// How received bytes become `msg.payload`: the nodes' `datatype` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decode {
    /// A Buffer (`{"type":"Buffer","data":[…]}`).
    Buffer,
    /// UTF-8 text (invalid sequences replaced, as Node.js does).
    Utf8,
    /// Base64 text.
    Base64,
}

impl Decode {
    /// `bytes` as this node's payload.
    pub fn payload(self, bytes: &[u8]) -> Value {
        match self {
            Decode::Buffer => buffer_value(bytes),
            Decode::Utf8 => Value::String(String::from_utf8_lossy(bytes).into_owned()),
            Decode::Base64 => {
                Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
        }
    }
}

/// How long a port a node wants may still be held by the node it
/// replaces: a deploy starts the new nodes before it stops the old ones, so
/// binding retries "address in use" for up to a second.
const REBIND: std::time::Duration = std::time::Duration::from_secs(1);

/// `bind()` retried while the address is in use, for at most [`REBIND`].
pub async fn bind_retrying<T, F, Fut>(mut bind: F) -> std::io::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<T>>,
{
    let until = tokio::time::Instant::now() + REBIND;
    loop {
        match bind().await {
            Err(e)
                if e.kind() == std::io::ErrorKind::AddrInUse
                    && tokio::time::Instant::now() < until =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

/// Send what a socket brought (`out`) from a node's own task, and let that
/// delivery start before the caller reads on. `NodeHandle` sends run as
/// tasks of their own, and tokio starts the last task a worker spawned
/// first: two sends back to back would reach the flow in reverse order,
/// where Node-RED keeps a connection's messages in the order they arrived.
pub async fn send_in_order(handle: &NodeHandle, out: Outputs) {
    if out.is_empty() {
        return;
    }
    handle.send_all(out);
    tokio::task::yield_now().await;
}

/// [`send_in_order`] for one message on output 0.
pub async fn send_one_in_order(handle: &NodeHandle, msg: Message) {
    let mut out = Outputs::default();
    out.send(0, msg);
    send_in_order(handle, out).await;
}

/// A session or connection id in the style of Node-RED's
/// `RED.util.generateId()`: 16 hexadecimal digits.
pub fn generate_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bytes_as_node_red_writes_them() {
        assert_eq!(concat_bytes(&json!("hé")), "hé".as_bytes());
        assert_eq!(concat_bytes(&json!(12.5)), b"12.5");
        assert_eq!(concat_bytes(&json!({"a": 1})), b"[object Object]");
        assert_eq!(concat_bytes(&json!([1, 2])), b"1,2");
        assert_eq!(
            concat_bytes(&json!({"type": "Buffer", "data": [1, 2]})),
            [1, 2]
        );
        assert_eq!(payload_bytes(&json!("aGk="), true), b"hi");
        assert_eq!(payload_bytes(&json!("aGk="), false), b"aGk=");
    }

    #[test]
    fn base64_is_read_leniently() {
        assert_eq!(base64_lenient("aGVsbG8"), b"hello");
        assert_eq!(base64_lenient("aGVs bG8=\n"), b"hello");
        assert_eq!(base64_lenient("_-8"), [0xff, 0xef]);
        assert_eq!(base64_lenient("aGk=aGk="), b"hi");
    }

    #[test]
    fn decoded_payloads() {
        assert_eq!(Decode::Utf8.payload(b"ab"), json!("ab"));
        assert_eq!(Decode::Base64.payload(b"hi"), json!("aGk="));
        assert_eq!(
            Decode::Buffer.payload(&[7]),
            json!({"type": "Buffer", "data": [7]})
        );
    }
}
