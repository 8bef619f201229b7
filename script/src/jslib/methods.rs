//! `recv.name(args)` for every kind of receiver: functions stored on
//! objects, built-in methods of strings, arrays, numbers, dates and errors,
//! and the host objects `node`, `context`/`flow`/`global` and `env`.

use std::sync::Arc;

use rhai::{Dynamic, FnPtr, ImmutableString, NativeCallContext};

use super::callback::{call_function, call_with_this, is_callable};
use super::date;
use super::number::{self, num};
use super::ops::{to_number, to_string, type_error, JsResult};
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
];
const NUMBER_METHODS: &[&str] = &[
    "toFixed",
    "toString",
    "toPrecision",
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
    "toISOString",
    "toJSON",
    "toString",
    "toUTCString",
    "toGMTString",
    "toDateString",
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
        super::buffer::METHODS
    } else if recv.is::<JsRegExp>() {
        super::regexp::METHODS
    } else if super::promise::is_promise(recv) {
        super::promise::METHODS
    } else if recv.is_bool() {
        &["toString", "valueOf"]
    } else {
        &[]
    };
    list.contains(&name)
}

fn arg(args: &[Dynamic], i: usize) -> Dynamic {
    args.get(i).cloned().unwrap_or(Dynamic::UNIT)
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
        return number_method(x, name, &args).unwrap_or_else(|| Err(not_a_function(callee)));
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
        return date_call(&d, name, &args).unwrap_or_else(|| Err(not_a_function(callee)));
    }
    if let Some(e) = recv.read_lock::<JsError>() {
        let prop = e.props.get(name);
        if is_callable(&prop) {
            drop(e);
            return call_function(ctx, &prop, args);
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
    Err(not_a_function(callee))
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

fn number_method(x: f64, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    let digits = |i: usize, default: f64| -> f64 {
        let v = arg(args, i);
        if v.is_unit() {
            default
        } else {
            to_number(&v)
        }
    };
    Some(match name {
        "toFixed" => {
            let d = digits(0, 0.0);
            let d = if d.is_nan() { 0.0 } else { d.trunc() };
            if !(0.0..=100.0).contains(&d) {
                return Some(Err(super::ops::throw(
                    "RangeError",
                    "toFixed() digits argument must be between 0 and 100",
                )));
            }
            Ok(Dynamic::from(number::to_fixed(x, d as usize)))
        }
        "toString" => {
            let r = digits(0, 10.0);
            if !(2.0..=36.0).contains(&r) {
                return Some(Err(super::ops::throw(
                    "RangeError",
                    "toString() radix must be between 2 and 36",
                )));
            }
            Ok(Dynamic::from(number::fmt_radix(x, r as u32)))
        }
        "toPrecision" => {
            let p = arg(args, 0);
            if p.is_unit() {
                return Some(Ok(Dynamic::from(number::fmt(x))));
            }
            let p = to_number(&p).trunc();
            if !(1.0..=100.0).contains(&p) {
                return Some(Err(super::ops::throw(
                    "RangeError",
                    "toPrecision() argument must be between 1 and 100",
                )));
            }
            Ok(Dynamic::from(to_precision(x, p as usize)))
        }
        "toLocaleString" => Ok(Dynamic::from(to_locale(x))),
        "valueOf" => Ok(num(x)),
        _ => return None,
    })
}

fn to_precision(x: f64, p: usize) -> String {
    if !x.is_finite() {
        return number::fmt(x);
    }
    if x == 0.0 {
        return if p > 1 {
            format!("0.{}", "0".repeat(p - 1))
        } else {
            "0".into()
        };
    }
    let e_form = format!("{:.*e}", p - 1, x.abs());
    let (mant, exp) = e_form.split_once('e').expect("exponent");
    let e: i32 = exp.parse().expect("digits");
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let sign = if x < 0.0 { "-" } else { "" };
    if e < -6 || e >= p as i32 {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        return format!("{sign}{m}e{}{}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    if e >= 0 {
        let int_len = e as usize + 1;
        if int_len >= digits.len() {
            format!("{sign}{digits}")
        } else {
            format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
        }
    } else {
        format!("{sign}0.{}{digits}", "0".repeat((-e - 1) as usize))
    }
}

/// `toLocaleString()` in en-US: grouping and at most three fraction digits.
fn to_locale(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".into()
        } else if x > 0.0 {
            "∞".into()
        } else {
            "-∞".into()
        };
    }
    let fixed = number::to_fixed(x, 3);
    let (int_part, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let (sign, int_part) = match int_part.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", int_part),
    };
    let mut grouped = String::new();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let frac = frac.trim_end_matches('0');
    let sign = if grouped == "0" && frac.is_empty() {
        ""
    } else {
        sign
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// Date methods; flowgate's local time is UTC, so `getHours` and
/// `getUTCHours` agree.
fn date_call(d: &JsDate, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    let t = d.time();
    let f = date::fields(if t.is_nan() { 0.0 } else { t });
    let plain = name
        .strip_prefix("getUTC")
        .map(|n| format!("get{n}"))
        .or_else(|| name.strip_prefix("setUTC").map(|n| format!("set{n}")));
    let key = plain.as_deref().unwrap_or(name);
    let field = |v: i64| -> JsResult<Dynamic> {
        Ok(if t.is_nan() {
            num(f64::NAN)
        } else {
            num(v as f64)
        })
    };
    let n = |i: usize| -> Option<f64> { args.get(i).map(to_number) };
    let set =
        |year: f64, month: f64, day: f64, h: f64, mi: f64, s: f64, ms: f64| -> JsResult<Dynamic> {
            let v = date::make_time(year, month, day, h, mi, s, ms);
            d.set_time(v);
            Ok(num(v))
        };
    let (y, mo, da) = (f.year as f64, f.month as f64, f.day as f64);
    let (h, mi, s, ms) = (
        f.hours as f64,
        f.minutes as f64,
        f.seconds as f64,
        f.millis as f64,
    );
    Some(match key {
        "getFullYear" => field(f.year),
        "getMonth" => field(f.month),
        "getDate" => field(f.day),
        "getDay" => field(f.weekday),
        "getHours" => field(f.hours),
        "getMinutes" => field(f.minutes),
        "getSeconds" => field(f.seconds),
        "getMilliseconds" => field(f.millis),
        "getTime" | "valueOf" => Ok(num(t)),
        "getTimezoneOffset" => Ok(num(if t.is_nan() { f64::NAN } else { 0.0 })),
        "setTime" => {
            let v = date::time_clip(n(0).unwrap_or(f64::NAN));
            d.set_time(v);
            Ok(num(v))
        }
        "setFullYear" => set(n(0)?, n(1).unwrap_or(mo), n(2).unwrap_or(da), h, mi, s, ms),
        "setMonth" => set(y, n(0)?, n(1).unwrap_or(da), h, mi, s, ms),
        "setDate" => set(y, mo, n(0)?, h, mi, s, ms),
        "setHours" => set(
            y,
            mo,
            da,
            n(0)?,
            n(1).unwrap_or(mi),
            n(2).unwrap_or(s),
            n(3).unwrap_or(ms),
        ),
        "setMinutes" => set(y, mo, da, h, n(0)?, n(1).unwrap_or(s), n(2).unwrap_or(ms)),
        "setSeconds" => set(y, mo, da, h, mi, n(0)?, n(1).unwrap_or(ms)),
        "setMilliseconds" => set(y, mo, da, h, mi, s, n(0)?),
        "toISOString" | "toJSON" => match date::to_iso(t) {
            Some(s) => Ok(Dynamic::from(s)),
            None if name == "toJSON" => Ok(super::values::null()),
            None => Err(super::ops::throw("RangeError", "Invalid time value")),
        },
        "toString" => Ok(Dynamic::from(date::to_js_string(t))),
        "toUTCString" | "toGMTString" => Ok(Dynamic::from(date::to_utc_string(t))),
        "toDateString" => Ok(Dynamic::from(if t.is_nan() {
            "Invalid Date".to_string()
        } else {
            date::to_js_string(t)[..15].to_string()
        })),
        "toLocaleDateString" | "toLocaleTimeString" | "toLocaleString" => {
            if t.is_nan() {
                return Some(Ok(Dynamic::from("Invalid Date")));
            }
            let day = format!("{}/{}/{}", f.month + 1, f.day, f.year);
            let h12 = if f.hours % 12 == 0 { 12 } else { f.hours % 12 };
            let time = format!(
                "{}:{:02}:{:02} {}",
                h12,
                f.minutes,
                f.seconds,
                if f.hours < 12 { "AM" } else { "PM" }
            );
            Ok(Dynamic::from(match name {
                "toLocaleDateString" => day,
                "toLocaleTimeString" => time,
                _ => format!("{day}, {time}"),
            }))
        }
        _ => return None,
    })
}

/// Build the array `[a, b]` a `for...of` over `Object.entries` expects.
pub fn pair(a: Dynamic, b: Dynamic) -> Dynamic {
    array(vec![a, b])
}
