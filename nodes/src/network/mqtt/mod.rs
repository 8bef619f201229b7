//! MQTT: the `mqtt-broker` connection, `mqtt in` and `mqtt out`, and the
//! `tls-config` certificates, on the rumqttc client (MQTT 3.1.1 and 5).

pub mod broker;
mod client;
pub mod connection;
pub mod message;
pub mod mqtt_in;
pub mod mqtt_out;
pub mod tls;

use std::time::Duration;

use flowgate_runtime::{Message, NodeError, Registry};
use serde_json::Value;

use crate::support::settings::Choice;
use connection::{Broker, BrokerError, State};

pub use client::{MAX_PACKET_BYTES, QUEUE_CAPACITY};

/// The QoS options of a subscription or publish.
pub const QOS_CHOICES: &[Choice] = &[Choice::plain("0"), Choice::plain("1"), Choice::plain("2")];

/// How long a connect action waits for the connection before it finishes.
const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// Register the MQTT node types and `tls-config`.
pub fn register(r: &mut Registry) {
    r.register(tls::node_type());
    r.register(broker::node_type());
    r.register(mqtt_in::node_type());
    r.register(mqtt_out::node_type());
}

/// Node-RED's connect action, shared by `mqtt in` and `mqtt out`: open the
/// connection, with `msg.broker`'s settings when given; an open connection
/// is only cycled with `msg.broker.force`.
pub(crate) async fn connect_action(broker: &Broker, msg: Message) -> Result<(), NodeError> {
    let data = match msg.body.get("broker") {
        Some(Value::Object(m)) => Some(m.clone()),
        _ => None,
    };
    if !broker.can_connect() {
        match &data {
            None => return Ok(()),
            Some(d) if d.get("force").is_some_and(|f| f == true || f == "true") => {
                broker.disconnect().await;
            }
            Some(_) => {
                return Err(NodeError::new(BrokerError::AlreadyConnected.to_string()).with_msg(msg))
            }
        }
    }
    if let Some(d) = &data {
        broker.set_options(d);
    }
    broker.connect();
    let deadline = tokio::time::Instant::now() + CONNECT_WAIT;
    while broker.state() != State::Connected && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}
