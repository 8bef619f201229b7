//! Regular expressions in function bodies: ECMAScript features V8 has and
//! the budget a catastrophic pattern runs into.

use std::time::{Duration, Instant};

use flowgate_runtime::{Message, Outcome, Outputs};
use serde_json::json;

use crate::testing::js;

#[test]
fn look_behind_back_references_and_named_groups() {
    let out = js(
        r#"var price = "cost: $42, tax: €7".match(/(?<=\$)\d+/)[0];
var doubled = /(\w)\1/.exec("abccd");
var m = /(?<year>\d{4})-(?<month>\d{2})/u.exec("on 2024-05");
var swapped = "2024-05".replace(/(?<y>\d+)-(?<m>\d+)/, "$<m>/$<y>");
var notDollar = "$1 2".match(/(?<!\$)\b\d/g);
var props = /^\p{Lu}\p{Ll}+$/u.test("Émile");
return {payload: [price, doubled[0], doubled.index, m.groups.year, m.groups.month,
    swapped, notDollar, props]};"#,
        json!({}),
    );
    assert_eq!(
        out,
        json!({"payload": ["42", "cc", 2, "2024", "05", "05/2024", ["2"], true]})
    );
}

#[test]
fn sticky_and_indices_flags() {
    let out = js(
        r#"var re = /a/y; var first = re.test("aab"); var second = re.test("aab");
var third = re.test("aab"); var after = re.lastIndex;
var d = /(b)(x)?/d.exec("abc");
return {payload: [first, second, third, after, d.indices[0], d.indices[1], d.indices[2], /a/dgy.flags]};"#,
        json!({}),
    );
    assert_eq!(
        out,
        json!({"payload": [true, true, false, 0, [1, 2], [1, 2], null, "dgy"]})
    );
}

/// `(a+)+$` against forty `a`s and a `!` takes about 2^40 steps in a
/// backtracking engine: the search is one built-in call the progress hook
/// cannot interrupt, so the engine itself must give up when the budget is
/// spent, even when the script catches what the call throws.
#[test]
fn a_catastrophic_pattern_runs_into_the_timeout() {
    let node = crate::function::Function::standalone(crate::function::StandaloneConfig {
        id: "redos",
        name: "",
        rhai: false,
        func: r#"var s = "a".repeat(40) + "!";
try { msg.payload = /^(a+)+$/.test(s); } catch (e) { msg.payload = "caught"; }
return msg;"#,
        outputs: 1,
        timeout: Duration::from_millis(300),
        events: flowgate_runtime::events::Events::new(),
    })
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut out = Outputs::default();
    let started = Instant::now();
    let outcome = node.on_input(Message::new(), &mut out);
    // The worker is given back after one slice.
    assert!(started.elapsed() < Duration::from_millis(250));
    let Outcome::Pending(fut) = outcome else {
        panic!("a catastrophic search cannot finish on the fast path")
    };
    let err = rt.block_on(fut).unwrap_err();
    assert_eq!(err.message, "Error: Script execution timed out after 300ms");
    assert!(started.elapsed() < Duration::from_secs(3));
}
