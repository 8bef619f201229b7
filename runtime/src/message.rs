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
}

impl Message {
    /// A new message with a fresh `_msgid` and no other properties.
    pub fn new() -> Self {
        let mut body = Map::new();
        body.insert("_msgid".into(), Value::String(new_msgid()));
        Message {
            body,
            exchange: None,
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
        }
    }

    /// The HTTP exchange this message answers, if it came from `http in`.
    pub fn exchange(&self) -> Option<&Arc<Exchange>> {
        self.exchange.as_ref()
    }

    /// Link this message to an HTTP exchange.
    pub fn set_exchange(&mut self, exchange: Option<Arc<Exchange>>) {
        self.exchange = exchange;
    }

    /// A new message carrying this one's exchange: how a node that builds a fresh
    /// object (a function returning `{payload: …}`) keeps the request answerable.
    pub fn derive(&self, body: Map<String, Value>) -> Message {
        let mut m = Message::from_body(body);
        m.exchange = self.exchange.clone();
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
