//! `util.format`, `util.inspect` and the script calls of `JSON.stringify`
//! (`toJSON`, getters) in function bodies, with Node.js 22's
//! answers (each snippet run in Node-RED's sandbox Node.js). Negative zero
//! is left out: function bodies do not keep it apart from zero.

use serde_json::json;

use crate::testing::js;

/// Run each expression in one body; the payload lists their values.
fn values(exprs: &[&str]) -> Vec<serde_json::Value> {
    let body = format!("return {{payload: [{}]}};", exprs.join(",\n"));
    let out = js(&body, json!({}));
    out["payload"].as_array().expect("a list").clone()
}

fn check(cases: &[(&str, &str)]) {
    let exprs: Vec<&str> = cases.iter().map(|(e, _)| *e).collect();
    let got = values(&exprs);
    let mut wrong = Vec::new();
    for ((expr, want), got) in cases.iter().zip(&got) {
        if got.as_str() != Some(*want) {
            wrong.push(format!("{expr}\n  node: {want:?}\n  ours: {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `%s %d %i %f %j %o %O %c %%`, missing and extra arguments.
#[test]
fn util_format_fills_placeholders_as_node_does() {
    check(&[
        (
            "util.format('%s has %d items', 'cart', 3)",
            "cart has 3 items",
        ),
        ("util.format('%s', {a: 1, b: 'x'})", "{ a: 1, b: 'x' }"),
        (
            "util.format('%s', [1, 'two', {three: 3}])",
            "[ 1, 'two', [Object] ]",
        ),
        (
            "util.format('%d %i %f', '42.5', '42.5px', '1.5e3x')",
            "42.5 42 1500",
        ),
        (
            "util.format('%j', {a: [1, 2], b: null})",
            "{\"a\":[1,2],\"b\":null}",
        ),
        ("util.format('100%% done', 1)", "100% done 1"),
        ("util.format('%s:%s', 'a')", "a:%s"),
        ("util.format('a', 'b', 3, {c: 4})", "a b 3 { c: 4 }"),
        ("util.format(1, 2, 'x')", "1 2 x"),
        (
            "util.format('%o', {a: {b: {c: {d: {e: 1}}}}})",
            "{\n  a: {\n    b: { c: { d: { e: 1 } } }\n  }\n}",
        ),
        (
            "util.format('%O', {a: {b: {c: {d: 1}}}})",
            "{ a: { b: { c: [Object] } } }",
        ),
        ("util.format('%c%s', 'color: red', 'styled')", "styled"),
        ("util.format('%x %s', 'y')", "%x y"),
        ("util.format('%s', null, undefined)", "null undefined"),
    ]);
}

/// Quotes, keys, depth, one line or many, columns, cycles, dates, buffers, Map and Set.
#[test]
fn util_inspect_lays_values_out_as_node_does() {
    check(&[
        ("util.inspect('it\\'s')", "\"it's\""),
        ("util.inspect({a: 1, 'b-c': 'x', nested: {deep: {deeper: {deepest: 1}}}})", "{ a: 1, 'b-c': 'x', nested: { deep: { deeper: [Object] } } }"),
        ("util.inspect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27])", "[\n   1,  2,  3,  4,  5,  6,  7,  8,\n   9, 10, 11, 12, 13, 14, 15, 16,\n  17, 18, 19, 20, 21, 22, 23, 24,\n  25, 26, 27\n]"),
        ("util.inspect(['apple', 'banana', 'cherry', 'date', 'elderberry', 'fig', 'grape', 'honeydew'])", "[\n  'apple',\n  'banana',\n  'cherry',\n  'date',\n  'elderberry',\n  'fig',\n  'grape',\n  'honeydew'\n]"),
        ("util.inspect({name: 'a fairly long name to push things', items: [1, 2, 3], meta: {created: 'yesterday', by: 'someone'}})", "{\n  name: 'a fairly long name to push things',\n  items: [ 1, 2, 3 ],\n  meta: { created: 'yesterday', by: 'someone' }\n}"),
        ("util.inspect({a: 'line one\\nline two', b: true, c: null, d: undefined, e: 0.25, f: 1.5})", "{\n  a: 'line one\\nline two',\n  b: true,\n  c: null,\n  d: undefined,\n  e: 0.25,\n  f: 1.5\n}"),
        ("util.inspect(new Date(Date.UTC(2020, 0, 2, 3, 4, 5)))", "2020-01-02T03:04:05.000Z"),
        ("util.inspect({d: new Date(NaN)})", "{ d: Invalid Date }"),
        ("util.inspect([])", "[]"),
        ("util.inspect({})", "{}"),
        ("util.inspect([[1, [2, [3, [4]]]]])", "[ [ 1, [ 2, [Array] ] ] ]"),
        ("(() => { const o = {a: 1}; o.self = o; return util.inspect(o); })()", "<ref *1> { a: 1, self: [Circular *1] }"),
        ("util.inspect(Buffer.from('hi there'))", "<Buffer 68 69 20 74 68 65 72 65>"),
        ("util.inspect(new Map([['a', 1], ['b', {c: 2}]]))", "Map(2) { 'a' => 1, 'b' => { c: 2 } }"),
        ("util.inspect(new Set([1, 'x']))", "Set(2) { 1, 'x' }"),
        ("util.inspect(Object.create(null))", "[Object: null prototype] {}"),
        ("util.inspect(Array.from({length: 120}, (_, i) => i))", "[\n   0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11,\n  12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,\n  24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n  36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,\n  48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,\n  60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,\n  72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83,\n  84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95,\n  96, 97, 98, 99,\n  ... 20 more items\n]"),
        ("util.inspect('x'.repeat(100) + '\\n' + 'y'.repeat(10))", "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\n' +\n  'yyyyyyyyyy'"),
        ("util.inspect({msg: {payload: {temperature: 21.5, unit: 'C', sensor: 'kitchen'}, topic: 'home/kitchen/temp', _msgid: 'abc123'}})", "{\n  msg: {\n    payload: { temperature: 21.5, unit: 'C', sensor: 'kitchen' },\n    topic: 'home/kitchen/temp',\n    _msgid: 'abc123'\n  }\n}"),
    ]);
}

/// The `depth` option, and the older `(value, showHidden, depth)` form.
#[test]
fn util_inspect_takes_a_depth() {
    check(&[
        (
            "util.inspect({a: {b: {c: {d: {e: {}}}}}}, {depth: null})",
            "{\n  a: {\n    b: { c: { d: { e: {} } } }\n  }\n}",
        ),
        (
            "util.inspect({a: {b: {c: {d: 1}}}}, {depth: 0})",
            "{ a: [Object] }",
        ),
        (
            "util.inspect({a: {b: {c: {d: 1}}}}, false, 1)",
            "{ a: { b: [Object] } }",
        ),
        (
            "util.inspect({a: {b: {c: {d: {e: 1}}}}}, {depth: Infinity})",
            "{\n  a: {\n    b: { c: { d: { e: 1 } } }\n  }\n}",
        ),
        ("util.inspect([{a: 1}, {b: 2}], {depth: -1})", "[Array]"),
    ]);
}

/// A value nested deeper than the stack allows is cut short with Node's
/// words instead of overflowing the thread's stack.
#[test]
fn util_inspect_of_a_very_deep_value_stops_instead_of_overflowing() {
    let out = js(
        "let o = {};\nfor (let i = 0; i < 5000; i++) { o = {o: o}; }\n\
         const text = util.inspect(o, {depth: null});\n\
         return {payload: [text.startsWith('{'), text.includes('Inspection interrupted prematurely'), util.format('%s', o)]};",
        json!({}),
    );
    assert_eq!(out["payload"], json!([true, true, "{ o: [Object] }"]));
}

/// `JSON.stringify` without a replacer calls objects' `toJSON` (with the
/// key) and own getters, as V8 does; class getters are not own properties.
#[test]
fn json_stringify_calls_to_json_and_own_getters() {
    check(&[
        ("JSON.stringify({o: {a: 1, get b() { return this.a + 1; }}, t: {toJSON() { return 'T'; }}})", "{\"o\":{\"a\":1,\"b\":2},\"t\":\"T\"}"),
        ("(() => { class P { constructor(x) { this.x = x; } toJSON() { return {px: this.x}; } } return JSON.stringify([new P(1), {p: new P(2)}]); })()", "[{\"px\":1},{\"p\":{\"px\":2}}]"),
        ("JSON.stringify({k: {toJSON(key) { return key + '!'; }}, list: [{toJSON(key) { return 'at ' + key; }}]})", "{\"k\":\"k!\",\"list\":[\"at 0\"]}"),
        ("JSON.stringify({t: {toJSON() { return [1, {n: 2}]; }}}, null, 2)", "{\n  \"t\": [\n    1,\n    {\n      \"n\": 2\n    }\n  ]\n}"),
        ("JSON.stringify({d: new Date(Date.UTC(2020, 0, 2)), g: {get v() { return undefined; }, w: 1}})", "{\"d\":\"2020-01-02T00:00:00.000Z\",\"g\":{\"w\":1}}"),
        ("(() => { try { return JSON.stringify({get x() { throw new Error('no'); }}); } catch (e) { return 'caught ' + e.message; } })()", "caught no"),
        ("(() => { class Q { get z() { return 5; } constructor() { this.y = 1; } } return JSON.stringify(new Q()); })()", "{\"y\":1}"),
        ("JSON.stringify({toJSON() { return {nested: {toJSON() { return 'inner'; }}}; }})", "{\"nested\":\"inner\"}"),
        ("JSON.stringify({a: [1, 2], b: 'plain'})", "{\"a\":[1,2],\"b\":\"plain\"}"),
    ]);
}
