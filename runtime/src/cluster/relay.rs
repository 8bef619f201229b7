//! Debug messages and node status from every replica reach the editor
//! connected to any replica: each replica publishes its own on the events
//! channel, tagged with its name (`data.replica`), and republishes the
//! others' on its event bus, which its `/comms` connections watch.

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::Cluster;
use crate::events::Events;

/// Whether an event is one the editor shows per node: debug output and
/// node status (runtime notifications stay per replica).
fn relayed(topic: &str) -> bool {
    topic == "debug" || topic.starts_with("status/")
}

/// Publish this replica's debug and status events until the process ends.
pub(super) async fn send(cluster: Arc<Cluster>, events: Events) {
    let mut rx = events.subscribe();
    loop {
        let event = match rx.recv().await {
            Ok(e) => e,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        // An event with a replica came from another replica.
        if !relayed(&event.topic) || event.data.get("replica").is_some() {
            continue;
        }
        let mut data = event.data;
        if let Value::Object(m) = &mut data {
            m.insert("replica".into(), Value::String(cluster.replica.clone()));
        }
        let message = json!({ "replica": cluster.replica, "topic": event.topic, "data": data });
        // Best effort, as the editor's own feed is: nothing waits on it.
        let _ = cluster
            .store
            .publish(cluster.store.events_channel(), message.to_string())
            .await;
    }
}

/// Republish another replica's event on this replica's bus.
pub(super) fn receive(cluster: &Cluster, events: &Events, payload: &[u8]) {
    let Ok(message) = serde_json::from_slice::<Value>(payload) else {
        return;
    };
    let from = message.get("replica").and_then(Value::as_str);
    let topic = message.get("topic").and_then(Value::as_str);
    match (from, topic, message.get("data")) {
        (Some(from), Some(topic), Some(data)) if from != cluster.replica && relayed(topic) => {
            events.publish(topic.to_owned(), data.clone());
        }
        _ => {}
    }
}
