//! `flowgate check` / `flowgate run` refuse every class of bad flow with a
//! message naming the node, and accept what Node-RED accepts.

use crate::common;

use crate::common::run_cli;

fn check(flow: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, flow).unwrap();
    run_cli(&["check", path.to_str().unwrap()])
}

#[test]
fn invalid_json_reports_line_and_column() {
    let (code, _, err) = check("[\n  {\"id\": \"a\",\n  \"type\": }\n]");
    assert_eq!(code, 1);
    assert!(err.contains("invalid JSON at line 3 column 11"), "{err}");
}

#[test]
fn a_valid_flow_prints_a_summary() {
    let (code, out, _) = check(
        r#"[{"id":"i","type":"http in","z":"t","url":"/a","method":"get","x":1,"y":1,"wires":[["o"]]},
            {"id":"o","type":"http response","z":"t","x":2,"y":1,"wires":[]}]"#,
    );
    assert_eq!(code, 0);
    assert!(out.contains("valid (2 nodes, 1 endpoint)"), "{out}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let flow = r#"[
      {"id":"dup","type":"junction","z":"t","x":1,"y":1,"wires":[[]]},
      {"id":"dup","type":"junction","z":"t","x":1,"y":1,"wires":[[]]},
      {"id":"w","type":"junction","z":"t","name":"fan","x":1,"y":1,"wires":[["ghost"]]},
      {"id":"many","type":"junction","z":"t","x":1,"y":1,"wires":[[],[]]},
      {"id":"u","type":"no such type","z":"t","x":1,"y":1,"wires":[]},
      {"id":"nourl","type":"http in","z":"t","method":"get","x":1,"y":1,"wires":[]},
      {"id":"badm","type":"http in","z":"t","url":"/m","method":"fetch","x":1,"y":1,"wires":[]},
      {"id":"c1","type":"junction","z":"t","x":1,"y":1,"wires":[["c2"]]},
      {"id":"c2","type":"junction","z":"t","x":1,"y":1,"wires":[["c1"]]},
      {"id":"r","type":"http response","z":"t","statusCode":"abc","x":1,"y":1,"wires":[]}
    ]"#;
    let (code, _, err) = check(flow);
    assert_eq!(code, 1);
    let expected = [
        "flow is invalid (6 problems):",
        "node dup (junction) field `id`: duplicate id: entry 1 of the flow (junction) has the same id",
        "node many (junction) field `wires`: has 2 wire lists but only 1 output",
        "node u (no such type) field `type`: unknown node type \"no such type\"",
        "node nourl (http in) field `url`: missing url",
        "node badm (http in) field `method`: invalid method \"fetch\"",
        "node r (http response) field `statusCode`: invalid status code \"abc\"",
    ];
    for line in expected {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
}

#[test]
fn run_refuses_a_bad_flow_and_starts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(
        &path,
        r#"[{"id":"u","type":"mystery","x":1,"y":1,"wires":[]}]"#,
    )
    .unwrap();
    let (code, out, err) = run_cli(&["run", path.to_str().unwrap(), "--port", "0"]);
    assert_eq!(code, 1);
    assert!(!out.contains("listening"), "{out}");
    assert!(err.contains("unknown node type \"mystery\""), "{err}");
}

#[test]
fn export_forms_missing_tabs_and_disabled_nodes_load() {
    // The {"rev","flows"} form, nodes on a tab that is not in the file (as in
    // the Ignite export), a disabled node that is wired to, config-like layout
    // nodes, and a wire into a disabled node (dropped).
    let flow = r#"{"rev":"abc","flows":[
      {"id":"g","type":"group","z":"missing-tab","nodes":["i"],"x":0,"y":0,"w":10,"h":10},
      {"id":"c","type":"comment","z":"missing-tab","name":"note","x":5,"y":5,"wires":[]},
      {"id":"i","type":"http in","z":"missing-tab","g":"g","url":"x","method":"get","x":1,"y":1,"wires":[["o","off"]]},
      {"id":"off","type":"no such type","d":true,"z":"missing-tab","x":1,"y":1,"wires":[]},
      {"id":"o","type":"http response","z":"missing-tab","x":2,"y":1,"wires":[]}
    ]}"#;
    let (code, out, err) = check(flow);
    // A disabled node of an unknown type is still an unknown type.
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("unknown node type \"no such type\""));
    let flow = flow.replace("no such type", "junction");
    let (code, out, err) = check(&flow);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("valid (2 nodes, 1 endpoint)"), "{out}");
}

#[test]
fn env_references_are_substituted_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(
        &path,
        r#"[{"id":"i","type":"http in","url":"${FG_TEST_URL}","method":"get","x":1,"y":1,"wires":[]}]"#,
    )
    .unwrap();
    let out = std::process::Command::new(common::binary())
        .args(["check", path.to_str().unwrap()])
        .env("FG_TEST_URL", "/from-env")
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = std::process::Command::new(common::binary())
        .args(["check", path.to_str().unwrap()])
        .env("FG_TEST_URL", "/bad/:id([)")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a valid route"));
}

#[test]
fn every_bad_setting_is_a_problem_naming_node_and_field() {
    // Two unreadable fields on one node, one on another: three problems,
    // each naming its node and field (none hides the others).
    let flow = r#"[
      {"id":"d","type":"delay","z":"t","pauseType":"delay","timeout":"soon","drop":{},"x":1,"y":1,"wires":[[]]},
      {"id":"j","type":"json","z":"t","action":"yaml","x":1,"y":1,"wires":[[]]}
    ]"#;
    let (code, _, err) = check(flow);
    assert_eq!(code, 1);
    for line in [
        "flow is invalid (3 problems):",
        "node d (delay) field `timeout`: must be a number, not \"soon\"",
        "node d (delay) field `drop`: must be true or false, not an object",
        "node j (json) field `action`: invalid action \"yaml\" (expected one of \"\", \"str\", \"obj\")",
    ] {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
}
