//! A function node's scripts at run time: one [`Function`] per node runs
//! its `func` body per message and its `initialize`/`finalize` bodies when
//! the flows start and stop, with Node-RED's function API.
//!
//! A run starts on the tokio worker that delivered the message, with a short
//! time slice: almost every function finishes well within it, so the common
//! path costs no thread hop. A run that outlives the slice is abandoned (its
//! effects were only buffered, see [`RunState`]) and redone on the
//! blocking pool with the node's full timeout, and the node's later messages
//! go straight there until it is quick again. A runaway script therefore never
//! holds a worker for more than one slice. Converting the message into
//! script values is part of the run and bounded by the same budget (see
//! [`sandbox::conversion_step`]); a message big enough that converting it
//! alone would outlast the slice goes straight to the blocking pool, where
//! the results are converted back too.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use flowgate_runtime::context::Store;
use flowgate_runtime::events::Events;
use flowgate_runtime::flow_env::NodeEnv;
use flowgate_runtime::node::{NodeFuture, NodeHandle};
use flowgate_runtime::{Message, NodeError, Outcome, Outputs};
use parking_lot::Mutex;
use rhai::{Dynamic, Scope};
use serde_json::{Map, Value};
use tokio::sync::{Notify, Semaphore, SemaphorePermit};

use crate::api::{
    self, collect_sends, ContextApi, DateApi, EnvApi, JsonApi, NodeApi, NodeInfo, Phase, Run,
    RunState,
};
use crate::compile::{compile, Body, Script};
use crate::convert::{self, Mode};
use crate::lazy;
use crate::sandbox::{self, Budget, RunError};

/// How long a run may hold a tokio worker before it moves to the blocking pool.
const SLICE: Duration = Duration::from_millis(10);

/// Everything a [`Function`] is made of: the node's identity and wiring, its
/// compiled bodies, its limits and its context stores.
pub struct FunctionSpec {
    pub id: String,
    pub name: String,
    /// The tab.
    pub z: String,
    pub outputs: usize,
    /// What the node sees of the environment (`env.get`).
    pub env: NodeEnv,
    pub events: Events,
    pub mode: Mode,
    pub func: Option<Script>,
    pub init: Option<Script>,
    pub fin: Option<Script>,
    pub timeout: Duration,
    pub max_operations: u64,
    pub max_memory: usize,
    pub node_store: Arc<Store>,
    pub flow_store: Arc<Store>,
    pub global_store: Arc<Store>,
}

const INIT_READY: u8 = 0;
const INIT_PENDING: u8 = 1;
const INIT_FAILED: u8 = 2;

struct Inner {
    info: Arc<NodeInfo>,
    mode: Mode,
    func: Option<Script>,
    init: Option<Script>,
    fin: Option<Script>,
    timeout: Duration,
    max_operations: u64,
    max_memory: usize,
    node_store: Arc<Store>,
    flow_store: Arc<Store>,
    global_store: Arc<Store>,
    /// The script has outlived a slice: run it on the blocking pool.
    slow: AtomicBool,
    /// `node.status` was used (cleared when the node stops, as Node-RED does).
    status_set: AtomicBool,
    handle: OnceLock<NodeHandle>,
    init_state: AtomicU8,
    init_done: Notify,
    init_error: Mutex<Option<String>>,
    /// Convert the whole message into script values before a run and skip
    /// the data-only fast path: the reference the on-demand conversion and
    /// the fast path must match (set by the tests that compare them).
    full_conversion: AtomicBool,
}

/// What one run left behind.
struct Completed {
    result: Result<Dynamic, (String, Option<Value>)>,
    state: RunState,
    /// The `msg` the script worked on (for the message an error carries).
    msg: Option<Dynamic>,
    /// The input message's body while a lazily converted `msg` may still
    /// read it (translated JavaScript).
    src: Option<Arc<Map<String, Value>>>,
}

/// Limits concurrent scripts on the blocking pool so a flood of runaway
/// scripts cannot take every thread.
fn blocking_permits() -> &'static Semaphore {
    static SEM: OnceLock<Semaphore> = OnceLock::new();
    SEM.get_or_init(|| {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Semaphore::new((cores * 2).max(4))
    })
}

thread_local! {
    /// The blocking-pool permit of the run on this thread.
    static PERMIT: std::cell::RefCell<Option<SemaphorePermit<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Do `wait` (a run sleeping until a timer an `await` needs is due)
/// without the run's blocking-pool permit: the permits bound the scripts
/// burning CPU at once, and a waiting run burns none, so many requests can
/// wait at the same time. The permit is taken back before the run goes on.
pub(crate) fn without_permit<T>(wait: impl FnOnce() -> T) -> T {
    let Some(permit) = PERMIT.with(|p| p.borrow_mut().take()) else {
        return wait();
    };
    drop(permit);
    let out = wait();
    let again = tokio::runtime::Handle::try_current()
        .ok()
        .and_then(|rt| rt.block_on(blocking_permits().acquire()).ok());
    PERMIT.with(|p| *p.borrow_mut() = again);
    out
}

impl Inner {
    /// A host object's variable name (translated JavaScript's are mangled,
    /// see [`crate::translate::mangle`]).
    fn name(&self, name: &'static str) -> &'static str {
        match (self.mode, name) {
            (Mode::Rhai, n) => n,
            (Mode::Js, "msg") => "j_msg",
            (Mode::Js, "node") => "j_node",
            (Mode::Js, "context") => "j_context",
            (Mode::Js, "flow") => "j_flow",
            (Mode::Js, "global") => "j_global",
            (Mode::Js, "env") => "j_env",
            (Mode::Js, other) => unreachable!("no host object {other}"),
        }
    }

    fn scope(&self, run: &Run, msg: Option<Dynamic>) -> Scope<'static> {
        let mut s = Scope::new();
        if let Some(m) = msg {
            s.push(self.name("msg"), m);
        }
        s.push(
            self.name("node"),
            NodeApi {
                info: self.info.clone(),
                run: run.clone(),
            },
        );
        s.push(
            self.name("context"),
            ContextApi {
                store: self.node_store.clone(),
                run: run.clone(),
                flow: Some(self.flow_store.clone()),
                global: Some(self.global_store.clone()),
                props: Some(self.info.sandbox.context.clone()),
            },
        );
        for (name, store, props) in [
            ("flow", &self.flow_store, &self.info.sandbox.flow),
            ("global", &self.global_store, &self.info.sandbox.global),
        ] {
            s.push(
                self.name(name),
                ContextApi {
                    store: store.clone(),
                    run: run.clone(),
                    flow: None,
                    global: None,
                    props: Some(props.clone()),
                },
            );
        }
        s.push(
            self.name("env"),
            EnvApi {
                info: self.info.clone(),
                mode: self.mode,
            },
        );
        if self.mode == Mode::Rhai {
            s.push("JSON", JsonApi);
            s.push("Date", DateApi);
        }
        s
    }

    /// Run `func` for `msg` within `budget`.
    ///
    /// Translated JavaScript gets a `msg` converted on demand: the body moves
    /// into the run (see [`lazy`]) and comes back through [`Completed::src`],
    /// or into `msg` again when the run is abandoned.
    fn run_input(
        &self,
        script: &Script,
        msg: &mut Message,
        budget: Budget,
    ) -> Result<Completed, RunError> {
        // A body that may look at `msg.req` gets it (see `msg_use`).
        if script.reads_req {
            msg.settle_request();
        }
        let mut state = RunState::new(Phase::Input, self.mode, msg.msgid().to_owned());
        state.topic = match msg.body.get("topic") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        state.origin = msg.exchange().cloned();
        let run: Run = Arc::new(Mutex::new(state));
        let lazy = self.mode == Mode::Js && !self.full_conversion.load(Ordering::Relaxed);
        let (msg_value, src) = match self.mode {
            Mode::Js if lazy => {
                let src = Arc::new(std::mem::take(&mut msg.body));
                (Dynamic::from(lazy::lazy_msg(&src)), Some(src))
            }
            // Converting is part of the run: it counts against the budget.
            _ => match sandbox::within(budget, self.mode, || {
                convert::msg_from_json(&msg.body, self.mode)
                    .map_err(|_| "the conversion was interrupted".into())
            }) {
                Ok(value) => (value, None),
                Err(RunError::Sliced) => return Err(RunError::Sliced),
                Err(RunError::Failed(m, object)) => {
                    return Ok(Completed {
                        result: Err((m, object)),
                        state: self.take_state(&run),
                        msg: None,
                        src: None,
                    })
                }
            },
        };
        let mut scope = self.scope(&run, Some(msg_value.clone()));
        let result = script.ast().and_then(|ast| {
            script.with_caches(|caches| sandbox::run(ast, caches, &mut scope, budget, self.mode))
        });
        let result = match result {
            Err(RunError::Sliced) => {
                drop(scope);
                drop(msg_value);
                if let Some(src) = src {
                    msg.body = lazy::into_body(src);
                }
                return Err(RunError::Sliced);
            }
            Err(RunError::Failed(m, object)) => Err((m, object)),
            Ok(v) => Ok(v),
        };
        let msg_after = match self.mode {
            Mode::Js => msg_value,
            Mode::Rhai => scope.get_value::<Dynamic>("msg").unwrap_or(msg_value),
        };
        drop(scope);
        Ok(Completed {
            result,
            state: self.take_state(&run),
            msg: Some(msg_after),
            src,
        })
    }

    /// [`Script::run_without_engine`], unless every message must take the
    /// engine (see `full_conversion`).
    fn without_engine(&self, script: &Script, msg: &mut Message) -> Option<Option<usize>> {
        if self.full_conversion.load(Ordering::Relaxed) {
            return None;
        }
        script.run_without_engine(msg)
    }

    /// What an input run left in its shared state.
    fn take_state(&self, run: &Run) -> RunState {
        std::mem::replace(
            &mut *run.lock(),
            RunState::new(Phase::Input, self.mode, String::new()),
        )
    }

    /// Run `initialize` or `finalize` with the full budget.
    fn run_lifecycle(&self, script: &Script, phase: Phase) -> Completed {
        let run: Run = Arc::new(Mutex::new(RunState::new(phase, self.mode, String::new())));
        let mut scope = self.scope(&run, None);
        let now = Instant::now();
        let budget = Budget {
            deadline: now + self.timeout,
            timeout: self.timeout,
            slice_end: None,
            max_operations: self.max_operations,
            max_memory: self.max_memory,
        };
        let result = match script.ast().and_then(|ast| {
            script.with_caches(|caches| sandbox::run(ast, caches, &mut scope, budget, self.mode))
        }) {
            Ok(v) => Ok(v),
            Err(RunError::Failed(m, object)) => Err((m, object)),
            Err(RunError::Sliced) => Err(("stopped".into(), None)),
        };
        drop(scope);
        let state = std::mem::replace(
            &mut *run.lock(),
            RunState::new(phase, self.mode, String::new()),
        );
        Completed {
            result,
            state,
            msg: None,
            src: None,
        }
    }

    /// Log an error line and debug event outside a run.
    fn report(&self, text: String) {
        let run: Run = Arc::new(Mutex::new(RunState::new(
            Phase::Input,
            self.mode,
            String::new(),
        )));
        NodeApi {
            info: self.info.clone(),
            run: run.clone(),
        }
        .log(tracing::Level::ERROR, &Dynamic::from(text));
        run.lock().commit(&self.info);
    }

    /// Apply a finished run: commit its effects, buffer its sends (those of
    /// `node.send` first, then the return value's) and report its errors.
    fn finish(
        &self,
        mut input: Message,
        done: Completed,
        out: &mut Outputs,
    ) -> Result<(), NodeError> {
        let Completed {
            result,
            mut state,
            msg,
            src,
        } = done;
        state.commit(&self.info);
        if state.status_used {
            self.status_set.store(true, Ordering::Relaxed);
        }
        // Native Rhai maps follow the input's key order where they share keys.
        let template = (self.mode == Mode::Rhai).then_some(&input.body);
        // `node.error(err, msg)` reaches `catch` nodes in order with the
        // messages sent before and after it, and before the returned ones,
        // as in Node-RED (so a catch branch answers an HTTP request first).
        let mut raised = std::mem::take(&mut state.errors).into_iter().peekable();
        for (sent, (port, body)) in state.sends.drain(..).enumerate() {
            while let Some(e) = raised.next_if(|e| e.after <= sent) {
                out.raise(NodeError::new(e.message).with_msg(input.derive(e.body)));
            }
            out.send(port, input.derive(body));
        }
        for e in raised {
            out.raise(NodeError::new(e.message).with_msg(input.derive(e.body)));
        }
        for d in state.deferred.drain(..) {
            match d {
                api::Deferred::Send(v) => {
                    let (sends, bad) = collect_sends(&v, self.mode, template, &state.msgid)
                        .map_err(|e| NodeError::new(e).with_msg(input.clone()))?;
                    for t in bad {
                        self.report(format!("Function tried to send a message of type {t}"));
                    }
                    for (port, body) in sends {
                        out.send(port, input.derive(body));
                    }
                }
                api::Deferred::Raise(message, m) => {
                    if let Ok(Some(body)) = convert::to_body(&m, self.mode, template) {
                        out.raise(NodeError::new(message).with_msg(input.derive(body)));
                    }
                }
            }
        }
        match result {
            Ok(value) => {
                let collected = match src {
                    Some(src) => {
                        lazy::collect_final(value, msg, src, &state.msgid).map_err(|(e, body)| {
                            input.body = body;
                            e
                        })
                    }
                    None => collect_sends(&value, self.mode, template, &state.msgid)
                        .map(|sends| (sends, Vec::new())),
                };
                let ((sends, bad), own) =
                    collected.map_err(|e| NodeError::new(e).with_msg(input.clone()))?;
                for t in bad {
                    self.report(format!("Function tried to send a message of type {t}"));
                }
                for (i, (port, body)) in sends.into_iter().enumerate() {
                    let sent = match own.get(i) {
                        Some(true) => input.derive_same(body),
                        _ => input.derive(body),
                    };
                    out.send(port, sent);
                }
                Ok(())
            }
            Err((message, error_object)) => {
                let mut body = match (msg, src) {
                    // Untouched properties move back rather than being copied.
                    (Some(m), Some(src)) => match crate::jslib::values::as_object(&m) {
                        Some(obj) => {
                            drop(m);
                            lazy::final_body(obj, src).unwrap_or_else(|(_, input)| input)
                        }
                        None => lazy::into_body(src),
                    },
                    (Some(m), None) => convert::to_body(&m, self.mode, template)
                        .ok()
                        .flatten()
                        .unwrap_or_else(|| input.body.clone()),
                    (None, Some(src)) => lazy::into_body(src),
                    // Nothing else reads the input's body any more.
                    (None, None) => std::mem::take(&mut input.body),
                };
                if let Some(object) = error_object {
                    body.insert("error".into(), object);
                }
                // The run's own `msg` (or the input), as it stood.
                Err(NodeError::new(message).with_msg(input.derive_same(body)))
            }
        }
    }

    /// Run `func` for `msg` on the blocking pool (this thread is one of
    /// its threads): the sends and raised errors, or the run's error.
    fn run_on_pool(&self, mut msg: Message, started: Instant) -> (Outputs, Result<(), NodeError>) {
        let mut sent = Outputs::default();
        let script = self.func.as_ref().expect("function body");
        if let Some(port) = self.without_engine(script, &mut msg) {
            if let Some(port) = port {
                sent.send(port, msg);
            }
            return (sent, Ok(()));
        }
        let ran_at = Instant::now();
        let budget = self.budget(started, false);
        let done = self.run_input(script, &mut msg, budget);
        if ran_at.elapsed() < SLICE / 4 {
            // Quick again: let the next message try the worker first.
            self.slow.store(false, Ordering::Relaxed);
        }
        // The sends travel back with the outcome: a run that also fails
        // still sends what it sent before failing.
        let outcome = match done {
            Ok(done) => self.finish(msg, done, &mut sent),
            Err(_) => Err(NodeError::new("function run was interrupted").with_msg(msg)),
        };
        (sent, outcome)
    }

    fn budget(&self, started: Instant, slice: bool) -> Budget {
        Budget {
            deadline: started + self.timeout,
            timeout: self.timeout,
            slice_end: slice.then(|| Instant::now() + SLICE),
            max_operations: self.max_operations,
            max_memory: self.max_memory,
        }
    }
}

/// A function node's scripts, ready to run.
pub struct Function {
    inner: Arc<Inner>,
}

#[cfg(test)]
impl Function {
    /// The node's timers, for tests that attach their own sink.
    pub(crate) fn timers(&self) -> &crate::timers::Timers {
        &self.inner.info.timers
    }

    /// Run every message through the full conversion (see `full_conversion`).
    pub(crate) fn convert_fully(&self) {
        self.inner.full_conversion.store(true, Ordering::Relaxed);
    }
}

/// What a [`Function::standalone`] is built from.
pub struct StandaloneConfig<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// `true` for a native Rhai body, `false` for JavaScript.
    pub rhai: bool,
    pub func: &'a str,
    pub outputs: usize,
    pub timeout: Duration,
    pub events: Events,
}

impl Function {
    pub fn new(spec: FunctionSpec) -> Function {
        let inner = Inner {
            info: Arc::new(NodeInfo {
                id: spec.id,
                name: spec.name,
                z: spec.z,
                outputs: spec.outputs,
                env: spec.env,
                events: spec.events,
                timers: Default::default(),
                listeners: Default::default(),
                sandbox: Default::default(),
            }),
            mode: spec.mode,
            func: spec.func,
            init: spec.init,
            fin: spec.fin,
            timeout: spec.timeout,
            max_operations: spec.max_operations,
            max_memory: spec.max_memory,
            node_store: spec.node_store,
            flow_store: spec.flow_store,
            global_store: spec.global_store,
            slow: AtomicBool::new(false),
            status_set: AtomicBool::new(false),
            handle: OnceLock::new(),
            init_state: AtomicU8::new(INIT_READY),
            init_done: Notify::new(),
            init_error: Mutex::new(None),
            full_conversion: AtomicBool::new(false),
        };
        Function {
            inner: Arc::new(inner),
        }
    }

    /// A function outside any flow, with its own empty context stores and
    /// the default limits: for benchmarks, tests and embedding. Flows build
    /// theirs through the node registry.
    pub fn standalone(c: StandaloneConfig<'_>) -> Result<Function, String> {
        let mode = if c.rhai { Mode::Rhai } else { Mode::Js };
        let func = compile(c.func, mode, Body::Func).map_err(|e| e.to_string())?;
        let defaults = flowgate_runtime::settings::Settings::default();
        Ok(Function::new(FunctionSpec {
            id: c.id.to_owned(),
            name: c.name.to_owned(),
            z: String::new(),
            outputs: c.outputs,
            env: NodeEnv {
                id: c.id.to_owned(),
                name: Some(c.name.to_owned()),
                path: c.id.to_owned(),
                ..NodeEnv::default()
            },
            events: c.events,
            mode,
            func,
            init: None,
            fin: None,
            timeout: c.timeout,
            max_operations: defaults.function_max_operations,
            max_memory: defaults.function_max_memory,
            node_store: Arc::new(Store::default()),
            flow_store: Arc::new(Store::default()),
            global_store: Arc::new(Store::default()),
        }))
    }
}

impl Function {
    /// Run on the blocking pool, then route the results.
    fn run_blocking<'a>(
        &'a self,
        msg: Message,
        out: &'a mut Outputs,
        started: Instant,
    ) -> NodeFuture<'a> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let permit = blocking_permits()
                .acquire()
                .await
                .expect("semaphore is never closed");
            // The run and both conversions (the message into script values
            // and the results back) happen off the worker.
            // The sends travel back with the outcome: a run that reports an
            // error (`node.error(e, msg)`) still sends what it returned.
            let task = tokio::task::spawn_blocking(move || {
                PERMIT.with(|p| *p.borrow_mut() = Some(permit));
                let done = inner.run_on_pool(msg, started);
                PERMIT.with(|p| p.borrow_mut().take());
                done
            });
            let (sent, outcome) = task
                .await
                .map_err(|e| NodeError::new(format!("function run failed: {e}")))?;
            out.append(sent);
            outcome
        })
    }

    fn wait_for_init<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> NodeFuture<'a> {
        Box::pin(async move {
            loop {
                let notified = self.inner.init_done.notified();
                if self.inner.init_state.load(Ordering::Acquire) != INIT_PENDING {
                    break;
                }
                notified.await;
            }
            match self.dispatch(msg, out) {
                Outcome::Ready(r) => r,
                Outcome::Pending(f) => f.await,
            }
        })
    }

    fn dispatch<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let inner = &self.inner;
        let Some(script) = &inner.func else {
            return Outcome::Ready(Ok(()));
        };
        match inner.init_state.load(Ordering::Acquire) {
            INIT_READY => {}
            INIT_PENDING => return Outcome::Pending(self.wait_for_init(msg, out)),
            _ => {
                let why = inner.init_error.lock().clone().unwrap_or_default();
                return Outcome::Ready(Err(NodeError::new(format!(
                    "the node's initialize code failed: {why}"
                ))
                .with_msg(msg)));
            }
        }
        let mut msg = msg;
        // Converting a big message (into script values, or normalizing it)
        // is work no worker may be held for: straight to the blocking pool.
        if inner.slow.load(Ordering::Relaxed) || lazy::is_large(&msg.body) {
            return Outcome::Pending(self.run_blocking(msg, out, Instant::now()));
        }
        if let Some(port) = inner.without_engine(script, &mut msg) {
            if let Some(port) = port {
                out.send(port, msg);
            }
            return Outcome::Ready(Ok(()));
        }
        // The budget starts here: the paths above read no clock.
        let started = Instant::now();
        match inner.run_input(script, &mut msg, inner.budget(started, true)) {
            Ok(done) => Outcome::Ready(inner.finish(msg, done, out)),
            Err(_) => {
                inner.slow.store(true, Ordering::Relaxed);
                tracing::debug!(node = %inner.info.id, "function outlived its slice; continuing on the blocking pool");
                Outcome::Pending(self.run_blocking(msg, out, started))
            }
        }
    }
}

/// The node's life cycle, as the runtime's `Node` trait drives it.
impl Function {
    /// Run `func` for one message.
    pub fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        self.dispatch(msg, out)
    }

    /// Whether a message's `msg.req` must be built before it comes in: not
    /// for a body that cannot tell (see [`crate::msg_use`]).
    pub fn reads_request(&self) -> bool {
        self.inner.func.as_ref().is_none_or(|s| s.reads_req)
    }

    /// The flows started: attach the node's timers and run `initialize`.
    pub fn start(&self, handle: NodeHandle) {
        let _ = self.inner.handle.set(handle.clone());
        self.inner.info.timers.attach(
            Arc::new(handle.clone()),
            self.inner.timeout,
            self.inner.max_operations,
            self.inner.max_memory,
        );
        if self.inner.init.is_none() {
            return;
        }
        self.inner.init_state.store(INIT_PENDING, Ordering::Release);
        let inner = self.inner.clone();
        let work = move || {
            let script = inner.init.as_ref().expect("initialize script");
            let mut done = inner.run_lifecycle(script, Phase::Initialize);
            done.state.commit(&inner.info);
            let mut out = Outputs::default();
            for (port, body) in done.state.sends.drain(..) {
                out.send(port, Message::from_body(body));
            }
            if !out.is_empty() {
                handle.send_all(out);
            }
            match done.result {
                Ok(_) => inner.init_state.store(INIT_READY, Ordering::Release),
                Err(e) => {
                    inner.report(format!("initialize failed: {}", e.0));
                    *inner.init_error.lock() = Some(e.0);
                    inner.init_state.store(INIT_FAILED, Ordering::Release);
                }
            }
            inner.init_done.notify_waiters();
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn_blocking(work);
            }
            Err(_) => work(),
        }
    }

    /// The flows stop: run `finalize`, cancel the timers and clear the
    /// status the script set.
    pub fn stop(&self) {
        let inner = &self.inner;
        if let Some(script) = &inner.fin {
            let run = || {
                let mut done = inner.run_lifecycle(script, Phase::Finalize);
                done.state.commit(&inner.info);
                if let Err(e) = done.result {
                    inner.report(format!("finalize failed: {}", e.0));
                }
            };
            let multi_thread = tokio::runtime::Handle::try_current()
                .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
            if multi_thread {
                tokio::task::block_in_place(run);
            } else {
                run();
            }
        }
        inner.info.listeners.close(
            &inner.info,
            inner.timeout,
            inner.budget(Instant::now(), false),
        );
        inner.info.timers.stop();
        if inner.status_set.load(Ordering::Relaxed) {
            inner.info.events.publish(
                format!("status/{}", inner.info.id),
                Value::Object(Map::new()),
            );
        }
    }
}
