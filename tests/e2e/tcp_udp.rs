//! The TCP and UDP nodes through the binary, against std sockets on
//! loopback: `tcp in` as server and client, `tcp out` in its three modes,
//! `tcp request`, `udp in` / `udp out` for unicast, broadcast and multicast.
//! What a node sends is recorded in flow context and read back over HTTP.

use crate::common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A loopback TCP port nothing listens on right now.
fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A loopback UDP port nothing is bound to right now.
fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Nodes recording every message wired to `rec` (less `_msgid`) in flow
/// context, served back by `GET /seen`.
fn recorder() -> Vec<Value> {
    vec![
        json!({"id": "rec", "type": "function", "z": "t", "outputs": 1, "wires": [[]],
               "func": "const seen = flow.get('seen') || []; delete msg._msgid; seen.push(msg); flow.set('seen', seen); return null;"}),
        json!({"id": "get", "type": "http in", "z": "t", "url": "/seen", "method": "get", "wires": [["show"]]}),
        json!({"id": "show", "type": "function", "z": "t", "outputs": 1, "wires": [["resp"]],
               "func": "msg.payload = flow.get('seen') || []; return msg;"}),
        json!({"id": "resp", "type": "http response", "z": "t", "statusCode": ""}),
    ]
}

/// Start a flow made of `nodes`, a tab and the recorder.
fn start(nodes: Vec<Value>) -> common::Server {
    let mut flow = vec![json!({"id": "t", "type": "tab"})];
    flow.extend(nodes);
    flow.extend(recorder());
    common::Server::start(&Value::Array(flow).to_string())
}

/// The recorded messages once there are at least `n` (5 s at most).
fn seen(server: &common::Server, n: usize) -> Vec<Value> {
    let c = common::client();
    let start = Instant::now();
    loop {
        let body: Value = c.get(server.url("/seen")).send().unwrap().json().unwrap();
        let list = body.as_array().cloned().unwrap_or_default();
        if list.len() >= n || start.elapsed() > Duration::from_secs(5) {
            return list;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Send `data` to `to` every 100 ms until the flow has recorded a message
/// (a datagram sent before the node bound its port is lost); 5 s at most.
fn send_until_seen(
    server: &common::Server,
    sock: &UdpSocket,
    data: &[u8],
    to: (&str, u16),
) -> Vec<Value> {
    let c = common::client();
    let start = Instant::now();
    loop {
        sock.send_to(data, to).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let body: Value = c.get(server.url("/seen")).send().unwrap().json().unwrap();
        let list = body.as_array().cloned().unwrap_or_default();
        if !list.is_empty() || start.elapsed() > Duration::from_secs(5) {
            return list;
        }
    }
}

/// Connect to a port the flow listens on, retrying while it starts.
fn connect(port: u16) -> TcpStream {
    let start = Instant::now();
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => {
                s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
                return s;
            }
            Err(e) if start.elapsed() > Duration::from_secs(5) => panic!("connect {port}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Read exactly `n` bytes (bounded by the read timeout).
fn read_n(s: &mut TcpStream, n: usize) -> String {
    let mut buf = vec![0u8; n];
    s.read_exact(&mut buf).expect("the reply");
    String::from_utf8(buf).unwrap()
}

#[test]
fn tcp_in_server_splits_lines_and_tcp_out_replies_on_the_session() {
    let port = free_tcp_port();
    let server = start(vec![
        json!({"id": "in", "type": "tcp in", "z": "t", "server": "server", "port": port.to_string(),
               "datamode": "stream", "datatype": "utf8", "newline": "\\n", "topic": "lines",
               "wires": [["rec", "up"]]}),
        json!({"id": "up", "type": "change", "z": "t", "wires": [["reply"]],
               "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "$uppercase(payload)", "tot": "jsonata"}]}),
        json!({"id": "reply", "type": "tcp out", "z": "t", "beserver": "reply", "port": "", "host": ""}),
    ]);
    let mut s = connect(port);
    s.write_all(b"ab\ncd\nrest").unwrap();
    assert_eq!(read_n(&mut s, 4), "ABCD");
    let got = seen(&server, 2);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0]["payload"], json!("ab"));
    assert_eq!(got[1]["payload"], json!("cd"));
    assert_eq!(got[0]["topic"], json!("lines"));
    assert_eq!(got[0]["_session"]["type"], json!("tcp"));
    assert_eq!(got[0]["_session"], got[1]["_session"]);
    assert_eq!(got[0]["port"], json!(s.local_addr().unwrap().port()));
    let ip = got[0]["ip"].as_str().unwrap();
    assert!(ip == "127.0.0.1" || ip == "::ffff:127.0.0.1", "{ip}");
    // The part after the last delimiter is sent when the peer ends.
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let got = seen(&server, 3);
    assert_eq!(got[2]["payload"], json!("rest"), "{got:?}");
}

#[test]
fn tcp_in_single_mode_sends_one_buffer_when_the_peer_closes() {
    let port = free_tcp_port();
    let server = start(vec![
        json!({"id": "in", "type": "tcp in", "z": "t", "server": "server",
        "port": port.to_string(), "datamode": "single", "datatype": "buffer", "newline": "",
        "topic": "", "wires": [["rec"]]}),
    ]);
    let mut s = connect(port);
    s.write_all(b"one ").unwrap();
    s.flush().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    s.write_all(b"two").unwrap();
    drop(s);
    let got = seen(&server, 1);
    assert_eq!(
        got[0]["payload"],
        json!({"type": "Buffer", "data": b"one two".to_vec()}),
        "{got:?}"
    );
}

#[test]
fn tcp_in_client_connects_and_sends_what_the_server_writes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = start(vec![
        json!({"id": "in", "type": "tcp in", "z": "t", "server": "client",
        "host": "127.0.0.1", "port": port.to_string(), "datamode": "stream", "datatype": "utf8",
        "newline": ";", "trim": true, "topic": "", "wires": [["rec"]]}),
    ]);
    let (mut peer, _) = listener.accept().unwrap();
    peer.write_all(b"x;y;z").unwrap();
    let got = seen(&server, 2);
    assert_eq!(got[0]["payload"], json!("x;"), "{got:?}");
    assert_eq!(got[1]["payload"], json!("y;"), "{got:?}");
    assert_eq!(got[0]["_session"]["type"], json!("tcp"));
    assert!(
        got[0].get("ip").is_none(),
        "a client's messages carry no peer"
    );
}

/// An `http in` on POST /send wired to `node` and answered at once.
fn send_route(node: &str) -> Vec<Value> {
    vec![
        json!({"id": "h", "type": "http in", "z": "t", "url": "/send", "method": "post", "wires": [[node, "ok"]]}),
        json!({"id": "ok", "type": "http response", "z": "t", "statusCode": "200"}),
    ]
}

fn post(server: &common::Server, text: &str) {
    let res = common::client()
        .post(server.url("/send"))
        .header("content-type", "text/plain")
        .body(text.to_owned())
        .send()
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

#[test]
fn tcp_out_client_writes_and_closes_after_each_message_then_reconnects() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut nodes = send_route("out");
    nodes.push(
        json!({"id": "out", "type": "tcp out", "z": "t", "beserver": "client",
        "host": "127.0.0.1", "port": port.to_string(), "end": true, "base64": false}),
    );
    let server = start(nodes);
    let (mut first, _) = listener.accept().unwrap();
    first
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    post(&server, "hello");
    let mut got = String::new();
    first.read_to_string(&mut got).unwrap();
    assert_eq!(got, "hello", "written, then the connection closed");
    listener.set_nonblocking(true).unwrap();
    let start = Instant::now();
    while listener.accept().is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "no quick reconnect"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn tcp_out_server_writes_to_every_client_and_decodes_base64() {
    let port = free_tcp_port();
    let mut nodes = send_route("out");
    nodes.push(
        json!({"id": "out", "type": "tcp out", "z": "t", "beserver": "server",
        "host": "", "port": port.to_string(), "end": false, "base64": true}),
    );
    let server = start(nodes);
    let mut a = connect(port);
    let mut b = connect(port);
    std::thread::sleep(Duration::from_millis(500));
    post(&server, "aGVsbG8=");
    assert_eq!(read_n(&mut a, 5), "hello");
    assert_eq!(read_n(&mut b, 5), "hello");
}

/// A one-shot TCP server: reads one request chunk and answers `reply`.
fn answering_server(reply: &'static [u8]) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut s) = stream else { return };
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf);
            let _ = s.write_all(reply);
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    port
}

fn request_flow(port: u16, out: &str, splitc: &str, ret: &str) -> common::Server {
    let mut nodes = vec![
        json!({"id": "h", "type": "http in", "z": "t", "url": "/req", "method": "post", "wires": [["q"]]}),
        json!({"id": "r", "type": "http response", "z": "t", "statusCode": ""}),
    ];
    nodes.push(
        json!({"id": "q", "type": "tcp request", "z": "t", "server": "127.0.0.1",
        "port": port.to_string(), "out": out, "splitc": splitc, "ret": ret, "newline": "",
        "trim": false, "wires": [["r"]]}),
    );
    start(nodes)
}

fn ask(server: &common::Server) -> (u16, String) {
    let res = common::client()
        .post(server.url("/req"))
        .header("content-type", "text/plain")
        .body("ping")
        .send()
        .unwrap();
    (res.status().as_u16(), res.text().unwrap())
}

#[test]
fn tcp_request_reads_until_a_character() {
    let port = answering_server(b"pong\nmore");
    let server = request_flow(port, "char", "\\n", "string");
    assert_eq!(ask(&server), (200, "pong\n".to_owned()));
}

#[test]
fn tcp_request_reads_a_fixed_number_of_bytes() {
    let port = answering_server(b"pong\nmore");
    let server = request_flow(port, "count", "3", "string");
    assert_eq!(ask(&server), (200, "pon".to_owned()));
}

#[test]
fn tcp_request_reads_until_a_timeout_after_the_first_byte() {
    let port = answering_server(b"pong\nmore");
    let server = request_flow(port, "time", "150", "string");
    assert_eq!(ask(&server), (200, "pong\nmore".to_owned()));
}

#[test]
fn tcp_request_kept_open_sends_each_line_with_the_last_message() {
    // The first line answers the request the written message came with.
    let port = answering_server(b"one\ntwo\n");
    let mut nodes = vec![
        json!({"id": "h", "type": "http in", "z": "t", "url": "/req", "method": "post", "wires": [["q"]]}),
        json!({"id": "r", "type": "http response", "z": "t", "statusCode": ""}),
    ];
    nodes.push(
        json!({"id": "q", "type": "tcp request", "z": "t", "server": "127.0.0.1",
        "port": port.to_string(), "out": "sit", "splitc": "0", "ret": "string", "newline": "\\n",
        "trim": false, "wires": [["r", "rec"]]}),
    );
    let server = start(nodes);
    assert_eq!(ask(&server), (200, "one".to_owned()));
    let got = seen(&server, 2);
    assert_eq!(got[1]["payload"], json!("two"), "{got:?}");
}

#[test]
fn tcp_request_to_a_closed_port_fails_the_message() {
    let port = free_tcp_port();
    let server = request_flow(port, "char", "\\n", "string");
    let (status, body) = ask(&server);
    assert_eq!(status, 500, "{body}");
    assert!(
        body.contains(&format!("connect failed 127.0.0.1:{port}")),
        "{body}"
    );
}

#[test]
fn udp_in_receives_a_datagram_with_its_sender() {
    let port = free_udp_port();
    let server = start(vec![
        json!({"id": "in", "type": "udp in", "z": "t", "port": port.to_string(),
        "multicast": "false", "group": "", "iface": "", "ipv": "udp4", "datatype": "utf8",
        "wires": [["rec"]]}),
    ]);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let from = sock.local_addr().unwrap().port();
    let got = send_until_seen(&server, &sock, b"hello", ("127.0.0.1", port));
    assert_eq!(
        got[0],
        json!({"payload": "hello", "fromip": format!("127.0.0.1:{from}"), "ip": "127.0.0.1", "port": from})
    );
}

/// A UDP socket on a free port, reads bounded to 3 s.
fn udp_receiver(addr: &str) -> (UdpSocket, u16) {
    let sock = UdpSocket::bind(addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let port = sock.local_addr().unwrap().port();
    (sock, port)
}

fn receive(sock: &UdpSocket) -> String {
    let mut buf = [0u8; 256];
    let (n, _) = sock.recv_from(&mut buf).expect("a datagram");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn udp_out_sends_to_the_node_address_or_to_msg_ip_and_port() {
    let (fixed, fixed_port) = udp_receiver("127.0.0.1:0");
    let (dynamic, dynamic_port) = udp_receiver("127.0.0.1:0");
    let mut nodes = send_route("out");
    nodes.push(json!({"id": "out", "type": "udp out", "z": "t", "addr": "127.0.0.1",
        "port": fixed_port.to_string(), "ipv": "udp4", "outport": "", "base64": false, "multicast": "false"}));
    nodes.push(json!({"id": "h2", "type": "http in", "z": "t", "url": "/to", "method": "post", "wires": [["set", "ok"]]}));
    nodes.push(
        json!({"id": "set", "type": "change", "z": "t", "wires": [["dyn"]], "rules": [
        {"t": "set", "p": "ip", "pt": "msg", "to": "127.0.0.1", "tot": "str"},
        {"t": "set", "p": "port", "pt": "msg", "to": dynamic_port.to_string(), "tot": "num"}]}),
    );
    nodes.push(
        json!({"id": "dyn", "type": "udp out", "z": "t", "addr": "", "port": "",
        "ipv": "udp4", "outport": "", "base64": false, "multicast": "false"}),
    );
    let server = start(nodes);
    post(&server, "to fixed");
    assert_eq!(receive(&fixed), "to fixed");
    let res = common::client()
        .post(server.url("/to"))
        .header("content-type", "text/plain")
        .body("to msg.ip")
        .send()
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(receive(&dynamic), "to msg.ip");
}

#[test]
fn udp_out_broadcasts_on_loopback() {
    let (sock, port) = udp_receiver("0.0.0.0:0");
    let mut nodes = send_route("out");
    nodes.push(json!({"id": "out", "type": "udp out", "z": "t", "addr": "127.255.255.255",
        "port": port.to_string(), "ipv": "udp4", "outport": "", "base64": false, "multicast": "broad"}));
    let server = start(nodes);
    post(&server, "to everyone");
    assert_eq!(receive(&sock), "to everyone");
}

/// Send this socket's multicast datagrams out of the loopback interface
/// (std has no setter for `IP_MULTICAST_IF`).
fn multicast_via_loopback(sock: &UdpSocket) {
    use std::os::fd::AsRawFd;
    let addr = libc::in_addr {
        s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
    };
    // SAFETY: a valid socket and an `in_addr` of the size given.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_IF,
            (&addr as *const libc::in_addr).cast(),
            std::mem::size_of::<libc::in_addr>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "IP_MULTICAST_IF");
}

#[test]
fn udp_in_joins_a_multicast_group_on_loopback() {
    let port = free_udp_port();
    let server = start(vec![
        json!({"id": "in", "type": "udp in", "z": "t", "port": port.to_string(),
        "multicast": "true", "group": "239.255.18.40", "iface": "127.0.0.1", "ipv": "udp4",
        "datatype": "base64", "wires": [["rec"]]}),
    ]);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    multicast_via_loopback(&sock);
    let got = send_until_seen(&server, &sock, b"hi", ("239.255.18.40", port));
    assert_eq!(
        got.first().map(|m| &m["payload"]),
        Some(&json!("aGk=")),
        "{got:?}"
    );
}

#[test]
fn udp_in_reports_a_group_that_is_no_multicast_address() {
    let port = free_udp_port();
    let server = start(vec![
        json!({"id": "in", "type": "udp in", "z": "t", "port": port.to_string(),
            "multicast": "true", "group": "10.1.2.3", "iface": "", "ipv": "udp4",
            "datatype": "utf8", "wires": [[]]}),
        json!({"id": "c", "type": "catch", "z": "t", "scope": ["in"], "wires": [["rec"]]}),
    ]);
    let got = seen(&server, 1);
    assert_eq!(
        got.first().map(|m| &m["error"]["message"]),
        Some(&json!("Bad Multicast Address")),
        "{got:?}"
    );
}

/// Node-RED 5's own example flows for the TCP, UDP and WebSocket nodes
/// (copied from `@node-red/nodes/examples/network`) load.
#[test]
fn node_red_network_examples_load() {
    let root = common::repo_root().join("tests/fixtures/nodered-examples/network");
    let mut checked = 0;
    for family in ["tcp", "udp", "websocket"] {
        for entry in std::fs::read_dir(root.join(family)).unwrap() {
            let path = entry.unwrap().path();
            let (code, out, err) = common::run_cli(&["check", path.to_str().unwrap()]);
            assert_eq!(code, 0, "{}: {out}{err}", path.display());
            assert!(out.contains("valid"), "{}: {out}", path.display());
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
}

#[test]
fn a_redeployed_tcp_in_server_takes_its_port_over() {
    let port = free_tcp_port();
    let listener = |topic: &str| {
        json!({"id": "in", "type": "tcp in", "z": "t", "server": "server", "port": port.to_string(),
               "datamode": "stream", "datatype": "utf8", "newline": "\\n", "topic": topic,
               "wires": [["rec"]]})
    };
    let server = start(vec![listener("first")]);
    connect(port).write_all(b"a\n").unwrap();
    assert_eq!(seen(&server, 1)[0]["topic"], json!("first"));
    // A full deploy starts the new node while the old one still holds the port.
    let mut flow = vec![json!({"id": "t", "type": "tab"}), listener("second")];
    flow.extend(recorder());
    let res = common::client()
        .post(server.url("/flows"))
        .header("content-type", "application/json")
        .header("Node-RED-Deployment-Type", "full")
        .body(Value::Array(flow).to_string())
        .send()
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    std::thread::sleep(Duration::from_millis(300));
    connect(port).write_all(b"b\n").unwrap();
    let got = seen(&server, 2);
    assert_eq!(
        got.last().map(|m| &m["topic"]),
        Some(&json!("second")),
        "{got:?}\n{}",
        server.logs()
    );
}

#[test]
fn a_tcp_node_with_a_tls_config_is_refused_rather_than_run_in_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    let flow = json!([
        {"id": "t", "type": "tab"},
        {"id": "q", "type": "tcp request", "z": "t", "server": "127.0.0.1", "port": "1",
         "out": "time", "splitc": "0", "ret": "buffer", "tls": "some-tls", "wires": [[]]}
    ]);
    std::fs::write(&path, flow.to_string()).unwrap();
    let (code, out, err) = common::run_cli(&["check", path.to_str().unwrap()]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        err.contains("TLS is not supported") || out.contains("TLS is not supported"),
        "{out}{err}"
    );
}
