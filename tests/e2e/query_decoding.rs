//! Query strings, urlencoded bodies and cookies decoded as Node-RED decodes
//! them (Express's qs query parser, body-parser's extended urlencoded parser,
//! cookie-parser), checked through the real binary: answers recorded from
//! Node-RED 5.0.7 (scripts/record-qs-cases) replayed byte for byte, and
//! hostile inputs (deep nesting, many parameters) answered without taking the
//! process down.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

/// `GET /q` and `POST /f` answer `msg.payload`; `GET /c` answers the cookies.
const FLOW: &str = r#"[
{"id":"t1","type":"tab","label":"qs"},
{"id":"in1","type":"http in","z":"t1","url":"/q","method":"get","wires":[["out1"]]},
{"id":"in2","type":"http in","z":"t1","url":"/f","method":"post","wires":[["out1"]]},
{"id":"in3","type":"http in","z":"t1","url":"/c","method":"get","wires":[["ch"]]},
{"id":"ch","type":"change","z":"t1","rules":[{"t":"set","p":"payload","pt":"msg","to":"req.cookies","tot":"msg"}],"wires":[["out1"]]},
{"id":"out1","type":"http response","z":"t1","statusCode":"","headers":{},"wires":[]}
]"#;

/// One request written byte for byte (no client rewriting of the target),
/// answered as (status, body).
fn send(
    server: &common::Server,
    method: &str,
    target: &str,
    extra: &str,
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(&server.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{extra}Content-Length: {}\r\n\r\n",
        server.addr,
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read answer");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, body.to_owned())
}

fn form(server: &common::Server, body: &str) -> (u16, String) {
    let ctype = "Content-Type: application/x-www-form-urlencoded\r\n";
    send(server, "POST", "/f", ctype, body)
}

/// The process still answers (it did not die on the previous request).
fn assert_alive(server: &common::Server) {
    assert_eq!(
        send(server, "GET", "/q?ok=1", "", ""),
        (200, r#"{"ok":"1"}"#.to_owned())
    );
}

#[test]
fn recorded_node_red_answers_replay_exactly() {
    let path = common::repo_root().join("tests/fixtures/nodered/qs-cases.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(cases.len() > 100);
    let server = common::Server::start(FLOW);
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let target = case["target"].as_str().unwrap();
        let (status, body) = match case["form"].as_str() {
            Some(f) => form(&server, f),
            None => send(&server, "GET", target, "", ""),
        };
        let want_status = case["status"].as_u64().unwrap() as u16;
        // Error answers are compared by status: Node-RED's body is Express's
        // HTML stack-trace page, flowgate's a JSON error naming the cause.
        let body_ok = case["body"].as_str().is_none_or(|want| want == body);
        if status != want_status || !body_ok {
            failures.push(format!(
                "{name}: got {status} {:.300}, Node-RED {want_status} {:.300}",
                body,
                case["body"].as_str().unwrap_or("")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// 15,000 levels of `[b]` (45 KB of URL) used to overflow a worker's stack
/// and kill the process; Express keeps depth 5 and one literal key.
#[test]
fn query_15000_levels_deep_keeps_depth_five() {
    let server = common::Server::start(FLOW);
    let (status, body) = send(
        &server,
        "GET",
        &format!("/q?a{}=1", "[b]".repeat(15_000)),
        "",
        "",
    );
    assert_eq!(status, 200);
    let rest = "[b]".repeat(15_000 - 5);
    let want = serde_json::json!({"a":{"b":{"b":{"b":{"b":{"b":{ rest: "1" }}}}}}});
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), want);
    assert_alive(&server);
}

/// A 60 KB nested urlencoded body: body-parser's depth 32 with strictDepth
/// answers 400 (it used to kill the process).
#[test]
fn urlencoded_60kb_nested_body_is_a_400() {
    let server = common::Server::start(FLOW);
    let (status, body) = form(&server, &format!("a{}=1", "[b]".repeat(20_000)));
    assert_eq!(status, 400);
    assert!(body.contains("The input exceeded the depth"), "{body}");
    assert_alive(&server);
}

#[test]
fn urlencoded_more_than_1000_parameters_is_a_413() {
    let server = common::Server::start(FLOW);
    let (status, body) = form(&server, &vec!["k=v"; 1001].join("&"));
    assert_eq!(status, 413);
    assert!(body.contains("too many parameters"), "{body}");
    let (status, body) = form(&server, &vec!["k=v"; 1000].join("&"));
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["k"]
            .as_array()
            .unwrap()
            .len(),
        1000
    );
}

/// A query string reads its first 1000 pairs and ignores the rest.
#[test]
fn query_past_1000_parameters_is_truncated() {
    let server = common::Server::start(FLOW);
    let q: Vec<String> = (0..3000).map(|i| format!("k{i}=1")).collect();
    let (status, body) = send(&server, "GET", &format!("/q?{}", q.join("&")), "", "");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 1000);
    assert!(v.get("k999").is_some() && v.get("k1000").is_none());
}

/// A value and an object meeting at one key 500 times: Express's qs nests one
/// level per meeting; the answer comes back and the process lives.
#[test]
fn repeated_conflicts_in_a_query_are_answered() {
    let server = common::Server::start(FLOW);
    let q: Vec<String> = (0..500)
        .flat_map(|i| [format!("a[b][c{i}]=1"), format!("a[b]{i}=v")])
        .collect();
    let (status, body) = send(&server, "GET", &format!("/q?{}", q.join("&")), "", "");
    assert_eq!(status, 200, "{body:.300}");
    assert!(
        body.starts_with(r#"{"a":{"b":[{"0":{"0":{"0":"#),
        "{body:.300}"
    );
    assert_alive(&server);
}

/// Cookies as Node-RED's cookie-parser gives them (answers recorded from
/// Node-RED 5.0.7): first value wins, quotes dropped, bad escapes kept,
/// `j:` JSON parsed when truthy, numeric names first, `__proto__` dropped,
/// repeated Cookie headers joined.
#[test]
fn cookies_decode_like_cookie_parser() {
    let server = common::Server::start(FLOW);
    let header = "Cookie: a=1; b=\"q\"; c=%41; d=%ZZ; a=2; j=j:{\"x\":[1]}; 1=one; __proto__=p; e=j:0; f =\tsp ; g; h=j:[[1]; x;y=z; q=\"\"; r=\"\r\n";
    let (status, body) = send(&server, "GET", "/c", header, "");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"1":"one","a":"1","b":"q","c":"A","d":"%ZZ","j":{"x":[1]},"e":"j:0","f":"sp","h":"j:[[1]","y":"z","q":"","r":""}"#
    );
    let (_, body) = send(
        &server,
        "GET",
        "/c",
        "Cookie: a=1\r\nCookie: b=2; a=3\r\n",
        "",
    );
    assert_eq!(body, r#"{"a":"1","b":"2"}"#);
    let (_, body) = send(&server, "GET", "/c", "Cookie: k=v;;; =e; ;m=n=o\r\n", "");
    assert_eq!(body, r#"{"k":"v","":"e","m":"n=o"}"#);
}
