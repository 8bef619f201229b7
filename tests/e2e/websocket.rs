//! The WebSocket nodes through the binary: a real client (tungstenite)
//! against `websocket-listener` paths on the flows' port, and the
//! `websocket-client` node against a test server.

use crate::common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

type Ws = WebSocket<MaybeTlsStream<TcpStream>>;

/// Open a WebSocket to `path` on the server, reads bounded to 3 s.
fn open(server: &common::Server, path: &str) -> Ws {
    let url = format!("ws://{}{path}", server.addr);
    let (ws, _) = tungstenite::connect(url.as_str()).unwrap_or_else(|e| panic!("{url}: {e}"));
    if let MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    }
    ws
}

/// The next text frame, or `None` when none comes within the read timeout
/// or the connection ends.
fn next_text(ws: &mut Ws) -> Option<String> {
    loop {
        match ws.read() {
            Ok(Message::Text(t)) => return Some(t.as_str().to_owned()),
            Ok(Message::Binary(b)) => return Some(format!("binary:{:?}", b.to_vec())),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// A listener at `/ws/echo` whose `websocket in` is wired straight to a
/// `websocket out` on the same listener (replies go to the sender).
fn echo_flow(wholemsg: bool) -> String {
    json!([
        {"id": "t", "type": "tab"},
        {"id": "L", "type": "websocket-listener", "path": "/ws/echo",
         "wholemsg": if wholemsg { "true" } else { "false" }},
        {"id": "in", "type": "websocket in", "z": "t", "server": "L", "client": "", "wires": [["out"]]},
        {"id": "out", "type": "websocket out", "z": "t", "server": "L", "client": ""}
    ])
    .to_string()
}

#[test]
fn listener_replies_to_the_sending_client_only() {
    let server = common::Server::start(&echo_flow(false));
    let mut a = open(&server, "/ws/echo");
    let mut b = open(&server, "/ws/echo");
    a.send(Message::text("from a")).unwrap();
    assert_eq!(next_text(&mut a).as_deref(), Some("from a"));
    b.send(Message::binary(vec![1u8, 2, 3])).unwrap();
    assert_eq!(next_text(&mut b).as_deref(), Some("binary:[1, 2, 3]"));
    // `a` got nothing of `b`'s: the reply followed msg._session.
    if let MaybeTlsStream::Plain(s) = a.get_ref() {
        s.set_read_timeout(Some(Duration::from_millis(400)))
            .unwrap();
    }
    assert_eq!(next_text(&mut a), None);
}

#[test]
fn message_without_session_is_broadcast_to_every_client() {
    let flow = json!([
        {"id": "t", "type": "tab"},
        {"id": "L", "type": "websocket-listener", "path": "/ws/all", "wholemsg": "false"},
        {"id": "in", "type": "websocket in", "z": "t", "server": "L", "client": "", "wires": [["strip"]]},
        {"id": "strip", "type": "change", "z": "t", "rules": [{"t": "delete", "p": "_session", "pt": "msg"}],
         "wires": [["out"]]},
        {"id": "out", "type": "websocket out", "z": "t", "server": "L", "client": ""}
    ]);
    let server = common::Server::start(&flow.to_string());
    // Each client's own message comes back once its session is registered
    // (the server registers it after answering the upgrade).
    let mut a = open(&server, "/ws/all");
    a.send(Message::text("a joined")).unwrap();
    assert_eq!(next_text(&mut a).as_deref(), Some("a joined"));
    let mut b = open(&server, "/ws/all");
    b.send(Message::text("to all")).unwrap();
    assert_eq!(next_text(&mut b).as_deref(), Some("to all"));
    assert_eq!(next_text(&mut a).as_deref(), Some("to all"));
}

/// Wait until the server has registered `ws`'s session: on a listener
/// whose `websocket in` replies to the sender, "ready" comes back.
fn ready(ws: &mut Ws) {
    ws.send(Message::text("ready")).unwrap();
    assert_eq!(next_text(ws).as_deref(), Some("ready"));
}

#[test]
fn whole_message_mode_parses_and_sends_json_without_session() {
    let server = common::Server::start(&echo_flow(true));
    let mut ws = open(&server, "/ws/echo");
    ws.send(Message::text(r#"{"topic":"t1","payload":{"n":1}}"#))
        .unwrap();
    let back: Value = serde_json::from_str(&next_text(&mut ws).expect("a reply")).unwrap();
    assert_eq!(back["topic"], json!("t1"));
    assert_eq!(back["payload"], json!({"n": 1}));
    assert!(back.get("_session").is_none(), "{back}");
    assert!(back["_msgid"].is_string(), "{back}");
}

#[test]
fn connect_and_disconnect_reach_status_nodes() {
    // A status node watching the echo listener's `websocket in` forwards
    // each status to the clients of a second listener.
    let flow = json!([
        {"id": "t", "type": "tab"},
        {"id": "L", "type": "websocket-listener", "path": "/ws/echo", "wholemsg": "false"},
        {"id": "E", "type": "websocket-listener", "path": "/ws/events", "wholemsg": "false"},
        {"id": "in", "type": "websocket in", "z": "t", "server": "L", "client": "", "wires": [[]]},
        {"id": "st", "type": "status", "z": "t", "scope": ["in"], "wires": [["mv"]]},
        {"id": "mv", "type": "change", "z": "t",
         "rules": [{"t": "move", "p": "status", "pt": "msg", "to": "payload", "tot": "msg"}],
         "wires": [["evout"]]},
        {"id": "evout", "type": "websocket out", "z": "t", "server": "E", "client": ""},
        {"id": "evin", "type": "websocket in", "z": "t", "server": "E", "client": "", "wires": [["evout"]]}
    ]);
    let server = common::Server::start(&flow.to_string());
    let mut events = open(&server, "/ws/events");
    ready(&mut events);
    let mut client = open(&server, "/ws/echo");
    let connect: Value = serde_json::from_str(&next_text(&mut events).expect("connect")).unwrap();
    assert_eq!(connect["event"], json!("connect"), "{connect}");
    assert_eq!(connect["text"], json!("connected 1"), "{connect}");
    assert_eq!(connect["_session"]["type"], json!("websocket"), "{connect}");
    let session = connect["_session"]["id"].clone();
    client.close(None).unwrap();
    let _ = client.flush();
    let _ = next_text(&mut client);
    let gone: Value = serde_json::from_str(&next_text(&mut events).expect("disconnect")).unwrap();
    assert_eq!(gone["event"], json!("disconnect"), "{gone}");
    assert_eq!(gone["_session"]["id"], session, "{gone}");
    assert_eq!(gone["source"]["id"], json!("in"), "{gone}");
}

#[test]
fn a_frame_larger_than_max_body_closes_the_connection() {
    let server = common::Server::start_with(&echo_flow(false), &["--max-body", "1024"], &[]);
    let mut ws = open(&server, "/ws/echo");
    ws.send(Message::text("small")).unwrap();
    assert_eq!(next_text(&mut ws).as_deref(), Some("small"));
    let _ = ws.send(Message::text("x".repeat(4096)));
    assert_eq!(next_text(&mut ws), None, "the oversize frame is not echoed");
    // The server is still there for others.
    let mut other = open(&server, "/ws/echo");
    other.send(Message::text("still up")).unwrap();
    assert_eq!(next_text(&mut other).as_deref(), Some("still up"));
}

#[test]
fn plain_get_on_a_listener_path_and_other_paths_go_to_the_flows() {
    let flow = json!([
        {"id": "t", "type": "tab"},
        {"id": "L", "type": "websocket-listener", "path": "/ws/echo", "wholemsg": "false"},
        {"id": "in", "type": "websocket in", "z": "t", "server": "L", "client": "", "wires": [[]]},
        {"id": "h", "type": "http in", "z": "t", "url": "/hello", "method": "get", "wires": [["r"]]},
        {"id": "r", "type": "http response", "z": "t", "statusCode": "200"}
    ]);
    let server = common::Server::start(&flow.to_string());
    let c = common::client();
    let res = c.get(server.url("/hello")).send().unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        c.get(server.url("/ws/echo"))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        c.get(server.url("/nothing"))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        404
    );
}

fn check(flow: &Value) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, flow.to_string()).unwrap();
    let (code, out, err) = common::run_cli(&["check", path.to_str().unwrap()]);
    (code, format!("{out}{err}"))
}

#[test]
fn two_listeners_on_one_path_are_a_load_error() {
    let (code, text) = check(&json!([
        {"id": "L1", "type": "websocket-listener", "path": "/ws/x"},
        {"id": "L2", "type": "websocket-listener", "path": "ws/x"}
    ]));
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains("Cannot have two WebSocket listeners on the same path: /ws/x"),
        "{text}"
    );
}

#[test]
fn a_listener_and_an_http_in_on_one_path_are_a_load_error() {
    let (code, text) = check(&json!([
        {"id": "t", "type": "tab"},
        {"id": "L1", "type": "websocket-listener", "path": "/ws/x"},
        {"id": "h", "type": "http in", "z": "t", "url": "/ws/x", "method": "get", "wires": [[]]}
    ]));
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains("GET /ws/x is served by websocket-listener node L1; http in node h"),
        "{text}"
    );
}

#[test]
// The handshake callback's error type is tungstenite's, not ours.
#[allow(clippy::result_large_err)]
fn client_node_connects_sends_and_receives() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let (go, go_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut protocol = String::new();
        let mut ws = tungstenite::accept_hdr(
            stream,
            |req: &tungstenite::handshake::server::Request,
             mut res: tungstenite::handshake::server::Response| {
                protocol = req
                    .headers()
                    .get("sec-websocket-protocol")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                res.headers_mut()
                    .insert("sec-websocket-protocol", "chat".parse().unwrap());
                Ok(res)
            },
        )
        .unwrap();
        tx.send(format!("protocol:{protocol}")).unwrap();
        go_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        ws.send(Message::text("hello from server")).unwrap();
        if let Ok(Message::Text(t)) = ws.read() {
            tx.send(t.as_str().to_owned()).unwrap();
        }
    });
    // What the client node receives is forwarded to the clients of a
    // listener (less its `_session`, which names the client's connection);
    // what is posted to /send goes out through the client node.
    let flow = json!([
        {"id": "t", "type": "tab"},
        {"id": "C", "type": "websocket-client", "path": format!("ws://127.0.0.1:{port}/feed"),
         "subprotocol": "chat, other", "wholemsg": "false", "hb": "0"},
        {"id": "L", "type": "websocket-listener", "path": "/ws/seen", "wholemsg": "false"},
        {"id": "in", "type": "websocket in", "z": "t", "server": "", "client": "C", "wires": [["strip"]]},
        {"id": "strip", "type": "change", "z": "t", "rules": [{"t": "delete", "p": "_session", "pt": "msg"}],
         "wires": [["seen"]]},
        {"id": "seen", "type": "websocket out", "z": "t", "server": "L", "client": ""},
        {"id": "seenin", "type": "websocket in", "z": "t", "server": "L", "client": "", "wires": [["seen"]]},
        {"id": "h", "type": "http in", "z": "t", "url": "/send", "method": "post", "wires": [["out", "r"]]},
        {"id": "out", "type": "websocket out", "z": "t", "server": "", "client": "C"},
        {"id": "r", "type": "http response", "z": "t", "statusCode": "200"}
    ]);
    let server = common::Server::start(&flow.to_string());
    let mut seen = open(&server, "/ws/seen");
    ready(&mut seen);
    let got = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the node connected");
    assert_eq!(got, "protocol:chat, other");
    go.send(()).unwrap();
    assert_eq!(
        next_text(&mut seen).as_deref(),
        Some("hello from server"),
        "{}",
        server.logs()
    );
    let c = common::client();
    let res = c
        .post(server.url("/send"))
        .header("content-type", "text/plain")
        .body("hello from flow")
        .send()
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let start = Instant::now();
    let got = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the server got the message");
    assert_eq!(got, "hello from flow");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn client_node_drops_a_connection_whose_ping_goes_unanswered_and_reconnects() {
    // A server that completes the handshake, then never reads: pings stay
    // unanswered. With a 1 s heartbeat the node gives up on the second
    // tick and reconnects 3 s later (Node-RED's interval).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel::<Instant>();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(2) {
            let ws = tungstenite::accept(stream.unwrap()).unwrap();
            tx.send(Instant::now()).unwrap();
            held.push(ws);
        }
        std::thread::sleep(Duration::from_secs(5));
    });
    let flow = json!([
        {"id": "t", "type": "tab"},
        {"id": "C", "type": "websocket-client", "path": format!("ws://127.0.0.1:{port}/"),
         "wholemsg": "false", "hb": "1"},
        {"id": "in", "type": "websocket in", "z": "t", "server": "", "client": "C", "wires": [[]]}
    ]);
    let server = common::Server::start(&flow.to_string());
    let first = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("first connection");
    let second = rx
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("no reconnect; logs:\n{}", server.logs()));
    let gap = second - first;
    assert!(gap >= Duration::from_secs(4), "reconnected after {gap:?}");
    assert!(
        server.logs().contains("heartbeat timeout"),
        "{}",
        server.logs()
    );
}

#[test]
fn messages_from_one_client_keep_their_order() {
    let server = common::Server::start(&echo_flow(false));
    let mut ws = open(&server, "/ws/echo");
    for i in 0..100 {
        ws.write(Message::text(i.to_string())).unwrap();
    }
    ws.flush().unwrap();
    let got: Vec<String> = (0..100).map_while(|_| next_text(&mut ws)).collect();
    let want: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    assert_eq!(got, want);
}

#[test]
fn a_listener_may_not_take_an_admin_path() {
    // The admin API's own WebSocket is at /comms while it sits at `/`.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    let flow = json!([{"id": "L", "type": "websocket-listener", "path": "/comms"}]);
    std::fs::write(&path, flow.to_string()).unwrap();
    let (code, _, err) = common::run_cli(&["run", path.to_str().unwrap(), "--port", "0"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("path \"/comms\" collides with flowgate's admin route /comms"),
        "{err}"
    );
}
