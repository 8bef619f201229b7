//! JavaScript constructs from real flows' function bodies, with the answers
//! V8 gives (checked on Node-RED 5, see the `function-lang` fixture set):
//! labelled loops, classes, accessors, `this`, collections, iteration
//! protocols, tagged templates, hoisting, `delete (x)`, and the
//! property-level parts of `Object`.

use serde_json::{json, Value};

use crate::convert::Mode;
use crate::testing::{js, node};

/// The payload a body leaves on `{}`.
fn payload(body: &str) -> Value {
    js(body, json!({}))["payload"].clone()
}

fn error(body: &str) -> String {
    let h = node(Mode::Js, body, 1).unwrap_or_else(|e| panic!("{e}"));
    h.run(json!({})).1.unwrap_err()
}

#[test]
fn labelled_break_and_continue_leave_nested_loops() {
    let out = payload(
        "const out = [];\nouter: for (let i = 0; i < 4; i++) { for (let j = 0; j < 4; j++) { if (j === 2) continue outer; if (i === 3) break outer; out.push(i + ':' + j); } }\n\
         a: for (const x of [1, 2]) { b: for (const y of [1, 2, 3]) { switch (y) { case 2: continue a; case 3: break b; } out.push([x, y]); } out.push('never'); }\n\
         let i = 0; w: while (i < 5) { i++; let j = 0; do { j++; if (j > i) continue w; if (i * j > 6) break w; out.push(i * j); } while (true); }\n\
         msg.payload = out; return msg;",
    );
    assert_eq!(
        out,
        json!([
            "0:0",
            "0:1",
            "1:0",
            "1:1",
            "2:0",
            "2:1",
            [1, 1],
            [2, 1],
            1,
            2,
            4,
            3,
            6
        ])
    );
}

#[test]
fn classes_with_fields_accessors_statics_and_super() {
    let out = payload(
        "class Animal { constructor(name) { this.name = name; } speak() { return this.name + ' speaks'; } get upper() { return this.name.toUpperCase(); } static create(n) { return new this(n); } }\n\
         class Dog extends Animal { legs = 4; #secret = 's'; constructor(name) { super(name); this.kind = 'dog'; } speak() { return super.speak() + '!'; } get secret() { return this.#secret; } }\n\
         const d = new Dog('rex');\n\
         msg.payload = [d.speak(), d.upper, d.secret, d instanceof Animal, JSON.stringify(d), Object.keys(d), typeof Dog, Dog.name, Animal.create('cat').speak()];\n\
         return msg;",
    );
    assert_eq!(
        out,
        json!([
            "rex speaks!",
            "REX",
            "s",
            true,
            "{\"name\":\"rex\",\"legs\":4,\"kind\":\"dog\"}",
            ["name", "legs", "kind"],
            "function",
            "Dog",
            "cat speaks"
        ])
    );
    assert_eq!(
        error("class A {}\nA();\nreturn msg;"),
        "TypeError: Class constructor A cannot be invoked without 'new'"
    );
}

#[test]
fn accessors_and_this_in_object_literals_and_constructor_functions() {
    let out = payload(
        "const o = { n: 2, get double() { return this.n * 2; }, set double(v) { this.n = v / 2; }, sum: function () { let s = 0; [1, 2].forEach(v => { s += v * this.n; }); return s; } };\n\
         o.double = 10;\nfunction Point(x, y) { this.x = x; this.y = y; }\n\
         msg.payload = [o.n, o.double, o.sum(), new Point(1, 2)]; return msg;",
    );
    assert_eq!(out, json!([5, 10, 15, {"x": 1, "y": 2}]));
}

/// Node-RED runs a body as a plain call in its sandbox: `this` is the
/// sandbox's global object (not the node), kept between messages.
#[test]
fn this_at_the_top_of_a_body_is_the_sandbox_global_kept_between_messages() {
    assert_eq!(
        error("this.status({fill: 'green'});\nreturn msg;"),
        "TypeError: this.status is not a function"
    );
    let h = node(
        Mode::Js,
        "this.count = (this.count || 0) + 1;\nmsg.payload = [typeof this, this.count];\nreturn msg;",
        1,
    )
    .unwrap();
    assert_eq!(h.run(json!({})).0[0].1["payload"], json!(["object", 1]));
    assert_eq!(h.run(json!({})).0[0].1["payload"], json!(["object", 2]));
}

/// Properties a body puts on `global`, `flow` or `context` stay there for
/// the node's later messages (not in the context store), as Node-RED's
/// per-node sandbox keeps them.
#[test]
fn properties_on_the_sandbox_context_objects_are_kept_between_messages() {
    let h = node(
        Mode::Js,
        "global.cache = global.cache || {hits: 0};\nglobal.cache.hits++;\nflow.n = (flow.n || 0) + 1;\nmsg.payload = [global.cache.hits, flow.n, global.get('cache') === undefined];\nreturn msg;",
        1,
    )
    .unwrap();
    assert_eq!(h.run(json!({})).0[0].1["payload"], json!([1, 1, true]));
    assert_eq!(h.run(json!({})).0[0].1["payload"], json!([2, 2, true]));
}

#[test]
fn sets_maps_and_weak_maps_with_their_iteration() {
    let out = payload(
        "const s = new Set([1, 2, 2, '2', 1.0]); s.add(3);\nconst m = new Map([['a', 1], ['b', 2]]); m.set('a', 9);\n\
         const out = []; for (const v of s) out.push(v); for (const [k, v] of m) out.push(k + v); m.forEach((v, k) => out.push(k));\n\
         const w = new WeakMap(); const key = {}; w.set(key, 'x');\n\
         msg.payload = [out, s.size, [...m.keys()], [...m.entries()], w.get(key), w.has({}), JSON.stringify(m), m instanceof Map, m.delete('a'), m.size];\nreturn msg;",
    );
    assert_eq!(
        out,
        json!([
            [1, 2, "2", 3, "a9", "b2", "a", "b"],
            4,
            ["a", "b"],
            [["a", 9], ["b", 2]],
            "x",
            false,
            "{}",
            true,
            true,
            1
        ])
    );
    assert_eq!(
        error("new WeakMap().set('k', 1);\nreturn msg;"),
        "TypeError: Invalid value used as weak map key"
    );
}

#[test]
fn symbol_iterator_and_tagged_templates() {
    let out = payload(
        "class Range { constructor(n) { this.n = n; } [Symbol.iterator]() { let i = 0; const n = this.n; return { next: () => i < n ? {value: i++, done: false} : {done: true} }; } }\n\
         const out = []; for (const x of new Range(3)) out.push(x);\n\
         function tag(strings, ...vals) { return strings.join('|') + '/' + vals.join(','); }\n\
         msg.payload = [out, [...new Range(2)], Object.keys(new Range(1)), tag`a${1}b${'x'}c`]; return msg;",
    );
    assert_eq!(out, json!([[0, 1, 2], [0, 1], ["n"], "a|b|c/1,x"]));
}

/// A closure may name a `const` declared after it, or itself (a body
/// without function declarations, which were always hoisted).
#[test]
fn closures_see_names_declared_later_and_themselves() {
    let out = payload(
        "const f = () => g() + h();\nconst g = () => 5;\nconst h = function () { return k; };\nconst k = 10;\n\
         const fact = (n) => n <= 1 ? 1 : n * fact(n - 1);\nmsg.payload = [f(), fact(5)]; return msg;",
    );
    assert_eq!(out, json!([15, 120]));
}

#[test]
fn delete_with_parentheses_deletes() {
    let out = js(
        "delete(msg.payload.a);\ndelete (msg.payload['b']);\nreturn msg;",
        json!({"payload": {"a": 1, "b": 2, "c": 3}}),
    );
    assert_eq!(out["payload"], json!({"c": 3}));
}

#[test]
fn frozen_objects_ignore_writes_and_defined_properties_can_be_hidden() {
    let out = payload(
        "const o = Object.freeze({a: 1, n: {x: 1}}); o.a = 2; o.b = 3; delete o.a; o.n.x = 2;\n\
         const p = {a: 1}; Object.defineProperty(p, 'hidden', {value: 2}); Object.defineProperty(p, 'twice', {get() { return this.a * 2; }, enumerable: false});\n\
         const q = Object.create(null, {v: {value: 1, enumerable: true}, h: {value: 2}});\n\
         msg.payload = [o, Object.isFrozen(o), Object.isFrozen(o.n), p.hidden, p.twice, Object.keys(p), JSON.stringify(p), Object.getOwnPropertyNames(p), Object.getOwnPropertyNames([5]), [q.v, q.h, Object.keys(q)]];\nreturn msg;",
    );
    assert_eq!(
        out,
        json!([{"a": 1, "n": {"x": 2}}, true, false, 2, 2, ["a"], "{\"a\":1}", ["a", "hidden", "twice"], ["0", "length"], [1, 2, ["v"]]])
    );
}

#[test]
fn each_iteration_of_a_for_let_loop_has_its_own_variable() {
    let body = "const fs = [];
        for (let i = 0; i < 3; i++) { fs.push(() => i); }
        const reads = fs.map(f => f()).join('');
        const gs = [];
        for (let i = 0; i < 6; i++) { gs.push(() => i); i++; }
        const written = gs.map(g => g()).join('');
        const hs = [];
        for (let i = 0, j = 10; i < 3; i++, j--) { hs.push(function () { return i + ':' + j; }); }
        const pairs = hs.map(h => h()).join(' ');
        const ks = [];
        for (let i = 0; i < 4; i++) { if (i % 2) continue; ks.push(() => i); }
        const skipped = ks.map(k => k()).join('');
        let last = -1;
        for (let i = 0; i < 3; i++) { last = i; }
        msg.payload = [reads, written, pairs, skipped, last];
        return msg;";
    assert_eq!(
        js(body, json!({}))["payload"],
        json!(["012", "135", "0:10 1:9 2:8", "02", 2])
    );
}

/// Error classes, as flows write them to tell failures apart; the answers
/// are Node.js 22's.
#[test]
fn classes_extending_error_make_errors() {
    assert_eq!(
        payload(
            "class ValidationError extends Error {
                constructor(message, field) {
                    super(message); this.name = 'ValidationError'; this.field = field;
                }
                describe() { return this.field + ': ' + this.message; }
            }
            class Missing extends ValidationError {
                constructor(f) { super(f + ' is required', f); this.code = 'E_MISSING'; }
            }
            try { throw new Missing('id'); }
            catch (e) {
                msg.payload = [e.message, e.name, e.field, e instanceof ValidationError,
                    e instanceof Error, e instanceof Missing, String(e), JSON.stringify(e),
                    Object.keys(e), e.describe(), `${e}`, e.toString()];
            }
            return msg;"
        ),
        json!([
            "id is required",
            "ValidationError",
            "id",
            true,
            true,
            true,
            "ValidationError: id is required",
            "{\"name\":\"ValidationError\",\"field\":\"id\",\"code\":\"E_MISSING\"}",
            ["name", "field", "code"],
            "id: id is required",
            "ValidationError: id is required",
            "ValidationError: id is required"
        ])
    );
    assert_eq!(
        payload(
            "class E2 extends TypeError {}
            const e = new E2('m', {cause: 'c'});
            msg.payload = [e.name, e.message, String(e), e instanceof TypeError,
                e instanceof E2, JSON.stringify(e), e.cause];
            return msg;"
        ),
        json!(["TypeError", "m", "TypeError: m", true, true, "{}", "c"])
    );
    assert_eq!(
        payload(
            "class E3 extends Error { constructor() { super(); } }
            const e = new E3();
            msg.payload = [e.message, String(e), 'message' in e];
            return msg;"
        ),
        json!(["", "Error", true])
    );
    // A plain error renamed by the body prints its new name, as V8's does.
    assert_eq!(
        payload(
            "const e = new Error('x'); e.name = 'Custom'; msg.payload = String(e); return msg;"
        ),
        json!("Custom: x")
    );
}

/// `Object.prototype.toString.call(v)`, the type test older code uses; the
/// answers are Node.js 22's.
#[test]
fn object_prototype_to_string_names_the_type() {
    assert_eq!(
        payload(
            "const tag = v => Object.prototype.toString.call(v);
            msg.payload = [tag([]), tag(null), tag(new Date(0)), tag('s'), tag({}), tag(undefined),
                tag(1.5), tag(true), tag(/x/), tag(new Error('e')), tag(() => 1), tag(new Map()),
                tag(Buffer.from('a')), ({}).toString.call([]), Object.prototype.toString.apply([1]),
                [1, 2].toString()];
            return msg;"
        ),
        json!([
            "[object Array]",
            "[object Null]",
            "[object Date]",
            "[object String]",
            "[object Object]",
            "[object Undefined]",
            "[object Number]",
            "[object Boolean]",
            "[object RegExp]",
            "[object Error]",
            "[object Function]",
            "[object Map]",
            "[object Uint8Array]",
            "[object Array]",
            "[object Array]",
            "1,2"
        ])
    );
}
