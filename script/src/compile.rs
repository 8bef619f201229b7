//! Compiling a function node's bodies: JavaScript is translated to Rhai
//! ([`crate::translate`]), then compiled once into an AST for the shared
//! engine ([`crate::sandbox`]); a JavaScript body that only builds data is
//! also planned for the engine-free fast path ([`crate::fastpath`]).

use std::sync::OnceLock;

use parking_lot::Mutex;
use rhai::{Caches, AST};

use crate::convert::Mode;
use crate::fastpath;
use crate::libs::{self, Lib};
use crate::sandbox::{self, RunError};

/// The names scripts see, in translated JavaScript's mangling and in Rhai.
pub const API_NAMES: [&str; 6] = ["msg", "node", "context", "flow", "global", "env"];

/// A compiled script.
pub struct Script {
    ast: OnceLock<AST>,
    /// The translation of a data-only body, compiled only when a message
    /// first needs the engine: a flow whose function nodes are all
    /// data-only never loads the script engine at all (less start-up work
    /// and resident memory). Such translations are plain `__set`/`__obj`
    /// calls, so compiling them late cannot fail where compiling early
    /// would have succeeded.
    deferred: Option<String>,
    /// The same body recognized as pure data building, applied without the
    /// engine when it can be (see [`fastpath`]).
    pub(crate) data: Option<fastpath::DataBody>,
    /// The same body compiled to run without the engine when it can be
    /// (see [`crate::direct`]).
    pub(crate) direct: Option<crate::direct::DirectBody>,
    /// Whether the body may observe `msg.req`, which the message must then
    /// have before it runs ([`crate::msg_use`]).
    pub(crate) reads_req: bool,
    /// Function-resolution caches kept from one run to the next. Rhai
    /// resolves a call by hashing its name and argument types and trying
    /// every module, and each run used to start with an empty cache that
    /// keeps a resolution only from its second use: about a sixth of a
    /// small body's instructions went to resolving the same calls again.
    /// A cache belongs to this AST (a call's hash can name a function the
    /// AST defines), so it is kept here; concurrent runs take one each.
    caches: Mutex<Vec<Caches>>,
}

/// Caches kept for concurrent runs of one body beyond this are dropped.
const KEPT_CACHES: usize = 4;

impl Script {
    /// Run `work` with a resolution cache of this body's, and keep it for
    /// the next run.
    pub(crate) fn with_caches<T>(&self, work: impl FnOnce(&mut Caches) -> T) -> T {
        let mut caches = self.caches.lock().pop().unwrap_or_default();
        let result = work(&mut caches);
        // A run that stopped inside a script-defined function can leave that
        // call's own cache on the stack; only the body's first one is kept.
        caches.rewind_fn_resolution_caches(1);
        let mut kept = self.caches.lock();
        if kept.len() < KEPT_CACHES {
            kept.push(caches);
        }
        result
    }

    /// Run the body for `msg` without the engine, when it allows it: a
    /// data-only body (see [`fastpath`]) or one compiled to run directly
    /// (see [`crate::direct`]). `Some` with the output `msg` goes to (none
    /// when the body sent nothing); `None`, with `msg` untouched, when the
    /// engine must run it.
    pub(crate) fn run_without_engine(
        &self,
        msg: &mut flowgate_runtime::Message,
    ) -> Option<Option<usize>> {
        if self.data.as_ref().is_some_and(|d| d.try_apply(msg)) {
            return Some(Some(0));
        }
        let direct = self.direct.as_ref()?;
        if self.reads_req {
            msg.settle_request();
        }
        match direct.try_run(msg)? {
            crate::direct::Sent::Nothing => Some(None),
            crate::direct::Sent::Msg(port) => Some(Some(port)),
        }
    }

    pub(crate) fn ast(&self) -> Result<&AST, RunError> {
        if let Some(ast) = self.ast.get() {
            return Ok(ast);
        }
        let source = self.deferred.as_deref().unwrap_or_default();
        let failed = |e: String| {
            RunError::Failed(
                format!("cannot compile the translated JavaScript ({e})"),
                None,
            )
        };
        let ast = with_compile_stack(source.len(), || sandbox::compile(source))
            .map_err(failed)?
            .map_err(|e| failed(e.0.to_string()))?;
        Ok(self.ast.get_or_init(|| ast))
    }
}

/// Which of a function node's three bodies is compiled: `func` sees `msg`,
/// `initialize` and `finalize` do not, and only `func` may take the
/// data-only fast path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    Func,
    Initialize,
    Finalize,
}

impl Body {
    /// The node's setting that holds this body.
    pub fn field(self) -> &'static str {
        match self {
            Body::Func => "func",
            Body::Initialize => "initialize",
            Body::Finalize => "finalize",
        }
    }

    /// The host objects this body sees, by their script names.
    fn api(self) -> &'static [&'static str] {
        match self {
            Body::Func => &API_NAMES[..],
            Body::Initialize | Body::Finalize => &API_NAMES[1..],
        }
    }
}

/// Where in a body a [`BodyError`] is: 1-based lines and columns (in
/// characters), the end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceSpan {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// Why a body cannot run: the message deploy reports against the node's
/// [`Body::field`], and where in the body the problem is when that is
/// known (the editor underlines it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BodyError {
    pub message: String,
    pub span: Option<SourceSpan>,
}

impl BodyError {
    fn whole(message: String) -> Self {
        BodyError {
            message,
            span: None,
        }
    }
}

impl From<crate::translate::TranslateError> for BodyError {
    fn from(e: crate::translate::TranslateError) -> Self {
        BodyError {
            message: e.to_string(),
            span: Some(SourceSpan {
                line: e.line,
                column: e.column,
                end_line: e.end_line,
                end_column: e.end_column,
            }),
        }
    }
}

/// Translate (for JavaScript) and compile one body: `None` for an empty
/// body, or why it cannot run.
pub fn compile(source: &str, mode: Mode, body: Body) -> Result<Option<Script>, BodyError> {
    compile_with_libs(source, mode, body, &[])
}

/// [`compile`] for a node whose `libs` give its bodies modules (see
/// [`crate::libs`]; the entries are checked by [`crate::libs::check`]).
pub fn compile_with_libs(
    source: &str,
    mode: Mode,
    body: Body,
    libs: &[Lib],
) -> Result<Option<Script>, BodyError> {
    if source.trim().is_empty() {
        return Ok(None);
    }
    let data_only = mode == Mode::Js && body == Body::Func;
    let api: Vec<&str> = body.api().iter().copied().chain(libs::vars(libs)).collect();
    match with_compile_stack(source.len(), || {
        translate_and_compile(source, mode, &api, libs, data_only)
    }) {
        Ok(Ok((ast, deferred, data, reads_req))) => Ok(Some(Script {
            ast,
            deferred,
            direct: (data.is_none() && mode == Mode::Js && body == Body::Func && libs.is_empty())
                .then(|| crate::direct::DirectBody::compile(source))
                .flatten(),
            data,
            reads_req,
            caches: Mutex::default(),
        })),
        Ok(Err(CompileError::Translate(e))) => Err(e.into()),
        Ok(Err(CompileError::Rhai(e))) => Err(rhai_error(mode, &e)),
        Err(e) => Err(BodyError::whole(e)),
    }
}

enum CompileError {
    Translate(crate::translate::TranslateError),
    Rhai(rhai::ParseError),
}

/// What compiling a body yields: its AST (empty while deferred), the Rhai
/// source still to compile for a data-only body, that body's data plan,
/// and whether the body may observe `msg.req`.
type Compiled = (
    OnceLock<AST>,
    Option<String>,
    Option<fastpath::DataBody>,
    bool,
);

/// Translate (for JavaScript) and compile one body. When `try_data_only`
/// and the body only builds data, compiling is deferred to the first
/// message that needs the engine ([`Script::ast`]).
fn translate_and_compile(
    source: &str,
    mode: Mode,
    api: &[&str],
    libs: &[Lib],
    try_data_only: bool,
) -> Result<Compiled, CompileError> {
    let rhai_source = match mode {
        Mode::Rhai => std::borrow::Cow::Borrowed(source),
        Mode::Js => std::borrow::Cow::Owned(
            libs::prelude(libs)
                + crate::translate::translate(source, api)
                    .map_err(CompileError::Translate)?
                    .as_str(),
        ),
    };
    let data = try_data_only.then(|| fastpath::analyze(source)).flatten();
    let reads_req = mode == Mode::Rhai || crate::msg_use::may_observe_req(source);
    if data.is_some() {
        let deferred = Some(rhai_source.into_owned());
        return Ok((OnceLock::new(), deferred, data, reads_req));
    }
    let ast = sandbox::compile(&rhai_source).map_err(CompileError::Rhai)?;
    Ok((OnceLock::from(ast), None, None, reads_req))
}

/// Run `work` (parsing and compiling a body of `len` bytes) on a thread
/// whose stack fits the deepest nesting such a body can have: the parsers
/// recurse per level, and a body nested thousands of levels deep (spread
/// over lines, which [`crate::translate::nesting`] does not sum up) must be refused with
/// an error, not overflow the deploying thread's stack.
fn with_compile_stack<T: Send>(len: usize, work: impl FnOnce() -> T + Send) -> Result<T, String> {
    const BASE: usize = 16 * 1024 * 1024;
    const PER_BYTE: usize = 512;
    const MOST: usize = 2 * 1024 * 1024 * 1024;
    let stack = BASE.saturating_add(len.saturating_mul(PER_BYTE)).min(MOST);
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("flowgate-compile".into())
            .stack_size(stack)
            .spawn_scoped(scope, work)
            .map_err(|e| format!("cannot start the compiler thread: {e}"))?
            .join()
            .map_err(|_| "the compiler failed on this body; please report it".to_owned())
    })
}

/// What a Rhai compile error means to the author of the body; a native
/// Rhai body's error points at its character.
fn rhai_error(mode: Mode, e: &rhai::ParseError) -> BodyError {
    let pos = e.1;
    if *e.0 == rhai::ParseErrorType::ExprTooDeep {
        return BodyError::whole(
            "the body nests too deeply to compile; split deep expressions into variables"
                .to_owned(),
        );
    }
    match mode {
        Mode::Rhai => {
            let (line, column) = (pos.line().unwrap_or(0), pos.position().unwrap_or(0));
            BodyError {
                message: format!("Rhai syntax error at line {line}:{column}: {}", e.0),
                span: (line > 0).then_some(SourceSpan {
                    line,
                    column: column.max(1),
                    end_line: line,
                    end_column: column.max(1) + 1,
                }),
            }
        }
        Mode::Js => BodyError::whole(format!(
            "cannot compile the translated JavaScript ({} at translated line {}); please report this body",
            e.0,
            pos.line().unwrap_or(0)
        )),
    }
}
