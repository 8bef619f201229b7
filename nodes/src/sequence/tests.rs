//! The sequence nodes' timers (join timeout, batch interval) on a paused
//! clock, the bound on held messages, and the modes that need JSONata.
//! Everything else is checked against recorded Node-RED answers
//! (`tests/fixtures/nodered/sequence`).

use std::time::Duration;

use flowgate_runtime::settings::Settings;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::testkit::{self, Sink};

/// `node` (given `id`) wired to a sink `<id>-out`, with a catch for its
/// errors wired to `<id>-err`.
fn flow(id: &str, node_type: &str, mut node: Value) -> Value {
    node["id"] = json!(id);
    node["type"] = json!(node_type);
    node["z"] = json!("t");
    node["wires"] = json!([[format!("{id}-out")]]);
    json!([node,
        {"id": format!("{id}-out"), "type": "test sink", "z": "t", "wires": []},
        {"id": format!("{id}-catch"), "type": "catch", "z": "t", "scope": [id],
         "wires": [[format!("{id}-err")]]},
        {"id": format!("{id}-err"), "type": "test sink", "z": "t", "wires": []}])
}

fn limited(max: usize) -> Settings {
    Settings {
        max_pending_messages: max,
        ..Settings::default()
    }
}

#[tokio::test(start_paused = true)]
async fn join_timeout_sends_what_arrived() {
    let rt = testkit::start(flow(
        "jt1",
        "join",
        json!({"mode": "custom", "build": "array", "count": "", "timeout": "2"}),
    ));
    let mut out = Sink::new("jt1-out");
    let start = Instant::now();
    testkit::inject(&rt, "jt1", json!({"payload": "a"})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    testkit::inject(&rt, "jt1", json!({"payload": "b"})).await;
    let m = out.next().await;
    assert_eq!(m.body["payload"], json!(["a", "b"]));
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(2),
        "timed from the first"
    );
}

#[tokio::test(start_paused = true)]
async fn join_restart_timeout_starts_the_wait_again() {
    let rt = testkit::start(flow(
        "jt2",
        "join",
        json!({"mode": "custom", "build": "string", "joiner": "+", "count": "", "timeout": "2"}),
    ));
    let mut out = Sink::new("jt2-out");
    let start = Instant::now();
    testkit::inject(&rt, "jt2", json!({"payload": "a"})).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    testkit::inject(&rt, "jt2", json!({"payload": "b", "restartTimeout": true})).await;
    let m = out.next().await;
    assert_eq!(m.body["payload"], json!("a+b"));
    assert_eq!(start.elapsed(), Duration::from_millis(3500));
}

#[tokio::test(start_paused = true)]
async fn batch_interval_groups_by_time_and_may_send_empty_sequences() {
    let rt = testkit::start(flow(
        "bi1",
        "batch",
        json!({"mode": "interval", "interval": "1", "allowEmptySequence": true}),
    ));
    let mut out = Sink::new("bi1-out");
    let start = Instant::now();
    testkit::inject(&rt, "bi1", json!({"payload": 1})).await;
    testkit::inject(&rt, "bi1", json!({"payload": 2})).await;
    let first = out.next().await;
    let second = out.next().await;
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(first.body["payload"], json!(1));
    assert_eq!(first.body["parts"]["count"], json!(2));
    assert_eq!(second.body["parts"]["index"], json!(1));
    assert_eq!(
        first.body["parts"]["id"], first.body["_msgid"],
        "the batch's id is its first message's id"
    );
    let empty = out.next().await;
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(empty.body["payload"], Value::Null);
    assert_eq!(empty.body["parts"]["count"], json!(1));
}

#[tokio::test(start_paused = true)]
async fn batch_interval_without_empty_sequences_stays_quiet() {
    let rt = testkit::start(flow(
        "bi2",
        "batch",
        json!({"mode": "interval", "interval": "1", "allowEmptySequence": false}),
    ));
    let mut out = Sink::new("bi2-out");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(out.try_next().is_none());
    testkit::inject(&rt, "bi2", json!({"payload": "late"})).await;
    assert_eq!(out.next().await.body["payload"], json!("late"));
}

#[tokio::test]
async fn join_over_the_bound_drops_its_groups_with_a_catchable_error() {
    let rt = testkit::start_with_settings(
        flow(
            "jl1",
            "join",
            json!({"mode": "custom", "build": "array", "count": "10"}),
        ),
        limited(3),
    );
    let mut out = Sink::new("jl1-out");
    let mut err = Sink::new("jl1-err");
    for i in 0..4 {
        testkit::inject(&rt, "jl1", json!({"payload": i})).await;
    }
    let e = err.next().await;
    assert_eq!(
        e.body["error"]["message"],
        json!("too many pending messages in join node")
    );
    assert_eq!(e.body["payload"], json!(3));
    testkit::inject(&rt, "jl1", json!({"payload": "x", "complete": true})).await;
    assert_eq!(
        out.next().await.body["payload"],
        json!(["x"]),
        "what was held is gone"
    );
}

#[tokio::test]
async fn sort_over_the_bound_drops_the_oldest_sequence() {
    let rt = testkit::start_with_settings(
        flow("sl1", "sort", json!({"targetType": "seq"})),
        limited(2),
    );
    let mut err = Sink::new("sl1-err");
    let part =
        |id: &str, i: u32| json!({"payload": i, "parts": {"id": id, "index": i, "count": 5}});
    testkit::inject(&rt, "sl1", part("old", 0)).await;
    testkit::inject(&rt, "sl1", part("old", 1)).await;
    testkit::inject(&rt, "sl1", part("new", 0)).await;
    let e = err.next().await;
    assert_eq!(
        e.body["error"]["message"],
        json!("Too many pending messages in sort node")
    );
    assert_eq!(e.body["parts"]["id"], json!("old"));
    assert_eq!(e.body["payload"], json!(1), "reported on its last message");
}

#[tokio::test]
async fn batch_over_the_bound_reports_the_message_that_overflowed() {
    let rt = testkit::start_with_settings(
        flow("bl1", "batch", json!({"mode": "count", "count": 10})),
        limited(2),
    );
    let mut err = Sink::new("bl1-err");
    for i in 0..3 {
        testkit::inject(&rt, "bl1", json!({"payload": i})).await;
    }
    let e = err.next().await;
    assert_eq!(
        e.body["error"]["message"],
        json!("too many pending messages in batch node")
    );
    assert_eq!(e.body["payload"], json!(2));
}

#[test]
fn a_bad_reduce_or_sort_expression_is_a_load_error_naming_its_field() {
    let reduce = testkit::load_error(flow(
        "jr1",
        "join",
        json!({"mode": "reduce", "reduceExp": "$A +", "reduceInit": "0", "reduceInitType": "num"}),
    ));
    assert!(
        reduce.contains("jr1") && reduce.contains("reduceExp"),
        "{reduce}"
    );
    let sort = testkit::load_error(flow(
        "sr1",
        "sort",
        json!({"targetType": "seq", "seqKeyType": "jsonata", "seqKey": "payload +"}),
    ));
    assert!(sort.contains("sr1") && sort.contains("seqKey"), "{sort}");
}

#[test]
fn invalid_lengths_do_not_load() {
    let e = testkit::load_error(flow(
        "sp1",
        "split",
        json!({"spltType": "len", "splt": "0"}),
    ));
    assert!(e.contains("invalid split length: 0"), "{e}");
    let e = testkit::load_error(flow("bt1", "batch", json!({"count": 2, "overlap": 2})));
    assert!(e.contains("Invalid count and overlap"), "{e}");
}
