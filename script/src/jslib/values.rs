//! The JavaScript value model translated bodies run on.
//!
//! JavaScript objects and arrays are shared references with insertion-ordered
//! keys; Rhai's maps and arrays are values with sorted keys. A body like
//! `var p = msg.payload; p.x = 1; return msg;` only behaves as in Node-RED if
//! `p` and `msg.payload` are the same object, and a response body only matches
//! Node-RED's byte for byte if keys keep their order, so translated code works
//! on these handle types instead of Rhai's own containers.

use std::sync::Arc;

use parking_lot::Mutex;
use rhai::{Dynamic, FnPtr, ImmutableString};

use crate::lazy::materialize_in_place;

/// A property name.
pub type Key = ImmutableString;

/// The most elements a script may put in one array or object (a runaway
/// `push` loop fails instead of exhausting memory).
pub const MAX_ELEMENTS: usize = 4 * 1024 * 1024;

/// The longest string a script may build, in bytes.
pub const MAX_STRING_BYTES: usize = 64 * 1024 * 1024;

pub use super::jsmap::{JsMap, Proto};

/// The methods every object inherits from `Object.prototype`.
pub const OBJECT_METHODS: &[&str] = &[
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
];

/// A JavaScript object: a shared property map in JavaScript's key order.
#[derive(Clone, Default)]
pub struct JsObject(pub Arc<Mutex<JsMap>>);

/// A JavaScript array: a shared, growable list.
#[derive(Clone, Default)]
pub struct JsArray(pub Arc<Mutex<Vec<Dynamic>>>);

/// JavaScript `null` (`undefined` is Rhai's unit `()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsNull;

/// A `Date`: milliseconds since the epoch (NaN for an invalid date), shared
/// so `d.setDate(...)` changes the date every reference sees.
#[derive(Clone, Debug)]
pub struct JsDate(pub Arc<Mutex<f64>>);

impl JsDate {
    pub fn new(t: f64) -> Self {
        JsDate(Arc::new(Mutex::new(t)))
    }

    pub fn time(&self) -> f64 {
        *self.0.lock()
    }

    pub fn set_time(&self, t: f64) {
        *self.0.lock() = t;
    }
}

/// An `Error` (or `TypeError`, `RangeError`...): name, message and any
/// properties the script adds.
#[derive(Clone)]
pub struct JsError {
    pub name: ImmutableString,
    pub message: ImmutableString,
    pub props: JsObject,
    /// Node.js's error code (`ERR_UNKNOWN_ENCODING`), which its errors show
    /// in their string form and carry as a `code` property.
    pub code: Option<ImmutableString>,
}

/// The array `exec`/`match` return: the matched text and groups, plus the
/// `index`, `input` and `groups` properties JavaScript puts on it. It is an
/// array everywhere else ([`as_array`] sees its elements), so JSON, indexing
/// and array methods behave as on the match arrays of V8.
#[derive(Clone)]
pub struct JsMatch {
    pub items: JsArray,
    /// Where the match starts, in UTF-16 code units.
    pub index: usize,
    pub input: ImmutableString,
    /// An object of named groups, or `undefined` when the pattern has none.
    pub groups: Dynamic,
    /// Each group's `[start, end]` for a pattern with the `d` flag, else
    /// `undefined`.
    pub indices: Dynamic,
}

/// A function that needs more than its arguments. One that refers to itself
/// by name (a recursive function declaration) takes itself as a first
/// argument, so no reference cycle keeps it alive after the run; one that
/// uses `this` takes the object it was called on next (a method called as
/// `obj.f()`); a class's constructor and methods then take their class, for
/// `super` (held weakly: the class holds its methods).
#[derive(Clone)]
pub struct JsFunction {
    pub imp: FnPtr,
    pub takes_self: bool,
    pub takes_this: bool,
    pub home: Option<super::classes::Home>,
}

impl JsFunction {
    /// A function that takes itself first.
    pub fn recursive(imp: FnPtr) -> Self {
        JsFunction {
            imp,
            takes_self: true,
            takes_this: false,
            home: None,
        }
    }
}

/// A built-in method read as a value (`typeof s.trim`, `var send = node.send`):
/// calling it calls the method on the value it was read from.
#[derive(Clone)]
pub struct JsMethod {
    pub recv: Dynamic,
    pub name: ImmutableString,
}

impl JsObject {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(n: usize) -> Self {
        JsObject(Arc::new(Mutex::new(JsMap::with_capacity(n))))
    }

    /// An object of `map`'s properties.
    pub fn from_map(map: JsMap) -> Self {
        JsObject(Arc::new(Mutex::new(map)))
    }

    /// A property's value, own or inherited from an `Object.create`
    /// prototype (`()` when absent). A property of a message not converted
    /// yet is converted now, once (see [`crate::lazy`]).
    pub fn get(&self, key: &str) -> Dynamic {
        let mut map = self.0.lock();
        match map.get_mut(key) {
            Some(slot) => match materialize_in_place(slot) {
                Ok(()) => slot.clone(),
                // The run is ending with its budget's error.
                Err(_) => Dynamic::UNIT,
            },
            None => match map.proto.clone() {
                Proto::Of(parent) => {
                    drop(map);
                    parent.get(key)
                }
                Proto::Object | Proto::Null => Dynamic::UNIT,
            },
        }
    }

    /// What the object inherits from.
    pub fn proto(&self) -> Proto {
        self.0.lock().proto.clone()
    }

    /// Whether the object has `key`, own or inherited (the `in` operator).
    pub fn has_property(&self, key: &str) -> bool {
        let map = self.0.lock();
        if map.contains_key(key) {
            return true;
        }
        match map.proto.clone() {
            Proto::Of(parent) => {
                drop(map);
                parent.has_property(key)
            }
            Proto::Object => OBJECT_METHODS.contains(&key),
            Proto::Null => false,
        }
    }

    /// Whether `Object.prototype` is on the object's prototype chain (it is
    /// not for `Object.create(null)` and objects inheriting from one).
    pub fn inherits_object_methods(&self) -> bool {
        match self.proto() {
            Proto::Object => true,
            Proto::Null => false,
            Proto::Of(parent) => parent.inherits_object_methods(),
        }
    }

    /// Set a property the way JavaScript orders keys: integer-like keys first
    /// in ascending order, then the others in insertion order.
    pub fn set(&self, key: Key, value: Dynamic) {
        self.0.lock().insert(key, value);
    }

    pub fn remove(&self, key: &str) -> bool {
        self.0.lock().remove(key).is_some()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.lock().contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.0.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.lock().is_empty()
    }

    pub fn keys(&self) -> Vec<Key> {
        self.0.lock().keys().cloned().collect()
    }

    /// A snapshot of the entries, so callers never hold the lock while running
    /// script code (which may touch the same object).
    pub fn entries(&self) -> Vec<(Key, Dynamic)> {
        let mut map = self.0.lock();
        if map.values_mut().try_for_each(materialize_in_place).is_err() {
            // The run is ending with its budget's error.
            return Vec::new();
        }
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Like [`JsObject::entries`], but a message's unconverted properties
    /// stay [`crate::lazy::LazyJson`] markers: for converting to JSON, which reads them
    /// straight from the message.
    pub fn raw_entries(&self) -> Vec<(Key, Dynamic)> {
        self.0
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    pub fn ptr_eq(&self, other: &JsObject) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    pub fn addr(&self) -> usize {
        Arc::as_ptr(&self.0) as *const () as usize
    }

    /// Whether this handle is the only one to the object, so its contents
    /// can be moved out without any script value seeing them disappear.
    pub fn is_sole_reference(&self) -> bool {
        Arc::strong_count(&self.0) == 1
    }
}

/// `Some(n)` when `key` is a canonical array index ("0", "17"; not "01").
pub use flowgate_runtime::js_value::array_index;

impl JsArray {
    pub fn from_vec(v: Vec<Dynamic>) -> Self {
        JsArray(Arc::new(Mutex::new(v)))
    }

    pub fn len(&self) -> usize {
        self.0.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.lock().is_empty()
    }

    pub fn get(&self, i: usize) -> Dynamic {
        self.0.lock().get(i).cloned().unwrap_or(Dynamic::UNIT)
    }

    /// A snapshot of the elements (see [`JsObject::entries`]).
    pub fn items(&self) -> Vec<Dynamic> {
        self.0.lock().clone()
    }

    pub fn ptr_eq(&self, other: &JsArray) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    pub fn addr(&self) -> usize {
        Arc::as_ptr(&self.0) as *const () as usize
    }
}

/// Dropping a deeply nested value (a script's `a = [a]` loop) would recurse
/// once per level and overflow the thread's stack, aborting the process; the
/// last reference to an array or object instead moves its children onto a
/// heap worklist and drops them one at a time.
fn drop_iteratively(mut pending: Vec<Dynamic>) {
    while let Some(v) = pending.pop() {
        take_children(&v, &mut pending);
        // `v` now holds no nested values, so dropping it does not recurse.
    }
}

/// Move the children of `v` onto `pending` when `v` is the last reference
/// to a container.
fn take_children(v: &Dynamic, pending: &mut Vec<Dynamic>) {
    if v.is_shared() {
        return;
    }
    if let Some(a) = v.read_lock::<JsArray>() {
        if Arc::strong_count(&a.0) == 1 {
            pending.append(&mut a.0.lock());
        }
    } else if let Some(o) = v.read_lock::<JsObject>() {
        if Arc::strong_count(&o.0) == 1 {
            pending.extend(o.0.lock().drain().map(|(_, v)| v));
        }
    } else if let Some(e) = v.read_lock::<JsError>() {
        if Arc::strong_count(&e.props.0) == 1 {
            pending.extend(e.props.0.lock().drain().map(|(_, v)| v));
        }
    }
}

impl Drop for JsArray {
    fn drop(&mut self) {
        if Arc::strong_count(&self.0) == 1 {
            let items = std::mem::take(&mut *self.0.lock());
            if !items.is_empty() {
                drop_iteratively(items);
            }
        }
    }
}

impl Drop for JsObject {
    fn drop(&mut self) {
        if Arc::strong_count(&self.0) == 1 {
            let mut map = self.0.lock();
            if !map.is_empty() {
                let items: Vec<Dynamic> = map.drain().map(|(_, v)| v).collect();
                drop(map);
                drop_iteratively(items);
            }
        }
    }
}

impl JsError {
    pub fn new(name: &str, message: impl Into<ImmutableString>) -> Self {
        JsError {
            name: name.into(),
            message: message.into(),
            props: JsObject::new(),
            code: None,
        }
    }

    /// A Node.js error: `TypeError [ERR_X]: message`, with `code` set.
    pub fn with_code(name: &str, code: &str, message: impl Into<ImmutableString>) -> Self {
        let mut e = JsError::new(name, message);
        e.props.set("code".into(), Dynamic::from(code.to_owned()));
        e.code = Some(code.into());
        e
    }

    /// `Error.prototype.toString`: `"TypeError: x is not a function"`,
    /// from the `name` and `message` the error has now (a body may set
    /// them, as an error class's constructor does).
    pub fn to_js_string(&self) -> String {
        let part = |key: &str, own: &ImmutableString| {
            let v = self.props.get(key);
            if v.is_unit() {
                own.to_string()
            } else {
                super::ops::to_string(&v).to_string()
            }
        };
        let (name, message) = (part("name", &self.name), part("message", &self.message));
        if let Some(code) = &self.code {
            format!("{name} [{code}]: {message}")
        } else if message.is_empty() {
            name
        } else if name.is_empty() {
            message
        } else {
            format!("{name}: {message}")
        }
    }
}

/// `null` as a Rhai value.
pub fn null() -> Dynamic {
    Dynamic::from(JsNull)
}

pub fn is_null(v: &Dynamic) -> bool {
    v.is::<JsNull>()
}

/// `null` or `undefined`.
pub fn is_nullish(v: &Dynamic) -> bool {
    v.is_unit() || v.is::<JsNull>()
}

pub fn as_object(v: &Dynamic) -> Option<JsObject> {
    v.read_lock::<JsObject>().map(|o| o.clone())
}

pub fn as_array(v: &Dynamic) -> Option<JsArray> {
    if let Some(a) = v.read_lock::<JsArray>() {
        return Some(a.clone());
    }
    v.read_lock::<JsMatch>().map(|m| m.items.clone())
}

/// Whether `v` is an array (a match array included).
pub fn is_array(v: &Dynamic) -> bool {
    v.is::<JsArray>() || v.is::<JsMatch>()
}

pub fn object(o: JsObject) -> Dynamic {
    Dynamic::from(o)
}

pub fn array(v: Vec<Dynamic>) -> Dynamic {
    Dynamic::from(JsArray::from_vec(v))
}
