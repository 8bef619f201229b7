//! JSONata through the binary: what flowgate cannot evaluate as Node-RED
//! does is refused by `flowgate check` naming node, field and function, and
//! a runaway expression over request data ends in a bounded, catchable error.

use std::time::{Duration, Instant};

use crate::common;

fn check(flow: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, flow).unwrap();
    common::run_cli(&["check", path.to_str().unwrap()])
}

#[test]
fn check_names_node_field_and_unsupported_function() {
    let (code, _, err) = check(
        r#"[
      {"id":"c1","type":"change","z":"t","name":"price","rules":[
        {"t":"set","p":"payload","pt":"msg","to":"$uuid()","tot":"jsonata"}],"wires":[[]]},
      {"id":"s1","type":"switch","z":"t","property":"payload.(","propertyType":"jsonata",
        "rules":[{"t":"else"}],"outputs":1,"wires":[[]]},
      {"id":"i1","type":"inject","z":"t","props":[{"p":"payload","v":"$moment().tz('Europe/Berlin').format('YYYY')","vt":"jsonata"}],
        "repeat":"","once":false,"wires":[[]]}
    ]"#,
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            "node c1 (change \"price\") field `rules[0]`: JSONata function $uuid is not supported"
        ),
        "{err}"
    );
    assert!(
        err.contains("node s1 (switch) field `property`: invalid JSONata expression"),
        "{err}"
    );
    assert!(
        err.contains("node i1 (inject) field `props[0]`: $moment is supported by flowgate only as"),
        "{err}"
    );
}

/// A flow whose `/spin` evaluates `expr` over the request, beside `/ok`.
fn runaway_flow(expr: &str) -> String {
    serde_json::json!([
        {"id":"in","type":"http in","z":"t","url":"/spin","method":"post","wires":[["c"]]},
        {"id":"c","type":"change","z":"t","rules":[
            {"t":"set","p":"payload","pt":"msg","to":expr,"tot":"jsonata"}],"wires":[["out"]]},
        {"id":"ok","type":"http in","z":"t","url":"/ok","method":"get","wires":[["out"]]},
        {"id":"out","type":"http response","z":"t","wires":[]}
    ])
    .to_string()
}

/// POST /spin: the status, the body and how long the answer took.
fn spin(server: &common::Server, body: &str) -> (u16, String, Duration) {
    let start = Instant::now();
    let res = common::client()
        .post(server.url("/spin"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .unwrap();
    let status = res.status().as_u16();
    (status, res.text().unwrap(), start.elapsed())
}

#[test]
fn unbounded_recursion_is_an_error_not_a_crash() {
    let server = common::Server::start(&runaway_flow(
        "($f := function($n) { $n > payload.limit ? $n : 1 + $f($n + 1) }; $f(0))",
    ));
    let (status, body, _) = spin(&server, r#"{"limit": 1000000}"#);
    assert_eq!(status, 500, "{body}");
    assert!(
        body.contains("Invalid JSONata expression: Stack overflow"),
        "{body}"
    );
    // The same expression within the bound answers, and so does the server.
    let (status, body, _) = spin(&server, r#"{"limit": 20}"#);
    assert_eq!((status, body.as_str()), (200, "42"));
    let ok = common::client().get(server.url("/ok")).send().unwrap();
    assert_eq!(ok.status().as_u16(), 200);
}

/// An exponential recursion allocates as it runs (every call's values live
/// in the evaluation's arena until it ends), so which of the two limits it
/// meets first (one second, 256 MB) depends on the machine's speed; either
/// ends it with an error, and the server goes on answering. The time limit
/// on its own is pinned by the JSONata unit tests, with a shorter limit.
#[test]
fn a_slow_expression_stops_at_a_limit() {
    let server = common::Server::start(&runaway_flow(
        "($f := function($n) { $n = 0 ? 0 : $f($n - 1) + $f($n - 1) }; $f(payload.n))",
    ));
    let (status, body, took) = spin(&server, r#"{"n": 60}"#);
    assert_eq!(status, 500, "{body}");
    assert!(
        body.contains("Invalid JSONata expression: Expression evaluation timeout")
            || body.contains(
                "Invalid JSONata expression: Expression evaluation exceeded the memory limit of 256 MB"
            ),
        "{body}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let ok = common::client().get(server.url("/ok")).send().unwrap();
    assert_eq!(ok.status().as_u16(), 200);
}
