//! JSON ↔ `rhai::Dynamic`, straight between the message's `serde_json` tree
//! and script values (no text in between).
//!
//! Two value models: native Rhai scripts get Rhai maps and arrays (`null` is
//! `()`), translated JavaScript gets the shared, ordered [`JsObject`] /
//! [`JsArray`] handles with a distinct `null`. Integers stay integers and
//! floats stay floats in both directions.

use std::collections::HashSet;
use std::fmt::Write as _;

use rhai::{Dynamic, FnPtr, ImmutableString, Map as RhaiMap, INT};
use serde_json::{Map, Number, Value};

use super::lazy::LazyJson;
use super::sandbox::{conversion_step, Interrupted};
use crate::jslib::number;
use crate::jslib::values::{
    self, as_array, as_object, JsArray, JsDate, JsError, JsFunction, JsNull, JsObject,
};

/// How deep a value may nest before conversion gives up (guards the stack:
/// a level costs ~5 KiB of stack in debug builds, and conversions run on
/// 2 MiB tokio threads, possibly under a script's own call frames). JSON
/// parsed from a request nests at most 128 levels (serde_json's limit).
pub const MAX_DEPTH: usize = if cfg!(debug_assertions) { 160 } else { 512 };

/// Which value model a script uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Native Rhai: maps, arrays, `()` for null.
    Rhai,
    /// Translated JavaScript: shared objects, arrays and `null`.
    Js,
}

/// Why a value cannot become JSON.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConvertError {
    #[error("Converting circular structure to JSON")]
    Circular,
    #[error("value nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// The running script's budget ran out (the run fails with its error).
    #[error("the script's time or memory ran out")]
    Interrupted,
}

impl From<Interrupted> for ConvertError {
    fn from(_: Interrupted) -> Self {
        ConvertError::Interrupted
    }
}

/// A JSON value as a script value. Linear in the value's size (`n log n`
/// for objects whose integer-like keys are out of order) and counted
/// against the running script's budget: a conversion that budget cuts short
/// gives `undefined`, and the run then fails with the budget's error (see
/// [`conversion_step`]).
pub fn from_json(v: &Value, mode: Mode) -> Dynamic {
    try_from_json(v, mode).unwrap_or(Dynamic::UNIT)
}

/// [`from_json`], saying when the running script's budget cut it short.
pub fn try_from_json(v: &Value, mode: Mode) -> Result<Dynamic, Interrupted> {
    match mode {
        Mode::Rhai => json_to_rhai(v),
        Mode::Js => json_to_js(v),
    }
}

/// A message body as the script's `msg` (budgeted as [`try_from_json`]).
pub fn msg_from_json(body: &Map<String, Value>, mode: Mode) -> Result<Dynamic, Interrupted> {
    match mode {
        Mode::Rhai => rhai_map_from(body).map(Dynamic::from_map),
        Mode::Js => js_object_from(body).map(Dynamic::from),
    }
}

fn json_number(n: &Number, js: bool) -> Dynamic {
    if let Some(i) = n.as_i64() {
        if js && (i as f64).abs() > number::MAX_SAFE {
            return Dynamic::from_float(i as f64);
        }
        return Dynamic::from_int(i as INT);
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    if js {
        number::num(f)
    } else {
        Dynamic::from_float(f)
    }
}

fn json_to_rhai(v: &Value) -> Result<Dynamic, Interrupted> {
    conversion_step()?;
    Ok(match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(n) => json_number(n, false),
        Value::String(s) => Dynamic::from(ImmutableString::from(s.as_str())),
        Value::Array(a) => {
            Dynamic::from_array(a.iter().map(json_to_rhai).collect::<Result<_, _>>()?)
        }
        Value::Object(o) => Dynamic::from_map(rhai_map_from(o)?),
    })
}

fn rhai_map_from(o: &Map<String, Value>) -> Result<RhaiMap, Interrupted> {
    o.iter()
        .map(|(k, v)| Ok((k.into(), json_to_rhai(v)?)))
        .collect()
}

/// Built in one go (see [`values::JsMap`]'s `FromIterator`), not a key at a
/// time, so JSON's order becomes JavaScript's at sorting cost.
fn js_object_from(o: &Map<String, Value>) -> Result<JsObject, Interrupted> {
    o.iter()
        .map(|(k, v)| Ok((k.as_str().into(), json_to_js(v)?)))
        .collect::<Result<_, _>>()
        .map(JsObject::from_map)
}

fn json_to_js(v: &Value) -> Result<Dynamic, Interrupted> {
    conversion_step()?;
    Ok(match v {
        Value::Null => values::null(),
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(n) => json_number(n, true),
        Value::String(s) => Dynamic::from(ImmutableString::from(s.as_str())),
        Value::Array(a) => values::array(a.iter().map(json_to_js).collect::<Result<_, _>>()?),
        Value::Object(o) => Dynamic::from(js_object_from(o)?),
    })
}

/// A script value as JSON. `None` means JavaScript `undefined` (or a
/// function), which objects omit and arrays turn into `null`.
///
/// In native Rhai mode `()` is `null`, and maps follow `template` (the input
/// message) for key order: keys the input had keep their place, new keys
/// follow in Rhai's (sorted) order.
pub fn to_json(
    v: &Dynamic,
    mode: Mode,
    template: Option<&Value>,
) -> Result<Option<Value>, ConvertError> {
    let mut seen = Vec::new();
    to_json_inner(v, mode, template, &mut seen)
}

/// [`to_json`] inside a conversion that has already entered the objects in
/// `seen` (their addresses), so a reference back to one is circular.
pub fn to_json_seen(
    v: &Dynamic,
    mode: Mode,
    seen: &mut Vec<usize>,
) -> Result<Option<Value>, ConvertError> {
    to_json_inner(v, mode, None, seen)
}

/// A message body from a script value (which must be an object).
pub fn to_body(
    v: &Dynamic,
    mode: Mode,
    template: Option<&Map<String, Value>>,
) -> Result<Option<Map<String, Value>>, ConvertError> {
    if let Some(m) = v.read_lock::<RhaiMap>() {
        let mut seen = vec![0];
        return rhai_map_to_json(&m, mode, template, &mut seen).map(Some);
    }
    match to_json(v, mode, None)? {
        Some(Value::Object(m)) => Ok(Some(m)),
        _ => Ok(None),
    }
}

fn rhai_map_to_json(
    m: &RhaiMap,
    mode: Mode,
    tmpl: Option<&Map<String, Value>>,
    seen: &mut Vec<usize>,
) -> Result<Map<String, Value>, ConvertError> {
    let mut out = Map::with_capacity(m.len());
    if let Some(t) = tmpl {
        for (k, tv) in t {
            if let Some(item) = m.get(k.as_str()) {
                if let Some(j) = to_json_inner(item, mode, Some(tv), seen)? {
                    out.insert(k.clone(), j);
                }
            }
        }
    }
    for (k, item) in m.iter() {
        if tmpl.is_some_and(|t| t.contains_key(k.as_str())) {
            continue;
        }
        if let Some(j) = to_json_inner(item, mode, None, seen)? {
            out.insert(k.as_str().to_owned(), j);
        }
    }
    Ok(out)
}

fn float_json(f: f64, mode: Mode) -> Value {
    if mode == Mode::Js && f.fract() == 0.0 && f.abs() <= number::MAX_SAFE {
        return Value::from(f as i64);
    }
    Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn to_json_inner(
    v: &Dynamic,
    mode: Mode,
    template: Option<&Value>,
    seen: &mut Vec<usize>,
) -> Result<Option<Value>, ConvertError> {
    if seen.len() > MAX_DEPTH {
        return Err(ConvertError::TooDeep);
    }
    conversion_step()?;
    if v.is_unit() {
        return Ok(match mode {
            Mode::Rhai => Some(Value::Null),
            Mode::Js => None,
        });
    }
    if v.is::<JsNull>() {
        return Ok(Some(Value::Null));
    }
    if let Some(b) = number::bool_of(v) {
        return Ok(Some(Value::Bool(b)));
    }
    if let Some(i) = number::int_of(v) {
        return Ok(Some(Value::from(i)));
    }
    if let Some(f) = number::float_of(v) {
        return Ok(Some(float_json(f, mode)));
    }
    if let Some(s) = v.read_lock::<ImmutableString>() {
        return Ok(Some(Value::String(s.as_str().to_owned())));
    }
    if let Ok(c) = v.as_char() {
        return Ok(Some(Value::String(c.to_string())));
    }
    if let Some(o) = as_object(v) {
        let addr = o.addr();
        if seen.contains(&addr) {
            return Err(ConvertError::Circular);
        }
        seen.push(addr);
        let entries = o.raw_entries();
        let mut out = Map::with_capacity(entries.len());
        for (k, item) in entries {
            if let Some(lazy) = item.read_lock::<LazyJson>() {
                out.insert(k.as_str().to_owned(), lazy.to_json()?);
                continue;
            }
            if let Some(j) = to_json_inner(&item, mode, None, seen)? {
                out.insert(k.as_str().to_owned(), j);
            }
        }
        seen.pop();
        return Ok(Some(Value::Object(out)));
    }
    if let Some(a) = as_array(v) {
        let addr = a.addr();
        if seen.contains(&addr) {
            return Err(ConvertError::Circular);
        }
        seen.push(addr);
        let items = a.items();
        let mut out = Vec::with_capacity(items.len());
        for item in &items {
            out.push(to_json_inner(item, mode, None, seen)?.unwrap_or(Value::Null));
        }
        seen.pop();
        return Ok(Some(Value::Array(out)));
    }
    if let Some(m) = v.read_lock::<RhaiMap>() {
        seen.push(0);
        let out = rhai_map_to_json(&m, mode, template.and_then(Value::as_object), seen)?;
        seen.pop();
        return Ok(Some(Value::Object(out)));
    }
    if let Some(arr) = v.read_lock::<rhai::Array>() {
        seen.push(0);
        let tmpl = template.and_then(Value::as_array);
        let mut out = Vec::with_capacity(arr.len());
        for (i, item) in arr.iter().enumerate() {
            let t = tmpl.and_then(|t| t.get(i));
            out.push(to_json_inner(item, mode, t, seen)?.unwrap_or(Value::Null));
        }
        seen.pop();
        return Ok(Some(Value::Array(out)));
    }
    if let Some(d) = v.read_lock::<JsDate>() {
        return Ok(Some(
            crate::jslib::date::to_iso(d.time())
                .map(Value::String)
                .unwrap_or(Value::Null),
        ));
    }
    if let Some(e) = v.read_lock::<JsError>() {
        // Error properties are not enumerable: only what the script added shows.
        let props = Dynamic::from(e.props.clone());
        return to_json_inner(&props, mode, None, seen);
    }
    if v.is::<FnPtr>()
        || v.is::<JsFunction>()
        || v.is::<values::JsMethod>()
        || v.is::<crate::jslib::classes::JsClass>()
        || v.is::<crate::jslib::classes::JsAccessor>()
    {
        return Ok(None);
    }
    // Host objects (node, context...) have no JSON form beyond `{}`.
    Ok(Some(Value::Object(Map::new())))
}

/// `JSON.stringify` with JavaScript's exact output: number formatting,
/// omitted `undefined`s, `toJSON` of dates, `space` indentation and an
/// array replacer. `None` when the value itself is `undefined`.
pub fn stringify(
    v: &Dynamic,
    allow: Option<&[String]>,
    indent: &str,
) -> Result<Option<String>, ConvertError> {
    let mut out = String::new();
    let mut seen = Vec::new();
    // A set: a replacer list as long as the object must not cost a scan per key.
    let allow: Option<HashSet<&str>> = allow.map(|a| a.iter().map(String::as_str).collect());
    let wrote = write_json(v, allow.as_ref(), indent, 0, &mut out, &mut seen)?;
    Ok(wrote.then_some(out))
}

fn newline(out: &mut String, indent: &str, level: usize) {
    if !indent.is_empty() {
        out.push('\n');
        for _ in 0..level {
            out.push_str(indent);
        }
    }
}

/// Write `v`; returns `false` (writing nothing) for `undefined`/functions.
fn write_json(
    v: &Dynamic,
    allow: Option<&HashSet<&str>>,
    indent: &str,
    level: usize,
    out: &mut String,
    seen: &mut Vec<usize>,
) -> Result<bool, ConvertError> {
    if seen.len() > MAX_DEPTH {
        return Err(ConvertError::TooDeep);
    }
    conversion_step()?;
    if v.is_unit()
        || v.is::<FnPtr>()
        || v.is::<JsFunction>()
        || v.is::<values::JsMethod>()
        || v.is::<crate::jslib::classes::JsClass>()
        || v.is::<crate::jslib::classes::JsAccessor>()
    {
        return Ok(false);
    }
    if v.is::<JsNull>() {
        out.push_str("null");
    } else if let Some(b) = number::bool_of(v) {
        out.push_str(if b { "true" } else { "false" });
    } else if let Some(i) = number::int_of(v) {
        let _ = write!(out, "{i}");
    } else if let Some(f) = number::float_of(v) {
        if f.is_finite() {
            out.push_str(&number::fmt(f));
        } else {
            out.push_str("null");
        }
    } else if let Some(s) = v.read_lock::<ImmutableString>() {
        quote(&s, out);
    } else if let Ok(c) = v.as_char() {
        quote(&c.to_string(), out);
    } else if let Some(d) = v.read_lock::<JsDate>() {
        match crate::jslib::date::to_iso(d.time()) {
            Some(s) => quote(&s, out),
            None => out.push_str("null"),
        }
    } else if let Some(a) = as_array(v) {
        if seen.contains(&a.addr()) {
            return Err(ConvertError::Circular);
        }
        seen.push(a.addr());
        write_list(&a.items(), allow, indent, level, out, seen)?;
        seen.pop();
    } else if let Some(arr) = v.read_lock::<rhai::Array>() {
        seen.push(0);
        write_list(&arr, allow, indent, level, out, seen)?;
        seen.pop();
    } else {
        let entries: Vec<(String, Dynamic)> = if let Some(o) = as_object(v) {
            if seen.contains(&o.addr()) {
                return Err(ConvertError::Circular);
            }
            seen.push(o.addr());
            o.entries()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect()
        } else if let Some(m) = v.read_lock::<RhaiMap>() {
            seen.push(0);
            m.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
        } else if let Some(e) = v.read_lock::<JsError>() {
            seen.push(e.props.addr());
            e.props
                .entries()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect()
        } else {
            seen.push(0);
            Vec::new()
        };
        out.push('{');
        let mut first = true;
        for (k, item) in entries {
            if allow.is_some_and(|a| !a.contains(k.as_str())) {
                continue;
            }
            let mark = out.len();
            if !first {
                out.push(',');
            }
            newline(out, indent, level + 1);
            quote(&k, out);
            out.push(':');
            if !indent.is_empty() {
                out.push(' ');
            }
            if write_json(&item, allow, indent, level + 1, out, seen)? {
                first = false;
            } else {
                out.truncate(mark);
            }
        }
        if !first {
            newline(out, indent, level);
        }
        out.push('}');
        seen.pop();
    }
    Ok(true)
}

fn write_list(
    items: &[Dynamic],
    allow: Option<&HashSet<&str>>,
    indent: &str,
    level: usize,
    out: &mut String,
    seen: &mut Vec<usize>,
) -> Result<(), ConvertError> {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(out, indent, level + 1);
        if !write_json(item, allow, indent, level + 1, out, seen)? {
            out.push_str("null");
        }
    }
    if !items.is_empty() {
        newline(out, indent, level);
    }
    out.push(']');
    Ok(())
}

/// A JSON string literal, escaped as `JSON.stringify` does.
pub fn quote(s: &str, out: &mut String) {
    // SAFETY: `write_str` appends whole UTF-8 runs of `s` and ASCII escape
    // sequences only, so `out` stays valid UTF-8.
    flowgate_runtime::js_json::write_str(unsafe { out.as_mut_vec() }, s);
}

/// A new empty object in the script's value model.
pub fn empty_object(mode: Mode) -> Dynamic {
    match mode {
        Mode::Rhai => Dynamic::from_map(RhaiMap::new()),
        Mode::Js => Dynamic::from(JsObject::new()),
    }
}

/// A list in the script's value model.
pub fn list(items: Vec<Dynamic>, mode: Mode) -> Dynamic {
    match mode {
        Mode::Rhai => Dynamic::from_array(items),
        Mode::Js => Dynamic::from(JsArray::from_vec(items)),
    }
}

/// The script's "no value": `()` in both models (`undefined` in JavaScript).
pub fn undefined() -> Dynamic {
    Dynamic::UNIT
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_json_type_round_trips_in_both_models() {
        let v = json!({"z": 1, "a": [1, 2.5, null, true, "s", {"k": -3}], "n": null, "f": 1.0, "big": 12345678901234i64});
        for mode in [Mode::Rhai, Mode::Js] {
            let d = from_json(&v, mode);
            let back = to_json(&d, mode, Some(&v)).unwrap().unwrap();
            if mode == Mode::Rhai {
                assert_eq!(
                    serde_json::to_string(&back).unwrap(),
                    serde_json::to_string(&v).unwrap()
                );
            } else {
                // JavaScript has one number type: 1.0 is 1.
                assert_eq!(back["f"], json!(1));
                assert_eq!(back["a"][1], json!(2.5));
                assert_eq!(back["z"], json!(1));
                let keys: Vec<_> = back.as_object().unwrap().keys().cloned().collect();
                assert_eq!(keys, ["z", "a", "n", "f", "big"]);
            }
        }
    }

    #[test]
    fn integer_like_keys_come_first_in_javascript_order() {
        let v = json!({"b": 1, "10": 2, "a": 3, "2": 4});
        let d = from_json(&v, Mode::Js);
        let back = to_json(&d, Mode::Js, None).unwrap().unwrap();
        let keys: Vec<_> = back.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["2", "10", "b", "a"]);
    }

    #[test]
    fn stringify_matches_javascript() {
        let v = from_json(&json!({"a": [1, "x", null], "b": {"c": 1.5}}), Mode::Js);
        assert_eq!(
            stringify(&v, None, "").unwrap().unwrap(),
            r#"{"a":[1,"x",null],"b":{"c":1.5}}"#
        );
        assert_eq!(
            stringify(&v, None, "  ").unwrap().unwrap(),
            "{\n  \"a\": [\n    1,\n    \"x\",\n    null\n  ],\n  \"b\": {\n    \"c\": 1.5\n  }\n}"
        );
        let o = JsObject::new();
        o.set("self".into(), Dynamic::from(o.clone()));
        assert_eq!(
            stringify(&Dynamic::from(o.clone()), None, ""),
            Err(ConvertError::Circular)
        );
        o.remove("self");
    }
}
