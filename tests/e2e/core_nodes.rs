//! Replays the core-node fixture flow (tests/fixtures/nodered/core-nodes.json)
//! against the real flowgate binary and compares every answer with what real
//! Node-RED 4 answered (recorded by scripts/record-nodered-fixtures): status,
//! content type and body (JSON bodies compared as values, so incidental key
//! order does not matter).

use crate::common;

use std::time::Duration;

use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = common::repo_root()
        .join("tests/fixtures/nodered")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture JSON")
}

fn same_body(content_type: &str, expected: &str, actual: &str) -> bool {
    if content_type.starts_with("application/json") {
        let e: Result<Value, _> = serde_json::from_str(expected);
        let a: Result<Value, _> = serde_json::from_str(actual);
        if let (Ok(e), Ok(a)) = (e, a) {
            return e == a;
        }
    }
    expected == actual
}

#[test]
fn core_nodes_answer_like_node_red() {
    let flow =
        std::fs::read_to_string(common::repo_root().join("tests/fixtures/nodered/core-nodes.json"))
            .unwrap();
    let server = common::Server::start_with(&flow, &[], &[("FIXTURE_ENV", "fixture-value")]);
    let client = common::client();
    let cases = fixture("cases.json");
    let recorded = fixture("recorded.json");
    let mut failures = Vec::new();
    for (case, want) in cases
        .as_array()
        .unwrap()
        .iter()
        .zip(recorded.as_array().unwrap())
    {
        let name = case["name"].as_str().unwrap();
        assert_eq!(want["name"], case["name"], "recorded.json is out of date");
        let method: reqwest::Method = case["method"].as_str().unwrap().parse().unwrap();
        let url = server.url(case["path"].as_str().unwrap());
        let wait_for = case["wait_for"].as_str();
        let mut attempt = 0;
        let (status, content_type, body) = loop {
            let mut req = client.request(method.clone(), &url);
            if let Some(j) = case.get("json") {
                req = req.json(j);
            }
            if let Some(t) = case["text"].as_str() {
                req = req.header("content-type", "text/plain").body(t.to_owned());
            }
            let res = req.send().unwrap_or_else(|e| panic!("{name}: {e}"));
            let status = res.status().as_u16();
            let ct = res
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let body = res.text().unwrap();
            attempt += 1;
            match wait_for {
                Some(w) if !body.contains(w) && attempt < 50 => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                _ => break (status, ct, body),
            }
        };
        let want_status = want["status"].as_u64().unwrap() as u16;
        let want_ct = want["content_type"].as_str().unwrap_or("");
        let want_body = want["body"].as_str().unwrap();
        if status != want_status || content_type != want_ct || !same_body(want_ct, want_body, &body)
        {
            failures.push(format!(
                "{name}:\n  node-red: {want_status} {want_ct} {want_body}\n  flowgate: {status} {content_type} {body}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} answers differ from Node-RED:\n{}\nlogs:\n{}",
        failures.len(),
        cases.as_array().unwrap().len(),
        failures.join("\n"),
        server.logs()
    );
}
