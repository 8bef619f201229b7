//! Wiring loops load and run as in Node-RED; a message that spins past the
//! hop limit becomes a catchable error naming the loop's nodes; wires to
//! nodes that are not in the flow are dropped with a warning (`flowgate
//! check --strict` refuses them); the `complete` node.

use std::time::{Duration, Instant};

use crate::common::{client, run_cli, Server};
use serde_json::{json, Value};

fn write_flow(flow: &Value) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, flow.to_string()).unwrap();
    let p = path.to_str().unwrap().to_owned();
    (dir, p)
}

fn func(id: &str, body: &str, wires: Value) -> Value {
    json!({"id": id, "type": "function", "z": "t", "func": body, "outputs": 1, "x": 1, "y": 1, "wires": wires})
}

fn http_in(id: &str, url: &str, to: &str) -> Value {
    json!({"id": id, "type": "http in", "z": "t", "url": url, "method": "get", "x": 1, "y": 1, "wires": [[to]]})
}

fn response(id: &str) -> Value {
    json!({"id": id, "type": "http response", "z": "t", "x": 1, "y": 1, "wires": []})
}

/// `/spin`: two function nodes wired to each other, for ever.
fn endless_loop() -> Vec<Value> {
    vec![
        http_in("in", "/spin", "f1"),
        func("f1", "return msg;", json!([["f2"]])),
        func("f2", "return msg;", json!([["f1"]])),
    ]
}

/// `catch` → a function answering with `msg.error` → `http response`.
fn catch_to_response() -> Vec<Value> {
    vec![
        json!({"id": "c", "type": "catch", "z": "t", "scope": null, "x": 1, "y": 1, "wires": [["show"]]}),
        func(
            "show",
            "msg.payload = {error: msg.error};\nreturn msg;",
            json!([["out"]]),
        ),
        response("out"),
    ]
}

#[test]
fn check_reports_each_loop_as_information() {
    let flow = json!([
        http_in("in", "/counter", "step"),
        func("step", "msg.n = (msg.n || 0) + 1;\nreturn msg;", json!([["test"]])),
        {"id": "test", "type": "switch", "z": "t", "property": "n", "propertyType": "msg",
         "rules": [{"t": "lt", "v": "3", "vt": "num"}, {"t": "else"}], "outputs": 2,
         "x": 1, "y": 1, "wires": [["step"], ["out"]]},
        response("out"),
        {"id": "entry", "type": "link in", "z": "t", "links": [], "x": 1, "y": 1, "wires": [["hop"]]},
        func("hop", "return msg;", json!([["back"]])),
        {"id": "back", "type": "link out", "z": "t", "mode": "link", "links": ["entry"], "x": 1, "y": 1, "wires": []}
    ]);
    let (_dir, path) = write_flow(&flow);
    let (code, out, err) = run_cli(&["check", &path]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("info: the wiring loops through nodes step, test"),
        "{out}"
    );
    assert!(
        out.contains("info: the wiring loops through nodes entry, hop, back"),
        "{out}"
    );
    assert!(out.contains("valid (7 nodes, 1 endpoint)"), "{out}");
}

fn ghost_flow() -> Value {
    json!([
        {"id": "in", "type": "http in", "z": "t", "url": "/ghost", "method": "get", "x": 1, "y": 1,
         "wires": [["set", "ghost"]]},
        {"id": "set", "type": "change", "z": "t", "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "still here", "tot": "str"}],
         "x": 1, "y": 1, "wires": [["out"]]},
        response("out")
    ])
}

const GHOST_WARNING: &str = "node in (http in) field `wires`: wired to node ghost, which is not in the flow; the wire is ignored";

#[test]
fn check_lists_a_wire_to_a_missing_node_as_a_warning() {
    let (_dir, path) = write_flow(&ghost_flow());
    let (code, out, err) = run_cli(&["check", &path]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("warning: {GHOST_WARNING}")), "{out}");
}

#[test]
fn check_strict_refuses_warnings() {
    let (_dir, path) = write_flow(&ghost_flow());
    let (code, out, err) = run_cli(&["check", "--strict", &path]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("1 warning (--strict)"), "{err}");
    assert!(err.contains(GHOST_WARNING), "{err}");
    assert!(!out.contains("valid"), "{out}");
}

#[test]
fn a_wire_to_a_missing_node_is_dropped_with_a_logged_warning() {
    let s = Server::start(&ghost_flow().to_string());
    let r = client().get(s.url("/ghost")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "still here");
    let logs = s.logs();
    assert!(logs.contains(GHOST_WARNING), "{logs}");
}

#[test]
fn an_endless_loop_is_a_catchable_error_naming_its_nodes() {
    let mut flow = endless_loop();
    flow.extend(catch_to_response());
    let s = Server::start_with(&Value::Array(flow).to_string(), &["--max-hops", "500"], &[]);
    let started = Instant::now();
    let r = client().get(s.url("/spin")).send().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(r.status(), 200);
    let body: Value = r.json().unwrap();
    let error = &body["error"];
    assert_eq!(
        error["message"],
        "message made more than 500 hops in one dispatch (--max-hops): \
         it loops through nodes f1, f2"
    );
    let source = &error["source"];
    assert!(source["id"] == "f1" || source["id"] == "f2", "{body}");
    assert_eq!(source["type"], "function");
    assert_eq!(source["count"], 1);
}

#[test]
fn an_uncaught_loop_error_answers_500_naming_the_nodes() {
    let mut flow = endless_loop();
    // A loop that fans out doubles its messages at every turn.
    flow[2] = func(
        "f2",
        "return [[msg, RED.util.cloneMessage(msg)]];",
        json!([["f1"]]),
    );
    let s = Server::start_with(
        &Value::Array(flow).to_string(),
        &["--max-hops", "2000"],
        &[],
    );
    let r = client().get(s.url("/spin")).send().unwrap();
    assert_eq!(r.status(), 500);
    let text = r.text().unwrap();
    assert!(
        text.contains("more than 2000 hops") && text.contains("loops through nodes f1, f2"),
        "{text}"
    );
    // The runtime still serves.
    let again = client().get(s.url("/spin")).send().unwrap();
    assert_eq!(again.status(), 500);
}

#[test]
fn a_catch_wired_back_into_the_loop_still_ends() {
    let mut flow = endless_loop();
    flow.push(json!({"id": "c", "type": "catch", "z": "t", "scope": null, "x": 1, "y": 1, "wires": [["f1"]]}));
    let s = Server::start_with(&Value::Array(flow).to_string(), &["--max-hops", "200"], &[]);
    let started = Instant::now();
    let r = client().get(s.url("/spin")).send().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(r.status(), 500);
    let text = r.text().unwrap();
    assert!(text.contains("loops through nodes f1, f2"), "{text}");
}

#[test]
fn a_loop_closed_by_a_link_is_named_whole() {
    let mut flow = vec![
        http_in("in", "/spin", "entry"),
        json!({"id": "entry", "type": "link in", "z": "t", "links": ["back"], "x": 1, "y": 1, "wires": [["f1"]]}),
        func("f1", "return msg;", json!([["back"]])),
        json!({"id": "back", "type": "link out", "z": "t", "mode": "link", "links": ["entry"], "x": 1, "y": 1, "wires": []}),
    ];
    flow.extend(catch_to_response());
    let s = Server::start_with(&Value::Array(flow).to_string(), &["--max-hops", "300"], &[]);
    let body: Value = client().get(s.url("/spin")).send().unwrap().json().unwrap();
    assert_eq!(
        body["error"]["message"],
        "message made more than 300 hops in one dispatch (--max-hops): \
         it loops through nodes entry, f1, back"
    );
}

/// `http in` → `change` → `http response`, a `complete` node watching
/// `scope`, and `/seen` answering what it recorded in flow context.
fn complete_flow(scope: Value, change_rules: Value) -> Value {
    json!([
        http_in("in", "/run", "set"),
        {"id": "set", "type": "change", "z": "t", "name": "setter", "rules": change_rules,
         "x": 1, "y": 1, "wires": [["out"]]},
        response("out"),
        {"id": "done", "type": "complete", "z": "t", "scope": scope, "x": 1, "y": 1, "wires": [["keep"]]},
        func("keep",
             "var seen = flow.get('seen') || [];\nseen.push({payload: msg.payload, complete: msg.complete});\nflow.set('seen', seen);\nreturn null;",
             json!([[]])),
        http_in("seen-in", "/seen", "read"),
        func("read", "msg.payload = flow.get('seen') || [];\nreturn msg;", json!([["seen-out"]])),
        response("seen-out")
    ])
}

/// What `/seen` answers once it holds `n` entries (bounded wait).
fn seen(s: &Server, n: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let v: Value = client().get(s.url("/seen")).send().unwrap().json().unwrap();
        if v.as_array().unwrap().len() >= n || Instant::now() > deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn complete_receives_the_message_its_node_finished() {
    let rules = json!([{"t": "set", "p": "payload", "pt": "msg", "to": "changed", "tot": "str"}]);
    let s = Server::start(&complete_flow(json!(["set"]), rules).to_string());
    let r = client().get(s.url("/run")).send().unwrap();
    assert_eq!(r.text().unwrap(), "changed");
    assert_eq!(
        seen(&s, 1),
        json!([{"payload": "changed",
                "complete": {"source": {"id": "set", "type": "change", "name": "setter"}}}])
    );
}

#[test]
fn complete_skips_a_message_that_failed() {
    let flow = json!([
        http_in("fail-in", "/fail", "bad"),
        func("bad", "throw new Error('nope');", json!([[]])),
        http_in("ok-in", "/ok", "good"),
        func("good", "msg.payload = 'fine';\nreturn msg;", json!([["ok-out"]])),
        response("ok-out"),
        {"id": "done", "type": "complete", "z": "t", "scope": ["bad", "good"], "x": 1, "y": 1, "wires": [["keep"]]},
        func("keep",
             "var seen = flow.get('seen') || [];\nseen.push({payload: msg.payload, complete: msg.complete});\nflow.set('seen', seen);\nreturn null;",
             json!([[]])),
        http_in("seen-in", "/seen", "read"),
        func("read", "msg.payload = flow.get('seen') || [];\nreturn msg;", json!([["seen-out"]])),
        response("seen-out")
    ]);
    let s = Server::start(&flow.to_string());
    assert_eq!(client().get(s.url("/fail")).send().unwrap().status(), 500);
    assert_eq!(
        client().get(s.url("/ok")).send().unwrap().text().unwrap(),
        "fine"
    );
    assert_eq!(
        seen(&s, 1),
        json!([{"payload": "fine", "complete": {"source": {"id": "good", "type": "function"}}}])
    );
}

#[test]
fn get_nodes_lists_complete_for_the_palette() {
    let s = Server::start("[]");
    let list: Vec<Value> = client()
        .get(s.url("/nodes"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let complete = list
        .iter()
        .find(|t| t["type"] == "complete")
        .expect("GET /nodes lists complete");
    assert_eq!(complete["category"], "common");
    assert_eq!(
        (complete["inputs"].clone(), complete["outputs"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(
        complete["defaults"],
        json!({"name": "", "scope": [], "uncaught": false})
    );
    let fields: Vec<&str> = complete["editor"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["scope", "name"]);
}
