//! `mqtt in`: subscribes to a topic filter on an `mqtt-broker` and sends
//! each publish received as a message; with an input (`inputs: 1`) its
//! subscriptions are made at run time by `msg.action` (Node-RED 3+'s
//! dynamic subscriptions).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::client::SubOptions;
use super::connection::{instance_key, Broker, Deliver};
use super::message::{to_message, valid_subscription_topic, Datatype};
use super::{connect_action, QOS_CHOICES};
use crate::support::js;
use crate::support::settings::{self, de, Choice, Choices, Field, Initial, Kind, NodeSettings};

/// Most subscriptions one dynamic `mqtt in` node holds at once.
pub const MAX_DYNAMIC_SUBSCRIPTIONS: usize = 1000;

const RH: &[Choice] = &[
    Choice {
        value: "0",
        label: Some("Send retained messages"),
    },
    Choice {
        value: "1",
        label: Some("Only send for new subscriptions"),
    },
    Choice {
        value: "2",
        label: Some("Do not send"),
    },
];

/// An `mqtt in` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct MqttInSettings {
    #[serde(deserialize_with = "de::text")]
    pub topic: String,
    #[serde(deserialize_with = "de::text")]
    pub qos: String,
    pub datatype: Datatype,
    #[serde(deserialize_with = "de::text")]
    pub broker: String,
    #[serde(deserialize_with = "de::flag")]
    pub nl: bool,
    #[serde(deserialize_with = "de::flag")]
    pub rap: bool,
    #[serde(deserialize_with = "de::text")]
    pub rh: String,
    #[serde(deserialize_with = "de::number")]
    pub inputs: Option<f64>,
}

impl NodeSettings for MqttInSettings {
    const FIELDS: &'static [Field] = &[
        Field::name(),
        Field::new("broker", Kind::Config("mqtt-broker"), Initial::Str(""))
            .label("Server")
            .required(),
        Field::select(
            "inputs",
            &[
                Choice {
                    value: "0",
                    label: Some("Subscribe to single topic"),
                },
                Choice {
                    value: "1",
                    label: Some("Dynamic subscription"),
                },
            ],
            "0",
        )
        .label("Action"),
        Field::text("topic", "").label("Topic"),
        Field::select("qos", QOS_CHOICES, "2").label("QoS"),
        // Runtime default when absent: utf8, as Node-RED's `n.datatype || "utf8"`.
        Field::select("datatype", Datatype::CHOICES, "auto-detect")
            .label("Output")
            .absent(Initial::Str("utf8")),
        Field::checkbox("nl", false).label("Do not receive messages published by this client"),
        Field::checkbox("rap", true).label("Keep retain flag of original publish"),
        Field::select("rh", RH, "0").label("Retained message handling"),
    ];
    const LABEL: Option<&'static str> = Some("name || topic");
}

pub const HELP: &str = "Subscribes to a topic on an MQTT broker and sends each message \
received.\n\n\
Topic may use + and # wildcards and $share/<group>/ shared subscriptions; QoS is 0, 1 or 2. \
Output: msg.topic, msg.payload (auto-detect: parsed JSON, text or a Buffer; or always a \
String, a Buffer, parsed JSON or Base64 text), msg.qos, msg.retain and, with MQTT 5, \
msg.userProperties, msg.contentType, msg.responseTopic, msg.correlationData and \
msg.messageExpiryInterval. MQTT 5 subscription flags: no local, retain as published, \
retained message handling.\n\n\
Dynamic subscription (Action): the node has an input and subscribes on demand: msg.action \
\"subscribe\" with msg.topic a topic, a {topic, qos, datatype, nl, rap, rh} object or a list \
of them; \"unsubscribe\" (msg.topic true: all); \"getSubscriptions\" sends the list in \
msg.payload; \"connect\" (msg.broker may change the connection's settings; force: true \
reconnects) and \"disconnect\". At most 1000 subscriptions per node.";

pub fn node_type() -> NodeType {
    NodeType::runnable("mqtt in", build)
        .help(HELP)
        .category("network")
        .ports(0, 1)
        .color("#d8bfd8")
        .editor(settings::editor_json::<MqttInSettings>())
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: MqttInSettings = settings::load(config, cx)?;
    let broker = cx.config::<Broker>(config, "broker", "mqtt-broker")?;
    let dynamic = s.inputs == Some(1.0);
    let qos = js::parse_float(Some(&Value::String(s.qos.clone())));
    let qos = if (0.0..=2.0).contains(&qos) {
        qos as u8
    } else {
        2
    };
    let rh = js::parse_float(Some(&Value::String(s.rh.clone())));
    let options = SubOptions {
        qos,
        nl: s.nl,
        rap: s.rap,
        rh: if (0.0..=2.0).contains(&rh) {
            rh as u8
        } else {
            0
        },
    };
    let topic = match (dynamic, s.topic.as_str()) {
        (true, _) => None,
        (false, "") => {
            tracing::error!(node = %config.id, "mqtt in: topic not defined");
            None
        }
        (false, t) if !valid_subscription_topic(t) => {
            tracing::warn!(node = %config.id, topic = t, "mqtt in: Invalid topic specified");
            None
        }
        (false, t) => Some(t.to_owned()),
    };
    Ok(Built::new(
        MqttIn {
            id: config.id.clone(),
            key: instance_key(&config.id),
            broker,
            dynamic,
            topic,
            options,
            datatype: s.datatype,
            subs: Mutex::new(Vec::new()),
            running: Mutex::new(None),
        },
        1,
    ))
}

struct MqttIn {
    id: String,
    /// This instance's key with the broker.
    key: String,
    broker: Arc<Broker>,
    dynamic: bool,
    /// The static subscription (none for a dynamic node, or a bad topic).
    topic: Option<String>,
    options: SubOptions,
    datatype: Datatype,
    /// A dynamic node's subscriptions, as given, in subscription order.
    subs: Mutex<Vec<(String, Value)>>,
    /// Set while running: the handle and the inbox its subscriptions fill.
    running: Mutex<Option<(NodeHandle, Inbox, AbortHandle)>>,
}

/// The messages a node received and has not sent on yet: a task sends
/// them one at a time, each after the previous one's flow has finished, so
/// they leave in the order the broker delivered them. The connection never
/// waits for the flow (a flow publishing on the same connection would
/// otherwise wait on itself); past [`MAX_QUEUED`] messages waiting, new
/// ones are dropped with a warning.
#[derive(Clone)]
struct Inbox {
    tx: mpsc::UnboundedSender<Message>,
    queued: Arc<AtomicUsize>,
}

/// Most received messages one `mqtt in` node holds waiting for its flow.
pub const MAX_QUEUED: usize = 10_000;

impl Inbox {
    /// The inbox and the task sending its messages through `handle`.
    fn start(handle: NodeHandle) -> (Inbox, AbortHandle) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
        let queued = Arc::new(AtomicUsize::new(0));
        let q = queued.clone();
        let task = tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                q.fetch_sub(1, Ordering::Relaxed);
                handle.send_in_order(0, m).await;
            }
        });
        (Inbox { tx, queued }, task.abort_handle())
    }

    fn push(&self, node: &str, msg: Message) {
        if self.queued.fetch_add(1, Ordering::Relaxed) >= MAX_QUEUED {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            tracing::warn!(
                node,
                "mqtt in: {MAX_QUEUED} messages wait for the flow; message dropped"
            );
            return;
        }
        let _ = self.tx.send(msg);
    }
}

/// What to do with a publish a subscription matched: queue it as a
/// message, or raise Node-RED's error when the payload does not decode.
fn deliver(
    node: &str,
    handle: NodeHandle,
    inbox: Inbox,
    datatype: Datatype,
    local: bool,
) -> Deliver {
    let node = node.to_owned();
    Arc::new(move |p| match to_message(p, datatype, local) {
        Ok(body) => inbox.push(&node, Message::from_body(body)),
        Err(e) => {
            let mut msg = Map::new();
            msg.insert(
                "payload".into(),
                flowgate_runtime::request::buffer_value(&p.payload),
            );
            msg.insert("topic".into(), Value::String(p.topic.clone()));
            msg.insert("qos".into(), Value::from(p.qos));
            msg.insert("retain".into(), Value::Bool(p.retain));
            handle.error(NodeError::new(e.to_string()).with_msg(Message::from_body(msg)));
        }
    })
}

impl Node for MqttIn {
    fn start(&self, handle: NodeHandle) {
        if self.topic.is_none() && !self.dynamic {
            return;
        }
        let (inbox, task) = Inbox::start(handle.clone());
        *self.running.lock() = Some((handle.clone(), inbox.clone(), task));
        self.broker.register(&self.key, &self.id);
        if let Some(topic) = &self.topic {
            let d = deliver(
                &self.id,
                handle,
                inbox,
                self.datatype,
                self.broker.is_local(),
            );
            self.broker
                .subscribe(topic, &self.key, self.options.clone(), d);
        }
    }

    fn stop(&self) {
        if self.topic.is_none() && !self.dynamic {
            return;
        }
        if let Some(topic) = &self.topic {
            self.broker.unsubscribe(topic, &self.key);
        }
        for (topic, _) in self.subs.lock().drain(..) {
            self.broker.unsubscribe(&topic, &self.key);
        }
        self.broker.deregister(&self.key);
        if let Some((_, _, task)) = self.running.lock().take() {
            task.abort();
        }
    }

    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let action = msg.body.get("action").and_then(Value::as_str).unwrap_or("");
        match action {
            "connect" => Outcome::Pending(Box::pin(connect_action(&self.broker, msg))),
            "disconnect" => Outcome::Pending(Box::pin(async move {
                self.broker.disconnect().await;
                Ok(())
            })),
            "subscribe" | "unsubscribe" => {
                let r = self.change_subscriptions(action == "subscribe", &mut msg);
                Outcome::Ready(r.map_err(|e| NodeError::new(e).with_msg(msg)))
            }
            "getSubscriptions" => {
                let list: Vec<Value> = self.subs.lock().iter().map(|(_, v)| v.clone()).collect();
                msg.body.insert("topic".into(), json!("subscriptions"));
                msg.body.insert("payload".into(), Value::Array(list));
                out.send(0, msg);
                Outcome::Ready(Ok(()))
            }
            _ => Outcome::Ready(Err(NodeError::new("Invalid action specified").with_msg(msg))),
        }
    }
}

impl MqttIn {
    /// Node-RED's subscribe / unsubscribe actions: `msg.topic` is a topic,
    /// a subscription object or a list of them (`true` to unsubscribe
    /// all); `msg.subscriptions` is set to the list afterwards.
    fn change_subscriptions(&self, subscribe: bool, msg: &mut Message) -> Result<(), String> {
        let given: Vec<Value> = match msg.body.get("topic") {
            Some(Value::Bool(true)) if !subscribe => {
                self.subs.lock().iter().map(|(_, v)| v.clone()).collect()
            }
            Some(Value::Array(list)) => list.clone(),
            Some(v @ (Value::String(_) | Value::Object(_))) => vec![v.clone()],
            Some(Value::Null) => vec![Value::Null],
            _ => return Err("msg.topic is missing or invalid".into()),
        };
        let mut wanted = Vec::with_capacity(given.len());
        for item in given {
            let mut sub = match item {
                Value::String(t) => Map::from_iter([("topic".to_owned(), Value::String(t))]),
                Value::Object(m) => m,
                _ => return Err("Invalid topic specified".into()),
            };
            let topic = match sub.get("topic") {
                Some(Value::String(t)) if !t.is_empty() && valid_subscription_topic(t) => t.clone(),
                _ => return Err("Invalid topic specified".into()),
            };
            if subscribe {
                self.normalise(&mut sub);
            }
            wanted.push((topic, sub));
        }
        if subscribe {
            for (topic, sub) in wanted {
                self.subscribe_one(topic, sub)?;
            }
        } else {
            let mut subs = self.subs.lock();
            for (topic, _) in wanted {
                self.broker.unsubscribe(&topic, &self.key);
                subs.retain(|(t, _)| *t != topic);
            }
        }
        let list: Vec<Value> = self.subs.lock().iter().map(|(_, v)| v.clone()).collect();
        msg.body.insert("subscriptions".into(), Value::Array(list));
        Ok(())
    }

    /// A subscription object's defaults, written back into it as Node-RED
    /// does: `qos` 2, and with MQTT 5 `rh` 0, `rap` true, `nl` as given.
    fn normalise(&self, sub: &mut Map<String, Value>) {
        let int = |v: Option<&Value>, max: f64, default: u8| -> u8 {
            let n = v.map(|v| js::parse_float(Some(v))).unwrap_or(f64::NAN);
            if (0.0..=max).contains(&n) {
                n as u8
            } else {
                default
            }
        };
        let qos = int(sub.get("qos"), 2.0, 2);
        sub.insert("qos".into(), Value::from(qos));
        if self.broker.is_v5() {
            let rh = int(sub.get("rh"), 2.0, 0);
            sub.insert("rh".into(), Value::from(rh));
            let rap = !matches!(sub.get("rap"), Some(Value::Bool(false)))
                && sub.get("rap").and_then(Value::as_str) != Some("false");
            sub.insert("rap".into(), Value::Bool(rap));
            match flag(sub.get("nl")) {
                Some(nl) => sub.insert("nl".into(), Value::Bool(nl)),
                None => sub.shift_remove("nl"),
            };
        }
    }

    fn subscribe_one(&self, topic: String, sub: Map<String, Value>) -> Result<(), String> {
        let (handle, inbox) = match &*self.running.lock() {
            Some((h, i, _)) => (h.clone(), i.clone()),
            None => return Err("node not started".into()),
        };
        let mut subs = self.subs.lock();
        if let Some(i) = subs.iter().position(|(t, _)| *t == topic) {
            self.broker.unsubscribe(&topic, &self.key);
            subs.remove(i);
        }
        if subs.len() >= MAX_DYNAMIC_SUBSCRIPTIONS {
            return Err(format!(
                "too many subscriptions: a dynamic mqtt in node holds at most {MAX_DYNAMIC_SUBSCRIPTIONS}"
            ));
        }
        let datatype = sub
            .get("datatype")
            .and_then(Value::as_str)
            .and_then(Datatype::from_text)
            .unwrap_or(self.datatype);
        let options = SubOptions {
            qos: sub.get("qos").and_then(Value::as_u64).unwrap_or(2) as u8,
            nl: flag(sub.get("nl")).unwrap_or(false),
            rap: sub.get("rap").and_then(Value::as_bool).unwrap_or(true),
            rh: sub.get("rh").and_then(Value::as_u64).unwrap_or(0) as u8,
        };
        let d = deliver(&self.id, handle, inbox, datatype, self.broker.is_local());
        self.broker.subscribe(&topic, &self.key, options, d);
        subs.push((topic, Value::Object(sub)));
        Ok(())
    }
}

/// `true`/`"true"` or `false`/`"false"`; anything else is no answer.
fn flag(v: Option<&Value>) -> Option<bool> {
    match v {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if s == "true" => Some(true),
        Some(Value::String(s)) if s == "false" => Some(false),
        _ => None,
    }
}
