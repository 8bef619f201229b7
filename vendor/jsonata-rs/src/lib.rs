// Third-party code, kept as upstream wrote it apart from the patches in
// PATCHES.md: its lints are upstream's business, not this workspace's.
#![allow(warnings, clippy::all)]
#![cfg_attr(not(doctest), doc = include_str!("../README.md"))]
use std::collections::HashMap;

use bumpalo::Bump;

mod datetime;
mod errors;
mod evaluator;
mod parser;
mod picture;

pub use errors::Error;
pub use evaluator::frame::Frame;
pub use evaluator::value::serialize::js_number_text;
pub use evaluator::value::{ObjectIter, ObjectMap};

/// The parsed form of an expression, for callers that check it before use.
pub mod ast {
    pub use crate::parser::ast::*;
}

/// Parses `expr` once; evaluate it any number of times with [`evaluate_ast`].
pub fn parse(expr: &str) -> Result<Ast> {
    parser::parse(expr)
}

/// The standard library functions this implementation binds, by name.
pub const STANDARD_FUNCTIONS: &[&str] = &[
    "abs",
    "append",
    "assert",
    "base64decode",
    "base64encode",
    "boolean",
    "ceil",
    "contains",
    "count",
    "distinct",
    "each",
    "error",
    "eval",
    "exists",
    "formatInteger",
    "fromMillis",
    "toMillis",
    "single",
    "filter",
    "floor",
    "join",
    "keys",
    "length",
    "lookup",
    "lowercase",
    "map",
    "match",
    "max",
    "merge",
    "min",
    "not",
    "now",
    "number",
    "pad",
    "parseInteger",
    "power",
    "random",
    "reduce",
    "replace",
    "reverse",
    "round",
    "sort",
    "split",
    "sqrt",
    "string",
    "substring",
    "substringBefore",
    "substringAfter",
    "sum",
    "trim",
    "uppercase",
    "zip",
    "millis",
    "uuid",
];

/// Binds the standard library into `frame`.
fn bind_standard<'a>(frame: &Frame<'a>, arena: &'a Bump) {
    macro_rules! bind_native {
        ($name:literal, $arity:literal, $fn:ident) => {
            frame.bind($name, Value::nativefn(arena, $name, $arity, $fn));
        };
    }
    bind_native!("abs", 1, fn_abs);
    bind_native!("append", 2, fn_append);
    bind_native!("assert", 2, fn_assert);
    bind_native!("base64decode", 1, fn_base64_decode);
    bind_native!("base64encode", 1, fn_base64_encode);
    bind_native!("boolean", 1, fn_boolean);
    bind_native!("ceil", 1, fn_ceil);
    bind_native!("contains", 2, fn_contains);
    bind_native!("count", 1, fn_count);
    bind_native!("distinct", 1, fn_distinct);
    bind_native!("each", 2, fn_each);
    bind_native!("error", 1, fn_error);
    bind_native!("eval", 2, fn_eval);
    bind_native!("exists", 1, fn_exists);
    bind_native!("formatInteger", 2, fn_format_integer);
    bind_native!("fromMillis", 3, from_millis);
    bind_native!("toMillis", 2, to_millis);
    bind_native!("single", 2, single);
    bind_native!("filter", 2, fn_filter);
    bind_native!("floor", 1, fn_floor);
    bind_native!("join", 2, fn_join);
    bind_native!("keys", 1, fn_keys);
    bind_native!("length", 1, fn_length);
    bind_native!("lookup", 2, fn_lookup);
    bind_native!("lowercase", 1, fn_lowercase);
    bind_native!("map", 2, fn_map);
    bind_native!("match", 2, fn_match);
    bind_native!("max", 1, fn_max);
    bind_native!("merge", 1, fn_merge);
    bind_native!("min", 1, fn_min);
    bind_native!("not", 1, fn_not);
    bind_native!("now", 2, fn_now);
    bind_native!("number", 1, fn_number);
    bind_native!("pad", 2, fn_pad);
    bind_native!("parseInteger", 2, fn_parse_integer);
    bind_native!("power", 2, fn_power);
    bind_native!("random", 0, fn_random);
    bind_native!("reduce", 3, fn_reduce);
    bind_native!("replace", 4, fn_replace);
    bind_native!("reverse", 1, fn_reverse);
    bind_native!("round", 2, fn_round);
    bind_native!("sort", 2, fn_sort);
    bind_native!("split", 3, fn_split);
    bind_native!("sqrt", 1, fn_sqrt);
    bind_native!("string", 1, fn_string);
    bind_native!("substring", 3, fn_substring);
    bind_native!("substringBefore", 2, fn_substring_before);
    bind_native!("substringAfter", 2, fn_substring_after);
    bind_native!("sum", 1, fn_sum);
    bind_native!("trim", 1, fn_trim);
    bind_native!("uppercase", 1, fn_uppercase);
    bind_native!("zip", 1, fn_zip);
    bind_native!("millis", 0, fn_millis);
    bind_native!("uuid", 0, fn_uuid);
}

/// Evaluates a parsed expression against `input` (`$` and `$$`), with the
/// standard library and `bindings` (which may override it) in scope. The
/// depth and time limits bound the evaluation as in
/// [`JsonAta::evaluate_timeboxed`].
pub fn evaluate_ast<'a>(
    ast: &Ast,
    input: &'a Value<'a>,
    arena: &'a Bump,
    bindings: &[(&str, &'a Value<'a>)],
    max_depth: Option<usize>,
    time_limit: Option<usize>,
) -> Result<&'a Value<'a>> {
    static CHAIN: std::sync::OnceLock<Ast> = std::sync::OnceLock::new();
    let chain = CHAIN.get_or_init(|| {
        parser::parse("function($f, $g) { function($x){ $g($f($x)) } }")
            .expect("the chain function parses")
    });
    let input = if input.is_array() {
        Value::wrap_in_array(arena, input, ArrayFlags::WRAPPED)
    } else {
        input
    };
    let frame = Frame::new();
    frame.bind("$", input);
    bind_standard(&frame, arena);
    for (name, value) in bindings {
        frame.bind(name, value);
    }
    let evaluator = Evaluator::new(Some(chain.clone()), arena, max_depth, time_limit);
    evaluator.evaluate(ast, input, &frame)
}

/// A JSON value as an evaluation value, objects keeping their key order.
pub fn value_from_json<'a>(arena: &'a Bump, json: &serde_json::Value) -> &'a mut Value<'a> {
    match json {
        serde_json::Value::Null => Value::null(arena),
        serde_json::Value::Bool(b) => arena.alloc(Value::Bool(*b)),
        serde_json::Value::Number(n) => Value::number(arena, n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::string(arena, s),
        serde_json::Value::Array(a) => {
            let array = Value::array_with_capacity(arena, a.len(), ArrayFlags::empty());
            for v in a.iter() {
                array.push(value_from_json(arena, v))
            }
            array
        }
        serde_json::Value::Object(o) => {
            let object = Value::object_with_capacity(arena, o.len());
            for (k, v) in o.iter() {
                object.insert(k, value_from_json(arena, v));
            }
            object
        }
    }
}
pub use evaluator::functions::FunctionContext;
pub use evaluator::value::{ArrayFlags, Value};

use evaluator::{functions::*, Evaluator};
use parser::ast::Ast;

pub type Result<T> = std::result::Result<T, Error>;

pub struct JsonAta<'a> {
    ast: Ast,
    frame: Frame<'a>,
    arena: &'a Bump,
}

impl<'a> JsonAta<'a> {
    pub fn new(expr: &str, arena: &'a Bump) -> Result<JsonAta<'a>> {
        Ok(Self {
            ast: parser::parse(expr)?,
            frame: Frame::new(),
            arena,
        })
    }

    pub fn ast(&self) -> &Ast {
        &self.ast
    }

    pub fn assign_var(&self, name: &str, value: &'a Value<'a>) {
        self.frame.bind(name, value)
    }

    pub fn register_function(
        &self,
        name: &str,
        arity: usize,
        implementation: fn(FunctionContext<'a, '_>, &[&'a Value<'a>]) -> Result<&'a Value<'a>>,
    ) {
        self.frame.bind(
            name,
            Value::nativefn(self.arena, name, arity, implementation),
        );
    }

    fn json_value_to_value(&self, json_value: &serde_json::Value) -> &'a mut Value<'a> {
        value_from_json(self.arena, json_value)
    }

    pub fn evaluate(
        &self,
        input: Option<&str>,
        bindings: Option<&HashMap<&str, &serde_json::Value>>,
    ) -> Result<&'a Value<'a>> {
        if let Some(bindings) = bindings {
            for (key, json_value) in bindings.iter() {
                let value = self.json_value_to_value(json_value);
                self.assign_var(key, value);
            }
        };

        self.evaluate_timeboxed(input, None, None)
    }

    pub fn evaluate_timeboxed(
        &self,
        input: Option<&str>,
        max_depth: Option<usize>,
        time_limit: Option<usize>,
    ) -> Result<&'a Value<'a>> {
        let input = match input {
            Some(input) => {
                let input_ast = parser::parse(input)?;
                let evaluator = Evaluator::new(None, self.arena, None, None);
                evaluator.evaluate(&input_ast, Value::undefined(), &Frame::new())?
            }
            None => Value::undefined(),
        };

        // If the input is an array, wrap it in an array so that it gets treated as a single input
        let input = if input.is_array() {
            Value::wrap_in_array(self.arena, input, ArrayFlags::WRAPPED)
        } else {
            input
        };

        self.frame.bind("$", input);
        bind_standard(&self.frame, self.arena);

        let chain_ast = Some(parser::parse(
            "function($f, $g) { function($x){ $g($f($x)) } }",
        )?);
        let evaluator = Evaluator::new(chain_ast, self.arena, max_depth, time_limit);
        evaluator.evaluate(&self.ast, input, &self.frame)
    }
}
