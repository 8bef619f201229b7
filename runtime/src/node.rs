//! The one trait every node type implements.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};

use parking_lot::RwLock;

use crate::engine::Flows;
use crate::error::NodeError;
use crate::message::Message;

/// A future a node returns when handling a message needs to wait (an outgoing
/// HTTP call, a delay, a remote JWKS).
pub type NodeFuture<'a> = Pin<Box<dyn Future<Output = Result<(), NodeError>> + Send + 'a>>;

/// What handling one message produced: most nodes finish at once and avoid the
/// cost of boxing a future; nodes doing I/O return [`Outcome::Pending`].
pub enum Outcome<'a> {
    /// Finished; the sends are in the [`Outputs`] buffer.
    Ready(Result<(), NodeError>),
    /// Not finished; the engine awaits the future, then routes the sends.
    Pending(NodeFuture<'a>),
}

impl From<Result<(), NodeError>> for Outcome<'_> {
    fn from(r: Result<(), NodeError>) -> Self {
        Outcome::Ready(r)
    }
}

/// Where a sent message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// Every node wired to this output port (0-based).
    Port(usize),
    /// One node by id, whatever the wires say (`link out` → `link in`).
    Node(String),
    /// Out of another node's output port, as if that node had sent it (a
    /// `link out` in return mode hands the message back to its `link call`).
    Output { node: String, port: usize },
}

/// The messages a node sends while handling one input, in send order.
///
/// The engine owns one buffer per dispatch and reuses it for every hop, so
/// sending allocates nothing beyond the buffer's first growth.
#[derive(Debug, Default)]
pub struct Outputs {
    pub(crate) items: Vec<(Dest, Message)>,
    /// Set by [`Outputs::hold`] for the message being handled.
    pub(crate) held: bool,
    /// Errors raised with [`Outputs::raise`], each with the number of sends
    /// buffered before it.
    pub(crate) errors: Vec<(usize, NodeError)>,
}

impl Outputs {
    /// The node keeps the message it is handling and lets it go later with
    /// [`NodeHandle::release`] (a `delay`): it has not finished with it yet,
    /// so `complete` nodes hear of it only then, as in Node-RED.
    pub fn hold(&mut self) {
        self.held = true;
    }

    /// Send `msg` on output port `port` (0-based).
    pub fn send(&mut self, port: usize, msg: Message) {
        self.items.push((Dest::Port(port), msg));
    }

    /// Send `msg` straight to the node with this id.
    pub fn send_to_node(&mut self, id: impl Into<String>, msg: Message) {
        self.items.push((Dest::Node(id.into()), msg));
    }

    /// Send `msg` out of node `id`'s output `port`, as if that node sent it.
    pub fn send_from(&mut self, id: impl Into<String>, port: usize, msg: Message) {
        self.items.push((
            Dest::Output {
                node: id.into(),
                port,
            },
            msg,
        ));
    }

    /// Raise a catchable error for a message while handling another, in
    /// order with the sends: `catch` nodes get it before the messages sent
    /// after it move on, as a Node-RED function's `node.error(err, msg)`
    /// followed by `return msg` (the catch branch answers first).
    pub fn raise(&mut self, err: NodeError) {
        self.errors.push((self.items.len(), err));
    }

    /// How many sends are buffered.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing was sent.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Move `other`'s sends and raised errors after this buffer's, keeping
    /// their order (a node that ran a message elsewhere and hands back
    /// what it did).
    pub fn append(&mut self, mut other: Outputs) {
        let base = self.items.len();
        self.errors
            .extend(other.errors.drain(..).map(|(at, e)| (base + at, e)));
        self.items.append(&mut other.items);
    }

    /// Take the raised errors (for tests and nodes that post-process).
    pub fn take_errors(&mut self) -> Vec<NodeError> {
        self.errors.drain(..).map(|(_, e)| e).collect()
    }

    /// Take the buffered sends (for tests and nodes that post-process).
    pub fn drain(&mut self) -> impl Iterator<Item = (Dest, Message)> + '_ {
        self.items.drain(..)
    }
}

/// A running node.
///
/// `on_input` is called concurrently for different messages (one per request),
/// so a node keeps its per-message state on the stack and shares only
/// read-only configuration or explicitly synchronized stores.
pub trait Node: Send + Sync + 'static {
    /// Handle one message, pushing any messages to send into `out`.
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a>;

    /// Whether this node may look at `msg.req` (or at the whole message).
    /// A message from `http in` owes its `msg.req` until it reaches a node
    /// that may ([`Message::for_request`]); a node answering `false` gets
    /// it owed, and must call [`Message::settle_request`] itself before
    /// anything can read it (handing the message to a script, say).
    fn reads_request(&self) -> bool {
        true
    }

    /// Called once when the flows start, with a handle for sending messages on
    /// the node's own initiative (`inject` timers, `function` `initialize`).
    fn start(&self, handle: NodeHandle) {
        let _ = handle;
    }

    /// Called once when the flows stop (redeploy or shutdown): cancel timers,
    /// run `finalize`.
    fn stop(&self) {}
}

/// A node's way back into the engine outside `on_input`.
///
/// It holds a weak reference, so a timer left running by a node can never keep
/// a replaced deployment alive. When a deploy carries a running node over to
/// the new deployment unchanged (a `nodes` or `flows` deploy), every clone of
/// its handle is re-pointed at the new deployment, so its timers keep firing
/// into the live flows.
#[derive(Clone)]
pub struct NodeHandle {
    pub(crate) slot: Arc<HandleSlot>,
}

/// Where a node's handle delivers: its deployment and its index there.
/// Shared by all clones of the node's handle.
#[derive(Default)]
pub(crate) struct HandleSlot {
    target: RwLock<(Weak<Flows>, usize)>,
}

impl HandleSlot {
    pub(crate) fn bind(&self, flows: Weak<Flows>, index: usize) {
        *self.target.write() = (flows, index);
    }

    fn get(&self) -> Option<(Arc<Flows>, usize)> {
        let t = self.target.read();
        t.0.upgrade().map(|f| (f, t.1))
    }
}

impl NodeHandle {
    /// Send `msg` on output `port` as if the node had sent it while handling a
    /// message; the delivery runs as its own task.
    pub fn send(&self, port: usize, msg: Message) {
        if let Some((flows, index)) = self.slot.get() {
            tokio::spawn(async move { flows.emit(index, port, msg).await });
        }
    }

    /// [`send`](Self::send), finishing once the message tree it starts
    /// has been handled: a node whose messages must stay in order (an MQTT
    /// subscription) sends the next one after.
    pub async fn send_in_order(&self, port: usize, msg: Message) {
        if let Some((flows, index)) = self.slot.get() {
            flows.emit(index, port, msg).await;
        }
    }

    /// Send a message the node held (see [`Outputs::hold`]) on output
    /// `port` and report it finished to the `complete` nodes watching the
    /// node; the delivery runs as its own task.
    pub fn release(&self, port: usize, msg: Message) {
        if let Some((flows, index)) = self.slot.get() {
            tokio::spawn(async move { flows.release(index, port, msg).await });
        }
    }

    /// Deliver several sends at once (a function's `node.send([a, b])`).
    pub fn send_all(&self, out: Outputs) {
        if let Some((flows, index)) = self.slot.get() {
            tokio::spawn(async move { flows.route_outputs(index, out).await });
        }
    }

    /// Deliver `msg` to this node's own input, as Node-RED's `node.receive()`
    /// does (an `inject` timer firing); the delivery runs as its own task.
    pub fn deliver_to_self(&self, msg: Message) {
        if let Some((flows, index)) = self.slot.get() {
            tokio::spawn(async move { flows.deliver(index, msg).await });
        }
    }

    /// Raise an error from this node outside message handling, routed to
    /// `catch` nodes like any other node error.
    pub fn error(&self, err: NodeError) {
        if let Some((flows, index)) = self.slot.get() {
            tokio::spawn(async move { flows.raise(index, err).await });
        }
    }

    /// Whether the deployment this node belongs to is still running.
    pub fn is_live(&self) -> bool {
        self.slot.get().is_some_and(|(f, _)| f.is_running())
    }
}
