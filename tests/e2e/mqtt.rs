//! The MQTT nodes against a real mosquitto: flowgate's `mqtt in` / `mqtt
//! out` on one side, an independent rumqttc client (the probe) on the
//! other. Each test starts its own broker on a free loopback port.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use rumqttc::{Event, Packet, QoS};
use serde_json::{json, Value};

use crate::common::{self, client, kill_hard, Mosquitto, Server};

const WAIT: Duration = Duration::from_secs(10);

/// A test-side MQTT 3.1.1 client: what it receives arrives on `rx`.
struct Probe {
    client: rumqttc::Client,
    rx: mpsc::Receiver<rumqttc::Publish>,
}

impl Probe {
    /// Connected to `port`, subscribed (acknowledged) to `topics` at QoS 2.
    fn new(port: u16, topics: &[&str]) -> Probe {
        let mut o =
            rumqttc::MqttOptions::new(format!("probe-{}", common::free_port()), "127.0.0.1", port);
        o.set_keep_alive(Duration::from_secs(30));
        let (client, mut conn) = rumqttc::Client::new(o, 100);
        let (tx, rx) = mpsc::channel();
        let (acks_tx, acks) = mpsc::channel();
        std::thread::spawn(move || {
            for ev in conn.iter() {
                match ev {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        if tx.send(p).is_err() {
                            return;
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        let _ = acks_tx.send(());
                    }
                    Ok(_) => {}
                    Err(_) => std::thread::sleep(Duration::from_millis(100)),
                }
            }
        });
        for t in topics {
            client.subscribe(*t, QoS::ExactlyOnce).unwrap();
            acks.recv_timeout(WAIT).expect("subscription acknowledged");
        }
        Probe { client, rx }
    }

    fn publish(&self, topic: &str, qos: QoS, retain: bool, payload: &str) {
        self.client
            .publish(topic, qos, retain, payload.as_bytes().to_vec())
            .unwrap();
    }

    /// The next publish received, within [`WAIT`].
    fn next(&self) -> rumqttc::Publish {
        self.rx
            .recv_timeout(WAIT)
            .expect("a message within the wait")
    }

    /// The next publish's payload as JSON.
    fn next_json(&self) -> (rumqttc::Publish, Value) {
        let p = self.next();
        let v = serde_json::from_slice(&p.payload).expect("JSON payload");
        (p, v)
    }

    /// Nothing arrives for `d`.
    fn quiet_for(&self, d: Duration) -> bool {
        self.rx.recv_timeout(d).is_err()
    }
}

/// A broker node on `port` (MQTT `version`: 4 or 5) with `extra` fields.
fn broker_node(port: u16, version: u8, extra: Value) -> Value {
    let mut b = json!({
        "id": "b1", "type": "mqtt-broker", "name": "test broker",
        "broker": "127.0.0.1", "port": port.to_string(), "clientid": "",
        "autoConnect": true, "usetls": false, "protocolVersion": version,
        "keepalive": 60, "cleansession": true,
        "birthTopic": "", "closeTopic": "", "willTopic": ""
    });
    b.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    b
}

/// A flow on tab `t`: `mqtt in` on `topic` (with `in_extra` fields) →
/// a function wrapping the message (all but `_msgid`) as the payload →
/// `mqtt out` on `seen`.
fn relay_flow(broker: Value, topic: &str, in_extra: Value) -> Value {
    let mut input = json!({
        "id": "in1", "type": "mqtt in", "z": "t", "topic": topic, "qos": "2",
        "datatype": "auto-detect", "broker": "b1", "nl": false, "rap": true, "rh": 0,
        "inputs": 0, "wires": [["wrap"]]
    });
    input
        .as_object_mut()
        .unwrap()
        .extend(in_extra.as_object().unwrap().clone());
    json!([
        {"id": "t", "type": "tab", "label": "mqtt"},
        broker,
        input,
        {"id": "wrap", "type": "function", "z": "t",
         "func": "delete msg._msgid;\nreturn {topic: 'seen', qos: 2, payload: msg};",
         "outputs": 1, "wires": [["out1"]]},
        {"id": "out1", "type": "mqtt out", "z": "t", "topic": "", "qos": "", "retain": "",
         "broker": "b1", "wires": []}
    ])
}

fn start(flow: &Value) -> Server {
    Server::start(&flow.to_string())
}

/// Wait until the server's log shows the broker connection `times` times.
/// Wait until `line` has been logged `times` times. The server's log is
/// read from its pipe by another thread, so a line written before an HTTP
/// answer can still reach the test after that answer.
fn wait_logged(s: &Server, line: &str, times: usize) {
    let start = Instant::now();
    while s.logs().matches(line).count() < times {
        assert!(
            start.elapsed() < WAIT,
            "{line:?} not logged; logs:\n{}",
            s.logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_connected(s: &Server, times: usize) {
    wait_logged(s, "Connected to broker", times);
    // The subscriptions are sent right after the connection: let the
    // broker take them.
    std::thread::sleep(Duration::from_millis(300));
}

#[test]
fn qos2_message_goes_through_in_and_out_with_its_fields() {
    let m = Mosquitto::start();
    let probe = Probe::new(m.port, &["seen"]);
    let s = start(&relay_flow(
        broker_node(m.port, 4, json!({})),
        "in/+",
        json!({}),
    ));
    wait_connected(&s, 1);
    probe.publish("in/a", QoS::ExactlyOnce, false, r#"{"t":21.5}"#);
    let (p, v) = probe.next_json();
    assert_eq!(p.qos, QoS::ExactlyOnce);
    assert_eq!(
        v,
        json!({"topic": "in/a", "payload": {"t": 21.5}, "qos": 2, "retain": false, "_topic": "in/a"})
    );
}

#[test]
fn retained_message_arrives_on_subscribe_with_retain_set() {
    let m = Mosquitto::start();
    let probe = Probe::new(m.port, &["seen"]);
    probe.publish("state/door", QoS::AtLeastOnce, true, "open");
    std::thread::sleep(Duration::from_millis(200));
    let s = start(&relay_flow(
        broker_node(m.port, 4, json!({})),
        "state/#",
        json!({}),
    ));
    wait_connected(&s, 1);
    let (_, v) = probe.next_json();
    assert_eq!(v["payload"], "open");
    assert_eq!(v["retain"], true);
    assert_eq!(v["qos"], 1);
}

#[test]
fn will_is_published_when_flowgate_is_killed_and_birth_on_connect() {
    let m = Mosquitto::start();
    let probe = Probe::new(m.port, &["status/#"]);
    let broker = broker_node(
        m.port,
        4,
        json!({"birthTopic": "status/fg", "birthPayload": "online", "birthQos": "1",
               "willTopic": "status/fg", "willPayload": "gone", "willQos": "1"}),
    );
    let mut s = start(&relay_flow(broker, "x/#", json!({})));
    let birth = probe.next();
    assert_eq!(&birth.payload[..], b"online");
    kill_hard(&mut s);
    let will = probe.next();
    assert_eq!(will.topic, "status/fg");
    assert_eq!(&will.payload[..], b"gone");
}

#[test]
fn broker_restart_reconnects_resubscribes_and_delivers_publishes_queued_while_down() {
    let mut m = Mosquitto::start();
    let flow = json!([
        {"id": "t", "type": "tab", "label": "mqtt"},
        broker_node(m.port, 4, json!({})),
        {"id": "h", "type": "http in", "z": "t", "url": "/pub", "method": "post", "wires": [["prep", "r"]]},
        {"id": "prep", "type": "function", "z": "t",
         "func": "return {topic: msg.payload.topic, payload: msg.payload.payload};",
         "outputs": 1, "wires": [["pub"]]},
        {"id": "pub", "type": "mqtt out", "z": "t", "topic": "", "qos": "1", "retain": "true",
         "broker": "b1", "wires": []},
        {"id": "r", "type": "http response", "z": "t", "wires": []},
        {"id": "in1", "type": "mqtt in", "z": "t", "topic": "back/+", "qos": "1",
         "datatype": "utf8", "broker": "b1", "inputs": 0, "wires": [["echo"]]},
        {"id": "echo", "type": "mqtt out", "z": "t", "topic": "echo", "qos": "1",
         "retain": "false", "broker": "b1", "wires": []}
    ]);
    let s = start(&flow);
    wait_connected(&s, 1);
    m.stop();
    let start_down = Instant::now();
    while !s.logs().contains("Disconnected from broker") {
        assert!(start_down.elapsed() < WAIT, "loss not seen: {}", s.logs());
        std::thread::sleep(Duration::from_millis(20));
    }
    // Published while the broker is down: queued, sent after reconnecting.
    for i in 1..=3 {
        let r = client()
            .post(s.url("/pub"))
            .json(&json!({"topic": format!("q/{i}"), "payload": format!("m{i}")}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    m.restart();
    wait_connected(&s, 2);
    // Retained, so the probe receives them whenever it subscribes.
    let probe = Probe::new(m.port, &["q/+", "echo"]);
    let mut got: Vec<String> = (0..3)
        .map(|_| String::from_utf8(probe.next().payload.to_vec()).unwrap())
        .collect();
    got.sort();
    assert_eq!(got, ["m1", "m2", "m3"]);
    // The `mqtt in` subscription was made again on the new connection.
    probe.publish("back/1", QoS::AtLeastOnce, false, "ping");
    let echo = probe.next();
    assert_eq!(&echo.payload[..], b"ping");
}

/// http in → (msg.action and msg.topic from the body) → dynamic `mqtt in`;
/// a `complete` node answers the request once the action is done.
fn dynamic_flow(port: u16, broker_extra: Value) -> Value {
    json!([
        {"id": "t", "type": "tab", "label": "mqtt"},
        broker_node(port, 4, broker_extra),
        {"id": "h", "type": "http in", "z": "t", "url": "/ctl", "method": "post", "wires": [["prep"]]},
        {"id": "prep", "type": "function", "z": "t",
         "func": "msg.action = msg.payload.action;\nmsg.topic = msg.payload.topic;\nreturn msg;",
         "outputs": 1, "wires": [["dyn"]]},
        {"id": "dyn", "type": "mqtt in", "z": "t", "topic": "", "qos": "2", "datatype": "utf8",
         "broker": "b1", "inputs": 1, "wires": [["wrap"]]},
        {"id": "done", "type": "complete", "z": "t", "scope": ["dyn"], "wires": [["answer"]]},
        {"id": "answer", "type": "function", "z": "t",
         "func": "msg.payload = 'done';\nreturn msg;",
         "outputs": 1, "wires": [["r"]]},
        {"id": "r", "type": "http response", "z": "t", "wires": []},
        {"id": "wrap", "type": "function", "z": "t",
         "func": "return {topic: 'seen', payload: {topic: msg.topic, payload: msg.payload}};",
         "outputs": 1, "wires": [["out1"]]},
        {"id": "out1", "type": "mqtt out", "z": "t", "topic": "", "qos": "1", "retain": "",
         "broker": "b1", "wires": []}
    ])
}

fn control(s: &Server, body: Value) {
    let r = client().post(s.url("/ctl")).json(&body).send().unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text());
}

#[test]
fn dynamic_subscriptions_subscribe_list_and_unsubscribe() {
    let m = Mosquitto::start();
    let probe = Probe::new(m.port, &["seen"]);
    let s = start(&dynamic_flow(m.port, json!({})));
    wait_connected(&s, 1);
    control(
        &s,
        json!({"action": "subscribe", "topic": [{"topic": "dyn/+", "qos": 1}]}),
    );
    std::thread::sleep(Duration::from_millis(300));
    probe.publish("dyn/a", QoS::AtLeastOnce, false, "hello");
    let (_, v) = probe.next_json();
    assert_eq!(v, json!({"topic": "dyn/a", "payload": "hello"}));

    control(&s, json!({"action": "getSubscriptions"}));
    let (_, v) = probe.next_json();
    assert_eq!(
        v,
        json!({"topic": "subscriptions", "payload": [{"topic": "dyn/+", "qos": 1}]})
    );

    control(&s, json!({"action": "unsubscribe", "topic": "dyn/+"}));
    control(&s, json!({"action": "getSubscriptions"}));
    let (_, v) = probe.next_json();
    assert_eq!(v, json!({"topic": "subscriptions", "payload": []}));
    std::thread::sleep(Duration::from_millis(300));
    probe.publish("dyn/a", QoS::AtLeastOnce, false, "again");
    assert!(probe.quiet_for(Duration::from_millis(800)));
}

#[test]
fn mqtt5_properties_round_trip_through_in_and_out() {
    use rumqttc::v5::mqttbytes::v5::PublishProperties;
    let m = Mosquitto::start();
    let flow = json!([
        {"id": "t", "type": "tab", "label": "mqtt"},
        broker_node(m.port, 5, json!({})),
        {"id": "in1", "type": "mqtt in", "z": "t", "topic": "v5/in", "qos": "1",
         "datatype": "auto-detect", "broker": "b1", "nl": false, "rap": true, "rh": 0,
         "inputs": 0, "wires": [["to"]]},
        {"id": "to", "type": "function", "z": "t",
         "func": "msg.topic = 'v5/out';\nmsg.payload.seen = true;\nreturn msg;",
         "outputs": 1, "wires": [["out1"]]},
        {"id": "out1", "type": "mqtt out", "z": "t", "topic": "", "qos": "1", "retain": "",
         "broker": "b1", "wires": []}
    ]);
    let mut o = rumqttc::v5::MqttOptions::new("probe5", "127.0.0.1", m.port);
    o.set_keep_alive(Duration::from_secs(30));
    let (c, mut conn) = rumqttc::v5::Client::new(o, 10);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for ev in conn.iter() {
            match ev {
                Ok(rumqttc::v5::Event::Incoming(rumqttc::v5::Incoming::Publish(p))) => {
                    let _ = tx.send(Some(p));
                }
                Ok(rumqttc::v5::Event::Incoming(rumqttc::v5::Incoming::SubAck(_))) => {
                    let _ = tx.send(None);
                }
                Ok(_) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    });
    c.subscribe("v5/out", rumqttc::v5::mqttbytes::QoS::AtLeastOnce)
        .unwrap();
    assert!(rx.recv_timeout(WAIT).unwrap().is_none(), "suback first");
    let s = start(&flow);
    wait_connected(&s, 1);
    let props = PublishProperties {
        payload_format_indicator: None,
        message_expiry_interval: Some(600),
        topic_alias: None,
        response_topic: Some("v5/reply".into()),
        correlation_data: Some(bytes::Bytes::from_static(b"corr-1")),
        user_properties: vec![("device".into(), "d7".into())],
        subscription_identifiers: vec![],
        content_type: Some("application/json".into()),
    };
    c.publish_with_properties(
        "v5/in",
        rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
        false,
        br#"{"t":1}"#.to_vec(),
        props,
    )
    .unwrap();
    let p = rx.recv_timeout(WAIT).unwrap().expect("a publish");
    let v: Value = serde_json::from_slice(&p.payload).unwrap();
    assert_eq!(v, json!({"t": 1, "seen": true}));
    let got = p.properties.expect("v5 properties");
    assert_eq!(got.response_topic.as_deref(), Some("v5/reply"));
    assert_eq!(got.correlation_data.as_deref(), Some(&b"corr-1"[..]));
    assert_eq!(got.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        got.user_properties,
        vec![("device".to_string(), "d7".to_string())]
    );
    let expiry = got.message_expiry_interval.expect("expiry kept");
    assert!((595..=600).contains(&expiry), "{expiry}");
}

/// A CA, and a server certificate for 127.0.0.1 signed by it, made with
/// the `openssl` command in `dir`.
fn make_certificates(dir: &std::path::Path) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=flowgate test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
}

#[test]
fn tls_with_a_test_ca_and_password_login() {
    let certs = tempfile::tempdir().unwrap();
    make_certificates(certs.path());
    let pw = certs.path().join("passwd");
    let st = std::process::Command::new("mosquitto_passwd")
        .args(["-b", "-c"])
        .arg(&pw)
        .args(["device", "pa55word"])
        .status()
        .unwrap();
    assert!(st.success());
    let tls_port = common::free_port();
    let d = certs.path().display();
    let m = Mosquitto::start_with(
        common::free_port(),
        &format!(
            "listener {tls_port} 127.0.0.1\nallow_anonymous false\npassword_file {}\n\
             cafile {d}/ca.crt\ncertfile {d}/server.crt\nkeyfile {d}/server.key\n",
            pw.display()
        ),
    );
    let probe = Probe::new(m.port, &["seen"]);
    let broker = broker_node(tls_port, 4, json!({"usetls": true, "tls": "tls1"}));
    let mut flow = relay_flow(broker, "secure/#", json!({}));
    flow.as_array_mut().unwrap().push(json!({
        "id": "tls1", "type": "tls-config", "name": "test CA",
        "ca": format!("{d}/ca.crt"), "verifyservercert": true
    }));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flows.json"), flow.to_string()).unwrap();
    std::fs::write(
        dir.path().join("flows_cred.json"),
        json!({"b1": {"user": "device", "password": "pa55word"}}).to_string(),
    )
    .unwrap();
    let flows_path = dir.path().join("flows.json");
    let s = Server::start_in(dir, flows_path, &[], &[]);
    wait_connected(&s, 1);
    // Published on the plain listener, relayed by flowgate over TLS.
    probe.publish("secure/x", QoS::AtLeastOnce, false, "42");
    let (_, v) = probe.next_json();
    assert_eq!(v["payload"], 42);
    assert!(!s.logs().contains("pa55word"));
}

#[test]
fn wrong_password_never_connects_and_says_why() {
    let pw = tempfile::NamedTempFile::new().unwrap();
    let st = std::process::Command::new("mosquitto_passwd")
        .args(["-b", "-c"])
        .arg(pw.path())
        .args(["device", "right"])
        .status()
        .unwrap();
    assert!(st.success());
    let auth_port = common::free_port();
    let _m = Mosquitto::start_with(
        common::free_port(),
        &format!(
            "listener {auth_port} 127.0.0.1\nallow_anonymous false\npassword_file {}\n",
            pw.path().display()
        ),
    );
    let flow = relay_flow(broker_node(auth_port, 4, json!({})), "a/#", json!({}));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flows.json"), flow.to_string()).unwrap();
    std::fs::write(
        dir.path().join("flows_cred.json"),
        json!({"b1": {"user": "device", "password": "wrong"}}).to_string(),
    )
    .unwrap();
    let flows_path = dir.path().join("flows.json");
    let s = Server::start_in(dir, flows_path, &[], &[]);
    let start = Instant::now();
    while !s.logs().contains("Connection failed to broker") {
        assert!(start.elapsed() < WAIT, "no failure logged: {}", s.logs());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!s.logs().contains("Connected to broker"));
    // The credentials stay out of the flows the admin API serves.
    let flows = client()
        .get(s.url("/flows"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        !flows.contains("wrong") && !flows.contains("\"password\""),
        "{flows}"
    );
}

/// `flows/mqtt-jwt-devices.json` on a broker: started, connected, and its
/// generated HS256 secret read from the credentials file it saved.
fn devices_example(m: &Mosquitto) -> (Server, String) {
    let path = common::repo_root().join("flows/mqtt-jwt-devices.json");
    let port = m.port.to_string();
    let s = Server::start_file(&path, &[], &[("MQTT_PORT", port.as_str())]);
    wait_connected(&s, 1);
    let cred = s.flows_path.with_file_name("mqtt-jwt-devices_cred.json");
    let cred: Value = serde_json::from_str(&std::fs::read_to_string(cred).unwrap()).unwrap();
    let secret = cred["md0cfg"]["secret"].as_str().unwrap().to_owned();
    (s, secret)
}

/// A device token: HS256 with `secret`, the flow's issuer and audience.
fn device_token(secret: &str, sub: &str, lifetime: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = json!({"sub": sub, "iss": "device-registry", "aud": "telemetry",
                        "iat": now, "exp": now + lifetime});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[test]
fn devices_example_republishes_readings_with_a_valid_token() {
    let m = Mosquitto::start();
    let (_s, secret) = devices_example(&m);
    let probe = Probe::new(m.port, &["readings/#", "devices/+/errors"]);
    let token = device_token(&secret, "d1", 600);
    let body = json!({"token": token, "reading": {"t": 21.5}}).to_string();
    probe.publish("devices/d1/telemetry", QoS::AtLeastOnce, false, &body);
    let (p, v) = probe.next_json();
    assert_eq!(p.topic, "readings/d1");
    assert_eq!(v, json!({"device": "d1", "reading": {"t": 21.5}}));

    // MQTT 5: the token in a user property, the reading as the payload.
    use rumqttc::v5::mqttbytes::v5::PublishProperties;
    let (c5, mut conn) = rumqttc::v5::Client::new(
        rumqttc::v5::MqttOptions::new("dev2", "127.0.0.1", m.port),
        10,
    );
    std::thread::spawn(move || for _ in conn.iter() {});
    let props = PublishProperties {
        user_properties: vec![("token".into(), device_token(&secret, "d2", 600))],
        ..Default::default()
    };
    c5.publish_with_properties(
        "devices/d2/telemetry",
        rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
        false,
        b"7".to_vec(),
        props,
    )
    .unwrap();
    let (p, v) = probe.next_json();
    assert_eq!(p.topic, "readings/d2");
    assert_eq!(v, json!({"device": "d2", "reading": 7}));
}

#[test]
fn devices_example_sends_rejected_tokens_to_the_error_topic() {
    let m = Mosquitto::start();
    let (_s, secret) = devices_example(&m);
    let probe = Probe::new(m.port, &["readings/#", "devices/+/errors"]);
    let cases = [
        (
            "d3",
            json!({"token": device_token(&secret, "d1", 600), "reading": 1}),
        ),
        (
            "d4",
            json!({"token": device_token("another-secret-of-32-bytes-or-more!", "d4", 600), "reading": 1}),
        ),
        (
            "d5",
            json!({"token": device_token(&secret, "d5", -3600), "reading": 1}),
        ),
        ("d6", json!({"reading": 1})),
    ];
    for (device, body) in &cases {
        let topic = format!("devices/{device}/telemetry");
        probe.publish(&topic, QoS::AtLeastOnce, false, &body.to_string());
        let (p, v) = probe.next_json();
        assert_eq!(p.topic, format!("devices/{device}/errors"), "{v}");
        assert_eq!(v["device"], *device);
        assert!(!v["error"].is_null(), "{v}");
        if *device == "d3" {
            assert_eq!(v["error"], "token subject d1 is not this device");
        }
    }
    assert!(
        probe.quiet_for(Duration::from_millis(300)),
        "nothing republished"
    );
}

#[test]
fn publish_over_the_packet_limit_is_a_catchable_error_and_the_connection_stays() {
    let m = Mosquitto::start();
    let probe = Probe::new(m.port, &["big"]);
    let flow = json!([
        {"id": "t", "type": "tab", "label": "mqtt"},
        broker_node(m.port, 4, json!({})),
        {"id": "h", "type": "http in", "z": "t", "url": "/send", "method": "post", "wires": [["make"]]},
        {"id": "make", "type": "function", "z": "t",
         "func": "msg.topic = 'big';\nmsg.payload = 'x'.repeat(msg.payload.size);\nreturn msg;",
         "outputs": 1, "wires": [["out1", "ok"]]},
        {"id": "out1", "type": "mqtt out", "z": "t", "topic": "", "qos": "1", "retain": "",
         "broker": "b1", "wires": []},
        {"id": "ok", "type": "change", "z": "t", "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "sent", "tot": "str"}],
         "wires": [["r"]]},
        {"id": "c", "type": "catch", "z": "t", "scope": ["out1"], "wires": [["why"]]},
        {"id": "why", "type": "function", "z": "t",
         "func": "node.warn(msg.error.message);\nreturn null;", "outputs": 1, "wires": [[]]},
        {"id": "r", "type": "http response", "z": "t", "wires": []}
    ]);
    let s = start(&flow);
    wait_connected(&s, 1);
    let send = |size: usize| {
        let r = client()
            .post(s.url("/send"))
            .json(&json!({"size": size}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
    };
    send(6 * 1024 * 1024);
    let start_wait = Instant::now();
    while !s.logs().contains("over the 5242880 byte packet limit") {
        assert!(start_wait.elapsed() < WAIT, "no error: {}", s.logs());
        std::thread::sleep(Duration::from_millis(20));
    }
    send(10);
    assert_eq!(&probe.next().payload[..], b"xxxxxxxxxx");
    assert_eq!(
        s.logs().matches("Connected to broker").count(),
        1,
        "{}",
        s.logs()
    );
}

#[test]
fn without_auto_connect_the_connect_and_disconnect_actions_drive_the_connection() {
    let m = Mosquitto::start();
    let probe = Probe::new(m.port, &["seen"]);
    let s = start(&dynamic_flow(m.port, json!({"autoConnect": false})));
    std::thread::sleep(Duration::from_millis(500));
    assert!(!s.logs().contains("Connected to broker"), "{}", s.logs());
    control(&s, json!({"action": "connect"}));
    wait_logged(&s, "Connected to broker", 1);
    control(&s, json!({"action": "subscribe", "topic": "a/b"}));
    std::thread::sleep(Duration::from_millis(300));
    probe.publish("a/b", QoS::AtLeastOnce, false, "on");
    let (_, v) = probe.next_json();
    assert_eq!(v, json!({"topic": "a/b", "payload": "on"}));
    control(&s, json!({"action": "disconnect"}));
    wait_logged(&s, "Disconnected from broker", 1);
    probe.publish("a/b", QoS::AtLeastOnce, false, "off");
    assert!(probe.quiet_for(Duration::from_millis(800)));
}

#[test]
fn nodes_deploy_restarting_mqtt_in_keeps_its_subscription_on_the_shared_connection() {
    let m = Mosquitto::start();
    let probe = Probe::new(m.port, &["seen"]);
    let broker = broker_node(m.port, 4, json!({}));
    let flow = relay_flow(broker.clone(), "in/+", json!({"datatype": "utf8"}));
    let s = start(&flow);
    wait_connected(&s, 1);
    // The same `mqtt in` (same id, same topic) with another output type:
    // the new instance starts before the old one stops.
    let changed = relay_flow(broker, "in/+", json!({"datatype": "auto-detect"}));
    let r = client()
        .post(s.url("/flows"))
        .header("Node-RED-Deployment-Type", "nodes")
        .json(&changed)
        .send()
        .unwrap();
    assert!(r.status().is_success(), "{:?}", r.text());
    std::thread::sleep(Duration::from_millis(500));
    probe.publish("in/a", QoS::AtLeastOnce, false, r#"{"n":1}"#);
    let (_, v) = probe.next_json();
    assert_eq!(v["payload"], json!({"n": 1}));
    assert_eq!(
        s.logs().matches("Connected to broker").count(),
        1,
        "{}",
        s.logs()
    );
}
