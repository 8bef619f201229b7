//! Test support: run a flow in-process with the real loader and engine, and
//! collect what reaches `test sink` nodes.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use flowgate_runtime::credentials::Credentials;
use flowgate_runtime::model::{parse_flow_value, NodeConfig};
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::service::Runtime;
use flowgate_runtime::settings::Settings;
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde_json::Value;
use tokio::sync::mpsc;

type Sinks = Mutex<HashMap<String, mpsc::UnboundedSender<Message>>>;

static SINKS: LazyLock<Sinks> = LazyLock::new(Default::default);

/// Messages that reached one sink.
pub struct Sink(mpsc::UnboundedReceiver<Message>);

impl Sink {
    /// Register a sink for the `test sink` node with this id.
    pub fn new(id: &str) -> Sink {
        let (tx, rx) = mpsc::unbounded_channel();
        SINKS.lock().insert(id.to_owned(), tx);
        Sink(rx)
    }

    /// The next message (waits; use with a paused clock or a timeout).
    pub async fn next(&mut self) -> Message {
        self.0.recv().await.expect("sink open")
    }

    /// A message already delivered, if any.
    pub fn try_next(&mut self) -> Option<Message> {
        self.0.try_recv().ok()
    }
}

struct SinkNode(String);

impl Node for SinkNode {
    fn on_input<'a>(&'a self, msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        if let Some(tx) = SINKS.lock().get(&self.0) {
            let _ = tx.send(msg);
        }
        Outcome::Ready(Ok(()))
    }
}

fn build_sink(config: &NodeConfig, _cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    Ok(Built::new(SinkNode(config.id.clone()), 0))
}

/// Load and start `flow` with every node type plus `test sink`.
pub fn start(flow: Value) -> Arc<Runtime> {
    start_with_settings(flow, Settings::default())
}

/// Load `flow` and return the load error text.
pub fn load_error(flow: Value) -> String {
    let rt = Runtime::new(crate::registry(), Settings::default());
    let file = parse_flow_value(flow).expect("flow parses");
    match rt.prepare(file, Credentials::new()) {
        Ok(_) => panic!("flow loaded"),
        Err(e) => e.to_string(),
    }
}

/// Deliver `body` to node `id`'s input.
pub async fn inject(rt: &Arc<Runtime>, id: &str, body: Value) {
    let flows = rt.current();
    let index = flows.index_of(id).expect("node exists");
    let msg = Message::from_body(body.as_object().cloned().unwrap_or_default());
    flows.deliver(index, msg).await;
}

/// [`start`] with these runtime settings (limits a test lowers).
pub fn start_with_settings(flow: Value, settings: Settings) -> Arc<Runtime> {
    let mut registry = crate::registry();
    registry.register(NodeType::runnable("test sink", build_sink).ports(1, 0));
    let rt = Runtime::new(registry, settings);
    let file = parse_flow_value(flow).expect("flow parses");
    let loaded = rt.prepare(file, Credentials::new()).expect("flow loads");
    rt.install(loaded);
    rt
}
