//! The message that flows along wires: a JSON object plus an out-of-band link
//! to the HTTP request it came from.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::exchange::Exchange;

/// A Node-RED message: a JSON object with `_msgid`, plus the HTTP exchange (if
/// any) travelling beside it.
///
/// The exchange is never part of the JSON, so it cannot be serialized, leaked
/// into a token or lost by a node that rebuilds the object; cloning a message
/// deep-copies the JSON and shares the exchange, which is what Node-RED's
/// `cloneMessage` does with `msg.req`/`msg.res`.
#[derive(Debug, Clone)]
pub struct Message {
    /// The message's JSON properties, `_msgid` included.
    pub body: Map<String, Value>,
    exchange: Option<Arc<Exchange>>,
    /// Whether `msg.req` is still owed: see [`Message::for_request`].
    req_owed: bool,
}

impl Message {
    /// A new message with a fresh `_msgid` and no other properties.
    pub fn new() -> Self {
        let mut body = Map::new();
        body.insert("_msgid".into(), Value::String(new_msgid()));
        Message {
            body,
            exchange: None,
            req_owed: false,
        }
    }

    /// Wrap an existing JSON object, adding `_msgid` when it has none.
    pub fn from_body(mut body: Map<String, Value>) -> Self {
        if !body.contains_key("_msgid") {
            body.insert("_msgid".into(), Value::String(new_msgid()));
        }
        Message {
            body,
            exchange: None,
            req_owed: false,
        }
    }

    /// A message `http in` sends for the request `exchange` holds, with
    /// `msg.req` owed rather than built.
    ///
    /// `msg.req` is a dozen properties, every header and the body again;
    /// building it and later dropping it is a sixth of what a token flow
    /// does per request, and most token flows never read it (the nodes that
    /// do not are those whose [`crate::node::Node::reads_request`] says
    /// so). The engine builds it — the same object, in the same place —
    /// before any other node sees the message.
    pub fn for_request(body: Map<String, Value>, exchange: Arc<Exchange>) -> Self {
        let mut msg = Message::from_body(body);
        msg.req_owed = exchange.request.is_some();
        msg.exchange = Some(exchange);
        msg
    }

    /// Whether `msg.req` is still owed (see [`Message::for_request`]).
    pub fn request_owed(&self) -> bool {
        self.req_owed
    }

    /// Build the owed `msg.req`, right after `_msgid` where `http in` puts
    /// it. A message whose body gained a `req` meanwhile keeps that one.
    ///
    /// It comes out as JavaScript holds it (integer-like keys first), which
    /// is also what a data-only function that ran over the message
    /// meanwhile would have left it as.
    pub fn settle_request(&mut self) {
        if !std::mem::take(&mut self.req_owed) || self.body.contains_key("req") {
            return;
        }
        let Some(exchange) = &self.exchange else {
            return;
        };
        let Some(parts) = &exchange.request else {
            return;
        };
        let req = Value::Object(parts.build(&exchange.headers));
        let at = usize::from(!self.body.is_empty());
        self.body.shift_insert(at, "req".into(), req);
    }

    /// The HTTP exchange this message answers, if it came from `http in`.
    pub fn exchange(&self) -> Option<&Arc<Exchange>> {
        self.exchange.as_ref()
    }

    /// Link this message to an HTTP exchange.
    pub fn set_exchange(&mut self, exchange: Option<Arc<Exchange>>) {
        self.settle_request();
        self.exchange = exchange;
    }

    /// A new message carrying this one's exchange: how a node that builds a fresh
    /// object (a function returning `{payload: …}`) keeps the request answerable.
    pub fn derive(&self, body: Map<String, Value>) -> Message {
        let mut m = Message::from_body(body);
        m.exchange = self.exchange.clone();
        m
    }

    /// This message with a new body: a function's own `msg` sent on. It
    /// still owes `msg.req` if this one did (a body that cannot see
    /// `msg.req` runs without it, see [`Message::for_request`]).
    pub fn derive_same(&self, body: Map<String, Value>) -> Message {
        let mut m = self.derive(body);
        m.req_owed = self.req_owed;
        m
    }

    /// `msg.payload`, or `Null` when absent.
    pub fn payload(&self) -> &Value {
        self.body.get("payload").unwrap_or(&Value::Null)
    }

    /// Replace `msg.payload`.
    pub fn set_payload(&mut self, value: Value) {
        set_property(&mut self.body, "payload", value);
    }

    /// `msg._msgid` as a string.
    pub fn msgid(&self) -> &str {
        self.body
            .get("_msgid")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

impl Default for Message {
    fn default() -> Self {
        Message::new()
    }
}

/// Set `body[key]`, in place when the property exists (as it usually does
/// when a node replaces `payload`): no new key string is made for it.
pub fn set_property(body: &mut Map<String, Value>, key: &str, value: Value) {
    match body.get_mut(key) {
        Some(slot) => *slot = value,
        None => {
            body.insert(key.to_owned(), value);
        }
    }
}

/// A message id in Node-RED's style is any unique string; a v4 UUID is ours.
pub fn new_msgid() -> String {
    let mut buf = uuid::Uuid::encode_buffer();
    uuid::Uuid::new_v4()
        .hyphenated()
        .encode_lower(&mut buf)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::{HeaderMap, Method};
    use serde_json::json;

    use super::*;
    use crate::request::{request_message, RequestParts};

    fn parts() -> RequestParts {
        RequestParts {
            method: Method::GET,
            uri: "/p/x?b=2&a=1".parse().unwrap(),
            params: json!({"id": "x"}).as_object().cloned().unwrap(),
            remote_ip: Some("127.0.0.1".into()),
            body: None,
        }
    }

    fn headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", "example.org:1880".parse().unwrap());
        h.insert("cookie", "b=2; 3=three".parse().unwrap());
        h
    }

    /// A message as `http in` sends it with `msg.req` owed.
    fn owing() -> Message {
        let (body, owed) = request_message(parts(), &headers(), "get", None, true);
        assert!(owed.is_some());
        let (mut exchange, _reply) = Exchange::new(headers(), Bytes::new());
        exchange.request = owed;
        Message::for_request(body, Arc::new(exchange))
    }

    #[test]
    fn an_owed_request_is_built_as_http_in_builds_it_in_the_same_place() {
        let (eager, _) = request_message(parts(), &headers(), "get", None, false);
        let mut msg = owing();
        assert!(msg.request_owed());
        assert!(!msg.body.contains_key("req"));
        msg.settle_request();
        assert!(!msg.request_owed());
        let keys: Vec<&str> = msg.body.keys().map(String::as_str).collect();
        assert_eq!(keys, ["_msgid", "req", "payload"]);
        assert_eq!(msg.body["req"], eager["req"]);
        assert_eq!(msg.body["payload"], eager["payload"]);
        assert_eq!(msg.body["req"]["query"], json!({"b": "2", "a": "1"}));
        assert_eq!(msg.body["req"]["hostname"], "example.org");
        // Cookie names as a JavaScript object lists them.
        let cookies: Vec<&str> = msg.body["req"]["cookies"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(cookies, ["3", "b"]);
    }

    #[test]
    fn owed_or_built_at_once_parameters_named_by_number_list_first() {
        let with_group = || RequestParts {
            params: json!({"key": "a/b", "0": "a/b"})
                .as_object()
                .cloned()
                .unwrap(),
            ..parts()
        };
        let keys = |req: &Value| -> Vec<String> {
            req["params"].as_object().unwrap().keys().cloned().collect()
        };
        let (eager, _) = request_message(with_group(), &headers(), "get", None, false);
        assert_eq!(keys(&eager["req"]), ["0", "key"]);
        let (body, owed) = request_message(with_group(), &headers(), "get", None, true);
        let (mut exchange, _reply) = Exchange::new(headers(), Bytes::new());
        exchange.request = owed;
        let mut msg = Message::for_request(body, Arc::new(exchange));
        msg.settle_request();
        assert_eq!(keys(&msg.body["req"]), ["0", "key"]);
    }

    #[test]
    fn each_copy_builds_its_own_and_a_new_message_owes_nothing() {
        let msg = owing();
        let mut a = msg.clone();
        let mut b = msg.clone();
        a.settle_request();
        a.body["req"]["query"]["a"] = json!("changed");
        b.settle_request();
        assert_eq!(b.body["req"]["query"]["a"], "1");
        let fresh = msg.derive(Map::new());
        assert!(!fresh.request_owed());
        assert!(fresh.exchange().is_some());
    }

    #[test]
    fn a_req_set_meanwhile_is_kept_and_a_new_exchange_settles_first() {
        let mut msg = owing();
        msg.body.insert("req".into(), json!("mine"));
        msg.settle_request();
        assert_eq!(msg.body["req"], "mine");

        let mut msg = owing();
        msg.set_exchange(None);
        assert!(!msg.request_owed());
        assert_eq!(msg.body["req"]["method"], "GET");
    }

    #[test]
    fn a_message_not_from_a_request_owes_nothing() {
        let mut msg = Message::new();
        msg.settle_request();
        assert!(!msg.request_owed());
        assert!(!msg.body.contains_key("req"));
    }
}
