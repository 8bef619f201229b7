//! rumqttc behind one interface for both protocol versions: its MQTT 3.1.1
//! client and its MQTT 5 client (`rumqttc::v5`) differ in types, not in
//! what the broker node asks of them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5 as p5;
use rumqttc::v5::mqttbytes::QoS as QoS5;
use rumqttc::{QoS, TlsConfiguration, Transport};

use super::message::{Incoming, Outgoing, Properties};

/// Largest packet sent or received (an incoming publish over it closes the
/// connection, which then reconnects; an outgoing one fails its message).
pub const MAX_PACKET_BYTES: usize = 5 * 1024 * 1024;

/// Requests (publishes, subscriptions) waiting for the connection: while
/// the broker is away publishes queue here, and past this many they fail.
pub const QUEUE_CAPACITY: usize = 1000;

/// Everything needed to open a connection.
#[derive(Clone)]
pub struct ConnectOptions {
    pub host: String,
    pub port: u16,
    pub client_id: String,
    pub keepalive: u64,
    pub clean: bool,
    pub v5: bool,
    pub login: Option<(String, String)>,
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub will: Option<Outgoing>,
    pub will_delay: Option<u32>,
    pub user_properties: Vec<(String, String)>,
    pub session_expiry: Option<u32>,
}

/// How a subscription asks the broker: QoS and the v5 options.
#[derive(Debug, Clone, PartialEq)]
pub struct SubOptions {
    pub qos: u8,
    /// v5 "no local": not the messages this client publishes.
    pub nl: bool,
    /// v5 "retain as published".
    pub rap: bool,
    /// v5 retain handling: 0 send retained, 1 only for new subscriptions, 2 never.
    pub rh: u8,
}

/// A connected (or connecting) client of either version.
#[derive(Clone)]
pub enum Client {
    V4(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

/// The event loop of either version.
pub enum EventLoop {
    V4(Box<rumqttc::EventLoop>),
    V5(Box<rumqttc::v5::EventLoop>),
}

/// What the event loop reports, whatever the version.
pub enum Happening {
    Connected,
    Publish(Incoming),
    /// Our DISCONNECT went out: the connection is closing on purpose.
    Closed,
    /// The connection failed or was lost; polling again reconnects.
    Lost(String),
    Other,
}

fn qos4(q: u8) -> QoS {
    match q {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

fn qos5(q: u8) -> QoS5 {
    match q {
        0 => QoS5::AtMostOnce,
        1 => QoS5::AtLeastOnce,
        _ => QoS5::ExactlyOnce,
    }
}

fn transport(o: &ConnectOptions) -> Transport {
    match &o.tls {
        Some(c) => Transport::tls_with_config(TlsConfiguration::Rustls(c.clone())),
        None => Transport::tcp(),
    }
}

/// A client and its event loop for these options; nothing is sent until
/// the loop is polled.
pub fn open(o: &ConnectOptions) -> (Client, EventLoop) {
    if o.v5 {
        let mut m = rumqttc::v5::MqttOptions::new(o.client_id.clone(), o.host.clone(), o.port);
        m.set_keep_alive(Duration::from_secs(o.keepalive))
            .set_clean_start(o.clean)
            .set_transport(transport(o))
            .set_max_packet_size(Some(MAX_PACKET_BYTES as u32))
            .set_request_response_info(Some(1))
            .set_request_problem_info(Some(1))
            .set_session_expiry_interval(o.session_expiry)
            .set_user_properties(o.user_properties.clone());
        if let Some((u, p)) = &o.login {
            m.set_credentials(u.clone(), p.clone());
        }
        if let Some(w) = &o.will {
            let mut props = will_properties(&w.properties);
            props.delay_interval = o.will_delay;
            m.set_last_will(p5::LastWill::new(
                w.topic.clone(),
                w.payload.to_vec(),
                qos5(w.qos),
                w.retain,
                Some(props),
            ));
        }
        let (c, l) = rumqttc::v5::AsyncClient::new(m, QUEUE_CAPACITY);
        (Client::V5(c), EventLoop::V5(Box::new(l)))
    } else {
        let mut m = rumqttc::MqttOptions::new(o.client_id.clone(), o.host.clone(), o.port);
        m.set_keep_alive(Duration::from_secs(o.keepalive))
            .set_clean_session(o.clean)
            .set_transport(transport(o))
            .set_max_packet_size(MAX_PACKET_BYTES, MAX_PACKET_BYTES);
        if let Some((u, p)) = &o.login {
            m.set_credentials(u.clone(), p.clone());
        }
        if let Some(w) = &o.will {
            m.set_last_will(rumqttc::LastWill::new(
                w.topic.clone(),
                w.payload.to_vec(),
                qos4(w.qos),
                w.retain,
            ));
        }
        let (c, l) = rumqttc::AsyncClient::new(m, QUEUE_CAPACITY);
        (Client::V4(c), EventLoop::V4(Box::new(l)))
    }
}

fn will_properties(p: &Properties) -> p5::LastWillProperties {
    p5::LastWillProperties {
        delay_interval: None,
        payload_format_indicator: p.payload_format_indicator.map(u8::from),
        message_expiry_interval: p.message_expiry_interval,
        content_type: p.content_type.clone(),
        response_topic: p.response_topic.clone(),
        correlation_data: p.correlation_data.clone(),
        user_properties: p.user_properties.clone(),
    }
}

fn publish_properties(p: &Properties) -> p5::PublishProperties {
    p5::PublishProperties {
        payload_format_indicator: p.payload_format_indicator.map(u8::from),
        message_expiry_interval: p.message_expiry_interval,
        topic_alias: None,
        response_topic: p.response_topic.clone(),
        correlation_data: p.correlation_data.clone(),
        user_properties: p.user_properties.clone(),
        subscription_identifiers: Vec::new(),
        content_type: p.content_type.clone(),
    }
}

impl Client {
    /// Queue a publish, waiting while the queue is full.
    pub async fn publish(&self, p: Outgoing) -> Result<(), String> {
        match self {
            Client::V4(c) => c
                .publish_bytes(p.topic, qos4(p.qos), p.retain, p.payload)
                .await
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .publish_bytes_with_properties(
                    p.topic,
                    qos5(p.qos),
                    p.retain,
                    p.payload,
                    publish_properties(&p.properties),
                )
                .await
                .map_err(|e| e.to_string()),
        }
    }

    /// Queue a publish, failing at once when the queue is full.
    pub fn try_publish(&self, p: Outgoing) -> Result<(), String> {
        match self {
            Client::V4(c) => c
                .try_publish(p.topic, qos4(p.qos), p.retain, p.payload.to_vec())
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .try_publish_with_properties(
                    p.topic,
                    qos5(p.qos),
                    p.retain,
                    p.payload.to_vec(),
                    publish_properties(&p.properties),
                )
                .map_err(|e| e.to_string()),
        }
    }

    /// Subscribe to `topic`; `id` is its v5 subscription identifier.
    pub fn subscribe(&self, topic: &str, o: &SubOptions, id: usize) -> Result<(), String> {
        match self {
            Client::V4(c) => c
                .try_subscribe(topic, qos4(o.qos))
                .map_err(|e| e.to_string()),
            Client::V5(c) => {
                let filter = p5::Filter {
                    path: topic.to_owned(),
                    qos: qos5(o.qos),
                    nolocal: o.nl,
                    preserve_retain: o.rap,
                    retain_forward_rule: match o.rh {
                        0 => p5::RetainForwardRule::OnEverySubscribe,
                        1 => p5::RetainForwardRule::OnNewSubscribe,
                        _ => p5::RetainForwardRule::Never,
                    },
                };
                let props = p5::SubscribeProperties {
                    id: Some(id),
                    user_properties: Vec::new(),
                };
                c.try_subscribe_many_with_properties([filter], props)
                    .map_err(|e| e.to_string())
            }
        }
    }

    pub fn unsubscribe(&self, topic: &str) -> Result<(), String> {
        match self {
            Client::V4(c) => c.try_unsubscribe(topic).map_err(|e| e.to_string()),
            Client::V5(c) => c.try_unsubscribe(topic).map_err(|e| e.to_string()),
        }
    }

    /// Send DISCONNECT after what is queued.
    pub fn disconnect(&self) -> Result<(), String> {
        match self {
            Client::V4(c) => c.try_disconnect().map_err(|e| e.to_string()),
            Client::V5(c) => c.try_disconnect().map_err(|e| e.to_string()),
        }
    }
}

impl EventLoop {
    /// The next thing that happens on the connection (connecting first
    /// when it is down).
    pub async fn next(&mut self) -> Happening {
        match self {
            EventLoop::V4(l) => match l.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) => Happening::Connected,
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                    Happening::Publish(Incoming {
                        topic: p.topic,
                        payload: p.payload,
                        qos: p.qos as u8,
                        retain: p.retain,
                        properties: None,
                        subscription_ids: Vec::new(),
                    })
                }
                Ok(rumqttc::Event::Outgoing(rumqttc::Outgoing::Disconnect)) => Happening::Closed,
                Ok(_) => Happening::Other,
                Err(e) => Happening::Lost(e.to_string()),
            },
            EventLoop::V5(l) => match l.poll().await {
                Ok(rumqttc::v5::Event::Incoming(p5::Packet::ConnAck(_))) => Happening::Connected,
                Ok(rumqttc::v5::Event::Incoming(p5::Packet::Publish(p))) => {
                    Happening::Publish(incoming5(p))
                }
                Ok(rumqttc::v5::Event::Incoming(p5::Packet::Disconnect(d))) => {
                    Happening::Lost(format!("disconnected by the broker: {:?}", d.reason_code))
                }
                Ok(rumqttc::v5::Event::Outgoing(rumqttc::Outgoing::Disconnect)) => {
                    Happening::Closed
                }
                Ok(_) => Happening::Other,
                Err(e) => Happening::Lost(e.to_string()),
            },
        }
    }
}

fn incoming5(p: p5::Publish) -> Incoming {
    let props = p.properties.unwrap_or_default();
    let ids = props.subscription_identifiers.clone();
    Incoming {
        topic: String::from_utf8_lossy(&p.topic).into_owned(),
        payload: p.payload,
        qos: p.qos as u8,
        retain: p.retain,
        properties: Some(Properties {
            response_topic: props.response_topic,
            correlation_data: props.correlation_data,
            content_type: props.content_type,
            message_expiry_interval: props.message_expiry_interval,
            payload_format_indicator: props.payload_format_indicator.map(|f| f == 1),
            user_properties: props.user_properties,
        }),
        subscription_ids: ids,
    }
}

/// Bytes of a text, for wills and birth messages.
pub fn text_bytes(s: &str) -> Bytes {
    Bytes::from(s.to_owned().into_bytes())
}
