//! The bound on messages a sequence node holds, set on the command line:
//! a `join` waiting for more parts than `--max-pending-messages` allows
//! reports Node-RED's "too many pending messages" error, which a `catch`
//! node sees, and keeps serving.

use crate::common;

use serde_json::{json, Value};

/// POST an array: each element goes to a `join` that waits for 1000 parts;
/// the answer lists the errors a `catch` node saw.
fn flow() -> String {
    let feed = "flow.set('errors', []);\n\
        for (const m of msg.payload) { node.send([{payload: m}, null]); }\n\
        setTimeout(() => { msg.payload = flow.get('errors'); node.send([null, msg]); }, 100);\n\
        return null;";
    let record = "const e = flow.get('errors') || [];\n\
        e.push({message: msg.error.message, payload: msg.payload});\n\
        flow.set('errors', e);\nreturn null;";
    json!([
        {"id": "t", "type": "tab", "label": "sequence limits"},
        {"id": "in", "type": "http in", "z": "t", "url": "/parts", "method": "post", "wires": [["feed"]]},
        {"id": "feed", "type": "function", "z": "t", "func": feed, "outputs": 2, "wires": [["join"], ["res"]]},
        {"id": "join", "type": "join", "z": "t", "mode": "custom", "build": "array", "count": "1000", "wires": [[]]},
        {"id": "catch", "type": "catch", "z": "t", "scope": ["join"], "wires": [["record"]]},
        {"id": "record", "type": "function", "z": "t", "func": record, "outputs": 1, "wires": [[]]},
        {"id": "res", "type": "http response", "z": "t", "wires": []}
    ])
    .to_string()
}

#[test]
fn join_past_max_pending_messages_is_a_catchable_error() {
    let server = common::Server::start_with(&flow(), &["--max-pending-messages", "3"], &[]);
    let client = common::client();
    let errors: Value = client
        .post(server.url("/parts"))
        .json(&json!([1, 2, 3, 4, 5]))
        .send()
        .expect("answer")
        .json()
        .expect("json");
    assert_eq!(
        errors,
        json!([{"message": "too many pending messages in join node", "payload": 4}]),
        "the fourth message overflows; the group is dropped, so the fifth starts anew\n{}",
        server.logs()
    );
}

/// Node-RED 5's example "Recreate message sequence" (a switch with
/// `repair`) loads.
#[test]
fn node_red_switch_repair_example_loads() {
    let path = common::repo_root()
        .join("tests/fixtures/nodered-examples/function/switch-recreate-message-sequence.json");
    let (code, out, err) = common::run_cli(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("valid"), "{out}");
}
