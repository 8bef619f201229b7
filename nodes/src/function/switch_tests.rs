//! The switch node's rules, operands and sequences.

use crate::testkit::{self, Sink};
use serde_json::json;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Route each message in `msgs` through a switch with `rules`; for each,
/// the ports it left on.
async fn route(rules: Value, checkall: &str, msgs: Vec<Value>) -> Vec<Vec<usize>> {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let id = format!("sw{n}");
    let count = rules.as_array().unwrap().len();
    let sink_ids: Vec<String> = (0..count).map(|i| format!("{id}-out{i}")).collect();
    let mut flow = vec![
        json!({"id": id, "type": "switch", "z": "t", "property": "payload",
        "propertyType": "msg", "rules": rules, "checkall": checkall,
        "wires": sink_ids.iter().map(|s| vec![s.clone()]).collect::<Vec<_>>()}),
    ];
    for s in &sink_ids {
        flow.push(json!({"id": s, "type": "test sink", "z": "t", "wires": []}));
    }
    let rt = testkit::start(Value::Array(flow));
    let mut sinks: Vec<Sink> = sink_ids.iter().map(|s| Sink::new(s)).collect();
    let mut result = Vec::new();
    for m in msgs {
        testkit::inject(&rt, &id, m).await;
        result.push(
            sinks
                .iter_mut()
                .enumerate()
                .filter_map(|(i, s)| s.try_next().map(|_| i))
                .collect(),
        );
    }
    result
}

async fn matches(rule: Value, payloads: Vec<Value>) -> Vec<bool> {
    let msgs = payloads
        .into_iter()
        .map(|p| json!({"payload": p}))
        .collect();
    route(json!([rule]), "true", msgs)
        .await
        .into_iter()
        .map(|p| !p.is_empty())
        .collect()
}

#[tokio::test]
async fn comparisons_follow_javascript() {
    let eq = json!({"t": "eq", "v": "10", "vt": "num"});
    assert_eq!(
        matches(
            eq,
            vec![json!(10), json!("10"), json!("1e1"), json!(11), Value::Null]
        )
        .await,
        [true, true, true, false, false]
    );
    let eq_str = json!({"t": "eq", "v": "abc", "vt": "str"});
    assert_eq!(
        matches(eq_str, vec![json!("abc"), json!("ABC")]).await,
        [true, false]
    );
    let lt = json!({"t": "lt", "v": "5", "vt": "num"});
    assert_eq!(
        matches(
            lt,
            vec![json!(4), json!("4"), json!("x"), Value::Null, json!(5)]
        )
        .await,
        [true, true, false, true, false]
    );
    let btwn = json!({"t": "btwn", "v": "10", "vt": "num", "v2": "1", "v2t": "num"});
    assert_eq!(
        matches(btwn, vec![json!(5), json!(10), json!(11)]).await,
        [true, true, false]
    );
    let gte = json!({"t": "gte", "v": "b", "vt": "str"});
    assert_eq!(
        matches(gte, vec![json!("b"), json!("a"), json!("c")]).await,
        [true, false, true]
    );
}

#[tokio::test]
async fn text_operators() {
    let cont = json!({"t": "cont", "v": "ell", "vt": "str"});
    assert_eq!(
        matches(cont, vec![json!("hello"), json!("help"), json!(["ell"])]).await,
        [true, false, true]
    );
    let re = json!({"t": "regex", "v": "^A\\d+$", "vt": "str", "case": true});
    assert_eq!(
        matches(re, vec![json!("a12"), json!("b1"), json!("A")]).await,
        [true, false, false]
    );
    let re_case = json!({"t": "regex", "v": "^A", "vt": "str", "case": false});
    assert_eq!(matches(re_case, vec![json!("abc")]).await, [false]);
}

#[tokio::test]
async fn value_tests() {
    let t = json!({"t": "true"});
    assert_eq!(
        matches(t, vec![json!(true), json!("true"), json!(1)]).await,
        [true, false, false]
    );
    assert_eq!(
        route(
            json!([{"t": "null"}]),
            "true",
            vec![json!({}), json!({"payload": null}), json!({"payload": 0})]
        )
        .await,
        [vec![0], vec![0], vec![]]
    );
    let empty = json!({"t": "empty"});
    assert_eq!(
        matches(
            empty,
            vec![
                json!(""),
                json!([]),
                json!({}),
                json!(0),
                json!("a"),
                Value::Null
            ]
        )
        .await,
        [true, true, true, false, false, false]
    );
    let nempty = json!({"t": "nempty"});
    assert_eq!(
        matches(nempty, vec![json!("a"), json!(0), json!([1])]).await,
        [true, false, true]
    );
    let hask = json!({"t": "hask", "v": "a", "vt": "str"});
    assert_eq!(
        matches(hask, vec![json!({"a": 1}), json!({"b": 1}), json!("a")]).await,
        [true, false, false]
    );
}

#[tokio::test]
async fn istype() {
    let cases = [
        ("string", json!("x"), true),
        ("string", json!(1), false),
        ("number", json!(1.5), true),
        ("boolean", json!(false), true),
        ("array", json!([]), true),
        ("object", json!({}), true),
        ("object", json!([]), false),
        ("object", Value::Null, false),
        ("null", Value::Null, true),
        ("json", json!("{\"a\":1}"), true),
        ("json", json!("{a}"), false),
        ("buffer", json!({"type": "Buffer", "data": [1]}), true),
    ];
    for (t, v, expect) in cases {
        let rule = json!({"t": "istype", "v": t, "vt": t});
        assert_eq!(
            matches(rule, vec![v.clone()]).await,
            [expect],
            "istype {t} of {v}"
        );
    }
}

#[tokio::test]
async fn checkall_and_else() {
    let rules = json!([
        {"t": "gt", "v": "1", "vt": "num"},
        {"t": "gt", "v": "2", "vt": "num"},
        {"t": "else"}
    ]);
    let msgs = vec![json!({"payload": 3}), json!({"payload": 0})];
    assert_eq!(
        route(rules.clone(), "true", msgs.clone()).await,
        [vec![0, 1], vec![2]]
    );
    assert_eq!(
        route(rules.clone(), "false", msgs.clone()).await,
        [vec![0], vec![2]]
    );
}

#[tokio::test]
async fn untyped_values_become_numbers_when_numeric() {
    let rule = json!({"t": "eq", "v": "007"});
    assert_eq!(
        matches(rule, vec![json!(7), json!("007")]).await,
        [true, true]
    );
}

#[tokio::test]
async fn sequence_rules() {
    let msg = |i: u64, count: Option<u64>| {
        let mut parts = json!({"id": "seq", "index": i});
        if let Some(c) = count {
            parts["count"] = json!(c);
        }
        json!({"payload": i, "parts": parts})
    };
    let head = json!([{"t": "head", "v": "2", "vt": "num"}, {"t": "index", "v": "1", "vt": "num", "v2": "2", "v2t": "num"}]);
    assert_eq!(
        route(
            head,
            "true",
            vec![msg(0, Some(4)), msg(1, Some(4)), msg(2, Some(4))]
        )
        .await,
        [vec![0], vec![0, 1], vec![1]]
    );
    // `tail` holds the sequence until the count is known.
    let tail = json!([{"t": "tail", "v": "1", "vt": "num"}]);
    let routed = route(
        tail,
        "true",
        vec![msg(0, None), msg(1, None), msg(2, Some(3))],
    )
    .await;
    assert_eq!(routed, [vec![], vec![], vec![0]]);
}

#[tokio::test]
async fn previous_value() {
    let rule = json!([{"t": "neq", "v": "", "vt": "prev"}]);
    let msgs = vec![
        json!({"payload": 1}),
        json!({"payload": 1}),
        json!({"payload": 2}),
    ];
    assert_eq!(route(rule, "true", msgs).await, [vec![0], vec![], vec![0]]);
}

#[tokio::test]
async fn head_without_parts_is_a_catchable_error() {
    let rt = testkit::start(json!([
        {"id": "swe", "type": "switch", "z": "t", "property": "payload", "rules": [{"t": "head", "v": "1", "vt": "num"}], "wires": [[]]},
        {"id": "swe-catch", "type": "catch", "z": "t", "scope": null, "wires": [["swe-sink"]]},
        {"id": "swe-sink", "type": "test sink", "z": "t", "wires": []}
    ]));
    let mut sink = Sink::new("swe-sink");
    testkit::inject(&rt, "swe", json!({"payload": 1})).await;
    let m = sink.next().await;
    assert_eq!(
        m.body["error"]["message"],
        json!("Cannot read properties of undefined (reading 'index')")
    );
    assert_eq!(m.body["error"]["source"]["id"], json!("swe"));
}

/// "Recreate message sequences": the switch holds a whole sequence, then
/// each output gets the messages routed to it as a sequence of its own (a
/// new `parts.id` per output, `index` and `count` counting that output's
/// messages), in arrival order.
#[tokio::test]
async fn repair_gives_each_output_its_own_sequence() {
    let flow = json!([
        {"id": "rp", "type": "switch", "z": "t", "property": "payload", "propertyType": "msg",
         "rules": [{"t": "gt", "v": "2", "vt": "num"}, {"t": "else"}],
         "checkall": "true", "repair": true, "outputs": 2,
         "wires": [["rp-hi"], ["rp-lo"]]},
        {"id": "rp-hi", "type": "test sink", "z": "t", "wires": []},
        {"id": "rp-lo", "type": "test sink", "z": "t", "wires": []}
    ]);
    let rt = testkit::start(flow);
    let (mut hi, mut lo) = (Sink::new("rp-hi"), Sink::new("rp-lo"));
    // The last message carries the count; nothing leaves before it.
    for (i, p) in [4, 1, 3, 2, 5].into_iter().enumerate() {
        let parts = if i == 4 {
            json!({"id": "seq", "index": i, "count": 5})
        } else {
            json!({"id": "seq", "index": i})
        };
        testkit::inject(&rt, "rp", json!({"payload": p, "parts": parts})).await;
        if i < 4 {
            assert!(hi.try_next().is_none() && lo.try_next().is_none());
        }
    }
    let take = |sink: &mut Sink| {
        std::iter::from_fn(|| sink.try_next())
            .map(|m| (m.body["payload"].clone(), m.body["parts"].clone()))
            .collect::<Vec<_>>()
    };
    let (high, low) = (take(&mut hi), take(&mut lo));
    let payloads = |v: &[(Value, Value)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(payloads(&high), vec![json!(4), json!(3), json!(5)]);
    assert_eq!(payloads(&low), vec![json!(1), json!(2)]);
    for (seq, n) in [(&high, 3), (&low, 2)] {
        let id = &seq[0].1["id"];
        assert_ne!(id, &json!("seq"));
        for (i, (_, parts)) in seq.iter().enumerate() {
            assert_eq!(&parts["id"], id);
            assert_eq!(parts["index"], json!(i));
            assert_eq!(parts["count"], json!(n));
        }
    }
    assert_ne!(high[0].1["id"], low[0].1["id"]);
}
