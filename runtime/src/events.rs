//! Runtime events the editor watches live: debug messages, node status and
//! node log lines. Sent on a broadcast channel, so a slow or absent editor
//! never slows a flow down (old events are dropped for lagging receivers).

use serde_json::Value;
use tokio::sync::broadcast;

/// One event, already in the JSON shape Node-RED's `/comms` sends as `data`.
#[derive(Debug, Clone)]
pub struct Event {
    /// `debug`, `status/<node id>`, or `notification/...`.
    pub topic: String,
    pub data: Value,
}

/// The runtime's event bus.
#[derive(Debug, Clone)]
pub struct Events {
    tx: broadcast::Sender<Event>,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(1024);
        Events { tx }
    }

    /// Publish an event; free when nobody listens.
    pub fn publish(&self, topic: impl Into<String>, data: Value) {
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(Event {
                topic: topic.into(),
                data,
            });
        }
    }

    /// Whether anyone is listening (lets a node skip building an event).
    pub fn has_listeners(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}
