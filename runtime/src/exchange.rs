//! The link between a message and the HTTP request that started it.

use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use parking_lot::Mutex;
use tokio::sync::oneshot;

use crate::request::RequestParts;

/// A complete HTTP answer produced by a node (normally `http response`).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// One in-flight HTTP request: the raw request data nodes may need, and the
/// one-shot channel its answer goes through.
///
/// Answering is first-come-first-served: the first reply wins, later ones are
/// reported as `false` so a node can warn, and a request is never answered
/// twice.
#[derive(Debug)]
pub struct Exchange {
    /// Request headers as received.
    pub headers: HeaderMap,
    /// The raw request body, kept for nodes that must check a signature over
    /// exactly the bytes sent (webhooks).
    pub raw_body: Bytes,
    /// The query string, kept only when it may name a JSONP `callback`
    /// (which Express's answer for an object obeys).
    pub query: Option<Box<str>>,
    /// What `msg.req` is built from, for a request to an `http in` node
    /// (see [`crate::message::Message::for_request`]).
    pub request: Option<RequestParts>,
    answered: AtomicBool,
    reply: Mutex<Option<oneshot::Sender<Reply>>>,
    /// The answer for an error nothing caught, sent if the flow ends
    /// without answering (see [`Exchange::answer_at_end`]).
    at_end: Mutex<Option<Reply>>,
}

impl Exchange {
    /// A new exchange and the receiver its reply will arrive on.
    pub fn new(headers: HeaderMap, raw_body: Bytes) -> (Self, oneshot::Receiver<Reply>) {
        let (tx, rx) = oneshot::channel();
        (
            Exchange {
                headers,
                raw_body,
                query: None,
                request: None,
                answered: AtomicBool::new(false),
                reply: Mutex::new(Some(tx)),
                at_end: Mutex::new(None),
            },
            rx,
        )
    }

    /// Send the answer. Returns `false` when the request was already answered
    /// (or its client has gone).
    pub fn respond(&self, reply: Reply) -> bool {
        if self.answered.swap(true, Ordering::AcqRel) {
            return false;
        }
        match self.reply.lock().take() {
            Some(tx) => tx.send(reply).is_ok(),
            None => false,
        }
    }

    /// Whether an answer has been sent already.
    pub fn is_answered(&self) -> bool {
        self.answered.load(Ordering::Acquire)
    }

    /// Answer with `reply` once the flow is done with the request, unless
    /// something answers first. An error nothing caught does not stop the
    /// message in Node-RED: a function that calls `node.error(text, msg)`
    /// and returns `msg`, or an `http request` that failed, sends the
    /// message on, and what it reaches may still answer. Only the first
    /// such reply is kept.
    pub fn answer_at_end(&self, reply: Reply) {
        let mut at_end = self.at_end.lock();
        if at_end.is_none() && !self.is_answered() {
            *at_end = Some(reply);
        }
    }
}

/// The last holder of the request let go of it: the flow is done with it.
impl Drop for Exchange {
    fn drop(&mut self) {
        if let Some(reply) = self.at_end.get_mut().take() {
            self.respond(reply);
        }
    }
}
