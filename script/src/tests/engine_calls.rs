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
    assert_eq!(calls("const k = 'a', v = 1; msg.payload = k + '=' + v + '&';", "__add"), 1);
    // A call may have effects, so the additions before it happen first.
    assert_eq!(
        calls("const i = 3; msg.payload = 'v-' + i * 7 + '-' + String(i) + '.';", "__add"),
        2
    );
    // Longer chains are folded in pieces of six operands.
    assert_eq!(calls("msg.payload = 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8;", "__add"), 2);
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
            "3x", "x12", "3x12", "28x1", "1x1,2[object Object]nulltrueundefined", 4.75,
            "p12x", "p,1,2,x"
        ])
    );
}
