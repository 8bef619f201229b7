//! `setTimeout`/`setInterval` in JavaScript bodies: timers start when the
//! run completes, deliver through the node's sink, and stop with the node.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

use flowgate_runtime::{NodeError, Outputs};
use parking_lot::Mutex;
use serde_json::{json, Value};

use crate::convert::Mode;
use crate::testing::{node, Harness};
use crate::timers::TimerSink;

/// What a timer delivered.
#[derive(Debug, PartialEq)]
pub enum Delivery {
    /// `(port, body without _msgid, _msgid)`.
    Send(usize, Value, String),
    /// The error message and the body of its message.
    Error(String, Value),
}

/// A sink that hands deliveries to a test.
pub struct ChannelSink(pub Mutex<Sender<Delivery>>);

impl TimerSink for ChannelSink {
    fn send(&self, mut out: Outputs) {
        for (dest, mut m) in out.drain() {
            let flowgate_runtime::node::Dest::Port(port) = dest else {
                panic!("timers send on ports")
            };
            let id = m.body.shift_remove("_msgid").expect("_msgid");
            let _ = self.0.lock().send(Delivery::Send(
                port,
                Value::Object(m.body),
                id.as_str().unwrap_or("").to_owned(),
            ));
        }
    }

    fn error(&self, err: NodeError) {
        let mut body = err.msg.map(|m| m.body).unwrap_or_default();
        body.shift_remove("_msgid");
        let _ = self
            .0
            .lock()
            .send(Delivery::Error(err.message, Value::Object(body)));
    }
}

/// Attach a channel sink (and a budget) to a test node's timers.
pub fn attach(h: &Harness) -> Receiver<Delivery> {
    let (tx, rx) = channel();
    h.node.timers().attach(
        Arc::new(ChannelSink(Mutex::new(tx))),
        Duration::from_secs(2),
        50_000_000,
        flowgate_runtime::settings::Settings::default().function_max_memory,
    );
    rx
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

const WAIT: Duration = Duration::from_secs(10);

fn next(rx: &Receiver<Delivery>) -> Delivery {
    rx.recv_timeout(WAIT).expect("a timer delivery")
}

fn js_node(func: &str, outputs: usize) -> Harness {
    node(Mode::Js, func, outputs).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_timeout_sends_after_the_run_with_the_input_msgid() {
    let rt = runtime();
    let _g = rt.enter();
    let h = js_node(
        "var n = 0;\nsetTimeout(function (label, extra) { n++; msg.payload = label + extra + n; node.send(msg); }, 20, 'late', '!');\nmsg.payload = 'now';\nreturn msg;",
        1,
    );
    let rx = attach(&h);
    let (sends, r) = h.run(json!({"payload": 0}));
    r.unwrap();
    assert_eq!(sends, vec![(0, json!({"payload": "now"}))]);
    assert_eq!(
        next(&rx),
        Delivery::Send(0, json!({"payload": "late!1"}), "m1".into())
    );
    assert_eq!(h.node.timers().pending(), 0);
}

#[test]
fn cleared_timers_never_fire_and_intervals_repeat_until_cleared() {
    let rt = runtime();
    let _g = rt.enter();
    let h = js_node(
        "var t = setTimeout(() => node.send({payload: 'cleared'}), 10);\nclearTimeout(t);\nvar ticks = 0;\nvar i = setInterval(function () {\n  ticks += 1;\n  node.send({payload: ticks});\n  if (ticks === 3) { clearInterval(i); setTimeout(() => node.send({payload: 'done'}), 5); }\n}, 5);\nreturn null;",
        1,
    );
    let rx = attach(&h);
    let (sends, r) = h.run(json!({}));
    r.unwrap();
    assert!(sends.is_empty());
    let got: Vec<Value> = (0..4)
        .map(|_| match next(&rx) {
            Delivery::Send(0, body, _) => body["payload"].clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(got, [json!(1), json!(2), json!(3), json!("done")]);
    assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
    assert_eq!(h.node.timers().pending(), 0);
}

#[test]
fn a_throwing_callback_is_a_node_error_with_an_empty_message() {
    let rt = runtime();
    let _g = rt.enter();
    let h = js_node(
        "setTimeout(function () { node.error('flagged', {payload: 'x'}); throw new TypeError('late boom'); }, 1);\nreturn msg;",
        1,
    );
    let rx = attach(&h);
    h.run(json!({"payload": 1})).1.unwrap();
    assert_eq!(
        next(&rx),
        Delivery::Error("flagged".into(), json!({"payload": "x"}))
    );
    assert_eq!(
        next(&rx),
        Delivery::Error("TypeError: late boom".into(), json!({}))
    );
}

#[test]
fn stopping_the_node_cancels_its_timers() {
    let rt = runtime();
    let _g = rt.enter();
    let h = js_node(
        "setInterval(() => node.send({payload: 'tick'}), 5);\nsetTimeout(() => node.send({payload: 'late'}), 10000);\nreturn null;",
        1,
    );
    let rx = attach(&h);
    h.run(json!({})).1.unwrap();
    assert!(matches!(next(&rx), Delivery::Send(0, _, _)));
    // The timeout is far off, so a loaded machine cannot fire it first.
    assert_eq!(h.node.timers().pending(), 2);
    h.node.stop();
    assert_eq!(h.node.timers().pending(), 0);
    // Anything already on its way is dropped; nothing new starts.
    while rx.recv_timeout(Duration::from_millis(150)).is_ok() {}
    assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
}

#[test]
fn timers_are_bounded_per_node() {
    let rt = runtime();
    let _g = rt.enter();
    let h = js_node(
        "for (var i = 0; i < 5000; i++) { setTimeout(function () {}, 100000); }\nreturn msg;",
        1,
    );
    let _rx = attach(&h);
    let (_, r) = h.run(json!({}));
    assert_eq!(
        r.unwrap_err(),
        "RangeError: Too many timers: a function node may have 1000 pending"
    );
    // As in Node-RED, the timers set before the error stay set.
    assert_eq!(h.node.timers().pending(), 1000);
    h.node.stop();
    assert_eq!(h.node.timers().pending(), 0);
}

#[test]
fn timer_values_and_delays_read_like_node() {
    let rt = runtime();
    let _g = rt.enter();
    let h = js_node(
        "var id = setTimeout(function () {}, 'soon');\nmsg.payload = [typeof id, typeof setTimeout, id > 0];\ntry { setTimeout('code', 1); } catch (e) { msg.error = e.toString(); }\nclearTimeout(id);\nclearTimeout('nope');\nreturn msg;",
        1,
    );
    let _rx = attach(&h);
    let (sends, r) = h.run(json!({}));
    r.unwrap();
    assert_eq!(
        sends[0].1,
        json!({"payload": ["number", "function", true], "error": "TypeError [ERR_INVALID_ARG_TYPE]: The \"callback\" argument must be of type function. Received type string ('code')"})
    );
}
