//! Runtime events the editor watches live: debug messages, node status and
//! node log lines. Sent on a broadcast channel, so a slow or absent editor
//! never slows a flow down (old events are dropped for lagging receivers).

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
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
///
/// Node status and runtime notifications are also *retained* (latest value
/// per topic), as Node-RED's comms does, so an editor that connects later
/// still sees every node's current status.
#[derive(Debug, Clone)]
pub struct Events {
    tx: broadcast::Sender<Event>,
    retained: Arc<Mutex<HashMap<String, Value>>>,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(1024);
        Events {
            tx,
            retained: Arc::default(),
        }
    }

    /// Publish an event; free when nobody listens (status and notification
    /// topics are remembered even then).
    pub fn publish(&self, topic: impl Into<String> + AsRef<str>, data: Value) {
        let t = topic.as_ref();
        if t.starts_with("status/") || t.starts_with("notification/") {
            self.retain(t, &data);
        }
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(Event {
                topic: topic.into(),
                data,
            });
        }
    }

    /// Node-RED's rule: a status with no text, fill or shape clears it.
    fn retain(&self, topic: &str, data: &Value) {
        let empty = topic.starts_with("status/")
            && ["text", "fill", "shape"]
                .iter()
                .all(|k| data.get(k).is_none_or(|v| v.is_null() || v == ""));
        let mut retained = self.retained.lock();
        if empty {
            retained.remove(topic);
        } else {
            retained.insert(topic.to_owned(), data.clone());
        }
    }

    /// Forget the retained status of every node `keep` rejects (nodes a
    /// deploy restarts or removes start without one).
    pub fn forget_statuses(&self, keep: impl Fn(&str) -> bool) {
        self.retained
            .lock()
            .retain(|topic, _| topic.strip_prefix("status/").is_none_or(&keep));
    }

    /// The retained events (current node statuses, last deploy and runtime
    /// state), for a client that just connected.
    pub fn retained(&self) -> Vec<Event> {
        let mut v: Vec<Event> = self
            .retained
            .lock()
            .iter()
            .map(|(topic, data)| Event {
                topic: topic.clone(),
                data: data.clone(),
            })
            .collect();
        v.sort_by(|a, b| a.topic.cmp(&b.topic));
        v
    }

    /// Whether anyone is listening (lets a node skip building an event).
    pub fn has_listeners(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}
