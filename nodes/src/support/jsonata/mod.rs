//! JSONata where Node-RED evaluates it (`change`, `switch`, `inject`), on
//! jsonata-rs (vendored with patches in `vendor/jsonata-rs`).
//!
//! An expression is parsed and checked once, when its node is built: a
//! syntax error, a standard library function the engine does not implement
//! or a construct it cannot evaluate is a load error naming the node and the
//! field, never a different answer at run time. Each evaluation then runs in
//! its own arena against the message (or `{"msg": msg}` in Node-RED's legacy
//! mode), with Node-RED's extension functions bound (`bindings.rs`) and a
//! bound on time and nesting depth that Node-RED does not have: flows
//! evaluate expressions over request data.

mod bindings;
mod check;
mod format_number;
mod library;
mod moment;

use std::collections::HashMap;
use std::sync::Arc;

use bumpalo::Bump;
use jsonata_rs::ast::Ast;
use serde_json::{Map, Value};

use crate::support::typed_value::Contexts;

pub use bindings::to_json;

/// How long one evaluation may run before it fails (milliseconds).
pub const TIME_LIMIT_MS: usize = 1000;

/// How deeply one evaluation may nest (expression steps and function calls
/// together). Each level costs native stack: the bound keeps the deepest
/// recursion well inside a worker thread's stack.
pub const MAX_DEPTH: usize = 500;

/// How much memory one evaluation may allocate (its arena, the message's
/// copy included), as the function node's default memory limit.
pub const MEMORY_LIMIT_BYTES: usize = 256 * 1024 * 1024;

/// The bounds of one evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub time_ms: usize,
    pub depth: usize,
    pub memory_bytes: usize,
}

impl Bounds {
    pub const DEFAULT: Bounds = Bounds {
        time_ms: TIME_LIMIT_MS,
        depth: MAX_DEPTH,
        memory_bytes: MEMORY_LIMIT_BYTES,
    };
}

/// Why an expression cannot be used, reported at load.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompileError {
    /// `at`: the character (0-based) the parser stopped at, when it says.
    #[error("invalid JSONata expression: {message}")]
    Syntax { message: String, at: Option<usize> },
    #[error("JSONata function ${0} is not supported by flowgate")]
    UnsupportedFunction(String),
    #[error("JSONata {0} is not supported by flowgate")]
    Unsupported(&'static str),
    #[error("$env needs a literal variable name (as $env(\"NAME\")) in flowgate")]
    ComputedEnvName,
    #[error("$moment is supported by flowgate only as $moment([time]) followed by add, subtract, utc or local and ending in format, toISOString, valueOf or unix")]
    MomentChain,
    #[error("$moment format pattern {0:?} uses tokens flowgate does not support (it supports Y, M, D, d, H, h, k, m, s, S, A, a, Z, X, x)")]
    MomentPattern(String),
    #[error("$formatNumber needs a literal picture of 0 # , . with % or ‰ and literal text in flowgate (no exponent, ';' or options); got {0}")]
    FormatNumberPicture(String),
}

/// Why one evaluation failed: the text is Node-RED's `Invalid JSONata
/// expression: …` message, which flows see in the node's error and catch.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Invalid JSONata expression: {0}")]
pub struct EvalError(pub String);

/// A checked expression, ready to evaluate per message.
#[derive(Debug)]
pub struct Expression {
    ast: Ast,
    /// Node-RED's legacy mode: an expression that names `msg` sees
    /// `{"msg": msg}` instead of the message.
    legacy: bool,
    /// `$env("NAME")` values, resolved when the node was built as Node-RED
    /// resolves them (node, group, tab, global and process settings).
    env: Arc<HashMap<String, Value>>,
}

/// Extra variables a node binds for one evaluation (switch's `$I`, `$N`).
pub type Extra<'e> = &'e [(&'e str, Value)];

impl Expression {
    /// Parse and check `source`; `env` resolves the names `$env` reads.
    pub fn compile(source: &str, env: &dyn Fn(&str) -> Value) -> Result<Self, CompileError> {
        // The parser has `unreachable!` paths for input it does not expect:
        // such an expression is refused, not a panic of the loader.
        let parsed = std::panic::catch_unwind(|| jsonata_rs::parse(source))
            .map_err(|_| CompileError::Unsupported("syntax of this expression"))?;
        let ast = parsed.map_err(|e| CompileError::Syntax {
            message: message(&e),
            at: position(&e),
        })?;
        let names = check::check(&ast)?;
        let env = names.into_iter().map(|n| (n.clone(), env(&n))).collect();
        Ok(Expression {
            ast,
            legacy: legacy_mode(source),
            env: Arc::new(env),
        })
    }

    /// The expression's value for `msg`; `Ok(None)` is `undefined`.
    pub fn evaluate(
        &self,
        msg: &Map<String, Value>,
        contexts: &Contexts,
        extra: Extra<'_>,
    ) -> Result<Option<Value>, EvalError> {
        self.evaluate_within(msg, contexts, extra, Bounds::DEFAULT)
    }

    /// [`Expression::evaluate`] within other bounds.
    pub fn evaluate_within(
        &self,
        msg: &Map<String, Value>,
        contexts: &Contexts,
        extra: Extra<'_>,
        bounds: Bounds,
    ) -> Result<Option<Value>, EvalError> {
        self.run(
            |arena| bindings::input_value(arena, msg, self.legacy),
            contexts,
            extra,
            bounds,
        )
    }

    /// The expression's value over any JSON value, as `sort` evaluates its
    /// key on each element of an array (`{"msg": value}` in legacy mode).
    pub fn evaluate_on(
        &self,
        input: &Value,
        contexts: &Contexts,
    ) -> Result<Option<Value>, EvalError> {
        self.run(
            |arena| {
                let value = jsonata_rs::value_from_json(arena, input);
                if !self.legacy {
                    return value;
                }
                let outer = jsonata_rs::Value::object_with_capacity(arena, 1);
                outer.insert("msg", value);
                outer
            },
            contexts,
            &[],
            Bounds::DEFAULT,
        )
    }

    /// Evaluate over the input `input` builds in the evaluation's arena.
    fn run(
        &self,
        input: impl for<'a> FnOnce(&'a Bump) -> &'a jsonata_rs::Value<'a>,
        contexts: &Contexts,
        extra: Extra<'_>,
        bounds: Bounds,
    ) -> Result<Option<Value>, EvalError> {
        let arena = Bump::new();
        arena.set_allocation_limit(Some(bounds.memory_bytes));
        let _scope = bindings::enter(contexts.clone(), self.env.clone());
        let run = std::panic::AssertUnwindSafe(|| {
            let input = input(&arena);
            let mut bound = bindings::extensions(&arena);
            for (name, value) in extra {
                bound.push((name, jsonata_rs::value_from_json(&arena, value)));
            }
            jsonata_rs::evaluate_ast(
                &self.ast,
                input,
                &arena,
                &bound,
                Some(bounds.depth),
                Some(bounds.time_ms),
            )
            .map(to_json)
        });
        match std::panic::catch_unwind(run) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(EvalError(message(&e))),
            Err(panic) => Err(EvalError(panic_message(panic.as_ref(), bounds))),
        }
    }
}

/// The error for an evaluation that panicked: the arena's allocation limit
/// (bumpalo fails allocations with a panic), or a path the engine does not
/// implement.
fn panic_message(panic: &(dyn std::any::Any + Send), bounds: Bounds) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    if text.contains("out of memory") || text.contains("allocation error") {
        format!(
            "Expression evaluation exceeded the memory limit of {} MB",
            bounds.memory_bytes >> 20
        )
    } else {
        "the expression could not be evaluated".into()
    }
}

/// jsonata-rs's message without its code and position prefix
/// (`T2001 @ 3: …`), as jsonata-js words it.
fn message(e: &jsonata_rs::Error) -> String {
    let text = e.to_string();
    let Some((_, rest)) = text.split_once(" @ ") else {
        return text;
    };
    match rest.split_once(": ") {
        Some((pos, msg)) if pos.chars().all(|c| c.is_ascii_digit()) => msg.to_owned(),
        _ => rest.to_owned(),
    }
}

/// The character index jsonata-rs reports an error at (`S0201 @ 3: …`).
fn position(e: &jsonata_rs::Error) -> Option<usize> {
    let text = e.to_string();
    let (_, rest) = text.split_once(" @ ")?;
    rest.split_once(": ")?.0.parse().ok()
}

/// Node-RED's test for legacy mode: `msg` as a word of the expression
/// (its pattern `(^|[^a-zA-Z0-9_'".])msg([^a-zA-Z0-9_'"]|$)`).
fn legacy_mode(source: &str) -> bool {
    let word = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'\'' | b'"');
    let bytes = source.as_bytes();
    source.match_indices("msg").any(|(i, _)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + 3).copied();
        !before.is_some_and(|c| word(c) || c == b'.') && !after.is_some_and(word)
    })
}

#[cfg(test)]
mod tests;
