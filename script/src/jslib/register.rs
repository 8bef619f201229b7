//! The `__*` helper functions translated JavaScript calls, registered on the
//! shared engine.

use rhai::{Array, Dynamic, Engine, FnPtr, ImmutableString, NativeCallContext};

use super::builtins::BUILTINS;
use super::callback::call_function;
use super::methods::call_method;
use super::number::num;
use super::ops::{self, Arith, Bitwise, JsResult};
use super::props;
use super::regexp::{self, JsRegExp};
use super::values::{
    self, array, as_array, as_object, JsArray, JsDate, JsError, JsFunction, JsNull, JsObject,
};
use crate::api::NodeApi;
use crate::timers;

fn obj_from_pairs(pairs: Array) -> JsResult<Dynamic> {
    let mut it = pairs.into_iter();
    let map = std::iter::from_fn(|| Some((ops::to_key(&it.next()?), it.next()?))).collect();
    Ok(Dynamic::from(JsObject::from_map(map)))
}

fn tpl(parts: Array) -> JsResult<Dynamic> {
    let mut out = String::new();
    for p in &parts {
        out.push_str(&ops::to_string(p));
    }
    if out.len() > values::MAX_STRING_BYTES {
        return Err(ops::throw("RangeError", "Invalid string length"));
    }
    Ok(Dynamic::from(out))
}

fn instance_of(v: &Dynamic, class: &str) -> bool {
    match class {
        "Array" => as_array(v).is_some(),
        "Date" => v.is::<JsDate>(),
        "Function" => v.is::<FnPtr>() || v.is::<JsFunction>() || v.is::<values::JsMethod>(),
        "Object" => {
            !(v.is_unit()
                || v.is::<JsNull>()
                || v.is_bool()
                || v.is_int()
                || v.is_float()
                || v.is_string())
        }
        "Error" => v.is::<JsError>(),
        "Set" | "Map" | "WeakSet" | "WeakMap" => super::collections::is_kind(v, class),
        "RegExp" => v.is::<JsRegExp>(),
        "Promise" => super::promise::is_promise(v),
        "Buffer" | "Uint8Array" => super::buffer::is_buffer(v),
        name => v
            .read_lock::<JsError>()
            .is_some_and(|e| e.name.as_str() == name),
    }
}

/// What `catch (e)` binds: thrown values as they are, engine errors as an
/// `Error` with the engine's message.
pub(crate) fn caught(v: Dynamic) -> Dynamic {
    if let Some(m) = v.read_lock::<rhai::Map>() {
        if let Some(msg) = m.get("message") {
            let text = msg.to_string();
            let name = if text.contains("not found") || text.contains("No writable property") {
                "TypeError"
            } else {
                "Error"
            };
            return Dynamic::from(JsError::new(name, text));
        }
    }
    v
}

/// Register every helper.
pub fn register(engine: &mut Engine) {
    register_types(engine);
    register_primitives(engine);
    register_arithmetic(engine);
    register_comparisons(engine);
    register_properties(engine);
    register_calls(engine);
    register_builtins(engine);
    super::awaiting::register(engine);
}

/// The Rust types behind JavaScript values, under the JavaScript names engine
/// errors show, and the `RegExp` literal constructor.
fn register_types(engine: &mut Engine) {
    engine
        .register_type_with_name::<JsObject>("object")
        .register_type_with_name::<JsArray>("array")
        .register_type_with_name::<JsNull>("null")
        .register_type_with_name::<JsDate>("Date")
        .register_type_with_name::<JsError>("Error")
        .register_type_with_name::<JsFunction>("function")
        .register_type_with_name::<values::JsMethod>("function")
        .register_type_with_name::<values::JsMatch>("array")
        .register_type_with_name::<JsRegExp>("RegExp");
    engine.register_fn("__re", |source: &str, flags: &str| {
        regexp::new_regexp(source, flags).map(Dynamic::from)
    });
}

/// Constants, truthiness and nullish tests, `typeof`, string conversion and
/// template literals, object rest.
fn register_primitives(engine: &mut Engine) {
    engine.register_fn("__null", values::null);
    engine.register_fn("__nan", || Dynamic::from_float(f64::NAN));
    engine.register_fn("__inf", || Dynamic::from_float(f64::INFINITY));
    engine.register_fn("__truthy", |v: Dynamic| ops::truthy(&v));
    engine.register_fn("__nullish", |v: Dynamic| values::is_nullish(&v));
    engine.register_fn("__undef", |v: Dynamic| v.is_unit());
    engine.register_fn("__obj_rest", |src: Dynamic, used: Array| {
        let used: Vec<ImmutableString> = used.iter().map(ops::to_key).collect();
        let out = JsObject::new();
        if let Some(o) = as_object(&src) {
            for (k, v) in o.entries() {
                if !used.contains(&k) {
                    out.set(k, v);
                }
            }
        }
        Dynamic::from(out)
    });
    engine.register_fn("__typeof", |v: Dynamic| {
        ImmutableString::from(ops::type_of(&v))
    });
    engine.register_fn("__str", |v: Dynamic| ops::to_string(&v));
    engine.register_fn("__tpl", tpl);
}

/// Arithmetic, bitwise and unary operators with JavaScript's coercions.
fn register_arithmetic(engine: &mut Engine) {
    engine.register_fn("__add", |a: Dynamic, b: Dynamic| ops::add(&a, &b));
    // A chain `a + b + c ...` folded into one call (see `translate::concat`).
    engine.register_fn("__add", |a: Dynamic, b: Dynamic, c: Dynamic| {
        ops::add_all(a, &[b, c])
    });
    engine.register_fn("__add", |a: Dynamic, b: Dynamic, c: Dynamic, d: Dynamic| {
        ops::add_all(a, &[b, c, d])
    });
    engine.register_fn(
        "__add",
        |a: Dynamic, b: Dynamic, c: Dynamic, d: Dynamic, e: Dynamic| ops::add_all(a, &[b, c, d, e]),
    );
    engine.register_fn(
        "__add",
        |a: Dynamic, b: Dynamic, c: Dynamic, d: Dynamic, e: Dynamic, f: Dynamic| {
            ops::add_all(a, &[b, c, d, e, f])
        },
    );
    engine.register_fn("__sub", |a: Dynamic, b: Dynamic| {
        ops::arith(Arith::Sub, &a, &b)
    });
    engine.register_fn("__mul", |a: Dynamic, b: Dynamic| {
        ops::arith(Arith::Mul, &a, &b)
    });
    engine.register_fn("__div", |a: Dynamic, b: Dynamic| {
        ops::arith(Arith::Div, &a, &b)
    });
    engine.register_fn("__mod", |a: Dynamic, b: Dynamic| {
        ops::arith(Arith::Rem, &a, &b)
    });
    engine.register_fn("__pow", |a: Dynamic, b: Dynamic| {
        ops::arith(Arith::Pow, &a, &b)
    });
    engine.register_fn("__band", |a: Dynamic, b: Dynamic| {
        ops::bitwise(Bitwise::And, &a, &b)
    });
    engine.register_fn("__bor", |a: Dynamic, b: Dynamic| {
        ops::bitwise(Bitwise::Or, &a, &b)
    });
    engine.register_fn("__bxor", |a: Dynamic, b: Dynamic| {
        ops::bitwise(Bitwise::Xor, &a, &b)
    });
    engine.register_fn("__shl", |a: Dynamic, b: Dynamic| {
        ops::bitwise(Bitwise::Shl, &a, &b)
    });
    engine.register_fn("__shr", |a: Dynamic, b: Dynamic| {
        ops::bitwise(Bitwise::Shr, &a, &b)
    });
    engine.register_fn("__ushr", |a: Dynamic, b: Dynamic| {
        ops::bitwise(Bitwise::UShr, &a, &b)
    });
    engine.register_fn("__bnot", |a: Dynamic| {
        Dynamic::from_int(!ops::to_int32(&a) as rhai::INT)
    });
    engine.register_fn("__neg", |a: Dynamic| match a.as_int() {
        Ok(i) if i != 0 => Dynamic::from_int(-i),
        _ => num(-ops::to_number(&a)),
    });
    engine.register_fn("__pos", |a: Dynamic| num(ops::to_number(&a)));
    engine.register_fn("__inc", |a: Dynamic| {
        ops::add(&num(ops::to_number(&a)), &Dynamic::from_int(1))
    });
    engine.register_fn("__dec", |a: Dynamic| {
        ops::arith(Arith::Sub, &num(ops::to_number(&a)), &Dynamic::from_int(1))
    });
}

/// Equality, relational operators and `instanceof`.
fn register_comparisons(engine: &mut Engine) {
    engine.register_fn("__seq", |a: Dynamic, b: Dynamic| ops::strict_eq(&a, &b));
    engine.register_fn("__leq", |a: Dynamic, b: Dynamic| ops::loose_eq(&a, &b));
    engine.register_fn("__lt", |a: Dynamic, b: Dynamic| {
        ops::compare(&a, &b) == Some(std::cmp::Ordering::Less)
    });
    engine.register_fn("__gt", |a: Dynamic, b: Dynamic| {
        ops::compare(&a, &b) == Some(std::cmp::Ordering::Greater)
    });
    engine.register_fn("__le", |a: Dynamic, b: Dynamic| {
        matches!(
            ops::compare(&a, &b),
            Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
        )
    });
    engine.register_fn("__ge", |a: Dynamic, b: Dynamic| {
        matches!(
            ops::compare(&a, &b),
            Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
        )
    });
    engine.register_fn("__instanceof", |v: Dynamic, class: &str| {
        instance_of(&v, class)
    });
}

/// Property access, `in`, iteration, literals, spreads and function arguments.
fn register_properties(engine: &mut Engine) {
    // Accessor properties (getters and setters) run script code: they need
    // the call context.
    engine.register_fn("__get", |ctx: NativeCallContext, o: Dynamic, k: Dynamic| {
        super::classes::read(&ctx, &o, props::get(&o, &k)?)
    });
    engine.register_fn(
        "__set",
        |ctx: NativeCallContext, o: Dynamic, k: Dynamic, v: Dynamic| {
            super::classes::write(&ctx, &o, &k, &v).unwrap_or_else(|| props::set(&o, &k, v))
        },
    );
    engine.register_fn("__delete", |o: Dynamic, k: Dynamic| props::delete(&o, &k));
    engine.register_fn("__in", |k: Dynamic, o: Dynamic| props::has(&k, &o));
    engine.register_fn("__keys_in", |o: Dynamic| props::keys_in(&o));
    engine.register_fn("__iter", |ctx: NativeCallContext, v: Dynamic| {
        super::classes::iterate(&ctx, &v)
    });
    engine.register_fn("__flat", |segments: Array| -> Array {
        let mut out = Array::new();
        for s in segments {
            if let Some(items) = s.try_cast::<Array>() {
                out.extend(items);
            }
        }
        out
    });
    engine.register_fn("__obj", obj_from_pairs);
    engine.register_fn("__arr", |items: Array| array(items));
    engine.register_fn("__spread_into", |o: Dynamic, src: Dynamic| {
        if let Some(obj) = as_object(&o) {
            props::spread_into(&obj, &src);
        }
    });
    engine.register_fn("__arg", |args: &mut Array, i: rhai::INT| {
        args.get(i as usize).cloned().unwrap_or(Dynamic::UNIT)
    });
    engine.register_fn("__rest", |args: &mut Array, i: rhai::INT| {
        array(args.iter().skip(i as usize).cloned().collect())
    });
    engine.register_fn("__arguments", |args: &mut Array| array(args.clone()));
}

/// Function and method calls, timers, `catch` bindings and `throw`.
fn register_calls(engine: &mut Engine) {
    engine.register_fn(
        "__call",
        |ctx: NativeCallContext, f: Dynamic, args: Array| call_function(&ctx, &f.flatten(), args),
    );
    engine.register_fn(
        "__calln",
        |ctx: NativeCallContext, f: Dynamic, args: Array, callee: ImmutableString| {
            super::callback::call_named(&ctx, &f.flatten(), args, Some(&callee))
        },
    );
    engine.register_fn(
        "__m",
        |ctx: NativeCallContext,
         recv: Dynamic,
         name: Dynamic,
         args: Array,
         callee: ImmutableString| {
            call_method(&ctx, &recv.flatten(), &ops::to_key(&name), args, &callee)
        },
    );
    engine.register_fn(
        "__timer_set",
        |ctx: NativeCallContext, node: NodeApi, args: Array, repeat: bool| {
            timers::set(&ctx, &node, args, repeat)
        },
    );
    engine.register_fn("__timer_clear", |node: NodeApi, id: Dynamic| {
        timers::clear(&node, &id)
    });
    engine.register_fn("__fnself", |imp: FnPtr| {
        Dynamic::from(JsFunction::recursive(imp))
    });
    super::classes::register(engine);
    engine.register_fn("__caught", caught);
    engine.register_fn(
        "__throw",
        |name: &str, message: &str| -> JsResult<Dynamic> { Err(ops::throw(name, message)) },
    );
}

/// One `__b_<name>` per global builtin; a name listed under several owners
/// is registered once.
fn register_builtins(engine: &mut Engine) {
    let mut seen = std::collections::HashSet::new();
    for (_, name, f) in BUILTINS.iter().chain(super::promise::BUILTINS) {
        if !seen.insert(*name) {
            continue;
        }
        let f = *f;
        engine.register_fn(
            format!("__b_{name}"),
            move |ctx: NativeCallContext, args: Array| f(&ctx, args),
        );
    }
}
