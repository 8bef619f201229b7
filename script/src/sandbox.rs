//! The one shared Rhai engine, its limits, and how a script run is bounded.
//!
//! Scripts cannot reach files, the network or processes (Rhai has no such
//! API and none is registered; `eval` is disabled). Sizes of strings, arrays
//! and maps are capped, and every run carries a [`Budget`]: an operation
//! limit and a wall-clock deadline, checked every few hundred operations by
//! the engine's progress hook, which stops the script with a token the
//! runner turns into the right error.

use std::cell::Cell;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rhai::{Caches, Dynamic, Engine, EvalAltResult, FnPtr, Scope, AST, INT};

use super::convert::Mode;
use super::memory;
use crate::jslib::values::{JsError, JsFunction, MAX_ELEMENTS, MAX_STRING_BYTES};

/// Most entries in one Rhai map.
const MAX_MAP_ENTRIES: usize = 1024 * 1024;

/// How deep script functions may call each other (a JavaScript call is a
/// helper call plus a closure call, so this allows about half as many
/// JavaScript frames). Sized so the deepest recursion fits the 2 MiB stack
/// of a tokio worker (debug builds use far bigger frames).
const MAX_CALL_LEVELS: usize = if cfg!(debug_assertions) { 32 } else { 64 };

/// How deeply a compiled expression may nest.
const MAX_EXPR_DEPTH: usize = 8 * crate::translate::nesting::MAX_NESTING;

/// How often (in operations) the progress hook looks at the clock.
const CHECK_EVERY: u64 = 32;

/// The hook also looks at the clock after a run allocated this much since
/// it last looked (big allocations come with slow operations).
const CHECK_AFTER_BYTES: isize = 1024 * 1024;

const STOP_SLICE: INT = 1;
const STOP_TIMEOUT: INT = 2;
const STOP_OPERATIONS: INT = 3;
const STOP_MEMORY: INT = 4;

/// The limits of one run.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// When the run fails with a timeout.
    pub deadline: Instant,
    /// The configured timeout, for the message.
    pub timeout: Duration,
    /// When a run on a tokio worker gives up so it can be redone on the
    /// blocking pool (`None` on the blocking pool itself).
    pub slice_end: Option<Instant>,
    pub max_operations: u64,
    /// Bytes the run may allocate (net, see [`memory`]).
    pub max_memory: usize,
}

/// How many values a conversion between JSON and script values converts
/// between looks at the budget (a few hundred microseconds' worth).
const CONVERT_CHECK_EVERY: u32 = 4096;

thread_local! {
    static BUDGET: Cell<Option<Budget>> = const { Cell::new(None) };
    /// The stop a conversion ran into: the progress hook raises it at the
    /// script's next operation, and [`within`] reports it even if there is
    /// none.
    static PENDING: Cell<Option<INT>> = const { Cell::new(None) };
    /// Values converted on this thread (counts towards the next look at
    /// the budget).
    static CONVERTED: Cell<u32> = const { Cell::new(0) };
}

/// A conversion stopped because the running script's budget (time, slice
/// or memory) ran out; the run ends with that budget's error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

/// Count one value converted between JSON and script values. A conversion
/// happens in one built-in operation, which the progress hook cannot
/// interrupt, so conversions look at the budget themselves: once the
/// script's slice, deadline or memory is used up they stop (and every
/// later one stops at once), and the run ends as if the hook had stopped
/// it. Outside a run there is no budget and nothing stops.
pub fn conversion_step() -> Result<(), Interrupted> {
    if PENDING.get().is_some() {
        return Err(Interrupted);
    }
    let n = CONVERTED.get().wrapping_add(1);
    CONVERTED.set(n);
    if !n.is_multiple_of(CONVERT_CHECK_EVERY) {
        return Ok(());
    }
    check_now()
}

/// Look at the running script's memory and budget now; once used up, the
/// stop is left pending for the progress hook (see [`conversion_step`]).
fn check_now() -> Result<(), Interrupted> {
    let stop = if memory::over_ceiling() {
        Some(STOP_MEMORY)
    } else {
        budget_stop(None)
    };
    match stop {
        Some(token) => {
            PENDING.set(Some(token));
            Err(Interrupted)
        }
        None => Ok(()),
    }
}

/// Whether a regular expression search inside a script must give up: the
/// engine asks every few thousand backtracks, and like a conversion the
/// search then ends the run with its budget's error (or moves it off the
/// worker when its slice is used up). Outside a run nothing stops.
pub fn search_should_stop() -> bool {
    PENDING.get().is_some() || check_now().is_err()
}

/// The stop token when the running script's budget is used up: `ops`
/// operations (if counted), its slice or its deadline.
fn budget_stop(ops: Option<u64>) -> Option<INT> {
    BUDGET.with(|b| {
        let b = b.get()?;
        if ops.is_some_and(|ops| ops > b.max_operations) {
            return Some(STOP_OPERATIONS);
        }
        let now = Instant::now();
        if b.slice_end.is_some_and(|s| now >= s) {
            return Some(STOP_SLICE);
        }
        (now >= b.deadline).then_some(STOP_TIMEOUT)
    })
}

/// The shared engine, built once with every host function registered.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut e = Engine::new();
        e.set_max_string_size(MAX_STRING_BYTES);
        e.set_max_array_size(MAX_ELEMENTS);
        e.set_max_map_size(MAX_MAP_ENTRIES);
        e.set_max_call_levels(MAX_CALL_LEVELS);
        // Translated JavaScript wraps most operations in a helper call, so
        // it nests up to about three times deeper than the source, whose
        // nesting the translator bounds (see `js::nesting`).
        e.set_max_expr_depths(MAX_EXPR_DEPTH, MAX_EXPR_DEPTH);
        e.disable_symbol("eval");
        // No string interning. The engine is shared by every worker, and
        // Rhai's interner sits behind one lock that a `let`, a loop variable
        // or a string template takes; when two runs meet there, the loser
        // sleeps 10 ms (Rhai's back-off) before retrying. A function making
        // a few hundred such steps per message then ran at half a core with
        // a p99 of over 100 ms. Interning only saves memory for repeated
        // names, which a run drops at its end anyway.
        e.set_max_strings_interned(0);
        e.on_print(|s| tracing::info!(target: "flowgate::function::print", "{s}"));
        e.on_debug(|s, _, _| tracing::debug!(target: "flowgate::function::print", "{s}"));
        e.on_progress(|ops| {
            if let Some(token) = PENDING.get() {
                return Some(Dynamic::from_int(token));
            }
            // Memory is looked at on every operation: one operation may
            // allocate up to the largest string a script may build. (Two
            // thread-local reads; the clock is read far less often.)
            if memory::over_ceiling() {
                return Some(Dynamic::from_int(STOP_MEMORY));
            }
            if ops % CHECK_EVERY != 0 && !memory::grew_since_mark(CHECK_AFTER_BYTES) {
                return None;
            }
            memory::mark();
            budget_stop(Some(ops)).map(Dynamic::from_int)
        });
        super::api::register_native(&mut e);
        crate::jslib::register::register(&mut e);
        e
    })
}

/// Why a run did not produce a value.
#[derive(Debug)]
pub enum RunError {
    /// The script failed: the text `msg.error.message` shows, and for a
    /// thrown `Error` object its JSON form, which Node-RED leaves on the
    /// message as `msg.error` (so a `catch` node finds it as `_error`).
    Failed(String, Option<serde_json::Value>),
    /// The run used up its slice on a tokio worker; redo it on the blocking pool.
    Sliced,
}

/// Run `ast` in `scope` within `budget`, resolving calls through `caches`
/// (kept by the caller from one run of `ast` to the next).
///
/// This is what `Engine::eval_ast_with_scope` does, less the fresh cache it
/// makes for every run: the AST's own functions are put in reach, and its
/// statements run at the top level.
pub fn run(
    ast: &AST,
    caches: &mut Caches,
    scope: &mut Scope<'_>,
    budget: Budget,
    mode: Mode,
) -> Result<Dynamic, RunError> {
    within(budget, mode, || {
        let engine = engine();
        let mut global = engine.new_global_runtime_state();
        global.lib.push(ast.shared_lib().clone());
        #[allow(deprecated)] // the one entry point that takes the caller's caches
        engine.eval_statements_raw(&mut global, caches, scope, ast.statements())
    })
}

/// Do `work` (a script run, or converting a message for one) within
/// `budget`: the progress hook and conversions check it, and a stop a
/// conversion ran into fails the work with that budget's error even if the
/// script caught the error the conversion left it or finished right after.
pub fn within<T>(
    budget: Budget,
    mode: Mode,
    work: impl FnOnce() -> Result<T, Box<EvalAltResult>>,
) -> Result<T, RunError> {
    let previous = BUDGET.with(|b| b.replace(Some(budget)));
    let pending = PENDING.replace(None);
    let jobs = crate::jslib::promise::take_jobs();
    let ceiling = memory::set_ceiling(budget.max_memory);
    let result = work();
    memory::restore(ceiling);
    crate::jslib::promise::restore_jobs(jobs);
    let stop = PENDING.replace(pending);
    BUDGET.with(|b| b.set(previous));
    match stop {
        Some(token) => Err(stopped(token, &budget, mode)),
        None => result.map_err(|e| describe(&e, &budget, mode)),
    }
}

fn innermost(e: &EvalAltResult) -> &EvalAltResult {
    match e {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => innermost(inner),
        other => other,
    }
}

/// The error message a failed run reports, as Node-RED words it where there
/// is an equivalent (`Error: boom`, `Script execution timed out after 5000ms`).
fn describe(e: &EvalAltResult, budget: &Budget, mode: Mode) -> RunError {
    let e = innermost(e);
    match e {
        EvalAltResult::ErrorTerminated(token, _) => {
            stopped(token.as_int().unwrap_or(STOP_TIMEOUT), budget, mode)
        }
        EvalAltResult::ErrorTooManyOperations(_) => RunError::Failed(
            format!(
                "Error: Script exceeded the limit of {} operations",
                budget.max_operations
            ),
            error_object(mode),
        ),
        EvalAltResult::ErrorStackOverflow(_) => RunError::Failed(
            "RangeError: Maximum call stack size exceeded".into(),
            error_object(mode),
        ),
        EvalAltResult::ErrorDataTooLarge(what, _) => RunError::Failed(
            format!("RangeError: {what} exceeds the sandbox limit"),
            error_object(mode),
        ),
        EvalAltResult::ErrorRuntime(v, _) => {
            let object = v.read_lock::<JsError>().map(|e| {
                super::convert::to_json(&Dynamic::from(e.props.clone()), mode, None)
                    .ok()
                    .flatten()
                    .unwrap_or_default()
            });
            RunError::Failed(thrown_text(v), object)
        }
        other => match mode {
            Mode::Js => RunError::Failed(format!("Error: {other}"), error_object(mode)),
            Mode::Rhai => RunError::Failed(other.to_string(), None),
        },
    }
}

/// How a run stopped by the progress hook (or a conversion) with `token`
/// fails.
fn stopped(token: INT, budget: &Budget, mode: Mode) -> RunError {
    match token {
        STOP_SLICE => RunError::Sliced,
        STOP_MEMORY => RunError::Failed(
            format!(
                "RangeError: Script exceeded the memory limit of {} MB",
                budget.max_memory / (1024 * 1024)
            ),
            error_object(mode),
        ),
        STOP_OPERATIONS => RunError::Failed(
            format!(
                "Error: Script exceeded the limit of {} operations",
                budget.max_operations
            ),
            error_object(mode),
        ),
        _ => RunError::Failed(
            format!(
                "Error: Script execution timed out after {}ms",
                budget.timeout.as_millis()
            ),
            error_object(mode),
        ),
    }
}

/// The JSON form of an `Error` object (it has no enumerable properties).
fn error_object(mode: Mode) -> Option<serde_json::Value> {
    (mode == Mode::Js).then(|| serde_json::Value::Object(serde_json::Map::new()))
}

/// The text of a thrown value as `done(err)` reports it: `Error` objects as
/// `Name: message`, strings as they are, anything else as JSON.
pub fn thrown_text(v: &Dynamic) -> String {
    if let Some(e) = v.read_lock::<JsError>() {
        return e.to_js_string();
    }
    if v.is_string() {
        return v.to_string();
    }
    super::convert::stringify(v, None, "")
        .ok()
        .flatten()
        .unwrap_or_else(|| crate::jslib::ops::to_string(v).to_string())
}

/// Call a script function value outside a run (a timer firing) within
/// `budget`; `lib` holds the functions of the script it came from.
pub fn call(
    lib: &AST,
    f: &Dynamic,
    args: Vec<Dynamic>,
    budget: Budget,
    mode: Mode,
) -> Result<Dynamic, RunError> {
    within(budget, mode, || {
        let caller = crate::jslib::promise::Caller::Lib(lib);
        let v = caller.call(f, args)?;
        // The promise reactions the callback set off run before it ends.
        crate::jslib::promise::drain(&caller)?;
        Ok(v)
    })
}

/// Call a script function value with the functions of `lib`.
pub(crate) fn call_value(
    lib: &AST,
    f: &Dynamic,
    args: Vec<Dynamic>,
) -> Result<Dynamic, Box<EvalAltResult>> {
    let args = Dynamic::from_array(args);
    if let Some(fp) = f.read_lock::<FnPtr>().map(|fp| fp.clone()) {
        return fp.call(engine(), lib, (args,));
    }
    if let Some(jf) = f.read_lock::<JsFunction>().map(|jf| jf.clone()) {
        let me = Dynamic::from(jf.clone());
        return jf.imp.call(engine(), lib, (me, args));
    }
    Err(crate::jslib::ops::type_error("callback is not a function"))
}

/// Wait until `due` inside a run (an `await` for a timer's promise): on
/// the blocking pool only (on a worker the run gives up its slice and is
/// redone there) and never past the run's deadline (the run then fails
/// with the timeout error).
pub fn wait_until(due: Instant) -> Result<(), Box<EvalAltResult>> {
    let now = Instant::now();
    let stop = match BUDGET.with(|b| b.get()) {
        _ if due <= now => return Ok(()),
        None => STOP_TIMEOUT,
        Some(b) if b.slice_end.is_some() => STOP_SLICE,
        Some(b) => {
            let until = due.min(b.deadline);
            crate::function::without_permit(|| {
                std::thread::sleep(until.saturating_duration_since(Instant::now()))
            });
            if due <= b.deadline {
                return Ok(());
            }
            STOP_TIMEOUT
        }
    };
    PENDING.set(Some(stop));
    Err(Box::new(EvalAltResult::ErrorTerminated(
        Dynamic::from_int(stop),
        rhai::Position::NONE,
    )))
}

/// Compile Rhai source once, with the shared engine.
pub fn compile(source: &str) -> Result<AST, rhai::ParseError> {
    engine().compile(source)
}
