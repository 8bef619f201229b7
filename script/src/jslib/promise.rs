//! `Promise` for function bodies: the constructor, `Promise.resolve/reject/
//! all/allSettled/race/any`, `.then/.catch/.finally`, and the job queue
//! their reactions run from.
//!
//! A promise is a shared cell that is pending (with the reactions waiting
//! for it) or settled. Settling one queues its reactions as jobs on the
//! running thread's queue, which is drained whenever JavaScript would run
//! its microtasks: at every `await` (see [`super::awaiting`]), when a body
//! that uses promises returns, and after a timer callback. A run owns the
//! queue of the thread it runs on (a script never runs on two threads at
//! once), so nothing here needs the engine to be asynchronous.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use rhai::{Dynamic, EvalAltResult, NativeCallContext, Position, AST};

use super::arg;

use super::builtins::Builtin;
use super::callback::{call_function, is_callable};
use super::ops::{self, JsResult};
use super::values::{array, as_array, JsError, JsMethod, JsObject};

/// A JavaScript promise.
#[derive(Clone, Default)]
pub struct JsPromise(Arc<Shared>);

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Whether anything ever reacted to it (a rejection nothing handles is
    /// reported).
    handled: AtomicBool,
}

enum State {
    /// `locked`: resolved with another promise, whose outcome it takes.
    Pending {
        reactions: Vec<Reaction>,
        locked: bool,
    },
    Settled(Outcome),
}

impl Default for State {
    fn default() -> Self {
        State::Pending {
            reactions: Vec::new(),
            locked: false,
        }
    }
}

/// How a promise settled.
#[derive(Clone)]
pub enum Outcome {
    Fulfilled(Dynamic),
    Rejected(Dynamic),
}

/// What runs when a promise settles, and the promise it settles in turn.
struct Reaction {
    handler: Handler,
    target: Option<JsPromise>,
}

enum Handler {
    /// Give the target the same outcome (a promise resolved with another).
    Pass,
    /// `.then(onFulfilled, onRejected)` (`.catch(f)` is `.then(undefined, f)`).
    Then(Dynamic, Dynamic),
    /// `.finally(f)`.
    Finally(Dynamic),
    /// The promise `f` of a `.finally(f)` returned settled: the target takes
    /// the saved outcome unless that promise was rejected.
    Restore(Outcome),
    /// One element of `Promise.all` & co.
    Gather(Arc<Mutex<Gather>>, usize),
}

/// A queued promise reaction (a microtask).
pub struct Job {
    handler: Handler,
    outcome: Outcome,
    target: Option<JsPromise>,
}

/// The promise jobs (microtasks) of the run on a thread, and its
/// rejected promises nothing has handled yet.
#[derive(Default)]
pub struct Jobs {
    queue: VecDeque<Job>,
    unhandled: Vec<JsPromise>,
}

thread_local! {
    static JOBS: RefCell<Jobs> = RefCell::new(Jobs::default());
}

/// Take the thread's jobs (a run starting: it begins with none).
pub fn take_jobs() -> Jobs {
    JOBS.with(|j| std::mem::take(&mut *j.borrow_mut()))
}

/// Put back jobs taken by [`take_jobs`] (the run ended; whatever it left
/// queued is dropped).
pub fn restore_jobs(jobs: Jobs) {
    JOBS.with(|j| *j.borrow_mut() = jobs);
}

fn queue(job: Job) {
    JOBS.with(|j| j.borrow_mut().queue.push_back(job));
}

fn next_job() -> Option<Job> {
    JOBS.with(|j| j.borrow_mut().queue.pop_front())
}

/// The reasons of the run's rejected promises that nothing handled (a
/// rejection Node.js reports as unhandled), forgetting them.
pub fn take_unhandled() -> Vec<Dynamic> {
    let list = JOBS.with(|j| std::mem::take(&mut j.borrow_mut().unhandled));
    list.into_iter()
        .filter(|p| !p.0.handled.load(Ordering::Relaxed))
        .filter_map(|p| match p.outcome() {
            Some(Outcome::Rejected(e)) => Some(e),
            _ => None,
        })
        .collect()
}

impl JsPromise {
    pub fn new() -> Self {
        Self::default()
    }

    fn settled(outcome: Outcome) -> Self {
        let p = JsPromise::new();
        p.settle(outcome, true);
        p
    }

    /// The outcome, once settled.
    pub fn outcome(&self) -> Option<Outcome> {
        match &*self.0.state.lock() {
            State::Settled(o) => Some(o.clone()),
            State::Pending { .. } => None,
        }
    }

    fn subscribe(&self, reaction: Reaction) {
        self.0.handled.store(true, Ordering::Relaxed);
        let mut st = self.0.state.lock();
        match &mut *st {
            State::Pending { reactions, .. } => reactions.push(reaction),
            State::Settled(o) => queue(Job {
                handler: reaction.handler,
                outcome: o.clone(),
                target: reaction.target,
            }),
        }
    }

    /// Settle with `outcome` unless already settled (or, for a call from
    /// script code, already resolved with another promise).
    fn settle(&self, outcome: Outcome, adopted: bool) {
        let reactions = {
            let mut st = self.0.state.lock();
            match &mut *st {
                State::Pending { reactions, locked } if adopted || !*locked => {
                    let r = std::mem::take(reactions);
                    *st = State::Settled(outcome.clone());
                    r
                }
                _ => return,
            }
        };
        if matches!(outcome, Outcome::Rejected(_)) && !self.0.handled.load(Ordering::Relaxed) {
            JOBS.with(|j| j.borrow_mut().unhandled.push(self.clone()));
        }
        for r in reactions {
            queue(Job {
                handler: r.handler,
                outcome: outcome.clone(),
                target: r.target,
            });
        }
    }

    /// JavaScript's resolve function: a promise value is followed, anything
    /// else fulfils.
    pub fn resolve(&self, v: Dynamic) {
        let Some(other) = as_promise(&v) else {
            return self.settle(Outcome::Fulfilled(v), false);
        };
        if Arc::ptr_eq(&other.0, &self.0) {
            let e = JsError::new(
                "TypeError",
                "Chaining cycle detected for promise #<Promise>",
            );
            return self.settle(Outcome::Rejected(Dynamic::from(e)), false);
        }
        match &mut *self.0.state.lock() {
            State::Pending { locked, .. } if !*locked => *locked = true,
            _ => return,
        }
        other.subscribe(Reaction {
            handler: Handler::Pass,
            target: Some(self.clone()),
        });
    }

    pub fn reject(&self, e: Dynamic) {
        self.settle(Outcome::Rejected(e), false);
    }

    fn then(&self, handler: Handler) -> Dynamic {
        let target = JsPromise::new();
        self.subscribe(Reaction {
            handler,
            target: Some(target.clone()),
        });
        Dynamic::from(target)
    }
}

/// The promise `v` is, if it is one.
pub fn as_promise(v: &Dynamic) -> Option<JsPromise> {
    v.read_lock::<JsPromise>().map(|p| p.clone())
}

/// `Promise.resolve(v)`: `v` itself when it is a promise.
fn promise_of(v: Dynamic) -> JsPromise {
    as_promise(&v).unwrap_or_else(|| JsPromise::settled(Outcome::Fulfilled(v)))
}

/// The receiver of a promise's resolve and reject functions (`JsMethod`s
/// named `resolve` and `reject` on it), which script code cannot reach
/// otherwise.
#[derive(Clone)]
pub struct Resolvers(JsPromise);

pub fn resolver(p: &JsPromise, name: &str) -> Dynamic {
    Dynamic::from(JsMethod {
        recv: Dynamic::from(Resolvers(p.clone())),
        name: name.into(),
    })
}

/// Call `f` if it is a resolve or reject function (these need no script
/// context, so timers can call them too).
pub fn call_resolver(f: &Dynamic, args: &[Dynamic]) -> Option<Dynamic> {
    let m = f.read_lock::<JsMethod>()?;
    settle_with(&m.recv, &m.name, args)
}

/// A resolve or reject function `name` of `recv` called with `args`.
fn settle_with(recv: &Dynamic, name: &str, args: &[Dynamic]) -> Option<Dynamic> {
    let r = recv.read_lock::<Resolvers>()?;
    let v = args.first().cloned().unwrap_or(Dynamic::UNIT);
    match name {
        "resolve" => r.0.resolve(v),
        _ => r.0.reject(v),
    }
    Some(Dynamic::UNIT)
}

/// Whether `f` is a resolve or reject function.
pub fn is_resolver(f: &Dynamic) -> bool {
    f.read_lock::<JsMethod>()
        .is_some_and(|m| m.recv.is::<Resolvers>())
}

/// How a job calls script functions: inside a run (with its call context)
/// or from outside one (a timer firing, with its script's functions).
pub enum Caller<'a, 'b> {
    Ctx(&'a NativeCallContext<'b>),
    Lib(&'a AST),
}

impl Caller<'_, '_> {
    pub fn call(&self, f: &Dynamic, args: Vec<Dynamic>) -> JsResult<Dynamic> {
        if let Some(v) = call_resolver(f, &args) {
            return Ok(v);
        }
        match self {
            Caller::Ctx(ctx) => call_function(ctx, f, args),
            Caller::Lib(lib) => crate::sandbox::call_value(lib, f, args),
        }
    }
}

/// The value a failed call threw, as `catch (e)` would bind it; errors
/// that end the run (time, operations, memory, stack) are passed on.
pub fn thrown(e: Box<EvalAltResult>) -> JsResult<Dynamic> {
    let mut inner = &*e;
    while let EvalAltResult::ErrorInFunctionCall(_, _, next, _) = inner {
        inner = next;
    }
    if inner.is_system_exception() || !inner.is_catchable() {
        return Err(e);
    }
    Ok(match inner {
        EvalAltResult::ErrorRuntime(v, _) => v.clone(),
        other => {
            let mut map = rhai::Map::new();
            map.insert("message".into(), Dynamic::from(other.to_string()));
            super::register::caught(Dynamic::from(map))
        }
    })
}

/// Throw `v` into the script (an awaited promise was rejected).
pub fn rethrow(v: Dynamic) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(v, Position::NONE))
}

/// A promise that takes `v`'s outcome in a job of its own, queued when `v`
/// settles: what an `await v` continues after, so the reactions queued
/// before it run first, and those they queue after it, as in V8.
pub fn follower(v: Dynamic) -> JsPromise {
    let m = JsPromise::new();
    promise_of(v).subscribe(Reaction {
        handler: Handler::Pass,
        target: Some(m.clone()),
    });
    m
}

/// Run queued jobs until `p` is settled or none is left.
pub fn run_until(caller: &Caller, p: &JsPromise) -> JsResult<()> {
    while p.outcome().is_none() {
        let Some(job) = next_job() else {
            break;
        };
        run_job(caller, job)?;
    }
    Ok(())
}

/// Run the queued jobs, and those they queue, until none is left.
pub fn drain(caller: &Caller) -> JsResult<()> {
    while let Some(job) = next_job() {
        run_job(caller, job)?;
    }
    Ok(())
}

fn run_job(caller: &Caller, job: Job) -> JsResult<()> {
    let Job {
        handler,
        outcome,
        target,
    } = job;
    let pass = |target: &Option<JsPromise>, outcome: Outcome| {
        if let Some(t) = target {
            t.settle(outcome, true);
        }
    };
    match handler {
        Handler::Pass => pass(&target, outcome),
        Handler::Then(on_fulfilled, on_rejected) => {
            let (f, v) = match &outcome {
                Outcome::Fulfilled(v) => (on_fulfilled, v.clone()),
                Outcome::Rejected(e) => (on_rejected, e.clone()),
            };
            if !is_callable(&f) {
                pass(&target, outcome);
                return Ok(());
            }
            match caller.call(&f, vec![v]) {
                Ok(r) => {
                    if let Some(t) = &target {
                        t.resolve(r);
                    }
                }
                Err(e) => pass(&target, Outcome::Rejected(thrown(e)?)),
            }
        }
        Handler::Finally(f) => {
            if !is_callable(&f) {
                pass(&target, outcome);
                return Ok(());
            }
            match caller.call(&f, Vec::new()) {
                Ok(r) => match as_promise(&r) {
                    Some(p) => p.subscribe(Reaction {
                        handler: Handler::Restore(outcome),
                        target,
                    }),
                    None => pass(&target, outcome),
                },
                Err(e) => pass(&target, Outcome::Rejected(thrown(e)?)),
            }
        }
        Handler::Restore(saved) => match outcome {
            Outcome::Fulfilled(_) => pass(&target, saved),
            rejected => pass(&target, rejected),
        },
        Handler::Gather(g, i) => gather_step(&g, i, outcome),
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum GatherKind {
    All,
    AllSettled,
    Race,
    Any,
}

/// The state of one `Promise.all` (or `allSettled`, `race`, `any`).
struct Gather {
    kind: GatherKind,
    values: Vec<Dynamic>,
    remaining: usize,
    target: JsPromise,
}

fn aggregate_error(errors: Vec<Dynamic>) -> Dynamic {
    let e = JsError::new("AggregateError", "All promises were rejected");
    e.props.set("errors".into(), array(errors));
    Dynamic::from(e)
}

fn settled_record(outcome: Outcome) -> Dynamic {
    let o = JsObject::new();
    match outcome {
        Outcome::Fulfilled(v) => {
            o.set("status".into(), Dynamic::from("fulfilled"));
            o.set("value".into(), v);
        }
        Outcome::Rejected(e) => {
            o.set("status".into(), Dynamic::from("rejected"));
            o.set("reason".into(), e);
        }
    }
    Dynamic::from(o)
}

fn gather_step(g: &Mutex<Gather>, i: usize, outcome: Outcome) {
    let mut g = g.lock();
    let target = g.target.clone();
    let kind = g.kind;
    let counted = match (kind, outcome) {
        (GatherKind::Race, o)
        | (GatherKind::All, o @ Outcome::Rejected(_))
        | (GatherKind::Any, o @ Outcome::Fulfilled(_)) => {
            drop(g);
            return target.settle(o, true);
        }
        (GatherKind::All, Outcome::Fulfilled(v)) | (GatherKind::Any, Outcome::Rejected(v)) => v,
        (GatherKind::AllSettled, o) => settled_record(o),
    };
    g.values[i] = counted;
    g.remaining -= 1;
    if g.remaining > 0 {
        return;
    }
    let values = std::mem::take(&mut g.values);
    drop(g);
    match kind {
        GatherKind::Any => target.settle(Outcome::Rejected(aggregate_error(values)), true),
        _ => target.settle(Outcome::Fulfilled(array(values)), true),
    }
}

fn gather(kind: GatherKind, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let list = args.into_iter().next().unwrap_or(Dynamic::UNIT);
    let items = match as_array(&list) {
        Some(a) => a.items(),
        None if list.is_string() => super::props::iterate(&list)?,
        None => {
            return Ok(Dynamic::from(JsPromise::settled(Outcome::Rejected(
                Dynamic::from(JsError::new(
                    "TypeError",
                    format!(
                        "{} is not iterable (cannot read property Symbol(Symbol.iterator))",
                        ops::to_string(&list)
                    ),
                )),
            ))))
        }
    };
    let target = JsPromise::new();
    if items.is_empty() {
        match kind {
            GatherKind::All | GatherKind::AllSettled => {
                target.settle(Outcome::Fulfilled(array(Vec::new())), true)
            }
            GatherKind::Any => target.settle(Outcome::Rejected(aggregate_error(Vec::new())), true),
            GatherKind::Race => {}
        }
        return Ok(Dynamic::from(target));
    }
    let g = Arc::new(Mutex::new(Gather {
        kind,
        values: vec![Dynamic::UNIT; items.len()],
        remaining: items.len(),
        target: target.clone(),
    }));
    for (i, item) in items.into_iter().enumerate() {
        promise_of(item).subscribe(Reaction {
            handler: Handler::Gather(g.clone(), i),
            target: None,
        });
    }
    Ok(Dynamic::from(target))
}

/// `new Promise(executor)`: runs the executor at once with the resolve
/// and reject functions; an exception it throws rejects the promise.
fn construct(ctx: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let executor = arg(&args, 0);
    if !is_callable(&executor) {
        return Err(ops::type_error(format!(
            "Promise resolver {} is not a function",
            describe(&executor)
        )));
    }
    let p = JsPromise::new();
    let fns = vec![resolver(&p, "resolve"), resolver(&p, "reject")];
    if let Err(e) = Caller::Ctx(ctx).call(&executor, fns) {
        p.reject(thrown(e)?);
    }
    Ok(Dynamic::from(p))
}

/// V8's description of a non-function given to `new Promise`.
fn describe(v: &Dynamic) -> String {
    if v.is_unit() {
        return "undefined".into();
    }
    if super::values::as_object(v).is_some() {
        return "#<Object>".into();
    }
    if as_array(v).is_some() {
        let items = as_array(v).map(|a| a.items()).unwrap_or_default();
        return items
            .iter()
            .map(|i| ops::to_string(i).to_string())
            .collect::<Vec<_>>()
            .join(",");
    }
    ops::to_string(v).to_string()
}

fn resolve_fn(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from(promise_of(arg(&args, 0))))
}

fn reject_fn(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from(JsPromise::settled(Outcome::Rejected(arg(
        &args, 0,
    )))))
}

fn all(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    gather(GatherKind::All, args)
}

fn all_settled(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    gather(GatherKind::AllSettled, args)
}

fn race(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    gather(GatherKind::Race, args)
}

fn any(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    gather(GatherKind::Any, args)
}

/// The `Promise` built-ins, in the form of [`super::builtins::BUILTINS`].
pub const BUILTINS: &[(&str, &str, Builtin)] = &[
    ("new Promise", "new_Promise", construct),
    ("Promise.resolve", "Promise_resolve", resolve_fn),
    ("Promise.reject", "Promise_reject", reject_fn),
    ("Promise.all", "Promise_all", all),
    ("Promise.allSettled", "Promise_allSettled", all_settled),
    ("Promise.race", "Promise_race", race),
    ("Promise.any", "Promise_any", any),
];

/// A promise's methods.
pub const METHODS: &[&str] = &["then", "catch", "finally"];

/// `p.then(f, r)`, `p.catch(r)`, `p.finally(f)`, and a resolve or reject
/// function's own methods; `None` when `recv` is neither.
pub fn call_method(recv: &Dynamic, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    if let Some(v) = settle_with(recv, name, args) {
        return Some(Ok(v));
    }
    let p = as_promise(recv)?;
    Some(Ok(match name {
        "then" => p.then(Handler::Then(arg(args, 0), arg(args, 1))),
        "catch" => p.then(Handler::Then(Dynamic::UNIT, arg(args, 0))),
        "finally" => p.then(Handler::Finally(arg(args, 0))),
        _ => return None,
    }))
}

/// Whether `v` is a promise (for `instanceof Promise`).
pub fn is_promise(v: &Dynamic) -> bool {
    v.is::<JsPromise>()
}
