//! JavaScript's operators and conversions over Rhai values: truthiness,
//! `typeof`, `ToNumber`, `ToString`, `==`/`===`, `+` and the arithmetic and
//! relational operators, with the coercions Node-RED's V8 applies.

use std::cmp::Ordering;
use std::sync::Arc;

use rhai::{Dynamic, EvalAltResult, FnPtr, ImmutableString, Position, INT};

use super::date;
use super::number::{self, bool_of, float_of, int_of, num};
use super::prim::{Hint, Prim};
use super::values::{
    as_array, as_object, JsDate, JsError, JsFunction, JsNull, JsObject, Key, MAX_STRING_BYTES,
};
use crate::api::{ContextApi, EnvApi, NodeApi};

/// The error type of every helper: a JavaScript exception or a Rhai error.
pub type JsResult<T> = Result<T, Box<EvalAltResult>>;

/// Throw a JavaScript error (`TypeError`, `RangeError`...) that `try/catch`
/// in the script can catch.
pub fn throw(name: &str, message: impl Into<ImmutableString>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::new(name, message)),
        Position::NONE,
    ))
}

pub fn type_error(message: impl Into<ImmutableString>) -> Box<EvalAltResult> {
    throw("TypeError", message)
}

/// The value as the primitive rules see it: objects not yet converted.
fn kind(v: &Dynamic) -> Prim<ImmutableString> {
    if let Some(i) = int_of(v) {
        Prim::Num(i as f64)
    } else if let Some(f) = float_of(v) {
        Prim::Num(f)
    } else if let Some(b) = bool_of(v) {
        Prim::Bool(b)
    } else if let Some(s) = v.read_lock::<ImmutableString>() {
        Prim::Str(s.clone())
    } else if let Ok(c) = v.as_char() {
        Prim::Str(c.to_string().into())
    } else if v.is_unit() {
        Prim::Undefined
    } else if v.is::<JsNull>() {
        Prim::Null
    } else {
        Prim::Object
    }
}

/// `ToPrimitive(v, hint)`: a date gives its time for a number hint and its
/// text otherwise; other objects their string form; primitives stay.
fn to_prim(v: &Dynamic, hint: Hint) -> Prim<ImmutableString> {
    match kind(v) {
        Prim::Object => {
            if hint == Hint::Number {
                if let Some(d) = v.read_lock::<JsDate>() {
                    return Prim::Num(d.time());
                }
            }
            Prim::Str(to_string(v))
        }
        p => p,
    }
}

/// JavaScript truthiness.
pub fn truthy(v: &Dynamic) -> bool {
    if let Some(b) = bool_of(v) {
        return b;
    }
    kind(v).truthy()
}

fn is_callable(v: &Dynamic) -> bool {
    v.is::<FnPtr>()
        || v.is::<JsFunction>()
        || v.is::<super::values::JsMethod>()
        || v.is::<super::classes::JsClass>()
}

/// `typeof v`.
pub fn type_of(v: &Dynamic) -> &'static str {
    if is_callable(v) {
        "function"
    } else {
        kind(v).type_of()
    }
}

/// A numeric value as f64, if it is a number.
pub fn as_f64(v: &Dynamic) -> Option<f64> {
    match int_of(v) {
        Some(i) => Some(i as f64),
        None => float_of(v),
    }
}

/// `ToNumber(v)`: `ToNumber(ToPrimitive(v, number))`, so a date gives its
/// time and a buffer or array the number its text spells.
pub fn to_number(v: &Dynamic) -> f64 {
    if let Some(f) = as_f64(v) {
        return f;
    }
    to_prim(v, Hint::Number).to_number()
}

/// `ToString(v)`.
pub fn to_string(v: &Dynamic) -> ImmutableString {
    if let Some(s) = v.read_lock::<ImmutableString>() {
        return s.clone();
    }
    let mut out = String::new();
    write_string(v, &mut out, &mut Vec::new());
    out.into()
}

fn write_string(v: &Dynamic, out: &mut String, seen: &mut Vec<usize>) {
    if let Some(s) = v.read_lock::<ImmutableString>() {
        out.push_str(&s);
        return;
    }
    let p = kind(v);
    if !matches!(p, Prim::Object) {
        out.push_str(&p.to_js_string());
    } else if let Some(a) = as_array(v) {
        if seen.contains(&a.addr()) {
            return;
        }
        seen.push(a.addr());
        for (i, item) in a.items().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if !(item.is_unit() || item.is::<JsNull>()) {
                write_string(item, out, seen);
            }
        }
        seen.pop();
    } else if let Some(arr) = v.read_lock::<rhai::Array>() {
        for (i, item) in arr.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if !item.is_unit() {
                write_string(item, out, seen);
            }
        }
    } else if let Some(d) = v.read_lock::<JsDate>() {
        out.push_str(&date::to_js_string(d.time()));
    } else if let Some(e) = v.read_lock::<JsError>() {
        out.push_str(&e.to_js_string());
    } else if let Some(re) = v.read_lock::<super::regexp::JsRegExp>() {
        out.push_str(&re.to_js_string());
    } else if let Some(data) = super::buffer::data_of(v) {
        out.push_str(&super::buffer::to_text(&data));
    } else if is_callable(v) {
        out.push_str("function () { [native code] }");
    } else if v.is::<super::promise::JsPromise>() {
        // Built-ins with a `Symbol.toStringTag` print it, as in V8.
        out.push_str("[object Promise]");
    } else if let Some(c) = v.read_lock::<super::collections::JsCollection>() {
        out.push_str(&format!("[object {}]", c.kind.name()));
    } else {
        out.push_str("[object Object]");
    }
}

/// A value used as a property name.
pub fn to_key(v: &Dynamic) -> Key {
    if let Some(s) = v.read_lock::<ImmutableString>() {
        return s.clone();
    }
    if let Some(i) = int_of(v) {
        return i.to_string().into();
    }
    to_string(v)
}

/// A value used as an array index, when it is one.
pub fn to_index(v: &Dynamic) -> Option<usize> {
    if let Some(i) = int_of(v) {
        return usize::try_from(i).ok();
    }
    if let Some(f) = float_of(v) {
        return (f >= 0.0 && f.fract() == 0.0 && f < u32::MAX as f64).then_some(f as usize);
    }
    if let Some(s) = v.read_lock::<ImmutableString>() {
        return super::values::array_index(&s).map(|n| n as usize);
    }
    None
}

fn is_object_like(v: &Dynamic) -> bool {
    matches!(kind(v), Prim::Object)
}

/// `ToPrimitive(v)` with the default hint: objects become their string form
/// (dates included), primitives stay.
pub fn to_primitive(v: &Dynamic) -> Dynamic {
    if is_object_like(v) {
        Dynamic::from(to_string(v))
    } else {
        v.clone()
    }
}

/// Identity of an object-like value, for `===` between objects.
fn identity(v: &Dynamic) -> Option<usize> {
    if let Some(o) = as_object(v) {
        return Some(o.addr());
    }
    if let Some(a) = as_array(v) {
        return Some(a.addr());
    }
    if let Some(e) = v.read_lock::<JsError>() {
        return Some(e.props.addr());
    }
    if let Some(re) = v.read_lock::<super::regexp::JsRegExp>() {
        return Some(re.addr());
    }
    None
}

/// `a === b`.
pub fn strict_eq(a: &Dynamic, b: &Dynamic) -> bool {
    // Two strings, the common case (`includes`, `===` on keys), compared
    // in place rather than through two fresh copies below.
    if let (Ok(x), Ok(y)) = (a.as_immutable_string_ref(), b.as_immutable_string_ref()) {
        return x.as_str() == y.as_str();
    }
    if let (Some(x), Some(y)) = (as_f64(a), as_f64(b)) {
        return x == y;
    }
    if a.is_unit() || b.is_unit() {
        return a.is_unit() && b.is_unit();
    }
    if a.is::<JsNull>() || b.is::<JsNull>() {
        return a.is::<JsNull>() && b.is::<JsNull>();
    }
    if let (Some(x), Some(y)) = (bool_of(a), bool_of(b)) {
        return x == y;
    }
    if (a.is_string() || a.is_char()) && (b.is_string() || b.is_char()) {
        return to_string(a) == to_string(b);
    }
    if let (Some(x), Some(y)) = (identity(a), identity(b)) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.read_lock::<JsDate>(), b.read_lock::<JsDate>()) {
        return Arc::ptr_eq(&x.0, &y.0);
    }
    if let (Some(x), Some(y)) = (a.read_lock::<FnPtr>(), b.read_lock::<FnPtr>()) {
        return x.fn_name() == y.fn_name();
    }
    if let (Some(x), Some(y)) = (
        a.read_lock::<super::values::JsMethod>(),
        b.read_lock::<super::values::JsMethod>(),
    ) {
        return x.name == y.name;
    }
    if a.is::<NodeApi>() && b.is::<NodeApi>() || a.is::<EnvApi>() && b.is::<EnvApi>() {
        return true;
    }
    if let (Some(x), Some(y)) = (a.read_lock::<ContextApi>(), b.read_lock::<ContextApi>()) {
        return x.same_store(&y);
    }
    false
}

/// `a == b`: two objects are equal only when they are the same object;
/// otherwise both sides go through `ToPrimitive` and the primitive rule.
pub fn loose_eq(a: &Dynamic, b: &Dynamic) -> bool {
    if is_object_like(a) && is_object_like(b) {
        return strict_eq(a, b);
    }
    to_prim(a, Hint::Default).loose_eq(&to_prim(b, Hint::Default))
}

/// `a + b`.
pub fn add(a: &Dynamic, b: &Dynamic) -> JsResult<Dynamic> {
    if let (Some(x), Some(y)) = (int_of(a), int_of(b)) {
        return Ok(number::int(x as i128 + y as i128));
    }
    if let (Some(x), Some(y)) = (as_f64(a), as_f64(b)) {
        return Ok(num(x + y));
    }
    // A string and a string or number, the common concatenation: their
    // primitive forms are themselves.
    if let (Some(sa), Some(sb)) = (text_of(a), text_of(b)) {
        if sa.is_some() || sb.is_some() {
            return concat(
                &sa.unwrap_or_else(|| to_string(a)),
                &sb.unwrap_or_else(|| to_string(b)),
            );
        }
    }
    let pa = to_primitive(a);
    let pb = to_primitive(b);
    if pa.is_string() || pa.is_char() || pb.is_string() || pb.is_char() {
        return concat(&to_string(&pa), &to_string(&pb));
    }
    Ok(num(to_number(&pa) + to_number(&pb)))
}

/// `first + rest[0] + rest[1] ...`, added left to right as JavaScript does.
pub fn add_all(first: Dynamic, rest: &[Dynamic]) -> JsResult<Dynamic> {
    rest.iter().try_fold(first, |acc, v| add(&acc, v))
}

/// For `+`: `Some(Some(text))` for a string, `Some(None)` for a number
/// (whose text is only needed beside a string), `None` for anything else.
fn text_of(v: &Dynamic) -> Option<Option<ImmutableString>> {
    if let Some(s) = v.read_lock::<ImmutableString>() {
        return Some(Some(s.clone()));
    }
    (v.is_int() || v.is_float()).then_some(None)
}

/// `sa + sb` for two strings, within the sandbox's string limit.
fn concat(sa: &str, sb: &str) -> JsResult<Dynamic> {
    if sa.len() + sb.len() > MAX_STRING_BYTES {
        return Err(throw("RangeError", "Invalid string length"));
    }
    let mut s = String::with_capacity(sa.len() + sb.len());
    s.push_str(sa);
    s.push_str(sb);
    Ok(s.into())
}

/// The arithmetic operators other than `+`.
#[derive(Clone, Copy, Debug)]
pub enum Arith {
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
}

pub fn arith(op: Arith, a: &Dynamic, b: &Dynamic) -> Dynamic {
    if let (Some(x), Some(y)) = (int_of(a), int_of(b)) {
        let (x, y) = (x as i128, y as i128);
        match op {
            Arith::Sub => return number::int(x - y),
            Arith::Mul => return number::int(x * y),
            Arith::Div if y != 0 && x % y == 0 => return number::int(x / y),
            Arith::Rem if y != 0 => return number::int(x % y),
            _ => {}
        }
    }
    let x = to_number(a);
    let y = to_number(b);
    num(match op {
        Arith::Sub => x - y,
        Arith::Mul => x * y,
        Arith::Div => x / y,
        Arith::Rem => {
            if y == 0.0 || x.is_infinite() || x.is_nan() || y.is_nan() {
                f64::NAN
            } else if y.is_infinite() {
                x
            } else {
                x % y
            }
        }
        Arith::Pow => {
            if y.is_nan() || (x.abs() == 1.0 && y.is_infinite()) {
                f64::NAN
            } else {
                x.powf(y)
            }
        }
    })
}

/// `ToInt32(v)`, for the bitwise operators.
pub fn to_int32(v: &Dynamic) -> i32 {
    if let Some(i) = int_of(v) {
        return i as i32;
    }
    let f = to_number(v);
    if !f.is_finite() {
        return 0;
    }
    let m = f.trunc().rem_euclid(4_294_967_296.0);
    m as u32 as i32
}

#[derive(Clone, Copy, Debug)]
pub enum Bitwise {
    And,
    Or,
    Xor,
    Shl,
    Shr,
    UShr,
}

pub fn bitwise(op: Bitwise, a: &Dynamic, b: &Dynamic) -> Dynamic {
    let x = to_int32(a);
    let y = to_int32(b);
    let s = (y as u32) & 31;
    let r: INT = match op {
        Bitwise::And => (x & y) as INT,
        Bitwise::Or => (x | y) as INT,
        Bitwise::Xor => (x ^ y) as INT,
        Bitwise::Shl => x.wrapping_shl(s) as INT,
        Bitwise::Shr => (x >> s) as INT,
        Bitwise::UShr => ((x as u32) >> s) as INT,
    };
    Dynamic::from_int(r)
}

/// The relational comparison of `a` and `b`: `None` when either is NaN.
/// Both sides go through `ToPrimitive` with the number hint, so two dates
/// compare by time, as in V8.
pub fn compare(a: &Dynamic, b: &Dynamic) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (int_of(a), int_of(b)) {
        return Some(x.cmp(&y));
    }
    to_prim(a, Hint::Number).compare(&to_prim(b, Hint::Number))
}

/// JavaScript's string order: by UTF-16 code units (so an astral character
/// sorts before U+E000..U+FFFF, unlike Rust's order by code points). ASCII
/// strings order the same either way and skip the re-encoding.
pub fn utf16_cmp(x: &str, y: &str) -> std::cmp::Ordering {
    if x.is_ascii() && y.is_ascii() {
        return x.cmp(y);
    }
    x.encode_utf16().cmp(y.encode_utf16())
}

/// The length of a string in UTF-16 code units, as JavaScript counts it.
pub fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

/// A deep copy of a value (`RED.util.cloneMessage`, `structuredClone`).
pub fn deep_clone(v: &Dynamic, depth: usize) -> JsResult<Dynamic> {
    if depth > super::super::convert::MAX_DEPTH {
        return Err(throw("RangeError", "Maximum call stack size exceeded"));
    }
    if let Some(o) = as_object(v) {
        let map = o
            .entries()
            .into_iter()
            .map(|(k, item)| Ok((k, deep_clone(&item, depth + 1)?)))
            .collect::<JsResult<_>>()?;
        return Ok(Dynamic::from(JsObject::from_map(map)));
    }
    if let Some(a) = as_array(v) {
        let items = a
            .items()
            .iter()
            .map(|i| deep_clone(i, depth + 1))
            .collect::<JsResult<Vec<_>>>()?;
        return Ok(super::values::array(items));
    }
    Ok(v.clone())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::js;

    #[test]
    fn dates_compare_by_time() {
        // V8 converts both sides with the number hint: 2001 > 1998, although
        // "Sun Sep 09 2001" sorts before "Thu Jul 09 1998" as text.
        let out = js(
            "const a = new Date(1e12), b = new Date(9e11);\nmsg.payload = [a < b, a > b, a <= b, b < a, a < 2e12];\nreturn msg;",
            json!({}),
        );
        assert_eq!(out["payload"], json!([false, true, false, true, true]));
    }

    #[test]
    fn objects_to_number_through_their_text() {
        // `Number(buffer)` reads the buffer's text, as V8 does.
        let out = js(
            "const b = Buffer.from('5');\nmsg.payload = [Number(b), b == 5, b < 6, Number([5]), Number({})];\nreturn msg;",
            json!({}),
        );
        assert_eq!(out["payload"], json!([5, true, true, 5, null]));
    }
}
