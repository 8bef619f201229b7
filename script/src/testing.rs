//! Build a function without a flow, for unit tests of the
//! translator, the runtime library and the API.

use std::time::Duration;

use flowgate_runtime::events::Events;
use flowgate_runtime::{Message, Outcome, Outputs};
use serde_json::{json, Value};

use crate::compile::API_NAMES;
use crate::convert::Mode;
use crate::function::{Function, StandaloneConfig};

/// A run's outcome: the error message and the message it carries.
pub type RunResult = Result<(), (String, Value)>;

pub struct Harness {
    pub node: Function,
    pub events: Events,
}

pub fn node(mode: Mode, func: &str, outputs: usize) -> Result<Harness, String> {
    node_with_id("f1", mode, func, outputs)
}

pub fn node_with_id(id: &str, mode: Mode, func: &str, outputs: usize) -> Result<Harness, String> {
    let events = Events::new();
    let node = Function::standalone(StandaloneConfig {
        id,
        name: "fn",
        rhai: mode == Mode::Rhai,
        func,
        outputs,
        timeout: Duration::from_secs(2),
        events: events.clone(),
    })?;
    Ok(Harness { node, events })
}

impl Harness {
    /// Run one message synchronously (fast path only): the sends as
    /// `(port, body without _msgid)`, or the error message.
    pub fn run(&self, msg: Value) -> (Vec<(usize, Value)>, Result<(), String>) {
        let (sends, r) = self.run_full(msg);
        (sends, r.map_err(|(m, _)| m))
    }

    /// Like [`run`], with the message an error carries (without `_msgid`).
    pub fn run_full(&self, msg: Value) -> (Vec<(usize, Value)>, RunResult) {
        let Value::Object(mut body) = msg else {
            panic!("message must be an object")
        };
        body.insert("_msgid".into(), json!("m1"));
        let mut out = Outputs::default();
        let r = match self.node.on_input(Message::from_body(body), &mut out) {
            Outcome::Ready(r) => r,
            // A busy machine can push a run past its slice: finish it on
            // the blocking pool (of the test's runtime, if it entered one,
            // so timers the run sets outlive this call).
            Outcome::Pending(fut) => match tokio::runtime::Handle::try_current() {
                Ok(rt) => rt.block_on(fut),
                Err(_) => tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime")
                    .block_on(fut),
            },
        };
        // An error raised with `node.error(err, msg)` stands for the run's
        // error when nothing was thrown.
        let raised = out.take_errors().into_iter().next();
        let r = match (r, raised) {
            (Ok(()), Some(e)) => Err(e),
            (r, _) => r,
        };
        let sends = out
            .drain()
            .map(|(d, mut m)| {
                let port = match d {
                    flowgate_runtime::node::Dest::Port(p) => p,
                    other => panic!("unexpected destination {other:?}"),
                };
                assert_eq!(m.body.shift_remove("_msgid"), Some(json!("m1")));
                (port, Value::Object(m.body))
            })
            .collect();
        let r = r.map_err(|e| {
            let mut body = e.msg.map(|m| m.body).unwrap_or_default();
            body.shift_remove("_msgid");
            (e.message, Value::Object(body))
        });
        (sends, r)
    }
}

/// Run a JavaScript body on `msg`: the first output's payload.
pub fn js(func: &str, msg: Value) -> Value {
    let h = node(Mode::Js, func, 1).unwrap_or_else(|e| panic!("{e}\n--- body:\n{func}"));
    let (sends, r) = h.run(msg);
    if let Err(e) = r {
        panic!(
            "{e}\n--- body:\n{func}\n--- rhai:\n{}",
            crate::translate::translate(func, &API_NAMES).unwrap()
        );
    }
    sends
        .into_iter()
        .next()
        .map(|(_, m)| m)
        .unwrap_or(Value::Null)
}

impl Harness {
    /// The same node converting every message in full before it runs, with
    /// no data-only fast path: the reference the other paths must match.
    pub fn converting_fully(self) -> Self {
        self.node.convert_fully();
        self
    }
}
