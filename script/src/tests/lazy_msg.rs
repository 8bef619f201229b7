//! The on-demand `msg` of translated JavaScript behaves exactly like a fully
//! converted one: what a body reads, changes, copies, sends, deletes or
//! enumerates, and what it never looks at, which passes through as a round
//! trip through JavaScript values would leave it.

use serde_json::{json, Value};

use crate::convert::Mode;
use crate::testing::node;

/// The sends as `(port, JSON text)`, or the error and its message as JSON text.
type Outcome = (Vec<(usize, String)>, Result<(), (String, String)>);

fn run(func: &str, outputs: usize, msg: Value) -> Outcome {
    let h = node(Mode::Js, func, outputs).unwrap_or_else(|e| panic!("{e}"));
    let (sends, r) = h.run_full(msg);
    let sends = sends
        .into_iter()
        .map(|(p, m)| (p, serde_json::to_string(&m).unwrap()))
        .collect();
    (
        sends,
        r.map_err(|(m, b)| (m, serde_json::to_string(&b).unwrap())),
    )
}

fn request() -> Value {
    json!({
        "req": {"method": "GET", "headers": {"host": "h:1", "x-n": "1"}, "query": {"b": "1", "10": "x", "2": "y"}},
        "payload": {"n": 1.0, "big": 18446744073709551615u64, "list": [2.0, 0.5]},
        "topic": "t"
    })
}

#[test]
fn untouched_properties_pass_through_as_javascript_would_hold_them() {
    let (sends, r) = run("msg.payload = {a: 1};\nreturn msg;", 1, request());
    r.unwrap();
    assert_eq!(
        sends,
        [(0, r#"{"req":{"method":"GET","headers":{"host":"h:1","x-n":"1"},"query":{"2":"y","10":"x","b":"1"}},"payload":{"a":1},"topic":"t"}"#.to_owned())]
    );
    let (sends, _) = run("return msg;", 1, request());
    assert_eq!(
        sends[0].1,
        r#"{"req":{"method":"GET","headers":{"host":"h:1","x-n":"1"},"query":{"2":"y","10":"x","b":"1"}},"payload":{"n":1,"big":1.8446744073709552e+19,"list":[2,0.5]},"topic":"t"}"#
    );
}

#[test]
fn reads_see_one_object_and_changes_through_aliases_show() {
    let (sends, _) = run(
        "var p = msg.payload; p.n = 2; msg.payload.m = p === msg.payload;\nvar h = msg.req.headers; delete h.host;\nreturn msg;",
        1,
        request(),
    );
    assert_eq!(
        sends[0].1,
        r#"{"req":{"method":"GET","headers":{"x-n":"1"},"query":{"2":"y","10":"x","b":"1"}},"payload":{"n":2,"big":1.8446744073709552e+19,"list":[2,0.5],"m":true},"topic":"t"}"#
    );
}

#[test]
fn sent_copies_are_taken_when_sent_and_the_same_msg_twice_is_two_copies() {
    let (sends, r) = run(
        "node.send(msg); msg.payload = 2; delete msg.req; return [msg, msg];",
        2,
        json!({"req": {"a": 1}, "payload": 1}),
    );
    r.unwrap();
    assert_eq!(
        sends,
        [
            (0, r#"{"req":{"a":1},"payload":1}"#.to_owned()),
            (0, r#"{"payload":2}"#.to_owned()),
            (1, r#"{"payload":2}"#.to_owned()),
        ]
    );
    // The run's own msg nested in another message, and returned as well.
    let (sends, _) = run(
        "return [[{payload: msg}, msg]];",
        1,
        json!({"req": {"a": 1}, "payload": 1}),
    );
    assert_eq!(
        sends,
        [
            (
                0,
                r#"{"payload":{"req":{"a":1},"payload":1,"_msgid":"m1"}}"#.to_owned()
            ),
            (0, r#"{"req":{"a":1},"payload":1}"#.to_owned()),
        ]
    );
}

#[test]
fn enumeration_and_stringify_see_every_property_in_order() {
    let (sends, _) = run(
        "var n = 0; for (var k in msg) { n++; } msg.n = n; msg.keys = Object.keys(msg).join(); msg.s = JSON.stringify(msg.req); return msg;",
        1,
        json!({"b": 1, "req": {"x": [1]}, "1": true}),
    );
    // (The harness removes `_msgid`; the keys after it keep their order.)
    assert_eq!(
        sends[0].1,
        r#"{"1":true,"b":1,"req":{"x":[1]},"n":4,"keys":"1,b,req,_msgid,n","s":"{\"x\":[1]}"}"#
    );
}

#[test]
fn errors_carry_the_message_as_the_script_left_it() {
    let (sends, r) = run(
        "msg.payload = 5; delete msg.req; throw new Error('boom');",
        1,
        json!({"req": {"a": 1}, "payload": 1, "topic": "t"}),
    );
    assert!(sends.is_empty());
    assert_eq!(
        r.unwrap_err(),
        (
            "Error: boom".to_owned(),
            r#"{"payload":5,"topic":"t","error":{}}"#.to_owned()
        )
    );
    let (_, r) = run("msg.self = msg; return msg;", 1, json!({"req": {"a": 1}}));
    let (m, body) = r.unwrap_err();
    assert_eq!(m, "Converting circular structure to JSON");
    assert_eq!(body, r#"{"req":{"a":1}}"#);
}

#[test]
fn new_messages_and_no_message() {
    let (sends, _) = run("return {payload: msg.req.headers.host};", 1, request());
    assert_eq!(sends, [(0, r#"{"payload":"h:1"}"#.to_owned())]);
    let (sends, r) = run("return null;", 1, request());
    assert!(sends.is_empty() && r.is_ok());
    let (sends, _) = run(
        "var c = RED.util.cloneMessage(msg); c.payload = 0; return [msg, c];",
        2,
        json!({"req": {"a": 1.0}, "payload": 1}),
    );
    assert_eq!(
        sends,
        [
            (0, r#"{"req":{"a":1},"payload":1}"#.to_owned()),
            (1, r#"{"req":{"a":1},"payload":0}"#.to_owned()),
        ]
    );
}
