//! `async`/`await` and promises in JavaScript bodies: an `await` runs the
//! run's own promise reactions and timers until the promise settles, and
//! what the body returns (or throws) after awaiting is what the node sends
//! (or its error).

use std::time::{Duration, Instant};

use serde_json::json;

use super::timers::attach;
use crate::convert::Mode;
use crate::testing::{js, node};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The error a body ends with.
fn error_of(func: &str) -> String {
    let h = node(Mode::Js, func, 1).unwrap_or_else(|e| panic!("{e}"));
    h.run(json!({"payload": 1})).1.unwrap_err()
}

#[test]
fn top_level_await_of_a_timer_promise_waits_then_sends_the_returned_message() {
    let started = Instant::now();
    let out = js(
        "await new Promise(r => setTimeout(r, 100));\nmsg.payload = 'after ' + msg.payload;\nreturn msg;",
        json!({"payload": "wait"}),
    );
    assert_eq!(out, json!({"payload": "after wait"}));
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(100), "took {took:?}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn async_functions_and_arrows_return_promises_their_awaits_settle() {
    let out = js(
        "async function double(x) { await null; return x * 2; }\nconst inc = async (x) => (await double(x)) + 1;\nconst p = inc(20);\nmsg.payload = [typeof p, p instanceof Promise, await p, await inc(1)];\nreturn msg;",
        json!({}),
    );
    assert_eq!(out, json!({"payload": ["object", true, 41, 3]}));
}

#[test]
fn then_catch_and_finally_chain_as_in_javascript() {
    let out = js(
        "const log = [];\nconst v = await Promise.resolve(1)\n  .then(x => x + 1)\n  .then(x => { throw new Error('e' + x); })\n  .then(() => 'skipped')\n  .catch(e => e.message)\n  .finally(() => log.push('finally'));\nmsg.payload = [v, log];\nreturn msg;",
        json!({}),
    );
    assert_eq!(out, json!({"payload": ["e2", ["finally"]]}));
}

#[test]
fn promise_combinators_gather_race_and_settle() {
    let out = js(
        "const later = (v, ms) => new Promise(r => setTimeout(() => r(v), ms));\nmsg.payload = {\n  all: await Promise.all([1, Promise.resolve(2), later(3, 10)]),\n  settled: await Promise.allSettled([Promise.reject('no'), later('yes', 5)]),\n  race: await Promise.race([later('slow', 40), later('fast', 5)]),\n  any: await Promise.any([Promise.reject(1), later(2, 5)]),\n  none: await Promise.any([]).catch(e => e.name + ': ' + e.message),\n  first: await Promise.all([later(1, 5), Promise.reject(new Error('x'))]).catch(e => e.message)\n};\nreturn msg;",
        json!({}),
    );
    assert_eq!(
        out,
        json!({"payload": {
            "all": [1, 2, 3],
            "settled": [{"status": "rejected", "reason": "no"}, {"status": "fulfilled", "value": "yes"}],
            "race": "fast",
            "any": 2,
            "none": "AggregateError: All promises were rejected",
            "first": "x"
        }})
    );
}

#[test]
fn a_rejected_await_throws_into_try_catch() {
    let out = js(
        "try {\n  await new Promise((resolve, reject) => setTimeout(() => reject(new TypeError('refused')), 5));\n  msg.payload = 'not here';\n} catch (e) {\n  msg.payload = e.name + ': ' + e.message;\n}\nreturn msg;",
        json!({}),
    );
    assert_eq!(out, json!({"payload": "TypeError: refused"}));
}

#[test]
fn a_throw_after_await_and_an_unhandled_rejection_are_node_errors() {
    assert_eq!(
        error_of("await null;\nthrow new Error('late');"),
        "Error: late"
    );
    assert_eq!(
        error_of("async function f() { throw new RangeError('deep'); }\nreturn await f();"),
        "RangeError: deep"
    );
    assert_eq!(error_of("return Promise.reject('plain');"), "plain");
}

#[test]
fn reactions_run_after_the_synchronous_code_as_microtasks() {
    let out = js(
        "const order = [];\nPromise.resolve().then(() => order.push('micro'));\norder.push('sync');\nawait null;\norder.push('after await');\nmsg.payload = order;\nreturn msg;",
        json!({}),
    );
    assert_eq!(out, json!({"payload": ["sync", "micro", "after await"]}));
}

#[test]
fn a_promise_nothing_can_settle_fails_the_run_instead_of_hanging() {
    assert_eq!(
        error_of("await new Promise(() => {});\nreturn msg;"),
        "Error: the awaited promise can never settle: nothing left in this run resolves it"
    );
}

#[test]
fn an_await_longer_than_the_timeout_fails_with_the_timeout_error() {
    let started = Instant::now();
    assert_eq!(
        error_of("await new Promise(r => setTimeout(r, 60000));\nreturn msg;"),
        "Error: Script execution timed out after 2000ms"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_body_that_sends_later_and_returns_nothing_sends_from_its_timer() {
    let rt = runtime();
    let _g = rt.enter();
    let h = node(
        Mode::Js,
        "new Promise(r => setTimeout(r, 20)).then(() => { msg.payload = 'later'; node.send(msg); });\nreturn;",
        1,
    )
    .unwrap();
    let rx = attach(&h);
    let (sends, r) = h.run(json!({"payload": "now"}));
    r.unwrap();
    assert!(sends.is_empty());
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        super::timers::Delivery::Send(0, json!({"payload": "later"}), "m1".into())
    );
}

#[test]
fn node_on_input_throws_as_in_node_red_and_close_handlers_run_when_the_node_stops() {
    assert_eq!(
        error_of(
            "node.on('input', function (msg, send, done) { send(msg); done(); });\nreturn msg;"
        ),
        "Error: Cannot add listener to 'input' event within Function"
    );
    let rt = runtime();
    let _g = rt.enter();
    let h = node(
        Mode::Js,
        "node.on('close', function (done) { node.warn('closing ' + msg.payload); done(); });\nreturn msg;",
        1,
    )
    .unwrap();
    let (sends, r) = h.run(json!({"payload": "a"}));
    r.unwrap();
    assert_eq!(sends.len(), 1);
    let mut events = h.events.subscribe();
    h.node.stop();
    let warned: Vec<_> = std::iter::from_fn(|| events.try_recv().ok())
        .filter(|e| e.topic == "debug")
        .map(|e| e.data["msg"].clone())
        .collect();
    assert_eq!(warned, vec![json!("closing a")]);
}

#[test]
fn a_promise_left_in_a_message_is_an_empty_object_as_json_shows_it() {
    let out = js(
        "const p = Promise.resolve(1);\nmsg.payload = {p, text: JSON.stringify({p})};\nreturn msg;",
        json!({}),
    );
    assert_eq!(out, json!({"payload": {"p": {}, "text": "{\"p\":{}}"}}));
}

#[test]
fn a_promise_s_methods_read_as_functions_for_thenable_checks() {
    let out = js(
        "const p = Promise.resolve(7);\nconst then = p.then;\nmsg.payload = [typeof p.then, typeof p.catch, p && typeof p.then === 'function' ? await p : 'not thenable', typeof then];\nreturn msg;",
        json!({}),
    );
    assert_eq!(
        out,
        json!({"payload": ["function", "function", 7, "function"]})
    );
}

#[test]
fn a_rejection_nothing_handles_is_a_warning_and_the_message_still_goes_out() {
    let h = node(
        Mode::Js,
        "Promise.reject(new Error('ignored'));\nPromise.reject('handled').catch(() => {});\nreturn msg;",
        1,
    )
    .unwrap();
    let mut events = h.events.subscribe();
    let (sends, r) = h.run(json!({"payload": 1}));
    r.unwrap();
    assert_eq!(sends, vec![(0, json!({"payload": 1}))]);
    let warned: Vec<_> = std::iter::from_fn(|| events.try_recv().ok())
        .filter(|e| e.topic == "debug" && e.data["level"] == "warn")
        .map(|e| e.data["msg"].clone())
        .collect();
    assert_eq!(
        warned,
        vec![json!("Unhandled promise rejection: Error: ignored")]
    );
}

/// `String(x)` of a promise and of the collections names them, as V8
/// prints their `Symbol.toStringTag`.
#[test]
fn promises_and_collections_print_their_tags() {
    let out = js(
        "msg.payload = [String(Promise.resolve(1)), '' + new Map(), `${new Set()}`, String(new WeakMap()), String({})];\nreturn msg;",
        json!({}),
    );
    assert_eq!(
        out,
        json!({"payload": ["[object Promise]", "[object Map]", "[object Set]", "[object WeakMap]", "[object Object]"]})
    );
}
