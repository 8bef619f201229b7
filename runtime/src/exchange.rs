//! The link between a message and the HTTP request that started it.

use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use parking_lot::Mutex;
use tokio::sync::oneshot;

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
    answered: AtomicBool,
    reply: Mutex<Option<oneshot::Sender<Reply>>>,
}

impl Exchange {
    /// A new exchange and the receiver its reply will arrive on.
    pub fn new(headers: HeaderMap, raw_body: Bytes) -> (Self, oneshot::Receiver<Reply>) {
        let (tx, rx) = oneshot::channel();
        (
            Exchange {
                headers,
                raw_body,
                answered: AtomicBool::new(false),
                reply: Mutex::new(Some(tx)),
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
}
