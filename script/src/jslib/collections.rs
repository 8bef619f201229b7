//! `Set`, `Map`, `WeakMap` and `WeakSet`.
//!
//! One shared, insertion-ordered table per collection, keyed as
//! JavaScript's SameValueZero compares: primitives by value (`1` and `1.0`
//! are one key, `NaN` equals itself, `-0` is `0`), objects by identity (the
//! entry holds the key object, so its address stays its own). `keys()`,
//! `values()` and `entries()` return arrays rather than iterators:
//! `for...of`, spread and `Array.from` read them the same way, `.next()` is
//! not there. `JSON.stringify` shows a collection as `{}`, as V8 does.

use std::sync::Arc;

use indexmap::IndexMap;
use parking_lot::Mutex;
use rhai::{Dynamic, ImmutableString, NativeCallContext};

use super::arg;

use super::callback::call_function;
use super::classes::JsClass;
use super::number::num;
use super::ops::{as_f64, type_error, JsResult};
use super::values::{array, as_array, as_object, is_nullish, JsDate, JsNull, MAX_ELEMENTS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Set,
    Map,
    WeakSet,
    WeakMap,
}

impl Kind {
    /// The constructor's name, which V8 also prints for `String(value)`
    /// (`[object Map]`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Set => "Set",
            Kind::Map => "Map",
            Kind::WeakSet => "WeakSet",
            Kind::WeakMap => "WeakMap",
        }
    }

    fn weak(self) -> bool {
        matches!(self, Kind::WeakSet | Kind::WeakMap)
    }
}

/// A key as SameValueZero compares it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Slot {
    Undefined,
    Null,
    Bool(bool),
    Num(u64),
    Str(ImmutableString),
    Object(usize),
}

/// A collection: entries in insertion order, each the key as given and its
/// value (a set's value is its key).
#[derive(Clone)]
pub struct JsCollection {
    pub kind: Kind,
    entries: Arc<Mutex<IndexMap<Slot, (Dynamic, Dynamic)>>>,
}

/// The identity of an object value, if it has one.
fn identity(v: &Dynamic) -> Option<usize> {
    if let Some(o) = as_object(v) {
        return Some(o.addr());
    }
    if let Some(a) = as_array(v) {
        return Some(a.addr());
    }
    if let Some(d) = v.read_lock::<JsDate>() {
        return Some(Arc::as_ptr(&d.0) as usize);
    }
    if let Some(c) = v.read_lock::<JsCollection>() {
        return Some(Arc::as_ptr(&c.entries) as *const () as usize);
    }
    if let Some(c) = v.read_lock::<JsClass>() {
        return Some(Arc::as_ptr(&c.0) as usize);
    }
    None
}

fn slot(v: &Dynamic) -> Slot {
    if v.is_unit() {
        return Slot::Undefined;
    }
    if v.is::<JsNull>() {
        return Slot::Null;
    }
    if let Ok(b) = v.as_bool() {
        return Slot::Bool(b);
    }
    if let Some(f) = as_f64(v) {
        let f = if f == 0.0 { 0.0 } else { f };
        let bits = if f.is_nan() {
            f64::NAN.to_bits()
        } else {
            f.to_bits()
        };
        return Slot::Num(bits);
    }
    if let Some(s) = v.read_lock::<ImmutableString>() {
        return Slot::Str(s.clone());
    }
    match identity(v) {
        Some(addr) => Slot::Object(addr),
        // Functions and other host values: one key per text form.
        None => Slot::Str(format!("\u{0}{}", super::ops::to_string(v)).into()),
    }
}

impl JsCollection {
    fn new(kind: Kind) -> Self {
        JsCollection {
            kind,
            entries: Arc::default(),
        }
    }

    fn len(&self) -> usize {
        self.entries.lock().len()
    }

    fn put(&self, key: Dynamic, value: Dynamic) -> JsResult<()> {
        if self.kind.weak() && identity(&key).is_none() {
            return Err(type_error(format!(
                "Invalid value used {}",
                if self.kind == Kind::WeakMap {
                    "as weak map key"
                } else {
                    "in weak set"
                }
            )));
        }
        let mut map = self.entries.lock();
        if map.len() >= MAX_ELEMENTS {
            return Err(super::ops::throw("RangeError", "Too many elements"));
        }
        let s = slot(&key);
        match map.get_mut(&s) {
            Some(e) => e.1 = value,
            None => {
                map.insert(s, (key, value));
            }
        }
        Ok(())
    }

    /// The collection's identity (for cycles when it is inspected).
    pub fn addr(&self) -> usize {
        Arc::as_ptr(&self.entries) as *const u8 as usize
    }

    /// What `for...of` and spread visit: a set's values, a map's
    /// `[key, value]` pairs.
    pub fn items(&self) -> Vec<Dynamic> {
        let map = self.entries.lock();
        match self.kind {
            Kind::Map | Kind::WeakMap => map
                .values()
                .map(|(k, v)| array(vec![k.clone(), v.clone()]))
                .collect(),
            Kind::Set | Kind::WeakSet => map.values().map(|(k, _)| k.clone()).collect(),
        }
    }
}

/// `new Set(iterable)` and its kin.
fn construct(kind: Kind, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let c = JsCollection::new(kind);
    let src = arg(&args, 0);
    if !is_nullish(&src) {
        for item in super::props::iterate(&src)? {
            match kind {
                Kind::Set | Kind::WeakSet => c.put(item.clone(), item)?,
                Kind::Map | Kind::WeakMap => {
                    let Some(pair) = as_array(&item) else {
                        return Err(type_error(format!(
                            "Iterator value {} is not an entry object",
                            super::ops::to_string(&item)
                        )));
                    };
                    c.put(pair.get(0), pair.get(1))?;
                }
            }
        }
    }
    Ok(Dynamic::from(c))
}

pub fn new_set(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    construct(Kind::Set, args)
}

pub fn new_map(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    construct(Kind::Map, args)
}

pub fn new_weak_set(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    construct(Kind::WeakSet, args)
}

pub fn new_weak_map(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    construct(Kind::WeakMap, args)
}

/// A collection's property (`size`).
pub fn get(c: &JsCollection, key: &str) -> Dynamic {
    match (key, c.kind.weak()) {
        ("size", false) => num(c.len() as f64),
        _ => Dynamic::UNIT,
    }
}

/// Whether `x instanceof <name>` holds for a collection.
pub fn is_kind(v: &Dynamic, name: &str) -> bool {
    v.read_lock::<JsCollection>()
        .is_some_and(|c| c.kind.name() == name)
}

/// A method call on a collection (`None`: no such method).
pub fn call(
    ctx: &NativeCallContext,
    recv: &Dynamic,
    c: &JsCollection,
    name: &str,
    args: Vec<Dynamic>,
) -> Option<JsResult<Dynamic>> {
    let key = arg(&args, 0);
    let is_map = matches!(c.kind, Kind::Map | Kind::WeakMap);
    Some(match (name, c.kind.weak()) {
        ("add", _) if !is_map => c.put(key.clone(), key).map(|()| recv.clone()),
        ("set", _) if is_map => c.put(key, arg(&args, 1)).map(|()| recv.clone()),
        ("get", _) if is_map => Ok(c
            .entries
            .lock()
            .get(&slot(&key))
            .map_or(Dynamic::UNIT, |(_, v)| v.clone())),
        ("has", _) => Ok(Dynamic::from_bool(
            c.entries.lock().contains_key(&slot(&key)),
        )),
        ("delete", _) => Ok(Dynamic::from_bool(
            c.entries.lock().shift_remove(&slot(&key)).is_some(),
        )),
        ("clear", false) => {
            c.entries.lock().clear();
            Ok(Dynamic::UNIT)
        }
        ("keys", false) => Ok(array(
            c.entries.lock().values().map(|(k, _)| k.clone()).collect(),
        )),
        ("values", false) => Ok(array(
            c.entries.lock().values().map(|(_, v)| v.clone()).collect(),
        )),
        ("entries", false) => Ok(array(
            c.entries
                .lock()
                .values()
                .map(|(k, v)| array(vec![k.clone(), v.clone()]))
                .collect(),
        )),
        ("forEach", false) => {
            let f = key;
            // A snapshot: the callback may change the collection.
            let entries: Vec<(Dynamic, Dynamic)> = c.entries.lock().values().cloned().collect();
            for (k, v) in entries {
                if let Err(e) = call_function(ctx, &f, vec![v, k, recv.clone()]) {
                    return Some(Err(e));
                }
            }
            Ok(Dynamic::UNIT)
        }
        _ => return None,
    })
}
