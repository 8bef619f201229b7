//! How many engine calls translated operators cost: each call into the
//! engine costs far more than the operation, so computing bodies are only
//! fast when common JavaScript makes few of them. The answers must stay
//! JavaScript's.

use serde_json::json;

use crate::testing::js;
use crate::translate::translate;

fn calls(source: &str, helper: &str) -> usize {
    translate(source, &["msg"])
        .expect("translates")
        .matches(&format!("{helper}("))
        .count()
}

#[test]
fn an_addition_chain_is_one_call_per_run_of_plain_operands() {
    assert_eq!(
        calls(
            "const k = 'a', v = 1; msg.payload = k + '=' + v + '&';",
            "__add"
        ),
        1
    );
    // A call may have effects, so the additions before it happen first.
    assert_eq!(
        calls(
            "const i = 3; msg.payload = 'v-' + i * 7 + '-' + String(i) + '.';",
            "__add"
        ),
        2
    );
    // Longer chains are folded in pieces of six operands.
    assert_eq!(
        calls("msg.payload = 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8;", "__add"),
        2
    );
}

#[test]
fn folded_additions_keep_javascripts_left_to_right_meaning() {
    let body = "const a = 1, b = 2, s = 'x';
        const log = [];
        function f(v) { log.push(v); return v; }
        msg.payload = [
            a + b + s, s + a + b, a + b + s + a + b, a + b + 3 + 4 + 5 + 6 + 7 + s + a,
            a + s + [1, 2] + {} + null + true + undefined, 0.5 + a + b + 1.25,
            f('p') + f(a) + f(b) + f(s), log.join(',')
        ];
        return msg;";
    assert_eq!(
        js(body, json!({}))["payload"],
        json!([
            "3x",
            "x12",
            "3x12",
            "28x1",
            "1x1,2[object Object]nulltrueundefined",
            4.75,
            "p12x",
            "p,1,2,x"
        ])
    );
}

#[test]
fn a_counted_loop_compares_and_steps_with_the_engines_own_operators() {
    let body = "let n = 0; for (let i = 0; i < 50; i++) { n += i; } msg.payload = n;";
    assert_eq!(calls(body, "__lt") + calls(body, "__inc"), 0);
    // Anything the counter might not stay a whole number through keeps
    // the helpers: a write in the body, a bound that is not a literal.
    for body in [
        "for (let i = 0; i < 50; i++) { i += 0.5; }",
        "for (let i = 0; i < 50; i++) { [i] = [1]; }",
        "for (let i = 0; i < 50; i++) { const f = () => { i = 'x'; }; f(); }",
        "let n = 5; for (let i = 0; i < n; i++) { }",
        "for (let i = 0.5; i < 5; i++) { }",
    ] {
        assert_eq!(calls(body, "__lt"), 1, "{body}");
    }
}

#[test]
fn counted_loops_count_as_javascript_does() {
    let body = "const out = [];
        for (let i = 0; i < 5; i++) { out.push(i * 7 % 3); }
        for (let i = 10; i >= 0; i -= 4) { out.push(i / 4); }
        for (let i = 0; i <= 6; i += 3) { if (i === 3) continue; out.push('c' + i); }
        for (let i = 3; i > 0; --i) { out.push(i); }
        msg.payload = out;
        return msg;";
    assert_eq!(
        js(body, json!({}))["payload"],
        json!([0, 1, 2, 0, 1, 2.5, 1.5, 0.5, "c0", "c6", 3, 2, 1])
    );
}

/// Runs on different workers share one engine. Rhai's string interner is
/// one lock inside it, and a run that finds it taken sleeps 10 ms; with
/// interning off, concurrent runs of a body full of `let`s never wait on
/// each other.
#[test]
fn the_shared_engine_interns_no_strings() {
    assert_eq!(crate::sandbox::engine().max_strings_interned(), 0);
}

#[test]
fn a_typeof_test_against_a_literal_is_no_call() {
    let body = "const t = typeof msg.payload === 'string', u = 'number' !== typeof msg.n;";
    assert_eq!(calls(body, "__seq"), 0);
    assert_eq!(calls(body, "__leq"), 0);
    // The answers stay JavaScript's, whichever side the literal is on.
    let body = "const p = msg.payload;
        msg.payload = [typeof p === 'object', 'object' == typeof p, typeof p !== 'string',
            typeof nothing === 'undefined', typeof p.a != 'number', typeof p.f === 'function'];
        return msg;";
    assert_eq!(
        js(body, json!({"payload": {"a": 1}}))["payload"],
        json!([true, true, true, true, false, false])
    );
}
