//! End-to-end checks of the engine's `catch` routing with real node types
//! (the engine delivers the errors; `catch` itself only passes them on).

use crate::testkit::{self, Sink};
use serde_json::json;

#[tokio::test]
async fn uncaught_catch_listed_first_still_receives_as_in_node_red() {
    // Node-RED walks catch nodes in flow order: an `uncaught` one met before
    // any other has handled the error receives it, and so do the others.
    let rt = testkit::start(json!([
        {"id": "cu-json", "type": "json", "z": "t", "action": "obj", "wires": [[]]},
        {"id": "cu-unc", "type": "catch", "z": "t", "scope": null, "uncaught": true, "wires": [["cu-unc-out"]]},
        {"id": "cu-all", "type": "catch", "z": "t", "scope": null, "wires": [["cu-all-out"]]},
        {"id": "cu-unc-out", "type": "test sink", "z": "t", "wires": []},
        {"id": "cu-all-out", "type": "test sink", "z": "t", "wires": []}
    ]));
    let mut unc = Sink::new("cu-unc-out");
    let mut all = Sink::new("cu-all-out");
    testkit::inject(&rt, "cu-json", json!({"payload": "{", "error": "earlier"})).await;
    let a = all.next().await;
    assert_eq!(
        a.body["_error"],
        json!("earlier"),
        "an earlier msg.error is kept"
    );
    assert_eq!(
        a.body["error"]["source"],
        json!({"id": "cu-json", "type": "json", "count": 1})
    );
    assert!(unc.try_next().is_some());
}

#[tokio::test]
async fn catch_on_another_tab_does_not_receive() {
    let rt = testkit::start(json!([
        {"id": "ct-json", "type": "json", "z": "t1", "action": "obj", "wires": [[]]},
        {"id": "ct-catch", "type": "catch", "z": "t2", "scope": null, "wires": [["ct-out"]]},
        {"id": "ct-out", "type": "test sink", "z": "t2", "wires": []}
    ]));
    let mut out = Sink::new("ct-out");
    testkit::inject(&rt, "ct-json", json!({"payload": "{"})).await;
    tokio::task::yield_now().await;
    assert!(out.try_next().is_none());
}
