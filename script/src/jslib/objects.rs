//! `Object.freeze`/`isFrozen`, `Object.defineProperty`/`defineProperties`,
//! `Object.getOwnPropertyNames` and `Object.getPrototypeOf`: the
//! property-level parts of `Object` real flows use.
//!
//! A frozen object ignores writes and deletes, as V8 does in sloppy mode
//! (function bodies are sloppy); arrays cannot be frozen here. A property
//! defined non-enumerable is readable but not listed, so it stays out of
//! `Object.keys`, `for...in`, `JSON.stringify` and the message. `writable:
//! false` and `configurable` are not tracked.

use rhai::{Dynamic, NativeCallContext};

use super::arg;

use super::classes::define_accessor;
use super::ops::{to_key, type_error, utf16_len, JsResult};
use super::props;
use super::values::{array, as_array, as_object, is_nullish, null, JsObject, Proto};

/// `Object.freeze(o)`: returns `o`.
pub fn freeze(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let v = arg(&args, 0);
    if let Some(o) = as_object(&v) {
        o.0.lock().frozen = true;
    }
    Ok(v)
}

/// `Object.isFrozen(v)`: primitives are, objects once frozen.
pub fn is_frozen(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let v = arg(&args, 0);
    let frozen = match as_object(&v) {
        Some(o) => o.0.lock().frozen,
        None => as_array(&v).is_none() && super::ops::type_of(&v) != "object" || is_nullish(&v),
    };
    Ok(Dynamic::from_bool(frozen))
}

/// Whether `desc[name]` is set and truthy.
fn flag(desc: &JsObject, name: &str) -> bool {
    super::ops::truthy(&desc.get(name))
}

/// Define `key` on `o` from the descriptor object `desc`.
fn define(o: &JsObject, key: &Dynamic, desc: &Dynamic) -> JsResult<()> {
    let Some(d) = as_object(desc) else {
        return Err(type_error(format!(
            "Property description must be an object: {}",
            super::ops::to_string(desc)
        )));
    };
    let k = to_key(key);
    if o.0.lock().frozen {
        return Err(type_error(format!("Cannot redefine property: {k}")));
    }
    let (get, set) = (d.get("get"), d.get("set"));
    if !get.is_unit() || !set.is_unit() {
        define_accessor(o, k.clone(), get, set);
    } else {
        o.set(k.clone(), d.get("value"));
    }
    o.0.lock().set_enumerable(&k, flag(&d, "enumerable"));
    Ok(())
}

/// `Object.defineProperty(o, key, descriptor)`: returns `o`.
pub fn define_property(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let target = arg(&args, 0);
    let Some(o) = as_object(&target) else {
        return Err(type_error("Object.defineProperty called on non-object"));
    };
    define(&o, &arg(&args, 1), &arg(&args, 2))?;
    Ok(target)
}

/// `Object.defineProperties(o, {key: descriptor, ...})`: returns `o`.
pub fn define_properties(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let target = arg(&args, 0);
    let Some(o) = as_object(&target) else {
        return Err(type_error("Object.defineProperties called on non-object"));
    };
    if let Some(descs) = as_object(&arg(&args, 1)) {
        for (k, d) in descs.entries() {
            define(&o, &Dynamic::from(k), &d)?;
        }
    }
    Ok(target)
}

/// `Object.getOwnPropertyNames(v)`: every own key, enumerable or not
/// (arrays and strings add `length`).
pub fn own_property_names(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let v = arg(&args, 0);
    if is_nullish(&v) {
        return Err(type_error("Cannot convert undefined or null to object"));
    }
    let index_keys = |n: usize| -> Vec<Dynamic> {
        (0..n)
            .map(|i| Dynamic::from(i.to_string()))
            .chain(std::iter::once(Dynamic::from("length")))
            .collect()
    };
    Ok(array(if let Some(o) = as_object(&v) {
        o.0.lock()
            .all()
            .map(|(k, _)| Dynamic::from(k.clone()))
            .collect()
    } else if let Some(a) = as_array(&v) {
        index_keys(a.len())
    } else if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        index_keys(utf16_len(&s))
    } else {
        props::keys_in(&v)
    }))
}

/// `Object.getPrototypeOf(o)`: the object `Object.create` or a class gave
/// it, `null` for `Object.create(null)`, else an empty stand-in for
/// `Object.prototype`.
pub fn get_prototype_of(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let v = arg(&args, 0);
    Ok(match as_object(&v).map(|o| o.proto()) {
        Some(Proto::Of(p)) => Dynamic::from(p),
        Some(Proto::Null) => null(),
        _ => Dynamic::from(JsObject::new()),
    })
}
