//! Values of a directly run body, and the JavaScript rules they follow.
//!
//! Only what a body can make without the script engine: primitives, plain
//! objects and arrays. Anything outside the rules written here (an object
//! turned into a string, a property `Object.prototype` would supply, a
//! number too odd to convert) is a [`Bail`]: the run is abandoned and the
//! body runs on the engine instead, which has the whole of JavaScript.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use flowgate_runtime::js_value::{array_index, MAX_SAFE};
use indexmap::IndexMap;
use serde_json::{Map, Number, Value};

use crate::jslib::number;

/// The run cannot go on without the engine; nothing it did is kept.
#[derive(Debug)]
pub struct Bail;

pub type R<T> = Result<T, Bail>;

pub type Keys = IndexMap<Arc<str>, V, foldhash::fast::RandomState>;

/// A plain object: properties in insertion order, with integer-like keys
/// listed first whenever the object is enumerated (as JavaScript does).
#[derive(Default)]
pub struct Obj {
    pub props: Keys,
    /// Whether a key is integer-like, so enumeration must reorder.
    indexed: bool,
}

impl Obj {
    pub fn set(&mut self, key: Arc<str>, v: V) {
        if !self.indexed && key.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            self.indexed = array_index(&key).is_some();
        }
        self.props.insert(key, v);
    }

    /// The keys in JavaScript's enumeration order.
    pub fn keys(&self) -> Vec<Arc<str>> {
        self.entries().map(|(k, _)| k.clone()).collect()
    }

    /// The properties in JavaScript's enumeration order.
    pub fn entries(&self) -> impl Iterator<Item = (&Arc<str>, &V)> {
        let mut sorted: Vec<(&Arc<str>, &V)> = Vec::new();
        if self.indexed {
            sorted = self.props.iter().collect();
            sorted.sort_by_key(|(k, _)| match array_index(k) {
                Some(n) => (0, n),
                None => (1, 0),
            });
        }
        let plain = (!self.indexed).then(|| self.props.iter());
        sorted.into_iter().chain(plain.into_iter().flatten())
    }
}

pub type ObjRef = Rc<RefCell<Obj>>;
pub type ArrRef = Rc<RefCell<Vec<V>>>;

#[derive(Clone, Default)]
pub enum V {
    #[default]
    Undef,
    Null,
    Bool(bool),
    Num(f64),
    Str(Arc<str>),
    Obj(ObjRef),
    Arr(ArrRef),
    /// The run's own `msg`, only ever a value being returned.
    Msg,
}

/// Names every object inherits from `Object.prototype`: reading one that
/// is not an own property needs the engine.
pub const INHERITED: [&str; 12] = [
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toString",
    "toLocaleString",
    "valueOf",
    "__proto__",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
];

impl V {
    pub fn str(s: impl Into<Arc<str>>) -> V {
        V::Str(s.into())
    }

    pub fn truthy(&self) -> bool {
        match self {
            V::Undef | V::Null => false,
            V::Bool(b) => *b,
            V::Num(n) => *n != 0.0 && !n.is_nan(),
            V::Str(s) => !s.is_empty(),
            V::Obj(_) | V::Arr(_) | V::Msg => true,
        }
    }

    pub fn type_of(&self) -> &'static str {
        match self {
            V::Undef => "undefined",
            V::Bool(_) => "boolean",
            V::Num(_) => "number",
            V::Str(_) => "string",
            V::Null | V::Obj(_) | V::Arr(_) | V::Msg => "object",
        }
    }

    pub fn is_nullish(&self) -> bool {
        matches!(self, V::Undef | V::Null)
    }

    /// `ToNumber` of a primitive.
    pub fn to_number(&self) -> R<f64> {
        Ok(match self {
            V::Undef => f64::NAN,
            V::Null => 0.0,
            V::Bool(b) => f64::from(u8::from(*b)),
            V::Num(n) => *n,
            V::Str(s) => number::parse_number(s),
            V::Obj(_) | V::Arr(_) | V::Msg => return Err(Bail),
        })
    }

    /// `ToString` of a primitive.
    pub fn to_str(&self) -> R<Arc<str>> {
        Ok(match self {
            V::Undef => "undefined".into(),
            V::Null => "null".into(),
            V::Bool(b) => if *b { "true" } else { "false" }.into(),
            V::Num(n) => number::fmt(*n).into(),
            V::Str(s) => s.clone(),
            V::Obj(_) | V::Arr(_) | V::Msg => return Err(Bail),
        })
    }

    /// Append `ToString` of a primitive to `out`. A string is copied where
    /// it is called (the common case, kept small enough to inline); the
    /// rest is out of line.
    #[inline]
    pub fn push_str(&self, out: &mut String) -> R<()> {
        match self {
            V::Str(s) => {
                out.push_str(s);
                Ok(())
            }
            V::Num(n) => push_number(*n, out),
            other => push_other(other, out),
        }
    }

    /// A property key from a computed member's value.
    pub fn to_key(&self) -> R<Arc<str>> {
        match self {
            V::Str(s) => Ok(s.clone()),
            V::Num(_) => self.to_str(),
            _ => Err(Bail),
        }
    }
}

/// Append `ToString` of a number: whole numbers without float formatting
/// (`-0` as `0`).
#[inline(never)]
pub fn push_number(n: f64, out: &mut String) -> R<()> {
    match whole(n) {
        Some(i) if i.unsigned_abs() < 1_000_000_000_000_000 => {
            out.push_str(itoa::Buffer::new().format(i));
        }
        _ => out.push_str(&number::fmt(n)),
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn push_other(v: &V, out: &mut String) -> R<()> {
    out.push_str(&v.to_str()?);
    Ok(())
}

/// `===`.
pub fn strict_eq(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Undef, V::Undef) | (V::Null, V::Null) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Num(x), V::Num(y)) => x == y,
        (V::Str(x), V::Str(y)) => x == y,
        (V::Obj(x), V::Obj(y)) => Rc::ptr_eq(x, y),
        (V::Arr(x), V::Arr(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// `==`, for the operands it can decide without calling into an object.
pub fn loose_eq(a: &V, b: &V) -> R<bool> {
    Ok(match (a, b) {
        (V::Undef | V::Null, V::Undef | V::Null) => true,
        (V::Undef | V::Null, _) | (_, V::Undef | V::Null) => false,
        (V::Obj(_) | V::Arr(_) | V::Msg, V::Obj(_) | V::Arr(_) | V::Msg) => strict_eq(a, b),
        (V::Obj(_) | V::Arr(_) | V::Msg, _) | (_, V::Obj(_) | V::Arr(_) | V::Msg) => {
            return Err(Bail)
        }
        (V::Str(x), V::Str(y)) => x == y,
        _ => a.to_number()? == b.to_number()?,
    })
}

/// `SameValueZero` (what `includes` compares with).
pub fn same_value_zero(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Num(x), V::Num(y)) if x.is_nan() && y.is_nan() => true,
        _ => strict_eq(a, b),
    }
}

/// The deepest value converted or written: deeper ones need the engine.
pub const MAX_DEPTH: usize = 200;

/// Keeps every object and array a run made, so that the run can empty
/// them all at its end: cycles (`o.self = o`) are then freed, and no drop
/// recurses down a deep chain. A container made by a literal keeps its
/// [`Site`], told at the end how large the container grew.
#[derive(Default)]
pub struct Heap {
    objs: Vec<(ObjRef, Option<Arc<Site>>)>,
    arrs: Vec<(ArrRef, Option<Arc<Site>>)>,
}

/// An object or array literal's record of how large its containers grew
/// in earlier runs (`const parts = []` filled by a loop): the next run's
/// are made that large at once, not grown and copied step by step.
#[derive(Default)]
pub struct Site(AtomicU32);

/// The largest size a [`Site`] makes its containers with: one run that
/// made a huge container does not make every later run's as large.
const MAX_SITE_SIZE: usize = 1024;

impl Site {
    /// The size to make the next container with.
    pub fn size(&self) -> usize {
        self.0.load(Ordering::Relaxed) as usize
    }

    pub(super) fn grew_to(&self, len: usize) {
        let len = len.min(MAX_SITE_SIZE) as u32;
        if len > self.0.load(Ordering::Relaxed) {
            self.0.fetch_max(len, Ordering::Relaxed);
        }
    }
}

/// Containers one run may make before it needs the engine.
pub const MAX_CONTAINERS: usize = 100_000;

impl Heap {
    pub fn obj(&mut self, o: Obj) -> R<V> {
        self.obj_from(o, None)
    }

    /// An object a literal at `site` made.
    pub fn obj_from(&mut self, o: Obj, site: Option<&Arc<Site>>) -> R<V> {
        if self.objs.len() + self.arrs.len() >= MAX_CONTAINERS {
            return Err(Bail);
        }
        let r = Rc::new(RefCell::new(o));
        self.objs.push((r.clone(), site.cloned()));
        Ok(V::Obj(r))
    }

    pub fn arr(&mut self, items: Vec<V>) -> R<V> {
        self.arr_from(items, None)
    }

    /// An array a literal at `site` made.
    pub fn arr_from(&mut self, items: Vec<V>, site: Option<&Arc<Site>>) -> R<V> {
        if self.objs.len() + self.arrs.len() >= MAX_CONTAINERS {
            return Err(Bail);
        }
        let r = Rc::new(RefCell::new(items));
        self.arrs.push((r.clone(), site.cloned()));
        Ok(V::Arr(r))
    }

    /// A JSON value as script values (numbers as doubles, as JavaScript
    /// holds them).
    pub fn convert(&mut self, v: &Value, depth: usize) -> R<V> {
        Ok(match v {
            Value::Null => V::Null,
            Value::Bool(b) => V::Bool(*b),
            // The engine keeps integers beyond 2^53 exact where JavaScript
            // would round them: those are the engine's.
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) if (i as f64).abs() >= MAX_SAFE => return Err(Bail),
                (None, _) if n.is_u64() => return Err(Bail),
                (_, Some(f)) => V::Num(f),
                _ => return Err(Bail),
            },
            Value::String(s) => V::str(s.as_str()),
            Value::Array(items) => {
                if depth >= MAX_DEPTH {
                    return Err(Bail);
                }
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.convert(item, depth + 1)?);
                }
                self.arr(out)?
            }
            Value::Object(map) => {
                if depth >= MAX_DEPTH {
                    return Err(Bail);
                }
                let mut o = Obj::default();
                o.props.reserve(map.len());
                for (k, item) in map {
                    // An own `__proto__` reads differently from an inherited one.
                    if k == "__proto__" {
                        return Err(Bail);
                    }
                    let item = self.convert(item, depth + 1)?;
                    o.set(k.as_str().into(), item);
                }
                self.obj(o)?
            }
        })
    }

    /// Empty every container made: see [`Heap`].
    pub fn release(&mut self) {
        for (o, site) in self.objs.drain(..) {
            let props = std::mem::take(&mut o.borrow_mut().props);
            if let Some(site) = site {
                site.grew_to(props.len());
            }
            drop(props);
        }
        for (a, site) in self.arrs.drain(..) {
            let items = std::mem::take(&mut *a.borrow_mut());
            if let Some(site) = site {
                site.grew_to(items.len());
            }
            drop(items);
        }
    }
}

/// The integer `n` is, when it is one that fits an `i64` (`-0` is `0`).
/// A conversion and a comparison: `fract()` calls an out-of-line `trunc`
/// on the baseline x86-64 target (no SSE4.1 rounding), once per number
/// printed.
pub fn whole(n: f64) -> Option<i64> {
    let i = n as i64;
    (i as f64 == n && i != i64::MAX && i != i64::MIN).then_some(i)
}

/// A number as the message holds it: whole numbers within ±2^53 as
/// integers (`-0` as `0`), others as doubles.
fn json_number(n: f64) -> R<Value> {
    if let Some(i) = whole(n).filter(|_| n.abs() <= MAX_SAFE) {
        return Ok(Value::Number(Number::from(i)));
    }
    Number::from_f64(n).map(Value::Number).ok_or(Bail)
}

/// A script value as message JSON; `None` for `undefined` (an object
/// property holding it is left out).
pub fn to_json(v: &V, depth: usize) -> R<Option<Value>> {
    if depth > MAX_DEPTH {
        return Err(Bail);
    }
    Ok(Some(match v {
        V::Undef => return Ok(None),
        V::Null => Value::Null,
        V::Bool(b) => Value::Bool(*b),
        V::Num(n) => json_number(*n)?,
        V::Str(s) => Value::String(s.to_string()),
        V::Arr(a) => {
            let items = a.borrow();
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                // An `undefined` element needs the engine's rules.
                out.push(to_json(item, depth + 1)?.ok_or(Bail)?);
            }
            Value::Array(out)
        }
        V::Obj(o) => {
            let o = o.borrow();
            let mut out = Map::with_capacity(o.props.len());
            for (k, item) in o.entries() {
                if let Some(j) = to_json(item, depth + 1)? {
                    out.insert(k.to_string(), j);
                }
            }
            Value::Object(out)
        }
        V::Msg => return Err(Bail),
    }))
}

/// `JSON.stringify(v)`: `None` for `undefined`.
pub fn stringify(v: &V) -> R<Option<String>> {
    // Room for a small object: most bodies stringify one, and growing from
    // empty takes several copies.
    let mut out = String::with_capacity(256);
    Ok(write(v, &mut out, 0)?.then_some(out))
}

fn write(v: &V, out: &mut String, depth: usize) -> R<bool> {
    if depth > MAX_DEPTH {
        return Err(Bail);
    }
    match v {
        V::Undef => return Ok(false),
        V::Null => out.push_str("null"),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Num(n) if n.is_finite() => v.push_str(out)?,
        V::Num(_) => out.push_str("null"),
        V::Str(s) => crate::convert::quote(s, out),
        V::Arr(a) => {
            out.push('[');
            for (i, item) in a.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !write(item, out, depth + 1)? {
                    out.push_str("null");
                }
            }
            out.push(']');
        }
        V::Obj(o) => {
            let o = o.borrow();
            out.push('{');
            let mut first = true;
            for (k, item) in o.entries() {
                let mark = out.len();
                if !first {
                    out.push(',');
                }
                crate::convert::quote(k, out);
                out.push(':');
                if write(item, out, depth + 1)? {
                    first = false;
                } else {
                    out.truncate(mark);
                }
            }
            out.push('}');
        }
        V::Msg => return Err(Bail),
    }
    Ok(true)
}
