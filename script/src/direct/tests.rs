//! Direct runs against the engine: the same body on the same message must
//! send the same message (keys in the same order, numbers alike), and a run
//! that cannot finish directly must leave the message untouched.

use flowgate_runtime::Message;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::{DirectBody, Sent};
use crate::convert::Mode;
use crate::testing::node;

/// A message as a function node gets it.
fn message(v: &Value) -> Message {
    let Value::Object(mut body) = v.clone() else {
        panic!("a message is an object")
    };
    body.insert("_msgid".into(), json!("m1"));
    Message::from_body(body)
}

/// The direct run's sends as `(port, JSON text without _msgid)`, or `None`
/// when it needs the engine.
fn direct(body: &str, msg: &Value) -> Option<Vec<(usize, String)>> {
    let d = DirectBody::compile(body).unwrap_or_else(|| panic!("does not compile:\n{body}"));
    let mut m = message(msg);
    Some(match d.try_run(&mut m)? {
        Sent::Nothing => Vec::new(),
        Sent::Msg(port) => {
            assert_eq!(m.body.shift_remove("_msgid"), Some(json!("m1")));
            vec![(port, serde_json::to_string(&m.body).unwrap())]
        }
    })
}

/// The engine's sends, or its error.
fn engine(body: &str, msg: &Value) -> Result<Vec<(usize, String)>, String> {
    let h = node(Mode::Js, body, 2).unwrap().converting_fully();
    let (sends, r) = h.run(msg.clone());
    r?;
    Ok(sends
        .into_iter()
        .map(|(p, m)| (p, serde_json::to_string(&m).unwrap()))
        .collect())
}

/// Bodies in the common core: loops, strings, arithmetic, objects.
const COMPUTING: &[&str] = &[
    // A benchmark body: a loop, string building and `JSON.stringify`.
    r#"const claims = {};
const parts = [];
for (let i = 0; i < 50; i++) {
    const key = "claim" + i;
    const value = "value-" + ((i * 7) % 13) + "-" + key.toUpperCase();
    claims[key] = value;
    parts.push(key + "=" + value);
}
msg.payload = JSON.stringify({ sub: "bench", claims: claims, summary: parts.join("&"), count: parts.length });
return msg;"#,
    // The Kore token service's validation.
    r#"const body = msg.payload;
const identity = body && typeof body.identity === "string" ? body.identity.trim() : "";
if (!identity) {
    msg.statusCode = 400;
    msg.payload = { error: "invalid_request", message: "identity is required" };
    return [null, msg];
}
const registered = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "identity"];
const claims = {};
for (const key of Object.keys(body)) {
    if (!registered.includes(key)) {
        claims[key] = body[key];
    }
}
claims.sub = identity;
if (typeof claims.isAnonymous !== "boolean") {
    claims.isAnonymous = false;
}
msg.payload = claims;
return [msg, null];"#,
    "var total = 0; var i = 0; while (i < 10) { i++; if (i % 2) continue; total += i * 1.5; } msg.payload = total; return msg;",
    "let s = ''; do { s += 'ab'; } while (s.length < 7); msg.payload = [s, s.length, s.slice(-3), s.substring(4, 1), s.charAt(2), s.indexOf('ba')]; return msg;",
    "msg.payload = `n=${msg.n} ${msg.n / 3} ${0.1 + 0.2} ${1e21} ${-7 % 3} ${2 ** 10} ${msg.missing}`; return msg;",
    "const p = msg.payload; msg.out = {a: p.a === 1, b: p.b == '2', c: p.c != null, d: p.d >= 'x', e: p.a < p.b, f: !p.e, g: p.s ?? 'dflt', h: p.a || 'no', i: p.a && 'yes'}; return msg;",
    "const parts = String(msg.topic).split('/'); msg.payload = {first: parts[0], n: parts.length, many: parts.length > 2}; return msg;",
    "delete msg.topic; msg.topic = 'again'; msg.list = [1, 2, 3].slice(1).join('-'); return [msg];",
    "const o = {b: 1, 2: 'two', a: [1, {c: null}], 1: 'one'}; o.z = o.a[1]; delete o.b; msg.payload = {keys: Object.keys(o), vals: Object.values(o).length, json: JSON.stringify(o)}; return msg;",
    "msg.payload = [Math.floor(7.8), Math.ceil(7.2), Math.round(2.5), Math.round(-2.5), Math.max(1, 9, 3), Math.min(), Math.abs(-3), parseInt('42px'), parseFloat('3.5e2'), Number('0x10'), Number(''), isNaN('x')]; return msg;",
    "msg.payload = ['Ab'.padStart(5, 'xy'), 'Ab'.padEnd(4), 'ab'.repeat(3), 'a-b-c'.replace('-', '+'), 'a-b-c'.replaceAll('-', ''), ' x '.trim() + '|', 'ÄÖ'.toLowerCase(), 'é'.length, (12.345).toFixed(1), (5).toString()]; return msg;",
    "const data = JSON.parse(msg.payload); data.count = (data.count || 0) + 1; msg.payload = data; return msg;",
    "if (typeof msg.payload !== 'object' || msg.payload === null) { return null; } msg.payload.seen = true; return [null, msg];",
    "for (let i = 0; i < 3; i++) { if (i === 1) break; } let n = 0; for (const c of ['a', 'b']) { n += c.length; } msg.n = n; msg.n++; ++msg.n; msg.m = msg.n--; return msg;",
    "var x; msg.a = x; msg.b = typeof x; msg.c = [typeof null, typeof 1, typeof 's', typeof {}, typeof [], typeof true]; return msg;",
    "let x = 'a'; let y = 'b'; msg.payload = [(x = 1) + x, 1 + 2 + '3' + 4 + 5, '' + 1 + 2, x + y + '!'];  return msg;",
    "return;",
    "msg.payload = 'not sent';",
    // Assignments and updates whose value is used, and counters that are
    // not numbers yet.
    "let a, b; a = b = 'x'; let s = '5'; const t = s++; let u = '7'; ++u; let c = 1; const d = (c += 2) * 10; const o = {}; const e = (o.k = 'v'); let n = null; n--; msg.payload = [a, b, s, t, u, c, d, e, o.k, n, msg.n++, msg.n, (msg.m = 3)]; return msg;",
    // Case changes inside sums and comparisons, `push` and `join`; on a
    // message without a topic the engine throws.
    "const t = msg.topic; const u = 'Straße'; const list = []; const len = list.push(t + '|' + t.toUpperCase() + '|' + u.toUpperCase() + '|' + u.toLowerCase()); list.push(null); list.push(3.5); msg.payload = [len, list.push('x'), list.join(), list.join(''), [].join('-'), t.toLowerCase() === 'a/b/c', 'x' + t.toLocaleUpperCase(), t.toLocaleLowerCase() + 1, JSON.stringify(list)]; return msg;",
    "let i = 7.5; i++; let j = -1; j++; msg.payload = [i, j, 7 % 3, 7.5 % 2, -7 % 3, 7 % -3, 1e300 % 7, i-- + --i, 2 * 3 < 7, 10 / 4 >= 2.5]; return msg;",
];

/// Messages the bodies above run on.
fn messages() -> Vec<Value> {
    vec![
        json!({"payload": {"identity": "  user@example.com ", "iss": "x", "role": "admin", "a": 1, "b": "2", "c": 0, "d": "y", "2": true}, "topic": "a/b/c", "n": 7}),
        json!({"payload": {"identity": "   "}, "topic": "t"}),
        json!({"payload": "{\"count\": 41, \"k\": [1.5, 2]}", "n": 2.5, "req": {"headers": {"host": "h"}}}),
        json!({"payload": {"isAnonymous": true, "identity": "a", "10": 1, "9": [9007199254740993u64]}}),
    ]
}

#[test]
fn computing_bodies_run_directly_as_the_engine_runs_them() {
    let mut ran = 0;
    for body in COMPUTING {
        for msg in messages() {
            let Ok(want) = engine(body, &msg) else {
                // The engine fails (e.g. JSON.parse of an object): so must
                // the direct run, by handing it over.
                assert_eq!(direct(body, &msg), None, "{body}\non {msg}");
                continue;
            };
            if let Some(got) = direct(body, &msg) {
                assert_eq!(got, want, "{body}\non {msg}");
                ran += 1;
            }
        }
    }
    // Almost every pair runs directly (the rest hand over, e.g. a payload
    // that is no JSON text).
    assert!(ran >= COMPUTING.len() * 3, "only {ran} ran directly");
}

#[test]
fn a_sum_reads_each_term_when_it_comes_to_it() {
    // JavaScript's answer. (The engine's translation reads a variable
    // passed beside an assignment to it after the assignment, and answers
    // 6 here.)
    let body = "let y = 'b'; msg.payload = y + (y = 2) + y; return msg;";
    assert_eq!(
        direct(body, &json!({})),
        Some(vec![(0, r#"{"payload":"b22"}"#.to_owned())])
    );
}

#[test]
fn the_benchmark_bodies_never_need_the_engine() {
    for body in &COMPUTING[..2] {
        // The first two: the others hold JSON text (`Object.keys` of a
        // string is the engine's) and an integer beyond 2^53.
        for msg in messages().into_iter().take(2) {
            assert!(direct(body, &msg).is_some(), "{body}\non {msg}");
        }
    }
}

#[test]
fn bodies_beyond_the_common_core_are_left_to_the_engine() {
    for body in [
        "node.warn('x'); return msg;",
        "return {payload: 1};",
        "const m = msg; return m;",
        "msg.payload = Object.keys(msg); return msg;",
        "msg[msg.key] = 1; return msg;",
        "msg.payload = msg.hasOwnProperty('x'); return msg;",
        "function f() { return 1; } msg.payload = f(); return msg;",
        "msg.payload = [1].map(x => x * 2); return msg;",
        "try { msg.a = 1; } catch (e) {} return msg;",
        "msg.payload = /a/.test('a'); return msg;",
        "msg.payload = new Date(); return msg;",
        "flow.set('a', 1); return msg;",
        "let a = b; let b = 1; return msg;",
        "{ msg.a = x; let x = 1; } return msg;",
        "const c = 1; c = 2; return msg;",
        "undeclared = 1; return msg;",
        "msg.payload = Buffer.from('a'); return msg;",
        "switch (msg.topic) { case 'a': return msg; }",
        "label: for (;;) { break label; }",
        "return cond ? msg : null;",
        "msg.payload = msg?.payload; return msg;",
        "let msg2 = {...msg.payload}; return msg;",
        "this is not JavaScript",
    ] {
        assert!(DirectBody::compile(body).is_none(), "{body}");
    }
}

#[test]
fn a_run_that_needs_the_engine_leaves_the_message_as_it_was() {
    let msg = json!({"payload": {"a": [1, 2]}, "topic": 5});
    for body in [
        // Thrown errors, prototype methods and conversions of objects are
        // the engine's.
        "msg.payload.a.push(3); msg.topic = 'changed'; throw new Error('no');",
        "msg.payload.b = 1; msg.x = msg.payload.toString(); return msg;",
        "msg.payload.b = 1; msg.x = 'a' + msg.payload; return msg;",
        "msg.payload.b = 1; for (const k of msg.payload) {} return msg;",
        "msg.payload.b = 1; msg.x = msg.topic.trim(); return msg;",
        "const t = msg.topic; msg.payload.b = 1; msg.x = 'v' + t.toUpperCase(); return msg;",
        "const t = msg.topic; msg.payload.b = 1; msg.x = t.push(1); return msg;",
        "msg.payload.b = 1; return [msg, msg];",
        "msg.payload.b = 1; return 'text';",
        "msg.payload.b = 1; msg.z = 0 * -1; return msg;",
        // Longer than a direct run may be: the engine has the node's budget.
        "let n = 0; while (true) { n++; if (n > 1e7) break; } msg.payload = n; return msg;",
    ] {
        let d = DirectBody::compile(body).unwrap_or_else(|| panic!("compiles: {body}"));
        let mut m = message(&msg);
        let before = m.body.clone();
        assert!(d.try_run(&mut m).is_none(), "{body}");
        assert_eq!(m.body, before, "{body}");
    }
}

#[test]
fn a_body_that_outgrew_a_direct_run_goes_to_the_engine_from_then_on() {
    let body =
        "let s = 0; for (let i = 0; i < msg.n; i++) { s += i; } msg.payload = s; return msg;";
    let d = DirectBody::compile(body).unwrap();
    let run = |n: u64| {
        let mut m = message(&json!({"n": n}));
        d.try_run(&mut m).map(|_| m.body["payload"].clone())
    };
    assert_eq!(run(10), Some(json!(45)));
    assert_eq!(run(10_000_000), None);
    assert_eq!(run(10), None);
}

#[test]
fn cycles_and_deep_values_are_freed_or_handed_over() {
    // A cycle made in a run is emptied at its end (no leak), and writing
    // it out is the engine's (which reports the circular structure).
    let body = "const o = {}; o.self = o; msg.payload = JSON.stringify(o); return msg;";
    assert_eq!(direct(body, &json!({})), None);
    let deep =
        "let o = {}; for (let i = 0; i < 10000; i++) { o = {o: o}; } msg.payload = 1; return msg;";
    assert_eq!(
        direct(deep, &json!({})),
        Some(vec![(0, r#"{"payload":1}"#.to_owned())])
    );
}

/// Generated expressions over a message's values, compared with the engine
/// whenever they run directly.
fn operand() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("msg.a".to_owned()),
        Just("msg.b".to_owned()),
        Just("msg.s".to_owned()),
        Just("msg.o".to_owned()),
        Just("msg.l".to_owned()),
        Just("x".to_owned()),
        (-3i32..20).prop_map(|n| n.to_string()),
        Just("0.5".to_owned()),
        Just("'7'".to_owned()),
        Just("''".to_owned()),
        Just("null".to_owned()),
        Just("undefined".to_owned()),
        Just("true".to_owned()),
    ]
}

fn expression() -> impl Strategy<Value = String> {
    operand().prop_recursive(3, 12, 2, |inner| {
        let ops = prop::sample::select(vec![
            "+", "-", "*", "/", "%", "<", ">=", "===", "!==", "==", "!=", "&&", "||", "??",
        ]);
        prop_oneof![
            (inner.clone(), ops, inner.clone()).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("!{a}")),
            inner.clone().prop_map(|a| format!("typeof {a}")),
            inner.clone().prop_map(|a| format!("String({a})")),
            inner.clone().prop_map(|a| format!("[{a}, 1]")),
            inner.clone().prop_map(|a| format!("{{k: {a}}}")),
            (inner.clone(), inner.clone(), inner)
                .prop_map(|(a, b, c)| format!("({a} ? {b} : {c})")),
        ]
    })
}

fn generated_message() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(json!(null)),
        Just(json!(3)),
        Just(json!(2.5)),
        Just(json!("12")),
        Just(json!("a")),
        Just(json!(true)),
        Just(json!({"k": 1, "1": "x"})),
        Just(json!([1, "b"])),
    ];
    (leaf.clone(), leaf.clone(), leaf.clone(), leaf.clone(), leaf).prop_map(|(a, b, s, o, l)| {
        let mut m = Map::new();
        for (k, v) in [("a", a), ("b", b), ("s", s), ("o", o), ("l", l)] {
            m.insert(k.into(), v);
        }
        Value::Object(m)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_expressions_give_what_the_engine_gives(e in expression(), msg in generated_message()) {
        let body = format!("let x = msg.a;\nx = {e};\nmsg.r = {e};\nmsg.t = typeof x;\nreturn msg;");
        if let Some(got) = direct(&body, &msg) {
            prop_assert_eq!(Ok(got), engine(&body, &msg), "{}\non {}", body, msg);
        }
    }
}

#[test]
fn literals_make_their_containers_as_large_as_they_grew_before() {
    // A site keeps the largest size, up to its bound.
    let site = super::value::Site::default();
    site.grew_to(50);
    site.grew_to(3);
    assert_eq!(site.size(), 50);
    site.grew_to(1 << 20);
    assert_eq!(site.size(), 1024);
    // Later runs of a body whose literals grew answer as the first did.
    let body = "const o = {}; const a = []; for (let i = 0; i < msg.n; i++) { o['k' + i] = i; a.push(i); } msg.payload = [Object.keys(o).length, a.length, JSON.stringify(o)]; return msg;";
    let d = DirectBody::compile(body).unwrap();
    for n in [40, 3, 0, 40] {
        let mut m = message(&json!({"n": n}));
        assert!(d.try_run(&mut m).is_some());
        let want = engine(body, &json!({"n": n})).unwrap();
        m.body.shift_remove("_msgid");
        assert_eq!(serde_json::to_string(&m.body).unwrap(), want[0].1, "{n}");
    }
}
