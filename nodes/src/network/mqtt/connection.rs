//! The running connection of an `mqtt-broker`: which nodes use it, their
//! subscriptions, the rumqttc client and the task polling its event loop.
//!
//! As in Node-RED, the connection opens when the first node registers
//! (with `autoConnect`) and closes when the last one leaves; a lost
//! connection is retried with a growing delay, and every stored
//! subscription is made again on each connect (a clean session forgets
//! them). The nodes using it show its state as their status.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use flowgate_runtime::events::Events;
use parking_lot::Mutex;
use serde_json::Value;
use tokio::task::JoinHandle;

use super::client::{self, Client, ConnectOptions, EventLoop, Happening, SubOptions};
use super::message::{matches, Incoming, Outgoing};
use crate::support::util::{publish_status, status};

/// First wait before reconnecting; it doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(500);
/// Longest wait between reconnection attempts (Node-RED's fixed
/// `mqttReconnectTime` default).
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long a clean disconnect may take before the connection is dropped.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// What a subscription does with a publish it matched.
pub type Deliver = Arc<dyn Fn(&Incoming) + Send + Sync>;

/// The broker node's messages and connection policy.
pub struct Envelope {
    pub birth: Option<Outgoing>,
    pub close: Option<Outgoing>,
    pub auto_connect: bool,
    /// The broker is `localhost` / `127.0.0.1` (messages then carry `_topic`).
    pub local: bool,
}

/// Connection state, as the nodes show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Disconnected,
    Connecting,
    Connected,
}

impl State {
    fn status(self) -> Value {
        match self {
            State::Disconnected => status("red", "ring", "node-red:common.status.disconnected"),
            State::Connecting => status("yellow", "ring", "node-red:common.status.connecting"),
            State::Connected => status("green", "dot", "node-red:common.status.connected"),
        }
    }
}

/// One node's subscription to a topic filter.
struct Sub {
    options: SubOptions,
    deliver: Deliver,
}

/// The subscriptions to one topic filter, by node instance key, and its
/// v5 subscription identifier.
struct Topic {
    id: usize,
    by_node: BTreeMap<String, Sub>,
}

/// The open connection: its client and the task polling it.
struct Link {
    client: Client,
    task: JoinHandle<()>,
    /// Set when we close it: a lost connection is then not retried.
    closing: Arc<AtomicBool>,
}

struct Inner {
    options: ConnectOptions,
    /// Node ids by instance key (see [`instance_key`]).
    users: BTreeMap<String, String>,
    topics: BTreeMap<String, Topic>,
    next_id: usize,
    link: Option<Link>,
    state: State,
}

/// A broker connection shared by the nodes that use it.
pub struct Broker {
    id: String,
    envelope: Envelope,
    events: Events,
    inner: Mutex<Inner>,
    me: Weak<Broker>,
}

/// Why a publish or an action failed.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("publish queue full ({0} messages waiting for the broker)")]
    QueueFull(usize),
    #[error("MQTT message of {0} bytes is over the {max} byte packet limit", max = client::MAX_PACKET_BYTES)]
    TooLarge(usize),
    #[error("Disconnect from broker before connecting")]
    AlreadyConnected,
    #[error("{0}")]
    Client(String),
}

impl Broker {
    fn new(id: &str, options: ConnectOptions, envelope: Envelope, events: Events) -> Broker {
        Broker {
            id: id.to_owned(),
            envelope,
            events,
            inner: Mutex::new(Inner {
                options,
                users: BTreeMap::new(),
                topics: BTreeMap::new(),
                next_id: 1,
                link: None,
                state: State::Disconnected,
            }),
            me: Weak::new(),
        }
    }

    /// The broker as the shared object nodes hold (it keeps a weak
    /// reference to itself for its connection task).
    pub fn shared(
        id: &str,
        options: ConnectOptions,
        envelope: Envelope,
        events: Events,
    ) -> Arc<Broker> {
        Arc::new_cyclic(|me| {
            let mut b = Broker::new(id, options, envelope, events);
            b.me = me.clone();
            b
        })
    }

    /// Whether the broker is `localhost` / `127.0.0.1`.
    pub fn is_local(&self) -> bool {
        self.envelope.local
    }

    /// Whether the connection speaks MQTT 5.
    pub fn is_v5(&self) -> bool {
        self.inner.lock().options.v5
    }

    pub fn state(&self) -> State {
        self.inner.lock().state
    }

    /// A node starts using the connection: it shows the current state, and
    /// the first user opens the connection (with `autoConnect`).
    pub fn register(&self, key: &str, node_id: &str) {
        let (first, state) = {
            let mut inner = self.inner.lock();
            inner.users.insert(key.to_owned(), node_id.to_owned());
            (inner.users.len() == 1, inner.state)
        };
        publish_status(&self.events, node_id, state.status());
        if first && self.envelope.auto_connect {
            self.connect();
        }
    }

    /// A node stops using the connection; the last one closes it.
    pub fn deregister(&self, key: &str) {
        let last = {
            let mut inner = self.inner.lock();
            inner.users.remove(key);
            inner.users.is_empty()
        };
        if last {
            if let Some(me) = self.me.upgrade() {
                tokio::spawn(async move { me.disconnect().await });
            }
        }
    }

    /// Whether a connect would open the connection (neither connected nor
    /// connecting).
    pub fn can_connect(&self) -> bool {
        self.inner.lock().link.is_none()
    }

    /// Open the connection unless it is open or opening.
    pub fn connect(&self) {
        let Some(me) = self.me.upgrade() else { return };
        let mut inner = self.inner.lock();
        if inner.link.is_some() {
            return;
        }
        let (client, events) = client::open(&inner.options);
        let closing = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(run(Arc::downgrade(&me), events, closing.clone()));
        inner.link = Some(Link {
            client,
            task,
            closing,
        });
        self.set_state(&mut inner, State::Connecting);
    }

    /// Apply a connect action's `msg.broker` settings (Node-RED's
    /// `setOptions`): host, port, client id, credentials, keepalive, clean
    /// session.
    pub fn set_options(&self, o: &serde_json::Map<String, Value>) {
        let mut inner = self.inner.lock();
        let opts = &mut inner.options;
        let text = |k: &str| match o.get(k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(v @ Value::Number(_)) => Some(v.to_string()),
            _ => None,
        };
        if let Some(h) = text("broker") {
            opts.host = h;
        }
        if let Some(p) = text("port").and_then(|p| p.parse().ok()) {
            opts.port = p;
        }
        if let Some(c) = text("clientid") {
            opts.client_id = c;
        }
        if let Some(k) = text("keepalive").and_then(|k| k.parse().ok()) {
            opts.keepalive = k;
        }
        if let Some(Value::Bool(c)) = o.get("cleansession") {
            opts.clean = *c;
        }
        if let Some(u) = text("username") {
            let password = text("password").unwrap_or_default();
            opts.login = Some((u, password));
        }
    }

    /// Close the connection: the close message, then DISCONNECT, waiting
    /// up to [`CLOSE_WAIT`] for it to go out.
    pub async fn disconnect(&self) {
        let link = {
            let mut inner = self.inner.lock();
            let link = inner.link.take();
            if link.is_some() {
                tracing::info!(broker = %self.id, "Disconnected from broker: {}", broker_text(&inner.options));
                self.set_state(&mut inner, State::Disconnected);
            }
            link
        };
        let Some(link) = link else { return };
        link.closing.store(true, Ordering::Release);
        if let Some(close) = &self.envelope.close {
            let _ = link.client.try_publish(close.clone());
        }
        let _ = link.client.disconnect();
        let mut task = link.task;
        if tokio::time::timeout(CLOSE_WAIT, &mut task).await.is_err() {
            task.abort();
        }
    }

    /// Subscribe node instance `key` to `topic`, delivering matching
    /// publishes to `deliver`; made on the broker now when connected, else
    /// on connect.
    pub fn subscribe(&self, topic: &str, key: &str, options: SubOptions, deliver: Deliver) {
        let mut inner = self.inner.lock();
        let id = match inner.topics.get(topic) {
            Some(t) => t.id,
            None => {
                inner.next_id += 1;
                inner.next_id - 1
            }
        };
        let entry = inner
            .topics
            .entry(topic.to_owned())
            .or_insert_with(|| Topic {
                id,
                by_node: BTreeMap::new(),
            });
        entry.by_node.insert(
            key.to_owned(),
            Sub {
                options: options.clone(),
                deliver,
            },
        );
        if inner.state == State::Connected {
            if let Some(link) = &inner.link {
                if let Err(e) = link.client.subscribe(topic, &options, id) {
                    tracing::warn!(broker = %self.id, topic, "mqtt subscribe failed: {e}");
                }
            }
        }
    }

    /// Drop node instance `key`'s subscription to `topic`; the last one for
    /// a topic unsubscribes on the broker.
    pub fn unsubscribe(&self, topic: &str, key: &str) {
        let mut inner = self.inner.lock();
        let Some(t) = inner.topics.get_mut(topic) else {
            return;
        };
        t.by_node.remove(key);
        if t.by_node.is_empty() {
            inner.topics.remove(topic);
            if let Some(link) = &inner.link {
                let _ = link.client.unsubscribe(topic);
            }
        }
    }

    /// Publish: waits for room in the queue while connected; while the
    /// connection is re-established the publish is queued (failing when
    /// the queue is full); with no connection at all it is dropped, as
    /// Node-RED drops it.
    pub async fn publish(&self, p: Outgoing) -> Result<(), BrokerError> {
        // Refused here: rumqttc would fail the connection over it, and
        // send it again on every reconnect.
        let size = packet_size(&p);
        if size > client::MAX_PACKET_BYTES {
            return Err(BrokerError::TooLarge(size));
        }
        let (client, state) = {
            let inner = self.inner.lock();
            match &inner.link {
                Some(link) => (link.client.clone(), inner.state),
                None => {
                    tracing::debug!(broker = %self.id, topic = %p.topic, "mqtt not connected: publish dropped");
                    return Ok(());
                }
            }
        };
        if state == State::Connected {
            client.publish(p).await.map_err(BrokerError::Client)
        } else {
            client
                .try_publish(p)
                .map_err(|_| BrokerError::QueueFull(client::QUEUE_CAPACITY))
        }
    }

    fn set_state(&self, inner: &mut Inner, state: State) {
        inner.state = state;
        for user in inner.users.values() {
            publish_status(&self.events, user, state.status());
        }
    }

    /// The connection is up: show it, subscribe again, send the birth message.
    fn on_connected(&self) {
        let mut inner = self.inner.lock();
        let Some(link) = &inner.link else { return };
        let client = link.client.clone();
        tracing::info!(broker = %self.id, "Connected to broker: {}", broker_text(&inner.options));
        for (topic, t) in &inner.topics {
            if let Some(sub) = t.by_node.values().last() {
                if let Err(e) = client.subscribe(topic, &sub.options, t.id) {
                    tracing::warn!(broker = %self.id, topic, "mqtt subscribe failed: {e}");
                }
            }
        }
        self.set_state(&mut inner, State::Connected);
        drop(inner);
        if let Some(birth) = &self.envelope.birth {
            let _ = client.try_publish(birth.clone());
        }
    }

    /// The connection failed or dropped: show it (once) and say why.
    fn on_lost(&self, reason: &str) {
        let mut inner = self.inner.lock();
        if inner.state == State::Connected {
            tracing::info!(broker = %self.id, "Disconnected from broker: {} ({reason})", broker_text(&inner.options));
            self.set_state(&mut inner, State::Disconnected);
        } else {
            tracing::info!(broker = %self.id, "Connection failed to broker: {} ({reason})", broker_text(&inner.options));
        }
    }

    fn on_retry(&self) {
        let mut inner = self.inner.lock();
        if inner.link.is_some() {
            self.set_state(&mut inner, State::Connecting);
        }
    }

    /// Hand a publish to every subscription it matches: by the v5
    /// subscription identifiers the broker names, else by topic filter.
    fn dispatch(&self, p: &Incoming) {
        let targets: Vec<Deliver> = {
            let inner = self.inner.lock();
            inner
                .topics
                .iter()
                .filter(|(filter, t)| match p.subscription_ids.is_empty() {
                    true => matches(filter, &p.topic),
                    false => p.subscription_ids.contains(&t.id),
                })
                .flat_map(|(_, t)| t.by_node.values().map(|s| s.deliver.clone()))
                .collect()
        };
        for deliver in targets {
            deliver(p);
        }
    }
}

impl Drop for Broker {
    /// A replaced deployment's broker stops polling its connection.
    fn drop(&mut self) {
        if let Some(link) = self.inner.get_mut().link.take() {
            link.task.abort();
        }
    }
}

/// An upper bound of a publish packet's size: topic, payload, properties
/// and room for the fixed fields.
fn packet_size(p: &Outgoing) -> usize {
    let props = &p.properties;
    let text = |t: &Option<String>| t.as_ref().map_or(0, |t| t.len() + 3);
    let users: usize = props
        .user_properties
        .iter()
        .map(|(k, v)| k.len() + v.len() + 5)
        .sum();
    p.topic.len()
        + p.payload.len()
        + text(&props.response_topic)
        + text(&props.content_type)
        + props.correlation_data.as_ref().map_or(0, |c| c.len() + 3)
        + users
        + 32
}

/// A key for one running instance of a node: a deploy that restarts a node
/// starts the new instance before stopping the old one, both with the same
/// node id, so registrations and subscriptions are kept by instance.
pub fn instance_key(node_id: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{node_id}#{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Node-RED's `clientid@mqtt://host:port` for log lines.
fn broker_text(o: &ConnectOptions) -> String {
    let scheme = if o.tls.is_some() { "mqtts" } else { "mqtt" };
    format!("{}@{scheme}://{}:{}", o.client_id, o.host, o.port)
}

/// Poll the event loop until the connection is closed on purpose or the
/// broker object is gone; a lost connection is retried after a wait that
/// doubles from [`MIN_BACKOFF`] to [`MAX_BACKOFF`].
async fn run(broker: Weak<Broker>, mut events: EventLoop, closing: Arc<AtomicBool>) {
    let mut backoff = MIN_BACKOFF;
    loop {
        let happening = events.next().await;
        let Some(b) = broker.upgrade() else { return };
        match happening {
            Happening::Connected => {
                backoff = MIN_BACKOFF;
                b.on_connected();
            }
            Happening::Publish(p) => b.dispatch(&p),
            Happening::Closed => return,
            Happening::Lost(reason) => {
                if closing.load(Ordering::Acquire) {
                    return;
                }
                b.on_lost(&reason);
                drop(b);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                if closing.load(Ordering::Acquire) {
                    return;
                }
                match broker.upgrade() {
                    Some(b) => b.on_retry(),
                    None => return,
                }
            }
            Happening::Other => {}
        }
    }
}
