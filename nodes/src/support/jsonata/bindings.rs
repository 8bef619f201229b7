//! Node-RED's extension functions (`prepareJSONataExpression` in
//! `@node-red/util`) and the conversions between messages and JSONata values.
//!
//! jsonata-rs binds native functions as plain function pointers, so what
//! they read (the node's context stores, its resolved `$env` names) is set
//! for the evaluating thread while one evaluation runs ([`enter`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use bumpalo::Bump;
use jsonata_rs::{FunctionContext, Value as JValue};
use serde_json::{Map, Value};

use crate::support::js;
use crate::support::typed_value::{ContextKind, ContextPath, Contexts};

struct Scope {
    contexts: Contexts,
    env: Arc<HashMap<String, Value>>,
}

thread_local! {
    static SCOPE: RefCell<Vec<Scope>> = const { RefCell::new(Vec::new()) };
}

/// While alive, the extension functions on this thread read this node's
/// contexts and environment.
pub struct Entered(());

impl Drop for Entered {
    fn drop(&mut self) {
        SCOPE.with(|s| s.borrow_mut().pop());
    }
}

pub fn enter(contexts: Contexts, env: Arc<HashMap<String, Value>>) -> Entered {
    SCOPE.with(|s| s.borrow_mut().push(Scope { contexts, env }));
    Entered(())
}

fn with_scope<R>(f: impl FnOnce(&Scope) -> R) -> Option<R> {
    SCOPE.with(|s| s.borrow().last().map(f))
}

pub type Native = for<'a, 'e> fn(
    FunctionContext<'a, 'e>,
    &[&'a JValue<'a>],
) -> jsonata_rs::Result<&'a JValue<'a>>;

/// Node-RED's extension functions, bound by name for one evaluation.
pub fn extensions(arena: &Bump) -> Vec<(&'static str, &JValue<'_>)> {
    const NATIVES: [(&str, usize, Native); 4] = [
        ("flowContext", 2, flow_context),
        ("globalContext", 2, global_context),
        ("env", 1, env),
        ("clone", 1, clone),
    ];
    NATIVES
        .iter()
        .chain(super::library::FUNCTIONS)
        .chain(super::moment::FUNCTIONS)
        .map(|(name, arity, f)| (*name, &*JValue::nativefn(arena, name, *arity, *f)))
        .collect()
}

fn context_get<'a>(
    kind: ContextKind,
    ctx: &FunctionContext<'a, '_>,
    args: &[&'a JValue<'a>],
) -> &'a JValue<'a> {
    let Some(key) = args.first().filter(|k| k.is_string()) else {
        return JValue::undefined();
    };
    // The optional second argument names the store.
    let store = args.get(1).filter(|s| s.is_string()).map(|s| s.as_str());
    let found = with_scope(|scope| {
        let path = ContextPath::parse(&key.as_str())
            .ok()?
            .with_store(store.as_deref());
        path.get(scope.contexts.store(kind), &Map::new())
            .ok()
            .flatten()
    })
    .flatten();
    match found {
        Some(v) => jsonata_rs::value_from_json(ctx.arena, &v),
        None => JValue::undefined(),
    }
}

/// `$flowContext(key[, store])`: the node's flow context.
fn flow_context<'a>(
    ctx: FunctionContext<'a, '_>,
    args: &[&'a JValue<'a>],
) -> jsonata_rs::Result<&'a JValue<'a>> {
    Ok(context_get(ContextKind::Flow, &ctx, args))
}

/// `$globalContext(key[, store])`.
fn global_context<'a>(
    ctx: FunctionContext<'a, '_>,
    args: &[&'a JValue<'a>],
) -> jsonata_rs::Result<&'a JValue<'a>> {
    Ok(context_get(ContextKind::Global, &ctx, args))
}

/// `$env(name)`: the setting resolved at load, with its type (a `num`
/// variable is a number), `""` when unset.
fn env<'a>(
    ctx: FunctionContext<'a, '_>,
    args: &[&'a JValue<'a>],
) -> jsonata_rs::Result<&'a JValue<'a>> {
    let name = args.first().map(|n| n.as_str().into_owned());
    let value = name
        .and_then(|n| with_scope(|s| s.env.get(&n).cloned()).flatten())
        .unwrap_or_else(|| Value::String(String::new()));
    Ok(jsonata_rs::value_from_json(ctx.arena, &value))
}

/// `$clone(value)`: a deep copy (`RED.util.cloneMessage`).
fn clone<'a>(
    ctx: FunctionContext<'a, '_>,
    args: &[&'a JValue<'a>],
) -> jsonata_rs::Result<&'a JValue<'a>> {
    let Some(v) = args.first() else {
        return Ok(JValue::undefined());
    };
    Ok(match to_json(v) {
        Some(json) => jsonata_rs::value_from_json(ctx.arena, &json),
        None => JValue::undefined(),
    })
}

/// The evaluation's input: the message, or `{"msg": msg}` in legacy mode.
pub fn input_value<'a>(arena: &'a Bump, msg: &Map<String, Value>, legacy: bool) -> &'a JValue<'a> {
    let object = JValue::object_with_capacity(arena, msg.len());
    for (k, v) in msg {
        object.insert(k, jsonata_rs::value_from_json(arena, v));
    }
    if !legacy {
        return object;
    }
    let outer = JValue::object_with_capacity(arena, 1);
    outer.insert("msg", object);
    outer
}

/// A result as JSON: `None` for `undefined`. Functions become `undefined`
/// and regular expressions `{}`, as `JSON.stringify` renders them.
pub fn to_json<'a>(v: &'a JValue<'a>) -> Option<Value> {
    Some(match v {
        JValue::Undefined => return None,
        JValue::Null => Value::Null,
        JValue::Bool(b) => Value::Bool(*b),
        JValue::Number(n) => js::number(*n),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(..) | JValue::Range(..) => Value::Array(
            v.members()
                .filter_map(|m| to_json(m).or(Some(Value::Null)))
                .collect(),
        ),
        JValue::Object(o) => Value::Object(
            o.iter()
                .filter_map(|(k, m)| to_json(m).map(|m| (k.to_string(), m)))
                .collect(),
        ),
        JValue::Regex(_) => Value::Object(Map::new()),
        JValue::Lambda { .. } | JValue::NativeFn { .. } | JValue::Transformer { .. } => {
            return None
        }
    })
}
