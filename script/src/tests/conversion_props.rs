//! Property test: a message converted on demand (translated JavaScript's
//! lazy `msg`) and one taken by the data-only fast path come out exactly as
//! a message fully converted into script values before the run and back,
//! for generated bodies and messages: the same sends on the same ports with
//! the same keys in the same order, the same errors carrying the same
//! message.

use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::convert::Mode;
use crate::fastpath;
use crate::testing::{node, Harness, RunResult};

/// Keys bodies and messages share: plain, integer-like (listed first by
/// JavaScript), and ones an `http in` message carries.
const KEYS: &[&str] = &["payload", "topic", "url", "req", "a", "b", "1", "0", "x-y"];

fn key() -> impl Strategy<Value = String> {
    proptest::sample::select(KEYS).prop_map(str::to_owned)
}

/// A property access in JavaScript (`.k` or `["k"]`).
fn access(k: &str) -> String {
    if k.chars().all(|c| c.is_ascii_alphabetic()) {
        format!(".{k}")
    } else {
        format!("[{k:?}]")
    }
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(Value::from),
        prop_oneof![Just(2.5f64), Just(-0.0), Just(1e21), Just(3.0)].prop_map(Value::from),
        Just(Value::from(9_007_199_254_740_993u64)),
        "[a-z]{0,4}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn message() -> impl Strategy<Value = Value> {
    proptest::collection::vec((key(), json_value()), 0..6)
        .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()))
}

/// An expression: a literal, a read of `msg` (one or two levels), one of
/// the body's own objects, or an object or array built from those.
fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("1".to_owned()),
        Just("2.5".to_owned()),
        Just("'s'".to_owned()),
        Just("null".to_owned()),
        Just("true".to_owned()),
        key().prop_map(|k| format!("msg{}", access(&k))),
        (key(), key()).prop_map(|(a, b)| format!("msg{}{}", access(&a), access(&b))),
        (0..2usize).prop_map(|i| format!("o{i}")),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec((key(), inner.clone()), 0..3).prop_map(|kv| {
                let props: Vec<String> = kv.iter().map(|(k, v)| format!("{k:?}: {v}")).collect();
                format!("{{{}}}", props.join(", "))
            }),
            proptest::collection::vec(inner, 0..3).prop_map(|v| format!("[{}]", v.join(", "))),
        ]
    })
}

fn statement() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (key(), expr()).prop_map(|(k, e)| format!("msg{} = {e};", access(&k))),
        2 => (0..2usize, expr()).prop_map(|(i, e)| format!("o{i} = {e};")),
        1 => (0..2usize, key(), expr()).prop_map(|(i, k, e)| format!("if (o{i} && typeof o{i} === 'object') {{ o{i}{} = {e}; }}", access(&k))),
        1 => key().prop_map(|k| format!("delete msg{};", access(&k))),
        1 => (0..2usize).prop_map(|i| format!("if (o{i} && typeof o{i} === 'object' && !Array.isArray(o{i})) {{ msg = o{i}; }}")),
        1 => Just("node.send(msg);".to_owned()),
        1 => (0..2usize).prop_map(|i| format!("if (o{i} && typeof o{i} === 'object') {{ node.send(o{i}); }}")),
        1 => Just("msg = Object.assign({}, msg);".to_owned()),
        1 => Just("msg = {...msg};".to_owned()),
        1 => Just("msg = RED.util.cloneMessage(msg);".to_owned()),
        1 => Just("var keys = Object.keys(msg); msg.k = keys;".to_owned()),
        1 => Just("msg.s = JSON.stringify(msg);".to_owned()),
        1 => key().prop_map(|k| format!("msg{}.q = 1;", access(&k))),
        1 => key().prop_map(|k| format!("if (msg{} === 1) {{ throw new Error('one'); }}", access(&k))),
        1 => (0..2usize).prop_map(|i| format!("node.error('e', o{i});")),
        1 => (0..2usize).prop_map(|i| format!("setTimeout(() => node.send(o{i}), 1);")),
    ]
}

fn ending() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just("return msg;".to_owned()),
        1 => (0..2usize).prop_map(|i| format!("return o{i};")),
        1 => (0..2usize).prop_map(|i| format!("return [o{i}, msg];")),
        1 => (0..2usize).prop_map(|i| format!("return [[msg, o{i}], msg];")),
        1 => Just("return [null, msg];".to_owned()),
        1 => Just("return null;".to_owned()),
    ]
}

/// A body: its objects declared, statements, then a return.
fn body() -> impl Strategy<Value = String> {
    (proptest::collection::vec(statement(), 0..6), ending()).prop_map(|(stmts, end)| {
        format!("var o0 = {{}}; var o1 = {{}};\n{}\n{end}", stmts.join("\n"))
    })
}

/// A data-only body (the fast path's subset).
fn data_body() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("1".to_owned()),
        Just("-2.5".to_owned()),
        Just("'s'".to_owned()),
        Just("null".to_owned()),
        Just("{b: 1, 2: [true], a: 'x'}".to_owned()),
        key()
            .prop_filter("a plain name", |k| k
                .chars()
                .all(|c| c.is_ascii_alphabetic()))
            .prop_map(|k| format!("msg.{k}")),
        (key(), key())
            .prop_filter("plain names", |(a, b)| {
                (a.clone() + b.as_str())
                    .chars()
                    .all(|c| c.is_ascii_alphabetic())
            })
            .prop_map(|(a, b)| format!("{{k: msg.{a}.{b}, n: 1}}")),
    ];
    let assign = (
        key().prop_filter("a plain name", |k| {
            k.chars().all(|c| c.is_ascii_alphabetic())
        }),
        value,
    )
        .prop_map(|(k, v)| format!("msg.{k} = {v};"));
    proptest::collection::vec(assign, 0..5).prop_map(|a| format!("{}\nreturn msg;", a.join("\n")))
}

/// The sends (port and JSON text, keys in order) and the outcome.
fn outcome(h: &Harness, msg: &Value) -> (Vec<(usize, String)>, RunResult) {
    let (sends, r) = h.run_full(msg.clone());
    let sends = sends
        .into_iter()
        .map(|(p, m)| (p, serde_json::to_string(&m).unwrap()))
        .collect();
    (sends, r)
}

fn same_as_full_conversion(body: &str, msg: &Value) -> Result<(), TestCaseError> {
    let lazy = node(Mode::Js, body, 2).map_err(TestCaseError::fail)?;
    let full = node(Mode::Js, body, 2)
        .map_err(TestCaseError::fail)?
        .converting_fully();
    let want = outcome(&full, msg);
    let got = outcome(&lazy, msg);
    prop_assert_eq!(&got.0, &want.0, "sends differ for\n{}\non {}", body, msg);
    let text = |r: &RunResult| {
        r.as_ref()
            .map_err(|(e, m)| (e.clone(), serde_json::to_string(m).unwrap()))
            .err()
    };
    prop_assert_eq!(
        text(&got.1),
        text(&want.1),
        "errors differ for\n{}\non {}",
        body,
        msg
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn on_demand_conversion_gives_what_full_conversion_gives(b in body(), msg in message()) {
        same_as_full_conversion(&b, &msg)?;
    }

    #[test]
    fn data_only_fast_path_gives_what_full_conversion_gives(b in data_body(), msg in message()) {
        prop_assert!(fastpath::analyze(&b).is_some(), "not a data body: {}", b);
        same_as_full_conversion(&b, &msg)?;
    }
}

/// A run that outlives its time slice is redone on the blocking pool; what
/// it sends there must reach the outputs even when it also reports an error
/// (`node.error(e, msg)`), as it does on the worker (found by the property
/// test above on a loaded machine).
#[test]
fn a_run_moved_off_the_worker_sends_its_messages_when_it_also_reports_an_error() {
    let body = "const until = Date.now() + 30; while (Date.now() < until) {}\nnode.error('e', {});\nnode.send({n: 1});\nreturn msg;";
    let h = node(Mode::Js, body, 1).unwrap();
    let (sends, r) = h.run_full(serde_json::json!({"payload": 2}));
    assert_eq!(r.unwrap_err().0, "e");
    assert_eq!(
        sends,
        [
            (0, serde_json::json!({"n": 1})),
            (0, serde_json::json!({"payload": 2}))
        ]
    );
}
