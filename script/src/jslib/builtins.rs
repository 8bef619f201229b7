//! JavaScript's global functions and namespaces (`JSON`, `Math`, `Object`,
//! `Array`, `Number`, `Date`, `parseInt`...), each registered on the engine
//! as `__b_<Name>` taking its arguments as one array.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rhai::{Dynamic, ImmutableString, NativeCallContext};

use super::arg;

use super::callback::{call_function, is_callable};
use super::date;
use super::number::{self, num};
use super::object_builtins::*;
use super::ops::{self, deep_clone, to_number, to_string, truthy, type_error, JsResult};
use super::props;
use super::values::{array, as_array, as_object, is_nullish, JsDate, JsError, MAX_ELEMENTS};
use crate::convert::{self, Mode};

/// A built-in: receives the call context and its arguments.
pub type Builtin = fn(&NativeCallContext, Vec<Dynamic>) -> JsResult<Dynamic>;

fn n(args: &[Dynamic], i: usize) -> f64 {
    args.get(i).map(to_number).unwrap_or(f64::NAN)
}

/// `space` of `JSON.stringify` as an indent string.
pub fn indent_of(space: &Dynamic) -> String {
    if let Some(f) = ops::as_f64(space) {
        return " ".repeat(f.clamp(0.0, 10.0) as usize);
    }
    if let Some(s) = space.read_lock::<ImmutableString>() {
        return s.chars().take(10).collect();
    }
    String::new()
}

fn json_stringify(ctx: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let replacer = arg(&args, 1);
    let value = if is_callable(&replacer) {
        super::json_callbacks::replace(ctx, &replacer, arg(&args, 0))?
    } else {
        super::json_callbacks::resolve_script_values(ctx, arg(&args, 0))?
    };
    let allow: Option<Vec<String>> =
        as_array(&replacer).map(|a| a.items().iter().map(|k| to_string(k).to_string()).collect());
    let indent = indent_of(&arg(&args, 2));
    match convert::stringify(&value, allow.as_deref(), &indent) {
        Ok(Some(s)) => Ok(Dynamic::from(s)),
        Ok(None) => Ok(Dynamic::UNIT),
        Err(e) => Err(type_error(e.to_string())),
    }
}

fn json_parse(ctx: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let text = to_string(&arg(&args, 0));
    let value =
        crate::api::json_parse(&text, Mode::Js).map_err(|m| ops::throw("SyntaxError", m))?;
    let reviver = arg(&args, 1);
    if is_callable(&reviver) {
        return super::json_callbacks::revive(ctx, &reviver, value);
    }
    Ok(value)
}

macro_rules! math1 {
    ($($name:ident => $f:expr),* $(,)?) => {
        $(fn $name(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
            let f: fn(f64) -> f64 = $f;
            Ok(num(f(n(&args, 0))))
        })*
    };
}

math1! {
    math_abs => f64::abs,
    math_ceil => f64::ceil,
    math_floor => f64::floor,
    math_trunc => f64::trunc,
    math_sqrt => f64::sqrt,
    math_cbrt => f64::cbrt,
    math_log => f64::ln,
    math_log2 => f64::log2,
    math_log10 => f64::log10,
    math_log1p => f64::ln_1p,
    math_exp => f64::exp,
    math_expm1 => f64::exp_m1,
    math_sin => f64::sin,
    math_cos => f64::cos,
    math_tan => f64::tan,
    math_asin => f64::asin,
    math_acos => f64::acos,
    math_atan => f64::atan,
    math_sinh => f64::sinh,
    math_cosh => f64::cosh,
    math_tanh => f64::tanh,
    math_fround => |x| x as f32 as f64,
    math_sign => |x| if x.is_nan() { f64::NAN } else if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else { 0.0 },
    math_round => |x| if x.is_finite() { (x + 0.5).floor() } else { x },
}

fn math_pow(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(ops::arith(ops::Arith::Pow, &arg(&args, 0), &arg(&args, 1)))
}

fn math_atan2(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(num(n(&args, 0).atan2(n(&args, 1))))
}

fn math_hypot(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(num(args
        .iter()
        .map(|a| to_number(a).powi(2))
        .sum::<f64>()
        .sqrt()))
}

fn math_min(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let mut m = f64::INFINITY;
    for a in &args {
        let x = to_number(a);
        if x.is_nan() {
            return Ok(num(f64::NAN));
        }
        m = m.min(x);
    }
    Ok(num(m))
}

fn math_max(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let mut m = f64::NEG_INFINITY;
    for a in &args {
        let x = to_number(a);
        if x.is_nan() {
            return Ok(num(f64::NAN));
        }
        m = m.max(x);
    }
    Ok(num(m))
}

fn math_random(_: &NativeCallContext, _: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from_float(rand::random::<f64>()))
}

fn date_now(_: &NativeCallContext, _: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(num(date::now_ms()))
}

fn date_parse(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(num(date::parse(&to_string(&arg(&args, 0)))))
}

fn date_fields(args: &[Dynamic]) -> f64 {
    let mut year = n(args, 0);
    if (0.0..=99.0).contains(&year.trunc()) {
        year = 1900.0 + year.trunc();
    }
    let opt = |i: usize, d: f64| args.get(i).map(to_number).unwrap_or(d);
    date::make_time(
        year,
        opt(1, 0.0),
        opt(2, 1.0),
        opt(3, 0.0),
        opt(4, 0.0),
        opt(5, 0.0),
        opt(6, 0.0),
    )
}

fn date_utc(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(num(date_fields(&args)))
}

fn new_date(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let t = match args.len() {
        0 => date::now_ms(),
        1 => {
            let v = &args[0];
            if let Some(d) = v.read_lock::<JsDate>() {
                d.time()
            } else if let Some(s) = v.read_lock::<ImmutableString>() {
                date::parse(&s)
            } else {
                date::time_clip(to_number(v))
            }
        }
        // `new Date(y, m, ...)` names a local time.
        _ => super::localtime::utc_of_local(date_fields(&args)),
    };
    Ok(Dynamic::from(JsDate::new(t)))
}

fn date_call(_: &NativeCallContext, _: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from(date::to_js_string(date::now_ms())))
}

fn make_error(name: &'static str) -> impl Fn(Vec<Dynamic>) -> Dynamic {
    move |args| {
        let m = arg(&args, 0);
        let message = if m.is_unit() {
            ImmutableString::new()
        } else {
            to_string(&m)
        };
        Dynamic::from(JsError::new(name, message))
    }
}

macro_rules! errors {
    ($($fname:ident => $name:literal),* $(,)?) => {
        $(fn $fname(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
            Ok(make_error($name)(args))
        })*
    };
}

errors! {
    new_error => "Error",
    new_type_error => "TypeError",
    new_range_error => "RangeError",
    new_syntax_error => "SyntaxError",
    new_reference_error => "ReferenceError",
    new_eval_error => "EvalError",
    new_uri_error => "URIError",
}

fn new_regexp(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    super::regexp::construct(&args)
}

fn identity(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(arg(&args, 0))
}

fn array_is_array(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from_bool(as_array(&arg(&args, 0)).is_some()))
}

fn array_from(ctx: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let src = arg(&args, 0);
    let items = if let Some(data) = super::buffer::data_of(&src) {
        props::iterate(&Dynamic::from(data))?
    } else if let Some(o) = as_object(&src) {
        let len = to_number(&o.get("length"));
        let len = if len.is_nan() {
            0
        } else {
            len.max(0.0) as usize
        };
        if len > MAX_ELEMENTS {
            return Err(ops::throw("RangeError", "Invalid array length"));
        }
        (0..len).map(|i| o.get(&i.to_string())).collect()
    } else if is_nullish(&src) {
        return Err(type_error(format!(
            "{} is not iterable",
            ops::to_string(&src)
        )));
    } else {
        props::iterate(&src).unwrap_or_default()
    };
    let f = arg(&args, 1);
    if is_callable(&f) {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            out.push(call_function(ctx, &f, vec![item, num(i as f64)])?);
        }
        return Ok(array(out));
    }
    Ok(array(items))
}

fn array_of(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(array(args))
}

fn new_array(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    if args.len() == 1 {
        if let Some(len) = ops::as_f64(&args[0]) {
            if len < 0.0 || len.fract() != 0.0 || len > MAX_ELEMENTS as f64 {
                return Err(ops::throw("RangeError", "Invalid array length"));
            }
            return Ok(array(vec![Dynamic::UNIT; len as usize]));
        }
    }
    Ok(array(args))
}

fn to_number_fn(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(if args.is_empty() {
        num(0.0)
    } else {
        num(to_number(&args[0]))
    })
}

fn number_is_integer(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from_bool(
        ops::as_f64(&arg(&args, 0)).is_some_and(|x| x.is_finite() && x.fract() == 0.0),
    ))
}

fn number_is_safe_integer(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from_bool(ops::as_f64(&arg(&args, 0)).is_some_and(
        |x| x.fract() == 0.0 && x.abs() < number::MAX_SAFE,
    )))
}

fn number_is_finite(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from_bool(
        ops::as_f64(&arg(&args, 0)).is_some_and(f64::is_finite),
    ))
}

fn number_is_nan(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from_bool(
        ops::as_f64(&arg(&args, 0)).is_some_and(f64::is_nan),
    ))
}

fn global_is_nan(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from_bool(n(&args, 0).is_nan()))
}

fn global_is_finite(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from_bool(n(&args, 0).is_finite()))
}

fn parse_int(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let radix = args
        .get(1)
        .filter(|r| !r.is_unit())
        .map(|r| ops::to_int32(r) as i64);
    Ok(num(number::parse_int(&to_string(&arg(&args, 0)), radix)))
}

fn parse_float(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(num(number::parse_float(&to_string(&arg(&args, 0)))))
}

fn to_string_fn(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from(if args.is_empty() {
        ImmutableString::new()
    } else {
        to_string(&args[0])
    }))
}

fn to_boolean(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from_bool(truthy(&arg(&args, 0))))
}

/// What `encodeURIComponent` leaves as it is (shared with JSONata's
/// `$encodeUrlComponent`).
pub const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// What `encodeURI` leaves as it is: the above and URI delimiters.
pub const URI: &AsciiSet = &URI_COMPONENT
    .remove(b';')
    .remove(b',')
    .remove(b'/')
    .remove(b'?')
    .remove(b':')
    .remove(b'@')
    .remove(b'&')
    .remove(b'=')
    .remove(b'+')
    .remove(b'$')
    .remove(b'#');

fn encode_uri_component(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from(
        utf8_percent_encode(&to_string(&arg(&args, 0)), URI_COMPONENT).to_string(),
    ))
}

fn encode_uri(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from(
        utf8_percent_encode(&to_string(&arg(&args, 0)), URI).to_string(),
    ))
}

fn decode_uri_component(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let s = to_string(&arg(&args, 0));
    percent_decode_str(&s)
        .decode_utf8()
        .map(|c| Dynamic::from(c.into_owned()))
        .map_err(|_| ops::throw("URIError", "URI malformed"))
}

fn uuid(_: &NativeCallContext, _: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from(crate::api::uuid()))
}

fn console_text(args: &[Dynamic]) -> String {
    args.iter()
        .map(|a| {
            if a.is_string() {
                to_string(a).to_string()
            } else {
                convert::stringify(a, None, "")
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| to_string(a).to_string())
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn console_log(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    tracing::info!(target: "flowgate::function::console", "{}", console_text(&args));
    Ok(Dynamic::UNIT)
}

fn console_warn(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    tracing::warn!(target: "flowgate::function::console", "{}", console_text(&args));
    Ok(Dynamic::UNIT)
}

fn console_error(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    tracing::error!(target: "flowgate::function::console", "{}", console_text(&args));
    Ok(Dynamic::UNIT)
}

fn clone_message(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    deep_clone(&arg(&args, 0), 0)
}

fn generate_id(_: &NativeCallContext, _: Vec<Dynamic>) -> JsResult<Dynamic> {
    let bytes: [u8; 8] = rand::random();
    Ok(Dynamic::from(hex::encode(bytes)))
}

/// Every built-in by the name the translator calls (`__b_` + this name),
/// keyed by the JavaScript expression it implements.
pub const BUILTINS: &[(&str, &str, Builtin)] = &[
    ("JSON.stringify", "JSON_stringify", json_stringify),
    ("util.format", "util_format", super::inspect::util_format),
    ("util.inspect", "util_inspect", super::inspect::util_inspect),
    ("JSON.parse", "JSON_parse", json_parse),
    ("Math.abs", "Math_abs", math_abs),
    ("Math.ceil", "Math_ceil", math_ceil),
    ("Math.floor", "Math_floor", math_floor),
    ("Math.round", "Math_round", math_round),
    ("Math.trunc", "Math_trunc", math_trunc),
    ("Math.sign", "Math_sign", math_sign),
    ("Math.sqrt", "Math_sqrt", math_sqrt),
    ("Math.cbrt", "Math_cbrt", math_cbrt),
    ("Math.pow", "Math_pow", math_pow),
    ("Math.min", "Math_min", math_min),
    ("Math.max", "Math_max", math_max),
    ("Math.random", "Math_random", math_random),
    ("Math.log", "Math_log", math_log),
    ("Math.log2", "Math_log2", math_log2),
    ("Math.log10", "Math_log10", math_log10),
    ("Math.log1p", "Math_log1p", math_log1p),
    ("Math.exp", "Math_exp", math_exp),
    ("Math.expm1", "Math_expm1", math_expm1),
    ("Math.sin", "Math_sin", math_sin),
    ("Math.cos", "Math_cos", math_cos),
    ("Math.tan", "Math_tan", math_tan),
    ("Math.asin", "Math_asin", math_asin),
    ("Math.acos", "Math_acos", math_acos),
    ("Math.atan", "Math_atan", math_atan),
    ("Math.atan2", "Math_atan2", math_atan2),
    ("Math.sinh", "Math_sinh", math_sinh),
    ("Math.cosh", "Math_cosh", math_cosh),
    ("Math.tanh", "Math_tanh", math_tanh),
    ("Math.hypot", "Math_hypot", math_hypot),
    ("Math.fround", "Math_fround", math_fround),
    ("Date.now", "Date_now", date_now),
    ("Date.parse", "Date_parse", date_parse),
    ("Date.UTC", "Date_UTC", date_utc),
    ("new Date", "new_Date", new_date),
    ("Date", "Date", date_call),
    ("Error", "Error", new_error),
    ("TypeError", "TypeError", new_type_error),
    ("RangeError", "RangeError", new_range_error),
    ("SyntaxError", "SyntaxError", new_syntax_error),
    ("ReferenceError", "ReferenceError", new_reference_error),
    ("EvalError", "EvalError", new_eval_error),
    ("URIError", "URIError", new_uri_error),
    ("new Error", "Error", new_error),
    ("new TypeError", "TypeError", new_type_error),
    ("new RangeError", "RangeError", new_range_error),
    ("new SyntaxError", "SyntaxError", new_syntax_error),
    ("new ReferenceError", "ReferenceError", new_reference_error),
    ("new EvalError", "EvalError", new_eval_error),
    ("new URIError", "URIError", new_uri_error),
    ("Object.keys", "Object_keys", object_keys),
    ("Object.values", "Object_values", object_values),
    ("Object.entries", "Object_entries", object_entries),
    ("Object.assign", "Object_assign", object_assign),
    (
        "Object.fromEntries",
        "Object_fromEntries",
        object_from_entries,
    ),
    ("Object.create", "Object_create", object_create),
    ("Object.is", "Object_is", super::object_builtins::object_is),
    ("Object.hasOwn", "Object_hasOwn", object_has_own),
    (
        "Object.prototype#method",
        "Object_prototype_method",
        object_prototype_method,
    ),
    (
        "Array.prototype#method",
        "Array_prototype_method",
        array_prototype_method,
    ),
    (
        "String.prototype#method",
        "String_prototype_method",
        string_prototype_method,
    ),
    ("Object.freeze", "Object_freeze", super::objects::freeze),
    (
        "Object.isFrozen",
        "Object_isFrozen",
        super::objects::is_frozen,
    ),
    (
        "Object.defineProperty",
        "Object_defineProperty",
        super::objects::define_property,
    ),
    (
        "Object.defineProperties",
        "Object_defineProperties",
        super::objects::define_properties,
    ),
    (
        "Object.getOwnPropertyNames",
        "Object_getOwnPropertyNames",
        super::objects::own_property_names,
    ),
    (
        "Object.getPrototypeOf",
        "Object_getPrototypeOf",
        super::objects::get_prototype_of,
    ),
    ("new Set", "new_Set", super::collections::new_set),
    ("new Map", "new_Map", super::collections::new_map),
    (
        "new WeakSet",
        "new_WeakSet",
        super::collections::new_weak_set,
    ),
    (
        "new WeakMap",
        "new_WeakMap",
        super::collections::new_weak_map,
    ),
    ("Object.seal", "Object_seal", identity),
    ("Array.isArray", "Array_isArray", array_is_array),
    ("Array.from", "Array_from", array_from),
    ("Array.of", "Array_of", array_of),
    ("new Array", "new_Array", new_array),
    ("new RegExp", "RegExp", new_regexp),
    ("Buffer.from", "Buffer_from", super::buffer::from),
    ("Buffer.alloc", "Buffer_alloc", super::buffer::alloc),
    ("new Buffer", "new_Buffer", super::buffer::construct),
    (
        "Buffer.isBuffer",
        "Buffer_isBuffer",
        super::buffer::is_buffer_fn,
    ),
    (
        "Buffer.byteLength",
        "Buffer_byteLength",
        super::buffer::byte_length,
    ),
    ("Buffer.concat", "Buffer_concat", super::buffer::concat),
    ("RegExp", "RegExp", new_regexp),
    ("Array", "new_Array", new_array),
    ("Number", "Number", to_number_fn),
    ("Number.isInteger", "Number_isInteger", number_is_integer),
    (
        "Number.isSafeInteger",
        "Number_isSafeInteger",
        number_is_safe_integer,
    ),
    ("Number.isFinite", "Number_isFinite", number_is_finite),
    ("Number.isNaN", "Number_isNaN", number_is_nan),
    ("Number.parseFloat", "parseFloat", parse_float),
    ("Number.parseInt", "parseInt", parse_int),
    ("String", "String", to_string_fn),
    ("Boolean", "Boolean", to_boolean),
    ("parseInt", "parseInt", parse_int),
    ("parseFloat", "parseFloat", parse_float),
    ("isNaN", "isNaN", global_is_nan),
    ("isFinite", "isFinite", global_is_finite),
    (
        "encodeURIComponent",
        "encodeURIComponent",
        encode_uri_component,
    ),
    ("encodeURI", "encodeURI", encode_uri),
    (
        "decodeURIComponent",
        "decodeURIComponent",
        decode_uri_component,
    ),
    ("decodeURI", "decodeURIComponent", decode_uri_component),
    ("uuid", "uuid", uuid),
    ("console.log", "console_log", console_log),
    ("console.info", "console_log", console_log),
    ("console.debug", "console_log", console_log),
    ("console.warn", "console_warn", console_warn),
    ("console.error", "console_error", console_error),
    ("RED.util.cloneMessage", "cloneMessage", clone_message),
    ("structuredClone", "cloneMessage", clone_message),
    ("RED.util.generateId", "generateId", generate_id),
    (
        "RED.util.getMessageProperty",
        "getMessageProperty",
        super::msgprop::get_message_property,
    ),
    (
        "RED.util.setMessageProperty",
        "setMessageProperty",
        super::msgprop::set_message_property,
    ),
    (
        "Intl.DateTimeFormat",
        "Intl_DateTimeFormat",
        super::intl::new_date_format,
    ),
    (
        "new Intl.DateTimeFormat",
        "Intl_DateTimeFormat",
        super::intl::new_date_format,
    ),
    (
        "Intl.NumberFormat",
        "Intl_NumberFormat",
        super::intl::new_number_format,
    ),
    (
        "new Intl.NumberFormat",
        "Intl_NumberFormat",
        super::intl::new_number_format,
    ),
    (
        "String.fromCharCode",
        "String_fromCharCode",
        super::unicode::from_char_code,
    ),
    (
        "String.fromCodePoint",
        "String_fromCodePoint",
        super::unicode::from_code_point,
    ),
    // Not reachable from JavaScript source: the value of a `crypto` entry in
    // the node's modules (`libs`).
    ("libs#crypto", "crypto_module", super::crypto::module),
];

/// The built-in implementing a JavaScript expression (`"Math.floor"`,
/// `"new Date"`), as the Rhai function name to call.
pub fn lookup(js: &str) -> Option<&'static str> {
    BUILTINS
        .iter()
        .chain(super::promise::BUILTINS)
        .find(|(k, _, _)| *k == js)
        .map(|(_, name, _)| *name)
}

/// Numeric constants of the namespaces (`Math.PI`, `Number.MAX_SAFE_INTEGER`).
pub fn constant(js: &str) -> Option<f64> {
    Some(match js {
        "Math.PI" => std::f64::consts::PI,
        "Math.E" => std::f64::consts::E,
        "Math.LN2" => std::f64::consts::LN_2,
        "Math.LN10" => std::f64::consts::LN_10,
        "Math.LOG2E" => std::f64::consts::LOG2_E,
        "Math.LOG10E" => std::f64::consts::LOG10_E,
        "Math.SQRT2" => std::f64::consts::SQRT_2,
        "Math.SQRT1_2" => std::f64::consts::FRAC_1_SQRT_2,
        "Number.MAX_SAFE_INTEGER" => 9_007_199_254_740_991.0,
        "Number.MIN_SAFE_INTEGER" => -9_007_199_254_740_991.0,
        "Number.EPSILON" => f64::EPSILON,
        "Number.MAX_VALUE" => f64::MAX,
        "Number.MIN_VALUE" => 5e-324,
        _ => return None,
    })
}
