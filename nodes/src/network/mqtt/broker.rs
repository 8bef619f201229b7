//! `mqtt-broker`: the connection to one MQTT broker, shared by the
//! `mqtt in` and `mqtt out` nodes that name it. This module reads its
//! settings; [`super::connection`] runs the connection.

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, ConfigObject, NodeType};
use flowgate_runtime::Problem;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{text_bytes, ConnectOptions};
use super::connection::{Broker, Envelope};
use super::message::{user_properties, Outgoing, Properties};
use super::tls::{self, TlsConfig};
use crate::support::js;
use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings, Secret};

crate::choices! {
    /// The MQTT protocol version; 3 (MQTT 3.1) is spoken as 3.1.1.
    pub enum Protocol ("protocol version") {
        V31 = "3" ("MQTT V3.1 (legacy)"),
        V311 = "4" ("MQTT V3.1.1"),
        V5 = "5" ("MQTT V5"),
    }
}

/// An `mqtt-broker` node's settings (user and password are credentials).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerSettings {
    /// Host name, or a `mqtt://` / `mqtts://` URL.
    #[serde(deserialize_with = "de::text")]
    pub broker: String,
    #[serde(deserialize_with = "de::text")]
    pub port: String,
    #[serde(deserialize_with = "de::text")]
    pub tls: String,
    #[serde(deserialize_with = "de::text")]
    pub clientid: String,
    #[serde(deserialize_with = "de::flag")]
    pub auto_connect: bool,
    #[serde(deserialize_with = "de::flag")]
    pub usetls: bool,
    #[serde(deserialize_with = "de::flag")]
    pub verifyservercert: bool,
    #[serde(deserialize_with = "de::flag")]
    pub compatmode: bool,
    pub protocol_version: Protocol,
    #[serde(deserialize_with = "de::text")]
    pub keepalive: String,
    #[serde(deserialize_with = "de::flag")]
    pub cleansession: bool,
    #[serde(deserialize_with = "de::text")]
    pub birth_topic: String,
    #[serde(deserialize_with = "de::text")]
    pub birth_qos: String,
    #[serde(deserialize_with = "de::text")]
    pub birth_retain: String,
    #[serde(deserialize_with = "de::text")]
    pub birth_payload: String,
    pub birth_msg: Value,
    #[serde(deserialize_with = "de::text")]
    pub close_topic: String,
    #[serde(deserialize_with = "de::text")]
    pub close_qos: String,
    #[serde(deserialize_with = "de::text")]
    pub close_retain: String,
    #[serde(deserialize_with = "de::text")]
    pub close_payload: String,
    pub close_msg: Value,
    #[serde(deserialize_with = "de::text")]
    pub will_topic: String,
    #[serde(deserialize_with = "de::text")]
    pub will_qos: String,
    #[serde(deserialize_with = "de::text")]
    pub will_retain: String,
    #[serde(deserialize_with = "de::text")]
    pub will_payload: String,
    pub will_msg: Value,
    #[serde(deserialize_with = "de::text")]
    pub user_props: String,
    #[serde(deserialize_with = "de::text")]
    pub session_expiry: String,
}

impl NodeSettings for BrokerSettings {
    const FIELDS: &'static [Field] = &[
        Field::name(),
        Field::text("broker", "").label("Server").required(),
        Field::new("port", Kind::Number, Initial::Int(1883)).label("Port"),
        Field::select("protocolVersion", Protocol::CHOICES, "4")
            .label("Protocol")
            .absent(Initial::Str("4")),
        Field::text("clientid", "").label("Client ID"),
        Field::checkbox("autoConnect", true).label("Connect automatically"),
        Field::checkbox("usetls", false).label("Use TLS"),
        Field::new("tls", Kind::Config("tls-config"), Initial::Str("")).label("TLS Configuration"),
        Field::checkbox("verifyservercert", false)
            .label("Verify server certificate")
            .hidden(),
        Field::checkbox("compatmode", false).hidden(),
        Field::new("keepalive", Kind::Number, Initial::Int(60)).label("Keep Alive"),
        Field::checkbox("cleansession", true).label("Use clean session"),
        Field::checkbox("autoUnsubscribe", true)
            .label("Automatically unsubscribe when disconnecting")
            .hidden(),
        Field::credential("user", Secret::Text, false).label("Username"),
        Field::credential("password", Secret::Password, false).label("Password"),
        Field::text("birthTopic", "").label("Birth message topic"),
        Field::select("birthQos", super::QOS_CHOICES, "0").label("Birth message QoS"),
        Field::text("birthRetain", "false").label("Birth message retain"),
        Field::text("birthPayload", "").label("Birth message payload"),
        Field::new("birthMsg", Kind::Json, Initial::Json("{}"))
            .label("Birth message v5 properties"),
        Field::text("closeTopic", "").label("Close message topic"),
        Field::select("closeQos", super::QOS_CHOICES, "0").label("Close message QoS"),
        Field::text("closeRetain", "false").label("Close message retain"),
        Field::text("closePayload", "").label("Close message payload"),
        Field::new("closeMsg", Kind::Json, Initial::Json("{}"))
            .label("Close message v5 properties"),
        Field::text("willTopic", "").label("Will message topic"),
        Field::select("willQos", super::QOS_CHOICES, "0").label("Will message QoS"),
        Field::text("willRetain", "false").label("Will message retain"),
        Field::text("willPayload", "").label("Will message payload"),
        Field::new("willMsg", Kind::Json, Initial::Json("{}")).label("Will message v5 properties"),
        Field::text("userProps", "").label("User Properties"),
        Field::new("sessionExpiry", Kind::Number, Initial::Int(0)).label("Session Expiry (secs)"),
    ];
    const LABEL: Option<&'static str> = Some("name");
}

pub const HELP: &str = "A connection to an MQTT broker, shared by the mqtt in and mqtt out \
nodes that use it.\n\n\
Server is a host name (or a mqtt:// or mqtts:// URL), Port its port (1883). Protocol is \
MQTT 3.1.1 or 5 (the legacy 3.1 is spoken as 3.1.1). An empty Client ID is generated \
(\"nodered\" and 16 hex digits). Username and password are credentials. With Use TLS the \
TLS configuration's certificates are used. Birth, close and will messages (topic, payload, \
QoS, retain and, for MQTT 5, properties) are published on connect, before a clean \
disconnect, and by the broker when the connection is lost. The connection opens when the \
first node using it starts (unless Connect automatically is off: then on a connect action), \
reconnects with a backoff of 0.5 s doubling to 5 s, subscribes again, and the nodes show \
connected, connecting or disconnected. Publishes made while it reconnects are queued \
(up to 1000).";

pub fn node_type() -> NodeType {
    NodeType::config("mqtt-broker", build)
        .help(HELP)
        .editor(settings::editor_json::<BrokerSettings>())
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<ConfigObject, Problem> {
    let s: BrokerSettings = settings::load(config, cx)?;
    let tls_config = match s.usetls && !s.tls.is_empty() {
        true => Some(cx.config::<TlsConfig>(config, "tls", "tls-config")?),
        false => None,
    };
    let (host, port, url_tls) = address(&s).map_err(|e| config.problem(Some("broker"), e))?;
    let use_tls = s.usetls || url_tls;
    let tls = match (use_tls, tls_config) {
        (false, _) => None,
        (true, Some(t)) => Some(t.client.clone()),
        (true, None) => Some(tls::default_client(s.verifyservercert)),
    };
    let v5 = s.protocol_version == Protocol::V5;
    let keepalive = number(&s.keepalive).unwrap_or(60.0).max(0.0) as u64;
    let client_id = match s.clientid.trim() {
        "" => generated_client_id(),
        id => id.to_owned(),
    };
    let clean = s.cleansession || s.clientid.trim().is_empty();
    let will = message(
        &s.will_topic,
        &s.will_payload,
        &s.will_qos,
        &s.will_retain,
        &s.will_msg,
    );
    let will_delay = property(&s.will_msg, "delay").and_then(|v| u32_of(&v));
    let login = cx
        .credential("user")
        .map(|u| (u, cx.credential("password").unwrap_or_default()));
    let user_props = match s.user_props.trim_start().starts_with('{') {
        true => serde_json::from_str::<Value>(&s.user_props)
            .map(|v| user_properties(Some(&v)))
            .unwrap_or_default(),
        false => Vec::new(),
    };
    let options = ConnectOptions {
        host: host.clone(),
        port,
        client_id,
        keepalive,
        clean,
        v5,
        login,
        tls,
        will,
        will_delay,
        user_properties: user_props,
        session_expiry: number(&s.session_expiry)
            .filter(|n| *n > 0.0)
            .map(|n| n as u32),
    };
    let envelope = Envelope {
        birth: message(
            &s.birth_topic,
            &s.birth_payload,
            &s.birth_qos,
            &s.birth_retain,
            &s.birth_msg,
        ),
        close: message(
            &s.close_topic,
            &s.close_payload,
            &s.close_qos,
            &s.close_retain,
            &s.close_msg,
        ),
        auto_connect: s.auto_connect,
        local: host == "localhost" || host == "127.0.0.1",
    };
    Ok(Broker::shared(
        cx.node_id(),
        options,
        envelope,
        cx.events.clone(),
    ))
}

/// Host, port and whether a `mqtts://` URL asks for TLS, from the
/// `broker` and `port` fields (Node-RED builds `mqtt://broker:port`).
fn address(s: &BrokerSettings) -> Result<(String, u16, bool), String> {
    let broker = s.broker.trim();
    let (rest, tls, from_url) = if let Some(r) = broker.strip_prefix("mqtts://") {
        (r, true, true)
    } else if let Some(r) = broker
        .strip_prefix("mqtt://")
        .or_else(|| broker.strip_prefix("tcp://"))
    {
        (r, false, true)
    } else if broker.contains("://") {
        return Err(format!(
            "unsupported broker URL {broker:?}: use a host name, mqtt:// or mqtts://"
        ));
    } else {
        (broker, false, false)
    };
    let rest = rest.trim_end_matches('/');
    let default_port = match tls {
        true => 8883,
        false => 1883,
    };
    let (host, url_port) = match rest.rsplit_once(':') {
        Some((h, p)) if from_url && !h.ends_with(':') => (
            h,
            Some(
                p.parse::<u16>()
                    .map_err(|_| format!("invalid port in {broker:?}"))?,
            ),
        ),
        _ => (rest, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = if host.is_empty() { "localhost" } else { host };
    let port = match url_port {
        Some(p) => p,
        None => match number(&s.port) {
            Some(p) if (1.0..=65535.0).contains(&p) => p as u16,
            Some(_) => return Err(format!("invalid port {:?}", s.port)),
            None => default_port,
        },
    };
    Ok((host.to_owned(), port, tls))
}

fn number(text: &str) -> Option<f64> {
    let n = js::to_number(Some(&Value::String(text.to_owned())));
    (!text.trim().is_empty() && n.is_finite()).then_some(n)
}

fn u32_of(v: &Value) -> Option<u32> {
    let n = js::parse_float(Some(v));
    (n.is_finite() && n >= 0.0 && n <= f64::from(u32::MAX)).then_some(n as u32)
}

/// Node-RED's `RED.util.generateId()` after "nodered": 8 random bytes as hex.
fn generated_client_id() -> String {
    let mut bytes = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("nodered{}", hex::encode(bytes))
}

/// A v5 property of a birth/close/will message's properties object, under
/// Node-RED's short name.
fn property(props: &Value, name: &str) -> Option<Value> {
    props
        .get(name)
        .filter(|v| !v.is_null() && *v != "")
        .cloned()
}

/// A birth, close or will message (Node-RED's `createLWT`); none without a
/// topic.
fn message(topic: &str, payload: &str, qos: &str, retain: &str, props: &Value) -> Option<Outgoing> {
    if topic.is_empty() {
        return None;
    }
    let user = match property(props, "userProps") {
        Some(Value::String(s)) if s.trim_start().starts_with('{') => serde_json::from_str(&s)
            .map(|v| user_properties(Some(&v)))
            .unwrap_or_default(),
        Some(v @ Value::Object(_)) => user_properties(Some(&v)),
        _ => Vec::new(),
    };
    let text = |name: &str| match property(props, name) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    Some(Outgoing {
        topic: topic.to_owned(),
        payload: text_bytes(payload),
        qos: number(qos)
            .filter(|q| (0.0..=2.0).contains(q))
            .unwrap_or(0.0) as u8,
        retain: retain == "true",
        properties: Properties {
            response_topic: text("respTopic"),
            correlation_data: text("correl").map(|c| text_bytes(&c)),
            content_type: text("contentType"),
            message_expiry_interval: property(props, "expiry").and_then(|v| u32_of(&v)),
            payload_format_indicator: None,
            user_properties: user,
        },
    })
}
