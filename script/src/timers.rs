//! `setTimeout`/`setInterval` in function bodies: timers on tokio that run
//! a script callback later and send through the node's [`NodeHandle`].
//!
//! As everything else a run does, a timer is handed to tokio only when the
//! run that set it completes (a run abandoned after its time slice and
//! redone sets it once), and `clearTimeout` of an earlier run's timer takes
//! effect then too; its delay counts from the `setTimeout` call. A timer
//! an `await` of the same run waits for fires inside the run instead
//! ([`fire_next`]). A firing runs the
//! callback on the blocking pool with the node's timeout, one callback of a
//! node at a time (JavaScript would never run two at once), on a fresh copy
//! of the run state its closure shares with the run that set it. Its sends
//! carry that run's HTTP request, so `setTimeout(() => node.send(msg), 100)`
//! still answers it. A callback that throws raises a node error with an
//! empty message, as Node-RED's `node.error(err, {})` does. Every timer of a
//! node is cancelled when the flows stop (after `finalize`), and a node may
//! have at most [`MAX_TIMERS`] pending at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flowgate_runtime::exchange::Exchange;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::{Message, NodeError, Outputs};
use parking_lot::Mutex;
use rhai::{Array, Dynamic, NativeCallContext, AST};
use serde_json::{Map, Value};
use tokio::task::AbortHandle;

use super::api::{NodeApi, Phase, RaisedError, RunState};
use super::convert::Mode;
use super::sandbox::{self, Budget, RunError};
use crate::jslib::callback::is_callable;
use crate::jslib::ops::{self, to_number, JsResult};
use crate::jslib::promise::Caller;
use crate::jslib::values::{JsError, JsMethod};

/// The most timers one node may have pending (a runaway loop calling
/// `setTimeout` fails instead of filling memory).
pub const MAX_TIMERS: usize = 1000;

/// Node.js's longest delay; longer or invalid delays mean 1 ms.
const TIMEOUT_MAX_MS: f64 = 2_147_483_647.0;

/// Where a node's timers deliver: the node's handle in a running flow.
pub trait TimerSink: Send + Sync {
    /// Messages a callback sent.
    fn send(&self, out: Outputs);
    /// An error a callback raised or threw.
    fn error(&self, err: NodeError);
}

impl TimerSink for NodeHandle {
    fn send(&self, out: Outputs) {
        self.send_all(out);
    }

    fn error(&self, err: NodeError) {
        NodeHandle::error(self, err);
    }
}

/// A timer a run asked for, started when the run completes.
pub struct Scheduled {
    id: u64,
    callback: Dynamic,
    args: Vec<Dynamic>,
    delay: Duration,
    /// When it fires first: `delay` after `setTimeout` was called.
    due: Instant,
    repeat: bool,
    /// The functions of the script the callback belongs to.
    lib: Arc<AST>,
    /// The `node` of the run that set the timer: its node and its run state,
    /// which the callback's closure shares.
    node: NodeApi,
    phase: Phase,
    msgid: String,
    topic: String,
}

/// What a run did to the node's timers.
pub enum TimerOp {
    Set(Box<Scheduled>),
    Clear(u64),
}

#[derive(Default)]
struct State {
    stopped: bool,
    sink: Option<Arc<dyn TimerSink>>,
    timeout: Duration,
    max_operations: u64,
    max_memory: usize,
    pending: HashMap<u64, AbortHandle>,
}

/// A node's timers.
#[derive(Default)]
pub struct Timers {
    next_id: AtomicU64,
    state: Mutex<State>,
    /// Held while a callback runs.
    running: Mutex<()>,
}

impl Timers {
    /// Deliver through `sink`, running callbacks within `timeout`,
    /// `max_operations` and `max_memory` (called when the node starts).
    pub fn attach(
        &self,
        sink: Arc<dyn TimerSink>,
        timeout: Duration,
        max_operations: u64,
        max_memory: usize,
    ) {
        let mut st = self.state.lock();
        st.sink = Some(sink);
        st.timeout = timeout;
        st.max_operations = max_operations;
        st.max_memory = max_memory;
        st.stopped = false;
    }

    /// Cancel every timer; later ones are ignored (the flows stopped).
    pub fn stop(&self) {
        let mut st = self.state.lock();
        st.stopped = true;
        for (_, h) in st.pending.drain() {
            h.abort();
        }
    }

    /// How many timers are waiting to fire.
    pub fn pending(&self) -> usize {
        self.state.lock().pending.len()
    }

    /// Start and clear timers as a completed run asked, in its order.
    pub fn apply(&self, ops: Vec<TimerOp>, origin: Option<Arc<Exchange>>) {
        let mut st = self.state.lock();
        let runtime = tokio::runtime::Handle::try_current();
        for op in ops {
            match op {
                TimerOp::Clear(id) => {
                    if let Some(h) = st.pending.remove(&id) {
                        h.abort();
                    }
                }
                TimerOp::Set(s) => {
                    if st.stopped || st.sink.is_none() {
                        continue;
                    }
                    let Ok(rt) = &runtime else {
                        tracing::warn!(node = %s.node.info.id, "a timer was set outside the runtime and is ignored");
                        continue;
                    };
                    let id = s.id;
                    let task = rt.spawn(run_timer(Arc::from(s), origin.clone()));
                    st.pending.insert(id, task.abort_handle());
                }
            }
        }
    }

    /// Run one firing of `s` (on a blocking thread) and deliver what it did.
    fn fire(&self, s: &Scheduled, origin: &Option<Arc<Exchange>>) {
        let _one_at_a_time = self.running.lock();
        let (sink, timeout, max_operations, max_memory) = {
            let st = self.state.lock();
            match (&st.sink, st.stopped) {
                (Some(sink), false) => (sink.clone(), st.timeout, st.max_operations, st.max_memory),
                _ => return,
            }
        };
        let mut fresh = RunState::new(s.phase, Mode::Js, s.msgid.clone());
        fresh.topic = s.topic.clone();
        fresh.origin = origin.clone();
        *s.node.run.lock() = fresh;
        let budget = Budget {
            deadline: Instant::now() + timeout,
            timeout,
            slice_end: None,
            max_operations,
            max_memory,
        };
        let result = sandbox::call(&s.lib, &s.callback, s.args.clone(), budget, Mode::Js);
        let mut state = std::mem::replace(
            &mut *s.node.run.lock(),
            RunState::new(s.phase, Mode::Js, String::new()),
        );
        state.commit(&s.node.info);
        if self.state.lock().stopped {
            return;
        }
        let derive = |body: Map<String, Value>| {
            let mut m = Message::from_body(body);
            m.set_exchange(origin.clone());
            m
        };
        let mut out = Outputs::default();
        for (port, body) in state.sends.drain(..) {
            out.send(port, derive(body));
        }
        if !out.is_empty() {
            sink.send(out);
        }
        for e in state.errors.drain(..) {
            sink.error(NodeError::new(e.message).with_msg(derive(e.body)));
        }
        if let Err(RunError::Failed(text, _)) = result {
            sink.error(NodeError::new(text).with_msg(Message::new()));
        }
    }
}

async fn run_timer(s: Arc<Scheduled>, origin: Option<Arc<Exchange>>) {
    let fire = |s: Arc<Scheduled>, origin: Option<Arc<Exchange>>| {
        tokio::task::spawn_blocking(move || s.node.info.timers.fire(&s, &origin))
    };
    let first = tokio::time::Instant::now() + s.due.saturating_duration_since(Instant::now());
    if s.repeat {
        let start = first;
        let mut ticks = tokio::time::interval_at(start, s.delay);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if fire(s.clone(), origin.clone()).await.is_err() {
                return;
            }
        }
    }
    tokio::time::sleep_until(first).await;
    // Node-RED forgets a timeout as it fires; a cleared one never fires.
    if s.node
        .info
        .timers
        .state
        .lock()
        .pending
        .remove(&s.id)
        .is_none()
    {
        return;
    }
    let _ = fire(s, origin).await;
}

/// A delay as Node.js reads it: milliseconds, and 1 when not in
/// `1..=2147483647`.
fn delay_of(v: Option<&Dynamic>) -> Duration {
    let ms = v.map(to_number).unwrap_or(f64::NAN);
    let ms = if (1.0..=TIMEOUT_MAX_MS).contains(&ms) {
        ms
    } else {
        1.0
    };
    Duration::from_millis(ms as u64)
}

/// `setTimeout(fn, ms, ...args)` / `setInterval(...)` in translated code:
/// records the timer in the run and returns its id.
pub fn set(
    ctx: &NativeCallContext,
    node: &NodeApi,
    args: Array,
    repeat: bool,
) -> JsResult<Dynamic> {
    let callback = args.first().cloned().unwrap_or(Dynamic::UNIT);
    if !is_callable(&callback) {
        return Err(Box::new(rhai::EvalAltResult::ErrorRuntime(
            Dynamic::from(JsError::with_code(
                "TypeError",
                "ERR_INVALID_ARG_TYPE",
                format!(
                    "The \"callback\" argument must be of type function. Received {}",
                    describe_value(&callback)
                ),
            )),
            rhai::Position::NONE,
        )));
    }
    if callback.is::<JsMethod>() && !crate::jslib::promise::is_resolver(&callback) {
        return Err(ops::type_error(
            "flowgate cannot schedule a built-in method directly; wrap it in a function",
        ));
    }
    let timers = &node.info.timers;
    let id = timers.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let mut run = node.run.lock();
    if run.phase == Phase::Finalize {
        // The node is stopping: the timer would be cancelled at once.
        return Ok(Dynamic::from_int(id as rhai::INT));
    }
    let queued = run
        .timers
        .iter()
        .filter(|op| matches!(op, TimerOp::Set(_)))
        .count();
    if timers.pending() + queued >= MAX_TIMERS {
        return Err(ops::throw(
            "RangeError",
            format!("Too many timers: a function node may have {MAX_TIMERS} pending"),
        ));
    }
    let lib = ctx
        .iter_namespaces()
        .next()
        .map(|m| AST::new_from_module(m.clone()))
        .unwrap_or_else(AST::empty);
    let delay = delay_of(args.get(1));
    let scheduled = Scheduled {
        id,
        callback,
        delay,
        due: Instant::now() + delay,
        args: args.into_iter().skip(2).collect(),
        repeat,
        lib: Arc::new(lib),
        node: node.clone(),
        phase: run.phase,
        msgid: run.msgid.clone(),
        topic: run.topic.clone(),
    };
    run.timers.push(TimerOp::Set(Box::new(scheduled)));
    Ok(Dynamic::from_int(id as rhai::INT))
}

/// `clearTimeout(id)` / `clearInterval(id)`: takes effect when the run
/// completes; ids that name no timer are ignored.
pub fn clear(node: &NodeApi, id: &Dynamic) {
    let Some(f) = ops::as_f64(id) else {
        return;
    };
    if f >= 1.0 && f.fract() == 0.0 {
        let id = f as u64;
        let mut run = node.run.lock();
        // A timer set by this run has not started: it is simply dropped.
        let queued = run
            .timers
            .iter()
            .position(|op| matches!(op, TimerOp::Set(s) if s.id == id));
        match queued {
            Some(i) => drop(run.timers.remove(i)),
            None => run.timers.push(TimerOp::Clear(id)),
        }
    }
}

/// Fire, inside the run, the timer this run set that is due first, once
/// it is due (an `await` waiting for a promise only a timer can settle):
/// `false` when the run set none. Its sends and errors are the run's; an
/// exception it throws is a node error with an empty message, as when it
/// fires later; an interval is set again for its next firing.
pub fn fire_next(caller: &Caller, node: &NodeApi) -> JsResult<bool> {
    let next = {
        let mut run = node.run.lock();
        let first = run
            .timers
            .iter()
            .enumerate()
            .filter_map(|(i, op)| match op {
                TimerOp::Set(s) => Some((s.due, i)),
                TimerOp::Clear(_) => None,
            })
            .min();
        match first {
            Some((_, i)) => run.timers.remove(i),
            None => return Ok(false),
        }
    };
    let TimerOp::Set(mut s) = next else {
        return Ok(false);
    };
    if let Err(e) = sandbox::wait_until(s.due) {
        node.run.lock().timers.push(TimerOp::Set(s));
        return Err(e);
    }
    let result = caller.call(&s.callback, s.args.clone());
    if s.repeat {
        s.due += s.delay;
        node.run.lock().timers.push(TimerOp::Set(s));
    }
    if let Err(e) = result {
        let text = sandbox::thrown_text(&crate::jslib::promise::thrown(e)?);
        let mut run = node.run.lock();
        let after = run.sends.len();
        run.errors.push(RaisedError {
            message: text,
            body: Map::new(),
            after,
        });
    }
    Ok(true)
}

pub(crate) fn describe_value(v: &Dynamic) -> String {
    if v.is_unit() {
        return "undefined".into();
    }
    if v.is::<crate::jslib::values::JsNull>() {
        return "null".into();
    }
    match ops::type_of(v) {
        "string" => format!("type string ('{}')", ops::to_string(v)),
        t @ ("number" | "boolean") => format!("type {t} ({})", ops::to_string(v)),
        _ => "an instance of Object".into(),
    }
}
