//! `mqtt out`: publishes each message on an `mqtt-broker`, topic, QoS and
//! retain taken from the node or else the message, as Node-RED's
//! `doPublish` decides; `msg.action` connect / disconnect act on the
//! connection instead.

use std::sync::Arc;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::connect_action;
use super::connection::{instance_key, Broker};
use super::message::{
    payload_bytes, properties_of, user_properties, valid_publish_topic, Outgoing,
};
use crate::support::js;
use crate::support::settings::{self, de, Choice, Field, Initial, Kind, NodeSettings};

/// An `mqtt out` node's settings; empty fields leave the value to the message.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MqttOutSettings {
    #[serde(deserialize_with = "de::text")]
    pub topic: String,
    #[serde(deserialize_with = "de::text")]
    pub qos: String,
    #[serde(deserialize_with = "de::text")]
    pub retain: String,
    #[serde(deserialize_with = "de::text")]
    pub resp_topic: String,
    #[serde(deserialize_with = "de::text")]
    pub content_type: String,
    #[serde(deserialize_with = "de::text")]
    pub user_props: String,
    #[serde(deserialize_with = "de::text")]
    pub correl: String,
    #[serde(deserialize_with = "de::text")]
    pub expiry: String,
    #[serde(deserialize_with = "de::text")]
    pub broker: String,
}

impl NodeSettings for MqttOutSettings {
    const FIELDS: &'static [Field] = &[
        Field::name(),
        Field::new("broker", Kind::Config("mqtt-broker"), Initial::Str(""))
            .label("Server")
            .required(),
        Field::text("topic", "").label("Topic"),
        Field::select(
            "qos",
            &[
                Choice::plain(""),
                Choice::plain("0"),
                Choice::plain("1"),
                Choice::plain("2"),
            ],
            "",
        )
        .label("QoS"),
        Field::select(
            "retain",
            &[
                Choice::plain(""),
                Choice {
                    value: "true",
                    label: Some("true"),
                },
                Choice {
                    value: "false",
                    label: Some("false"),
                },
            ],
            "",
        )
        .label("Retain"),
        Field::text("respTopic", "").label("Response topic"),
        Field::text("contentType", "").label("Content Type"),
        Field::text("userProps", "").label("User Properties"),
        Field::text("correl", "").label("Correlation Data"),
        Field::text("expiry", "").label("Expiry (secs)"),
    ];
    const LABEL: Option<&'static str> = Some("name || topic");
}

pub const HELP: &str = "Publishes msg.payload on an MQTT broker.\n\n\
Topic, QoS and Retain set in the node win over msg.topic, msg.qos and msg.retain. The \
payload is sent as is when text, as its bytes when a Buffer, as JSON when an object and as \
its text when a number or boolean; a message without payload is not published. With MQTT \
5, msg.responseTopic, msg.correlationData, msg.contentType, msg.messageExpiryInterval, \
msg.payloadFormatIndicator and msg.userProperties become the publish's properties (the \
node's own fields win). msg.action \"connect\" (msg.broker may change the connection's \
settings) and \"disconnect\" act on the connection instead of publishing. A message with \
an invalid topic is not published (a warning is logged).";

pub fn node_type() -> NodeType {
    NodeType::runnable("mqtt out", build)
        .help(HELP)
        .category("network")
        .ports(1, 0)
        .color("#d8bfd8")
        .editor(settings::editor_json::<MqttOutSettings>())
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: MqttOutSettings = settings::load(config, cx)?;
    let broker = cx.config::<Broker>(config, "broker", "mqtt-broker")?;
    let user = match s.user_props.trim_start().starts_with('{') {
        true => serde_json::from_str::<Value>(&s.user_props)
            .ok()
            .map(|v| user_properties(Some(&v)))
            .filter(|u| !u.is_empty()),
        false => None,
    };
    Ok(Built::new(
        MqttOut {
            id: config.id.clone(),
            key: instance_key(&config.id),
            broker,
            user,
            s,
        },
        0,
    ))
}

struct MqttOut {
    id: String,
    /// This instance's key with the broker.
    key: String,
    broker: Arc<Broker>,
    /// The node's own user properties (they replace the message's).
    user: Option<Vec<(String, String)>>,
    s: MqttOutSettings,
}

impl Node for MqttOut {
    fn start(&self, _handle: NodeHandle) {
        self.broker.register(&self.key, &self.id);
    }

    fn stop(&self) {
        self.broker.deregister(&self.key);
    }

    fn on_input<'a>(&'a self, msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        match msg.body.get("action") {
            Some(Value::String(a)) if a == "connect" => {
                return Outcome::Pending(Box::pin(connect_action(&self.broker, msg)))
            }
            Some(Value::String(a)) if a == "disconnect" => {
                return Outcome::Pending(Box::pin(async move {
                    self.broker.disconnect().await;
                    Ok(())
                }))
            }
            Some(v) if js::truthy(Some(v)) => {
                return Outcome::Ready(
                    Err(NodeError::new("Invalid action specified").with_msg(msg)),
                )
            }
            _ => {}
        }
        let Some(publish) = self.outgoing(&msg.body) else {
            return Outcome::Ready(Ok(()));
        };
        Outcome::Pending(Box::pin(async move {
            self.broker
                .publish(publish)
                .await
                .map_err(|e| NodeError::new(e.to_string()).with_msg(msg))
        }))
    }
}

impl MqttOut {
    /// The publish for a message (Node-RED's `doPublish` and `publish`);
    /// none without a payload or with an invalid topic (warned).
    fn outgoing(&self, msg: &Map<String, Value>) -> Option<Outgoing> {
        if !msg.contains_key("payload") {
            return None;
        }
        let mut properties = Default::default();
        if self.broker.is_v5() {
            properties = properties_of(msg);
            self.node_properties(&mut properties);
        }
        let mut topic = match self.s.topic.as_str() {
            "" => msg.get("topic").and_then(Value::as_str).unwrap_or(""),
            t => t,
        }
        .to_owned();
        if topic.is_empty() {
            // MQTT 5: a message without a topic answers on its response topic.
            if let Some(t) = properties.response_topic.take() {
                topic = t;
            }
        }
        if !valid_publish_topic(&topic) {
            tracing::warn!(node = %self.id, "mqtt out: Invalid topic specified");
            return None;
        }
        let msg_qos = msg
            .get("qos")
            .filter(|q| js::truthy(Some(q)))
            .map(|q| js::parse_float(Some(q)))
            .filter(|q| [0.0, 1.0, 2.0].contains(q));
        let qos = match self.s.qos.as_str() {
            "" => msg_qos.unwrap_or(0.0),
            q => js::to_number(Some(&Value::String(q.to_owned()))),
        };
        let retain = match self.s.retain.as_str() {
            "" => {
                matches!(msg.get("retain"), Some(Value::Bool(true)))
                    || msg.get("retain").and_then(Value::as_str) == Some("true")
            }
            r => r == "true",
        };
        Some(Outgoing {
            topic,
            payload: payload_bytes(msg.get("payload")),
            qos: if (0.0..=2.0).contains(&qos) {
                qos as u8
            } else {
                0
            },
            retain,
            properties,
        })
    }

    /// The node's v5 fields win over the message's.
    fn node_properties(&self, p: &mut super::message::Properties) {
        let s = &self.s;
        if let Some(user) = &self.user {
            p.user_properties = user.clone();
        }
        if !s.resp_topic.is_empty() {
            p.response_topic = Some(s.resp_topic.clone());
        }
        if !s.correl.is_empty() {
            p.correlation_data = Some(bytes::Bytes::from(s.correl.clone().into_bytes()));
        }
        if !s.content_type.is_empty() {
            p.content_type = Some(s.content_type.clone());
        }
        let expiry = js::parse_float(Some(&Value::String(s.expiry.clone())));
        if expiry.is_finite() && expiry > 0.0 && expiry <= f64::from(u32::MAX) {
            p.message_expiry_interval = Some(expiry as u32);
        }
    }
}
