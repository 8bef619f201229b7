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

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, Scope, AST, INT};

use super::convert::Mode;
use super::js::values::{JsError, JsFunction, MAX_ELEMENTS, MAX_STRING_BYTES};
use super::memory;

/// Most entries in one Rhai map.
const MAX_MAP_ENTRIES: usize = 1024 * 1024;

/// How deep script functions may call each other (a JavaScript call is a
/// helper call plus a closure call, so this allows about half as many
/// JavaScript frames). Sized so the deepest recursion fits the 2 MiB stack
/// of a tokio worker (debug builds use far bigger frames).
const MAX_CALL_LEVELS: usize = if cfg!(debug_assertions) { 32 } else { 64 };

/// How deeply a compiled expression may nest.
const MAX_EXPR_DEPTH: usize = 8 * super::js::nesting::MAX_NESTING;

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

thread_local! {
    static BUDGET: Cell<Option<Budget>> = const { Cell::new(None) };
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
        e.on_print(|s| tracing::info!(target: "flowgate::function::print", "{s}"));
        e.on_debug(|s, _, _| tracing::debug!(target: "flowgate::function::print", "{s}"));
        e.on_progress(|ops| {
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
            BUDGET.with(|b| {
                let b = b.get()?;
                if ops > b.max_operations {
                    return Some(Dynamic::from_int(STOP_OPERATIONS));
                }
                let now = Instant::now();
                if b.slice_end.is_some_and(|s| now >= s) {
                    return Some(Dynamic::from_int(STOP_SLICE));
                }
                (now >= b.deadline).then(|| Dynamic::from_int(STOP_TIMEOUT))
            })
        });
        super::api::register_native(&mut e);
        super::js::register::register(&mut e);
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

/// Run `ast` in `scope` within `budget`.
pub fn run(
    ast: &AST,
    scope: &mut Scope<'_>,
    budget: Budget,
    mode: Mode,
) -> Result<Dynamic, RunError> {
    let previous = BUDGET.with(|b| b.replace(Some(budget)));
    let ceiling = memory::set_ceiling(budget.max_memory);
    let result = engine().eval_ast_with_scope::<Dynamic>(scope, ast);
    memory::restore(ceiling);
    BUDGET.with(|b| b.set(previous));
    result.map_err(|e| describe(&e, &budget, mode))
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
        EvalAltResult::ErrorTerminated(token, _) => match token.as_int() {
            Ok(STOP_SLICE) => RunError::Sliced,
            Ok(STOP_MEMORY) => RunError::Failed(
                format!(
                    "RangeError: Script exceeded the memory limit of {} MB",
                    budget.max_memory / (1024 * 1024)
                ),
                error_object(mode),
            ),
            Ok(STOP_OPERATIONS) => RunError::Failed(
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
        },
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
        .unwrap_or_else(|| super::js::ops::to_string(v).to_string())
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
    let previous = BUDGET.with(|b| b.replace(Some(budget)));
    let result = call_value(lib, f, args);
    BUDGET.with(|b| b.set(previous));
    result.map_err(|e| describe(&e, &budget, mode))
}

fn call_value(lib: &AST, f: &Dynamic, args: Vec<Dynamic>) -> Result<Dynamic, Box<EvalAltResult>> {
    let args = Dynamic::from_array(args);
    if let Some(fp) = f.read_lock::<FnPtr>().map(|fp| fp.clone()) {
        return fp.call(engine(), lib, (args,));
    }
    if let Some(jf) = f.read_lock::<JsFunction>().map(|jf| jf.clone()) {
        let me = Dynamic::from(jf.clone());
        return jf.imp.call(engine(), lib, (me, args));
    }
    Err(super::js::ops::type_error("callback is not a function"))
}

/// Compile Rhai source once, with the shared engine.
pub fn compile(source: &str) -> Result<AST, rhai::ParseError> {
    engine().compile(source)
}
