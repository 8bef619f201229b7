//! `JSON.stringify(value, replacer)` with a replacer function and
//! `JSON.parse(text, reviver)`: the function is called for every key and
//! value, with the containing object as `this`, in the order ECMAScript's
//! SerializeJSONProperty and InternalizeJSONProperty visit them, and what
//! it returns takes the value's place (`undefined` drops a property).
//! Without a replacer, `JSON.stringify` still runs script code for objects'
//! `toJSON` methods and own getters: the same pass does that
//! ([`resolve_script_values`]) when the value holds any.
//!
//! Both run as a pass over the value before stringifying (or after
//! parsing), so the writer and the parser stay the plain ones. Each call
//! runs through the engine and so counts against the run's budget.

use rhai::{Dynamic, NativeCallContext};

use super::callback::{call_with_this, is_callable};
use super::methods::call_method;
use super::ops::{to_key, type_error, JsResult};
use super::values::{array, as_array, as_object, JsDate, JsObject};
use crate::convert::{ConvertError, MAX_DEPTH};

/// `value` with `replacer` applied to it and to everything inside it.
pub fn replace(ctx: &NativeCallContext, replacer: &Dynamic, value: Dynamic) -> JsResult<Dynamic> {
    let holder = JsObject::new();
    holder.set(to_key(&Dynamic::from("")), value.clone());
    let mut open = Vec::new();
    replaced(
        ctx,
        Some(replacer),
        &Dynamic::from(holder),
        "",
        value,
        &mut open,
    )
}

/// `value` with its objects' `toJSON` results and own getters' values in
/// their place, when it holds any (else `value` as it is).
pub fn resolve_script_values(ctx: &NativeCallContext, value: Dynamic) -> JsResult<Dynamic> {
    if !runs_script(&value, &mut Vec::new()) {
        return Ok(value);
    }
    let holder = JsObject::new();
    holder.set(to_key(&Dynamic::from("")), value.clone());
    replaced(
        ctx,
        None,
        &Dynamic::from(holder),
        "",
        value,
        &mut Vec::new(),
    )
}

/// Whether stringifying `v` calls into the script: a `toJSON` method or an
/// own getter somewhere inside. A cycle or excessive depth answers `false`,
/// leaving the writer to report it.
fn runs_script(v: &Dynamic, open: &mut Vec<usize>) -> bool {
    if open.len() > MAX_DEPTH {
        return false;
    }
    if let Some(a) = as_array(v) {
        if open.contains(&a.addr()) {
            return false;
        }
        open.push(a.addr());
        let found = a.items().iter().any(|x| runs_script(x, open));
        open.pop();
        return found;
    }
    let Some(o) = as_object(v) else {
        return false;
    };
    if open.contains(&o.addr()) || is_callable(&o.get("toJSON")) {
        return !open.contains(&o.addr());
    }
    open.push(o.addr());
    let found = o
        .entries()
        .iter()
        .any(|(_, x)| x.is::<super::classes::JsAccessor>() || runs_script(x, open));
    open.pop();
    found
}

fn replaced(
    ctx: &NativeCallContext,
    f: Option<&Dynamic>,
    holder: &Dynamic,
    key: &str,
    value: Dynamic,
    open: &mut Vec<usize>,
) -> JsResult<Dynamic> {
    if open.len() > MAX_DEPTH {
        return Err(type_error(ConvertError::TooDeep.to_string()));
    }
    let value = to_json(ctx, key, value)?;
    let value = match f {
        Some(f) => call_with_this(
            ctx,
            f,
            holder.clone(),
            vec![Dynamic::from(key.to_string()), value],
        )?,
        None => value,
    };
    if let Some(a) = as_array(&value) {
        enter(open, a.addr())?;
        let mut out = Vec::with_capacity(a.len());
        for (i, item) in a.items().into_iter().enumerate() {
            out.push(replaced(ctx, f, &value, &i.to_string(), item, open)?);
        }
        open.pop();
        return Ok(array(out));
    }
    if let Some(o) = as_object(&value) {
        enter(open, o.addr())?;
        let out = JsObject::with_capacity(o.len());
        for (k, item) in o.entries() {
            // A getter's value, as a property read gives it.
            let item = super::classes::read(ctx, &value, item)?;
            let r = replaced(ctx, f, &value, &k, item, open)?;
            out.set(k, r);
        }
        open.pop();
        return Ok(Dynamic::from(out));
    }
    Ok(value)
}

/// The value's `toJSON()` (a date's ISO text, or an object's own method),
/// which the replacer sees instead of the value.
fn to_json(ctx: &NativeCallContext, key: &str, value: Dynamic) -> JsResult<Dynamic> {
    if value.is::<JsDate>() {
        return call_method(ctx, &value, "toJSON", vec![], "toJSON");
    }
    if let Some(o) = as_object(&value) {
        let method = o.get("toJSON");
        if is_callable(&method) {
            return call_with_this(ctx, &method, value, vec![Dynamic::from(key.to_string())]);
        }
    }
    Ok(value)
}

fn enter(open: &mut Vec<usize>, addr: usize) -> JsResult<()> {
    if open.contains(&addr) {
        return Err(type_error(ConvertError::Circular.to_string()));
    }
    open.push(addr);
    Ok(())
}

/// The parsed `value` after `reviver` has seen every property, innermost
/// first, and the whole value last under the key `""`.
pub fn revive(ctx: &NativeCallContext, reviver: &Dynamic, value: Dynamic) -> JsResult<Dynamic> {
    let holder = JsObject::new();
    holder.set(to_key(&Dynamic::from("")), value.clone());
    revived(ctx, reviver, &Dynamic::from(holder), "", value)
}

fn revived(
    ctx: &NativeCallContext,
    f: &Dynamic,
    holder: &Dynamic,
    key: &str,
    value: Dynamic,
) -> JsResult<Dynamic> {
    if let Some(a) = as_array(&value) {
        for (i, item) in a.items().into_iter().enumerate() {
            let r = revived(ctx, f, &value, &i.to_string(), item)?;
            if let Some(slot) = a.0.lock().get_mut(i) {
                *slot = r;
            }
        }
    } else if let Some(o) = as_object(&value) {
        for (k, item) in o.entries() {
            let r = revived(ctx, f, &value, &k, item)?;
            if r.is_unit() {
                o.remove(&k);
            } else {
                o.set(k, r);
            }
        }
    }
    call_with_this(
        ctx,
        f,
        holder.clone(),
        vec![Dynamic::from(key.to_string()), value],
    )
}
