//! JavaScript → Rhai: parse a body with `oxc_parser`, resolve every name,
//! and emit Rhai that calls the JavaScript runtime helpers (`__get`, `__add`,
//! `__m`...) wherever JavaScript and Rhai semantics differ.
//!
//! Statements are in [`stmt`], expressions in [`expr`], destructuring in
//! [`pattern`]; this module holds the shared state: scopes, control-flow
//! context and temporaries. [`nesting`] refuses bodies too deep to parse
//! before the parser sees them; [`error`] says why a body cannot run.

mod advice;
mod asyncfn;
pub mod budget;
mod chain;
mod class;
mod concat;
mod counter;
pub mod error;
mod expr;
mod globals;
mod iteration;
mod label;
pub mod nesting;
mod pattern;
mod stmt;

use std::collections::{BTreeSet, HashMap};

use oxc_allocator::Allocator;
use oxc_ast::ast::{BindingPattern, Program, Statement};
use oxc_parser::{ParseOptions, Parser};
use oxc_span::{GetSpan, SourceType, Span};

pub use error::{ErrorKind, TranslateError};

pub type TResult<T> = Result<T, TranslateError>;

/// How a name is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    Var,
    Let,
    Const,
    Param,
    Function,
    /// A function's own name inside its body (recursion).
    SelfFn,
    /// `msg`, `node`, `context`... provided by the runner.
    Api,
}

/// A loop or switch the translation is inside, for `break`/`continue`.
#[derive(Debug)]
pub enum Ctl {
    Loop {
        /// Whether a `continue` targets this loop.
        continued: bool,
        /// `try...finally` nesting when the loop started.
        finally_depth: usize,
    },
    Switch {
        /// Flag set by a `continue` that must leave the switch first.
        flag: String,
        used: bool,
        finally_depth: usize,
    },
}

/// What kind of function a [`FnCtx`] translates, for `this`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FnKind {
    /// The body itself, or a `function`: its own `this`.
    Function,
    /// An arrow: the `this` of the code around it.
    Arrow,
    /// A class's constructor, method, accessor or field initializer: takes
    /// `this` and its class.
    Member,
}

/// Per-function translation state.
#[derive(Debug)]
pub struct FnCtx {
    pub kind: FnKind,
    /// Whether the function's own `this` is used (by it or its arrows).
    pub uses_this: bool,
    /// Name of the Rhai parameter holding the arguments array.
    pub args: String,
    /// The function's own name, when it has one.
    pub self_name: Option<String>,
    /// Whether the body refers to itself by name.
    pub self_used: bool,
    pub ctl: Vec<Ctl>,
    /// `try...finally` blocks currently open.
    pub finally_depth: usize,
    /// An `async` function: its result is a promise.
    pub is_async: bool,
    /// Labelled statements the translation is inside (`outer: for …`).
    pub labels: Vec<label::Label>,
}

pub struct Translator<'s> {
    pub src: &'s str,
    tmp: usize,
    scopes: Vec<HashMap<String, Binding>>,
    pub fns: Vec<FnCtx>,
    /// Assigned-but-undeclared names (sloppy-mode globals), declared at the top.
    pub implicit: BTreeSet<String>,
    /// Whether the runner provides `node` (timers need it).
    pub has_node: bool,
    /// Whether the body sets or clears timers (it then keeps an alias of
    /// `node`, `__node`, that user code cannot shadow).
    pub uses_timers: bool,
    /// Whether the body may use promises (its result is then settled
    /// before it is sent, see [`asyncfn`]).
    pub uses_async: bool,
    /// Whether the body uses the sandbox's global object (`this` outside
    /// any method), kept in `__gthis`.
    pub uses_global_this: bool,
    /// Expressions and statements being translated, one inside the other
    /// (bounded so the recursion cannot overflow the stack).
    depth: usize,
    /// The compiler's name-lookup work this translation implies.
    pub lookups: budget::LookupBudget,
}

/// Translate a function body to Rhai source. `api` names the variables the
/// runner provides (`msg`, `node`...), which the Rhai scope holds under
/// their [`mangle`]d names.
pub fn translate(source: &str, api: &[&str]) -> TResult<String> {
    if let Some(at) = nesting::too_deep_at(source) {
        return Err(TranslateError::at(
            source,
            at as u32,
            ErrorKind::Unsupported(format!(
                "nesting deeper than {} levels",
                nesting::MAX_NESTING
            )),
        ));
    }
    let allocator = Allocator::default();
    let ret = parse_body(&allocator, source);
    if let Some(d) = ret.diagnostics.first() {
        let (start, len) = d
            .labels
            .first()
            .map(|l| (l.offset(), l.len()))
            .unwrap_or((0, 0));
        return Err(TranslateError::spanning(
            source,
            start,
            start + len,
            ErrorKind::Syntax(d.message.to_string()),
        ));
    }
    if ret.panicked {
        return Err(TranslateError::at(
            source,
            0,
            ErrorKind::Syntax("cannot parse the body".into()),
        ));
    }
    let mut t = Translator::for_source(source, api);
    let out = t.program(&ret.program, api)?;
    if t.lookups.exceeded() {
        return Err(TranslateError::at(
            source,
            0,
            ErrorKind::TooManyNames(t.lookups.work()),
        ));
    }
    Ok(out)
}

/// The Rhai name of a JavaScript identifier: prefixed so it never clashes
/// with Rhai keywords or the runtime's `__` helpers.
/// Parse a function node body as Node-RED runs it: a script whose top
/// level may `return` (Node-RED wraps it in a function).
pub fn parse_body<'a>(allocator: &'a Allocator, source: &'a str) -> oxc_parser::ParserReturn<'a> {
    let options = ParseOptions {
        allow_return_outside_function: true,
        ..ParseOptions::default()
    };
    let script = Parser::new(allocator, source, SourceType::script())
        .with_options(options)
        .parse();
    let failed = |r: &oxc_parser::ParserReturn<'_>| r.panicked || !r.diagnostics.is_empty();
    if !failed(&script) || !source.contains("await") {
        return script;
    }
    // Node-RED runs the body inside an `async` function, so `await` at its
    // top level is valid there; a module is the only kind of source where
    // the parser allows it.
    let module = Parser::new(allocator, source, SourceType::mjs())
        .with_options(options)
        .parse();
    if failed(&module) {
        script
    } else {
        module
    }
}

pub fn mangle(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push_str("j_");
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else {
            out.push_str(&format!("_x{:x}_", c as u32));
        }
    }
    out
}

/// A Rhai string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Rhai number literal for a JavaScript number (finite).
pub fn number_literal(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() <= crate::jslib::number::MAX_SAFE {
        let i = v as i64;
        if i < 0 {
            format!("({i})")
        } else {
            i.to_string()
        }
    } else if v.is_nan() {
        "__nan()".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "__inf()".into()
        } else {
            "__neg(__inf())".into()
        }
    } else {
        let s = format!("{v:?}");
        if v < 0.0 {
            format!("({s})")
        } else {
            s
        }
    }
}

/// Names bound by a pattern.
pub fn pattern_names<'a>(p: &'a BindingPattern<'a>, out: &mut Vec<&'a str>) {
    match p {
        BindingPattern::BindingIdentifier(id) => out.push(id.name.as_str()),
        BindingPattern::ObjectPattern(o) => {
            for prop in &o.properties {
                pattern_names(&prop.value, out);
            }
            if let Some(r) = &o.rest {
                pattern_names(&r.argument, out);
            }
        }
        BindingPattern::ArrayPattern(a) => {
            for el in a.elements.iter().flatten() {
                pattern_names(el, out);
            }
            if let Some(r) = &a.rest {
                pattern_names(&r.argument, out);
            }
        }
        BindingPattern::AssignmentPattern(a) => pattern_names(&a.left, out),
    }
}

/// `var` names declared anywhere in `stmts` outside nested functions.
pub fn hoisted_vars<'a>(stmts: &'a [Statement<'a>], out: &mut Vec<&'a str>) {
    for s in stmts {
        hoisted_in(s, out);
    }
}

fn hoisted_in<'a>(s: &'a Statement<'a>, out: &mut Vec<&'a str>) {
    use oxc_ast::ast::{ForStatementInit, ForStatementLeft, VariableDeclarationKind};
    let var_decl = |d: &'a oxc_ast::ast::VariableDeclaration<'a>, out: &mut Vec<&'a str>| {
        if d.kind == VariableDeclarationKind::Var {
            for decl in &d.declarations {
                pattern_names(&decl.id, out);
            }
        }
    };
    match s {
        Statement::VariableDeclaration(d) => var_decl(d, out),
        Statement::BlockStatement(b) => hoisted_vars(&b.body, out),
        Statement::IfStatement(i) => {
            hoisted_in(&i.consequent, out);
            if let Some(a) = &i.alternate {
                hoisted_in(a, out);
            }
        }
        Statement::ForStatement(f) => {
            if let Some(ForStatementInit::VariableDeclaration(d)) = &f.init {
                var_decl(d, out);
            }
            hoisted_in(&f.body, out);
        }
        Statement::ForInStatement(f) => {
            if let ForStatementLeft::VariableDeclaration(d) = &f.left {
                var_decl(d, out);
            }
            hoisted_in(&f.body, out);
        }
        Statement::ForOfStatement(f) => {
            if let ForStatementLeft::VariableDeclaration(d) = &f.left {
                var_decl(d, out);
            }
            hoisted_in(&f.body, out);
        }
        Statement::WhileStatement(w) => hoisted_in(&w.body, out),
        Statement::DoWhileStatement(w) => hoisted_in(&w.body, out),
        Statement::TryStatement(t) => {
            hoisted_vars(&t.block.body, out);
            if let Some(h) = &t.handler {
                hoisted_vars(&h.body.body, out);
            }
            if let Some(f) = &t.finalizer {
                hoisted_vars(&f.body, out);
            }
        }
        Statement::SwitchStatement(sw) => {
            for c in &sw.cases {
                hoisted_vars(&c.consequent, out);
            }
        }
        Statement::LabeledStatement(l) => hoisted_in(&l.body, out),
        _ => {}
    }
}

impl<'s> Translator<'s> {
    /// A translator for `source`, whose runner provides `api`.
    fn for_source(source: &'s str, api: &[&str]) -> Self {
        Translator {
            src: source,
            tmp: 0,
            scopes: Vec::new(),
            fns: Vec::new(),
            implicit: BTreeSet::new(),
            has_node: api.contains(&"node"),
            uses_timers: false,
            uses_async: asyncfn::mentions_async(source),
            uses_global_this: false,
            depth: 0,
            lookups: budget::LookupBudget::default(),
        }
    }

    /// Enter one more level of nesting at `span`; [`Translator::leave`] undoes it.
    pub fn enter(&mut self, span: Span) -> TResult<()> {
        self.depth += 1;
        if self.depth > nesting::MAX_NESTING {
            self.depth -= 1;
            return Err(self.unsupported(
                span,
                format!("nesting deeper than {} levels", nesting::MAX_NESTING),
            ));
        }
        Ok(())
    }

    pub fn leave(&mut self) {
        self.depth -= 1;
    }

    /// An error at `span`.
    /// The error for a name nothing declares: `eval` and `Function` are
    /// refused with the reason, anything else is outside the subset.
    pub fn undeclared(&self, span: Span, name: &str) -> TranslateError {
        if matches!(name, "eval" | "Function") {
            return self.refused(span, &format!("`{name}`"));
        }
        if globals::is_sandbox_global(name) {
            return self.unsupported(span, format!("the global `{name}`"));
        }
        self.unsupported(span, format!("undeclared variable `{name}`"))
    }

    /// The error for code built from text at run time (see [`ErrorKind::Refused`]).
    pub fn refused(&self, span: Span, construct: &str) -> TranslateError {
        TranslateError::spanning(
            self.src,
            span.start,
            span.end,
            ErrorKind::Refused(construct.into()),
        )
    }

    pub fn unsupported(&self, span: Span, construct: impl Into<String>) -> TranslateError {
        TranslateError::spanning(
            self.src,
            span.start,
            span.end,
            ErrorKind::Unsupported(construct.into()),
        )
    }

    /// The source text of `span` (for messages), shortened.
    pub fn text(&self, span: Span) -> String {
        let s = self
            .src
            .get(span.start as usize..span.end as usize)
            .unwrap_or("");
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.chars().count() > 60 {
            format!("{}…", s.chars().take(60).collect::<String>())
        } else {
            s
        }
    }

    /// A fresh temporary name.
    pub fn tmp(&mut self, hint: &str) -> String {
        self.tmp += 1;
        format!("__{hint}{}", self.tmp)
    }

    pub fn push_scope(&mut self) {
        self.scopes.push(HashMap::new());
    }

    pub fn pop_scope(&mut self) {
        if let Some(s) = self.scopes.pop() {
            self.lookups.scope_closed(s.len());
        }
    }

    pub fn declare(&mut self, name: &str, b: Binding) {
        if let Some(s) = self.scopes.last_mut() {
            if s.insert(name.to_owned(), b).is_none() {
                self.lookups.declared();
            }
        }
    }

    /// Count a temporary the translation declares with `let` in the
    /// current scope (it lengthens what the compiler's lookups scan). It is
    /// kept under a key no JavaScript name can be, so resolving names is
    /// unchanged.
    pub fn declare_temporary(&mut self, name: &str) {
        if let Some(s) = self.scopes.last_mut() {
            if s.insert(format!(" {name}"), Binding::Let).is_none() {
                self.lookups.declared();
            }
        }
    }

    /// Declare a sloppy-mode global (an assigned, undeclared name).
    pub fn declare_global(&mut self, name: &str) {
        if let Some(s) = self.scopes.first_mut() {
            if s.insert(name.to_owned(), Binding::Var).is_none() {
                self.lookups.declared();
            }
        }
    }

    /// Whether `name` is bound in the innermost scope.
    pub fn is_declared_here(&self, name: &str) -> bool {
        self.scopes.last().is_some_and(|s| s.contains_key(name))
    }

    /// Resolve `name`; marks a function's use of its own name.
    pub fn resolve(&mut self, name: &str) -> Option<Binding> {
        self.lookups.lookup();
        let b = self
            .scopes
            .iter()
            .rev()
            .find_map(|s| s.get(name).copied())?;
        if b == Binding::SelfFn {
            if let Some(f) = self
                .fns
                .iter_mut()
                .rev()
                .find(|f| f.self_name.as_deref() == Some(name))
            {
                f.self_used = true;
            }
        }
        Some(b)
    }

    pub fn fn_ctx(&mut self) -> &mut FnCtx {
        self.fns.last_mut().expect("inside a function")
    }

    fn program(&mut self, program: &Program<'_>, api: &[&str]) -> TResult<String> {
        self.push_scope();
        for name in api {
            self.declare(name, Binding::Api);
        }
        self.fns.push(FnCtx {
            kind: FnKind::Function,
            uses_this: false,
            args: "__args0".into(),
            self_name: None,
            self_used: false,
            ctl: Vec::new(),
            finally_depth: 0,
            is_async: false,
            labels: Vec::new(),
        });
        let body = self.function_body(&program.body)?;
        self.fns.pop();
        self.pop_scope();
        let mut out = String::new();
        if self.uses_timers || (self.uses_async && self.has_node) {
            out.push_str(&format!("let __node = {};\n", mangle("node")));
        }
        if self.uses_global_this {
            out.push_str(&format!(
                "let __gthis = __global_this({});\n",
                mangle("node")
            ));
        }
        for name in &self.implicit {
            out.push_str(&format!("let {} = ();\n", mangle(name)));
        }
        out.push_str(&body);
        Ok(out)
    }

    /// A function's (or the program's) statements: hoisted `var`s and
    /// function declarations first, then the body, then `()` so falling off
    /// the end returns `undefined`.
    pub fn function_body(&mut self, stmts: &[Statement<'_>]) -> TResult<String> {
        let mut out = String::new();
        let mut vars = Vec::new();
        hoisted_vars(stmts, &mut vars);
        let mut seen = BTreeSet::new();
        for v in vars {
            if self.is_declared_here(v) || !seen.insert(v) {
                continue;
            }
            self.declare(v, Binding::Var);
            out.push_str(&format!("let {} = ();\n", mangle(v)));
        }
        out.push_str(&self.block_items(stmts)?);
        out.push_str(&self.fall_off());
        Ok(out)
    }

    /// The `Span` of a statement, for messages.
    pub fn span_of(s: &Statement<'_>) -> Span {
        s.span()
    }
}
