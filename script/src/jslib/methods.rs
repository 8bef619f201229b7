//! `recv.name(args)` for every kind of receiver: functions stored on
//! objects, built-in methods of strings, arrays, numbers, dates and errors,
//! and the host objects `node`, `context`/`flow`/`global` and `env`.

use std::sync::Arc;

use rhai::{Dynamic, FnPtr, ImmutableString, NativeCallContext};

use super::arg;

use super::callback::{call_function, call_with_this, is_callable};
use super::ops::{to_string, type_error, JsResult};
use super::regexp::JsRegExp;
use super::values::{
    array, as_array, as_object, is_nullish, JsDate, JsError, JsFunction, JsMethod, JsObject, Proto,
};
use super::{arrays, strings};
use crate::api::{ContextApi, EnvApi, NodeApi};

const STRING_METHODS: &[&str] = &[
    "toUpperCase",
    "toLocaleUpperCase",
    "toLowerCase",
    "toLocaleLowerCase",
    "trim",
    "trimStart",
    "trimLeft",
    "trimEnd",
    "trimRight",
    "toString",
    "valueOf",
    "normalize",
    "split",
    "includes",
    "startsWith",
    "endsWith",
    "indexOf",
    "lastIndexOf",
    "slice",
    "substring",
    "substr",
    "charAt",
    "at",
    "charCodeAt",
    "codePointAt",
    "padStart",
    "padEnd",
    "repeat",
    "concat",
    "replace",
    "replaceAll",
    "localeCompare",
    "match",
    "matchAll",
    "search",
];
const ARRAY_METHODS: &[&str] = &[
    "push",
    "pop",
    "shift",
    "unshift",
    "forEach",
    "map",
    "filter",
    "find",
    "findIndex",
    "findLast",
    "findLastIndex",
    "some",
    "every",
    "reduce",
    "reduceRight",
    "includes",
    "indexOf",
    "lastIndexOf",
    "join",
    "toString",
    "slice",
    "splice",
    "concat",
    "reverse",
    "sort",
    "flat",
    "flatMap",
    "fill",
    "at",
    "keys",
    "entries",
    "values",
    "toSorted",
    "toReversed",
    "toSpliced",
    "with",
];
const NUMBER_METHODS: &[&str] = &[
    "toFixed",
    "toString",
    "toPrecision",
    "toExponential",
    "toLocaleString",
    "valueOf",
];
const NODE_METHODS: &[&str] = &[
    "send", "done", "log", "debug", "trace", "warn", "error", "status", "on",
];
const DATE_METHODS: &[&str] = &[
    "getFullYear",
    "getMonth",
    "getDate",
    "getDay",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
    "getUTCFullYear",
    "getUTCMonth",
    "getUTCDate",
    "getUTCDay",
    "getUTCHours",
    "getUTCMinutes",
    "getUTCSeconds",
    "getUTCMilliseconds",
    "getTime",
    "valueOf",
    "getTimezoneOffset",
    "setTime",
    "setFullYear",
    "setMonth",
    "setDate",
    "setHours",
    "setMinutes",
    "setSeconds",
    "setMilliseconds",
    "setUTCFullYear",
    "setUTCMonth",
    "setUTCDate",
    "setUTCHours",
    "setUTCMinutes",
    "setUTCSeconds",
    "setUTCMilliseconds",
    "toISOString",
    "toJSON",
    "toString",
    "toUTCString",
    "toGMTString",
    "toDateString",
    "toTimeString",
    "toLocaleDateString",
    "toLocaleTimeString",
    "toLocaleString",
];

/// Whether `recv` has a built-in method `name` (so reading `recv.name`
/// gives a function, as in JavaScript).
pub fn has_method(recv: &Dynamic, name: &str) -> bool {
    let list: &[&str] = if recv.is_string() {
        STRING_METHODS
    } else if super::values::is_array(recv) {
        ARRAY_METHODS
    } else if recv.is_int() || recv.is_float() {
        NUMBER_METHODS
    } else if recv.is::<NodeApi>() {
        NODE_METHODS
    } else if recv.is::<ContextApi>() {
        &["get", "set", "keys"]
    } else if recv.is::<EnvApi>() {
        &["get"]
    } else if recv.is::<JsDate>() {
        DATE_METHODS
    } else if recv.is::<JsError>() {
        &["toString"]
    } else if super::buffer::is_buffer(recv) {
        return super::buffer::has_method(name);
    } else if recv.is::<JsRegExp>() {
        super::regexp::METHODS
    } else if super::promise::is_promise(recv) {
        super::promise::METHODS
    } else if recv.is_bool() {
        &["toString", "valueOf"]
    } else if recv.is::<super::intl::IntlFormat>() {
        super::intl::METHODS
    } else if recv.is::<super::crypto::CryptoModule>() {
        super::crypto::METHODS
    } else if recv.is::<super::crypto::JsHash>() {
        super::crypto::HASH_METHODS
    } else {
        &[]
    };
    list.contains(&name)
}

/// The methods of `Object.prototype` called on object `o` (`recv`).
fn object_method(
    recv: &Dynamic,
    o: &JsObject,
    name: &str,
    args: &[Dynamic],
    callee: &str,
) -> JsResult<Dynamic> {
    match name {
        "hasOwnProperty" | "propertyIsEnumerable" => {
            super::props::has_own(recv, &arg(args, 0)).map(Dynamic::from_bool)
        }
        "isPrototypeOf" => Ok(Dynamic::from_bool(is_prototype_of(o, &arg(args, 0)))),
        "toString" | "toLocaleString" => Ok(Dynamic::from("[object Object]")),
        "valueOf" => Ok(recv.clone()),
        _ => Err(not_a_function(callee)),
    }
}

/// The tag `Object.prototype.toString` puts in `[object …]`.
fn to_string_tag(v: &Dynamic) -> &'static str {
    if v.is_unit() {
        "Undefined"
    } else if super::values::is_null(v) {
        "Null"
    } else if v.is_string() || v.is_char() {
        "String"
    } else if v.is_int() || v.is_float() {
        "Number"
    } else if v.is_bool() {
        "Boolean"
    } else if v.is::<JsDate>() {
        "Date"
    } else if v.is::<JsRegExp>() {
        "RegExp"
    } else if v.is::<JsError>() {
        "Error"
    } else if super::buffer::is_buffer(v) {
        "Uint8Array"
    } else if as_array(v).is_some() {
        "Array"
    } else if is_callable(v) {
        "Function"
    } else if super::promise::is_promise(v) {
        "Promise"
    } else if let Some(c) = v.read_lock::<super::collections::JsCollection>() {
        c.kind.name()
    } else {
        "Object"
    }
}

/// `proto.isPrototypeOf(v)`: whether `proto` is on `v`'s prototype chain.
fn is_prototype_of(proto: &JsObject, v: &Dynamic) -> bool {
    let mut cur = as_object(v);
    while let Some(o) = cur {
        match o.proto() {
            Proto::Of(parent) if Arc::ptr_eq(&parent.0, &proto.0) => return true,
            Proto::Of(parent) => cur = Some(parent),
            Proto::Object | Proto::Null => return false,
        }
    }
    false
}

fn not_a_function(callee: &str) -> Box<rhai::EvalAltResult> {
    type_error(format!("{callee} is not a function"))
}

/// Call method `name` on `recv`. `callee` is the call's source text, for
/// V8's "x.y is not a function" message.
pub fn call_method(
    ctx: &NativeCallContext,
    recv: &Dynamic,
    name: &str,
    args: Vec<Dynamic>,
    callee: &str,
) -> JsResult<Dynamic> {
    if let Some(o) = as_object(recv) {
        let prop = super::classes::read(ctx, recv, o.get(name))?;
        if is_callable(&prop) {
            return call_with_this(ctx, &prop, recv.clone(), args);
        }
        if !prop.is_unit() {
            return Err(not_a_function(callee));
        }
        if let Some(data) = super::buffer::data_of(recv) {
            if let Some(r) = super::buffer::call(&data, name, &args) {
                return r;
            }
        }
        if !o.inherits_object_methods() {
            return Err(not_a_function(callee));
        }
        return object_method(recv, &o, name, &args, callee);
    }
    if name == "hasOwnProperty" && (recv.is_string() || as_array(recv).is_some()) {
        return super::props::has_own(recv, &arg(&args, 0)).map(Dynamic::from_bool);
    }
    if let Some(s) = recv.read_lock::<ImmutableString>() {
        let s = s.clone();
        return strings::call(ctx, &s, name, &args).unwrap_or_else(|| Err(not_a_function(callee)));
    }
    if let Some(a) = as_array(recv) {
        return arrays::call(ctx, &a, name, &args).unwrap_or_else(|| Err(not_a_function(callee)));
    }
    if is_nullish(recv) {
        return Err(type_error(format!(
            "Cannot read properties of {} (reading '{name}')",
            if recv.is_unit() { "undefined" } else { "null" }
        )));
    }
    if let Some(x) = super::ops::as_f64(recv) {
        return super::number_methods::call(x, name, &args)
            .unwrap_or_else(|| Err(not_a_function(callee)));
    }
    if let Ok(b) = recv.as_bool() {
        return match name {
            "toString" => Ok(Dynamic::from(if b { "true" } else { "false" })),
            "valueOf" => Ok(Dynamic::from_bool(b)),
            _ => Err(not_a_function(callee)),
        };
    }
    if let Some(re) = recv.read_lock::<JsRegExp>() {
        let re = re.clone();
        return super::regexp::call(&re, name, &args)
            .unwrap_or_else(|| Err(not_a_function(callee)));
    }
    if let Some(d) = recv.read_lock::<JsDate>() {
        let d = d.clone();
        return super::date_methods::call(&d, name, &args)
            .unwrap_or_else(|| Err(not_a_function(callee)));
    }
    if let Some(e) = recv.read_lock::<JsError>() {
        let prop = e.props.get(name);
        if is_callable(&prop) {
            drop(e);
            return super::callback::call_with_this(ctx, &prop, recv.clone(), args);
        }
        return match name {
            "toString" => Ok(Dynamic::from(e.to_js_string())),
            _ => Err(not_a_function(callee)),
        };
    }
    if let Some(m) = recv.read_lock::<JsMethod>() {
        // `Object.prototype.hasOwnProperty.call(o, k)`, `[].slice.call(a)`:
        // a built-in method called on another receiver.
        let m = m.clone();
        let mut args = args.into_iter();
        let this = args.next().unwrap_or(Dynamic::UNIT);
        let rest: Vec<Dynamic> = match name {
            "call" => args.collect(),
            "apply" => as_array(&args.next().unwrap_or(Dynamic::UNIT))
                .map(|a| a.items())
                .unwrap_or_default(),
            _ => return Err(not_a_function(callee)),
        };
        if m.name.as_str() == "toString"
            && as_object(&m.recv).is_some()
            && !super::buffer::is_buffer(&m.recv)
        {
            // `Object.prototype.toString.call(v)`, the classic type test.
            return Ok(Dynamic::from(format!("[object {}]", to_string_tag(&this))));
        }
        if super::values::OBJECT_METHODS.contains(&m.name.as_str()) {
            if is_nullish(&this) {
                return Err(type_error("Cannot convert undefined or null to object"));
            }
            // Even on an object that does not inherit them.
            if let Some(o) = as_object(&this) {
                return object_method(&this, &o, &m.name, &rest, callee);
            }
        }
        return call_method(ctx, &this, &m.name, rest, callee);
    }
    if recv.is::<FnPtr>() || recv.is::<JsFunction>() {
        let this = arg(&args, 0);
        return match name {
            "call" => call_with_this(ctx, recv, this, args.into_iter().skip(1).collect()),
            "apply" => {
                let list = as_array(&arg(&args, 1))
                    .map(|a| a.items())
                    .unwrap_or_default();
                call_with_this(ctx, recv, this, list)
            }
            _ => Err(not_a_function(callee)),
        };
    }
    if let Some(c) = recv.read_lock::<super::collections::JsCollection>() {
        let c = c.clone();
        return super::collections::call(ctx, recv, &c, name, args)
            .unwrap_or_else(|| Err(not_a_function(callee)));
    }
    if let Some(c) = recv.read_lock::<super::classes::JsClass>() {
        let c = c.clone();
        return super::classes::call_static(ctx, &c, recv, name, args, callee);
    }
    if let Some(n) = recv.read_lock::<NodeApi>() {
        let n = n.clone();
        if name == "on" {
            return crate::api::on::on(ctx, &n, &args);
        }
        return node_method(&n, name, &args).unwrap_or_else(|| Err(not_a_function(callee)));
    }
    if let Some(c) = recv.read_lock::<ContextApi>() {
        let c = c.clone();
        if let Some(done) = c.call(ctx, name, &args) {
            return done;
        }
        // A function the body put on the object (`global.helper = …`).
        return match c.props.as_ref().map(|p| p.get(name)) {
            Some(f) if is_callable(&f) => call_function(ctx, &f, args),
            _ => Err(not_a_function(callee)),
        };
    }
    if let Some(e) = recv.read_lock::<EnvApi>() {
        return match name {
            "get" => Ok(e.get(&to_string(&arg(&args, 0)))),
            _ => Err(not_a_function(callee)),
        };
    }
    if let Some(r) = super::promise::call_method(recv, name, &args) {
        return r;
    }
    host_call(recv, name, &args).unwrap_or_else(|| Err(not_a_function(callee)))
}

/// The library's host objects: Intl formatters and the `crypto` module's.
fn host_call(recv: &Dynamic, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    if let Some(f) = recv.read_lock::<super::intl::IntlFormat>() {
        return super::intl::call(&f, name, args);
    }
    if recv.is::<super::crypto::CryptoModule>() {
        return super::crypto::module_call(name, args);
    }
    let h = recv.read_lock::<super::crypto::JsHash>()?.clone();
    super::crypto::hash_call(&h, name, args)
}

fn node_method(n: &NodeApi, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    use tracing::Level;
    let v = arg(args, 0);
    Some(match name {
        "send" => n.send(&v).map(|_| Dynamic::UNIT),
        "done" => Ok(Dynamic::UNIT),
        "log" | "debug" | "trace" => {
            n.log(Level::INFO, &v);
            Ok(Dynamic::UNIT)
        }
        "warn" => {
            n.log(Level::WARN, &v);
            Ok(Dynamic::UNIT)
        }
        "error" => {
            if args.len() >= 2 && !is_nullish(&args[1]) {
                n.raise(&v, &args[1]).map(|_| Dynamic::UNIT)
            } else {
                n.log(Level::ERROR, &v);
                Ok(Dynamic::UNIT)
            }
        }
        "status" => {
            n.status(&v);
            Ok(Dynamic::UNIT)
        }
        _ => return None,
    })
}

/// Build the array `[a, b]` a `for...of` over `Object.entries` expects.
pub fn pair(a: Dynamic, b: Dynamic) -> Dynamic {
    array(vec![a, b])
}
