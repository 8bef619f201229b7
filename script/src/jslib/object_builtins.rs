//! `Object`'s static functions (`keys`, `values`, `entries`, `assign`,
//! `create`, `hasOwn`, `fromEntries`) and `Object.prototype` methods as
//! values: built-ins of [`super::builtins`], kept apart to keep that table's
//! file readable.

use rhai::{Dynamic, ImmutableString, NativeCallContext};

use super::arg;
use super::ops::{self, to_string, type_error, JsResult};
use super::props;
use super::values::{
    array, as_array, as_object, is_nullish, JsError, JsMethod, JsNull, JsObject, Proto,
};

pub(super) fn need_object(v: &Dynamic) -> JsResult<()> {
    if is_nullish(v) {
        Err(type_error("Cannot convert undefined or null to object"))
    } else {
        Ok(())
    }
}

pub(super) fn own_entries(v: &Dynamic) -> Vec<(Dynamic, Dynamic)> {
    if let Some(o) = as_object(v) {
        return o
            .entries()
            .into_iter()
            .map(|(k, v)| (Dynamic::from(k), v))
            .collect();
    }
    if let Some(a) = as_array(v) {
        return a
            .items()
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Dynamic::from(i.to_string()), v))
            .collect();
    }
    if let Some(s) = v.read_lock::<ImmutableString>() {
        return s
            .encode_utf16()
            .enumerate()
            .map(|(i, u)| {
                (
                    Dynamic::from(i.to_string()),
                    Dynamic::from(String::from_utf16_lossy(&[u])),
                )
            })
            .collect();
    }
    if let Some(e) = v.read_lock::<JsError>() {
        return e
            .props
            .entries()
            .into_iter()
            .map(|(k, v)| (Dynamic::from(k), v))
            .collect();
    }
    if let Some(m) = v.read_lock::<rhai::Map>() {
        return m
            .iter()
            .map(|(k, v)| (Dynamic::from(k.clone()), v.clone()))
            .collect();
    }
    Vec::new()
}

pub(super) fn object_keys(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let v = arg(&args, 0);
    need_object(&v)?;
    Ok(array(own_entries(&v).into_iter().map(|(k, _)| k).collect()))
}

pub(super) fn object_values(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let v = arg(&args, 0);
    need_object(&v)?;
    Ok(array(own_entries(&v).into_iter().map(|(_, v)| v).collect()))
}

pub(super) fn object_entries(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let v = arg(&args, 0);
    need_object(&v)?;
    Ok(array(
        own_entries(&v)
            .into_iter()
            .map(|(k, v)| array(vec![k, v]))
            .collect(),
    ))
}

pub(super) fn object_assign(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let target = arg(&args, 0);
    need_object(&target)?;
    let Some(obj) = as_object(&target) else {
        // Arrays and other objects as targets: copy property by property.
        for src in args.iter().skip(1) {
            for (k, v) in own_entries(src) {
                let _ = props::set(&target, &k, v)?;
            }
        }
        return Ok(target);
    };
    for src in args.iter().skip(1) {
        props::spread_into(&obj, src);
    }
    Ok(target)
}

/// `Object.create(proto, descriptors)`: an object inheriting from `proto`
/// (reads of missing properties fall through to it), or from nothing for
/// `null`, with the properties `descriptors` defines.
pub(super) fn object_create(ctx: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let proto = arg(&args, 0);
    let inherits = if proto.is::<JsNull>() {
        Proto::Null
    } else if let Some(o) = as_object(&proto) {
        Proto::Of(o)
    } else if ops::type_of(&proto) == "object" || ops::type_of(&proto) == "function" {
        return Err(type_error(
            "Object.create with a prototype that is not a plain object is not supported by flowgate",
        ));
    } else {
        return Err(type_error(format!(
            "Object prototype may only be an Object or null: {}",
            to_string(&proto)
        )));
    };
    let obj = JsObject::new();
    obj.0.lock().proto = inherits;
    let obj = Dynamic::from(obj);
    let descriptors = arg(&args, 1);
    if !descriptors.is_unit() {
        return super::objects::define_properties(ctx, vec![obj, descriptors]);
    }
    Ok(obj)
}

/// `Object.hasOwn(obj, key)`, and `Object.prototype.hasOwnProperty.call`.
pub(super) fn object_has_own(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    props::has_own(&arg(&args, 0), &arg(&args, 1)).map(Dynamic::from_bool)
}

/// `<Type>.prototype.<name>` as a value: a method that `.call(this, ...)`
/// and `.apply(this, args)` apply to their receiver. `blank` is a value of
/// the type, which stands for the receiver until one is given.
fn prototype_method(blank: Dynamic, args: &[Dynamic]) -> JsResult<Dynamic> {
    Ok(Dynamic::from(JsMethod {
        recv: blank,
        name: to_string(&arg(args, 0)),
    }))
}

/// `Object.prototype.<name>` (`Object.prototype.hasOwnProperty.call(o, k)`).
pub(super) fn object_prototype_method(
    _: &NativeCallContext,
    args: Vec<Dynamic>,
) -> JsResult<Dynamic> {
    prototype_method(Dynamic::from(JsObject::new()), &args)
}

/// `Array.prototype.<name>` (`Array.prototype.slice.call(a)`).
pub(super) fn array_prototype_method(
    _: &NativeCallContext,
    args: Vec<Dynamic>,
) -> JsResult<Dynamic> {
    prototype_method(super::values::array(Vec::new()), &args)
}

/// `String.prototype.<name>` (`String.prototype.trim.call(s)`).
pub(super) fn string_prototype_method(
    _: &NativeCallContext,
    args: Vec<Dynamic>,
) -> JsResult<Dynamic> {
    prototype_method(Dynamic::from(ImmutableString::new()), &args)
}

pub(super) fn object_from_entries(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let obj = JsObject::new();
    for entry in props::iterate(&arg(&args, 0))? {
        let k = props::get(&entry, &Dynamic::from_int(0))?;
        let v = props::get(&entry, &Dynamic::from_int(1))?;
        obj.set(ops::to_key(&k), v);
    }
    Ok(Dynamic::from(obj))
}

/// `Object.is(a, b)`: SameValue, which is `===` except that `NaN` is itself
/// and `0` is not `-0`.
pub(super) fn object_is(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let (a, b) = (arg(&args, 0), arg(&args, 1));
    if let (Some(x), Some(y)) = (ops::as_f64(&a), ops::as_f64(&b)) {
        let same =
            (x.is_nan() && y.is_nan()) || x == y && x.is_sign_negative() == y.is_sign_negative();
        return Ok(Dynamic::from_bool(same));
    }
    Ok(Dynamic::from_bool(ops::strict_eq(&a, &b)))
}
