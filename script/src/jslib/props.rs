//! Property access (`a.b`, `a[k]`, assignment, `delete`, `in`) and iteration
//! (`for...in`, `for...of`, spread) over every kind of script value.

use rhai::{Dynamic, ImmutableString, INT};

use super::buffer;
use super::number::num;
use super::ops::{self, to_index, to_key, to_string, type_error, utf16_len, JsResult};
use super::regexp::JsRegExp;
use super::values::{
    as_array, as_object, is_nullish, JsError, JsMatch, JsObject, MAX_ELEMENTS, OBJECT_METHODS,
};
use crate::api::{ContextApi, NodeApi};

fn nullish_name(v: &Dynamic) -> &'static str {
    if v.is_unit() {
        "undefined"
    } else {
        "null"
    }
}

/// Whether `obj` has `key` as its own property, not an inherited one:
/// `Object.hasOwn(obj, key)` and `hasOwnProperty` in every form.
pub fn has_own(obj: &Dynamic, key: &Dynamic) -> JsResult<bool> {
    if is_nullish(obj) {
        return Err(type_error("Cannot convert undefined or null to object"));
    }
    let k = to_key(key);
    if let Some(o) = as_object(obj) {
        return Ok(o.contains(&k));
    }
    if let Some(a) = as_array(obj) {
        return Ok(match to_index(key) {
            Some(i) => i < a.len(),
            None => k.as_str() == "length",
        });
    }
    if let Some(s) = obj.read_lock::<ImmutableString>() {
        return Ok(match to_index(key) {
            Some(i) => i < utf16_len(&s),
            None => k.as_str() == "length",
        });
    }
    if let Some(e) = obj.read_lock::<JsError>() {
        return Ok(matches!(k.as_str(), "message" | "stack") || e.props.contains(&k));
    }
    Ok(false)
}

/// `obj[key]`.
pub fn get(obj: &Dynamic, key: &Dynamic) -> JsResult<Dynamic> {
    let v = get_own(obj, key)?;
    if v.is_unit() && obj.is::<JsObject>() {
        if let Some(data) = buffer::data_of(obj) {
            if let Some(b) = buffer::get(&data, key) {
                return Ok(b);
            }
            if let Some(name) = key.read_lock::<ImmutableString>() {
                if buffer::has_method(&name) {
                    return Ok(Dynamic::from(super::values::JsMethod {
                        recv: obj.clone(),
                        name: name.clone(),
                    }));
                }
            }
        }
    }
    if v.is_unit() {
        if let (Some(o), Some(name)) = (as_object(obj), key.read_lock::<ImmutableString>()) {
            if OBJECT_METHODS.contains(&name.as_str()) && o.inherits_object_methods() {
                return Ok(Dynamic::from(super::values::JsMethod {
                    recv: obj.clone(),
                    name: name.clone(),
                }));
            }
        }
    }
    if v.is_unit() && !obj.is::<super::values::JsObject>() {
        if let Some(name) = key.read_lock::<ImmutableString>() {
            if super::methods::has_method(obj, &name) {
                return Ok(Dynamic::from(super::values::JsMethod {
                    recv: obj.clone(),
                    name: name.clone(),
                }));
            }
        }
    }
    Ok(v)
}

fn get_own(obj: &Dynamic, key: &Dynamic) -> JsResult<Dynamic> {
    if let Some(o) = as_object(obj) {
        return Ok(match key.read_lock::<ImmutableString>() {
            Some(k) => o.get(&k),
            None => o.get(&to_key(key)),
        });
    }
    if let Some(m) = obj.read_lock::<JsMatch>() {
        if to_index(key).is_none() {
            match to_key(key).as_str() {
                "index" => return Ok(num(m.index as f64)),
                "input" => return Ok(Dynamic::from(m.input.clone())),
                "groups" => return Ok(m.groups.clone()),
                "indices" => return Ok(m.indices.clone()),
                _ => {}
            }
        }
    }
    if let Some(a) = as_array(obj) {
        if let Some(i) = to_index(key) {
            return Ok(a.get(i));
        }
        if key
            .read_lock::<ImmutableString>()
            .is_some_and(|k| k.as_str() == "length")
        {
            return Ok(num(a.len() as f64));
        }
        return Ok(Dynamic::UNIT);
    }
    if let Some(s) = obj.read_lock::<ImmutableString>() {
        if let Some(i) = to_index(key) {
            let units: Vec<u16> = s.encode_utf16().skip(i).take(1).collect();
            return Ok(if units.is_empty() {
                Dynamic::UNIT
            } else {
                Dynamic::from(String::from_utf16_lossy(&units))
            });
        }
        return Ok(match to_key(key).as_str() {
            "length" => num(utf16_len(&s) as f64),
            _ => Dynamic::UNIT,
        });
    }
    if is_nullish(obj) {
        return Err(type_error(format!(
            "Cannot read properties of {} (reading '{}')",
            nullish_name(obj),
            to_key(key)
        )));
    }
    let k = to_key(key);
    if let Some(e) = obj.read_lock::<JsError>() {
        let own = e.props.get(&k);
        if !own.is_unit() {
            return Ok(own);
        }
        return Ok(match k.as_str() {
            "message" => Dynamic::from(e.message.clone()),
            "name" => Dynamic::from(e.name.clone()),
            "stack" => Dynamic::from(format!("{}\n    at Function node", e.to_js_string())),
            _ => Dynamic::UNIT,
        });
    }
    if let Some(re) = obj.read_lock::<JsRegExp>() {
        return Ok(super::regexp::get(&re, &k));
    }
    if let Some(n) = obj.read_lock::<NodeApi>() {
        return Ok(match k.as_str() {
            "id" => Dynamic::from(n.info.id.clone()),
            "name" => Dynamic::from(n.info.name.clone()),
            "outputCount" => Dynamic::from_int(n.info.outputs as INT),
            _ => Dynamic::UNIT,
        });
    }
    if let Some(c) = obj.read_lock::<super::classes::JsClass>() {
        return Ok(super::classes::get(&c, &k));
    }
    if let Some(c) = obj.read_lock::<super::collections::JsCollection>() {
        return Ok(super::collections::get(&c, &k));
    }
    if let Some(c) = obj.read_lock::<ContextApi>() {
        return Ok(match k.as_str() {
            "flow" => c.flow_api().map(Dynamic::from).unwrap_or(Dynamic::UNIT),
            "global" => c.global_api().map(Dynamic::from).unwrap_or(Dynamic::UNIT),
            other => c.props.as_ref().map_or(Dynamic::UNIT, |p| p.get(other)),
        });
    }
    if let Some(m) = obj.read_lock::<rhai::Map>() {
        return Ok(m.get(k.as_str()).cloned().unwrap_or(Dynamic::UNIT));
    }
    Ok(Dynamic::UNIT)
}

/// `obj[key] = value`; returns `value`.
pub fn set(obj: &Dynamic, key: &Dynamic, value: Dynamic) -> JsResult<Dynamic> {
    if let Some(o) = as_object(obj) {
        if to_index(key).is_some() {
            if let Some(data) = buffer::data_of(obj) {
                buffer::set(&data, key, &value);
                return Ok(value);
            }
        }
        let k = to_key(key);
        let mut map = o.0.lock();
        if map.frozen {
            return Ok(value);
        }
        if map.len() >= MAX_ELEMENTS && !map.contains_key(k.as_str()) {
            return Err(ops::throw("RangeError", "Too many properties"));
        }
        map.insert(k, value.clone());
        return Ok(value);
    }
    if let Some(a) = as_array(obj) {
        if let Some(i) = to_index(key) {
            if i >= MAX_ELEMENTS {
                return Err(ops::throw("RangeError", "Invalid array length"));
            }
            let mut v = a.0.lock();
            if i >= v.len() {
                v.resize(i + 1, Dynamic::UNIT);
            }
            v[i] = value.clone();
            return Ok(value);
        }
        if to_key(key).as_str() == "length" {
            let n = ops::to_number(&value);
            if n < 0.0 || n.fract() != 0.0 || n > MAX_ELEMENTS as f64 {
                return Err(ops::throw("RangeError", "Invalid array length"));
            }
            a.0.lock().resize(n as usize, Dynamic::UNIT);
        }
        return Ok(value);
    }
    if is_nullish(obj) {
        return Err(type_error(format!(
            "Cannot set properties of {} (setting '{}')",
            nullish_name(obj),
            to_key(key)
        )));
    }
    if let Some(e) = obj.read_lock::<JsError>() {
        e.props.set(to_key(key), value.clone());
    }
    if let Some(re) = obj.read_lock::<JsRegExp>() {
        super::regexp::set(&re, &to_key(key), value.clone());
    }
    if let Some(c) = obj.read_lock::<super::classes::JsClass>() {
        c.0.statics.set(to_key(key), value.clone());
        return Ok(value);
    }
    if let Some(props) = obj.read_lock::<ContextApi>().and_then(|c| c.props.clone()) {
        return set(&Dynamic::from(props), key, value);
    }
    // Assigning to a primitive's property is silently ignored (sloppy mode).
    Ok(value)
}

/// `delete obj[key]`.
pub fn delete(obj: &Dynamic, key: &Dynamic) -> JsResult<bool> {
    if let Some(o) = as_object(obj) {
        if o.0.lock().frozen {
            return Ok(false);
        }
        o.remove(&to_key(key));
    } else if let Some(a) = as_array(obj) {
        if let Some(i) = to_index(key) {
            let mut v = a.0.lock();
            if i < v.len() {
                v[i] = Dynamic::UNIT;
            }
        }
    } else if is_nullish(obj) {
        return Err(type_error(format!(
            "Cannot convert undefined or null to object (deleting '{}')",
            to_key(key)
        )));
    }
    Ok(true)
}

/// `key in obj`.
pub fn has(key: &Dynamic, obj: &Dynamic) -> JsResult<bool> {
    if let Some(o) = as_object(obj) {
        return Ok(o.has_property(&to_key(key)));
    }
    if let Some(a) = as_array(obj) {
        return Ok(match to_index(key) {
            Some(i) => i < a.len(),
            None => to_key(key).as_str() == "length",
        });
    }
    if let Some(e) = obj.read_lock::<JsError>() {
        let k = to_key(key);
        return Ok(matches!(k.as_str(), "message" | "name" | "stack") || e.props.contains(&k));
    }
    if obj.is::<rhai::Map>() {
        return Ok(obj
            .read_lock::<rhai::Map>()
            .is_some_and(|m| m.contains_key(to_key(key).as_str())));
    }
    Err(type_error(format!(
        "Cannot use 'in' operator to search for '{}' in {}",
        to_key(key),
        to_string(obj)
    )))
}

/// The keys `for...in` visits, as strings.
pub fn keys_in(obj: &Dynamic) -> rhai::Array {
    if let Some(o) = as_object(obj) {
        return o.keys().into_iter().map(Dynamic::from).collect();
    }
    if let Some(a) = as_array(obj) {
        return (0..a.len()).map(|i| Dynamic::from(i.to_string())).collect();
    }
    if let Some(s) = obj.read_lock::<ImmutableString>() {
        return (0..utf16_len(&s))
            .map(|i| Dynamic::from(i.to_string()))
            .collect();
    }
    if let Some(e) = obj.read_lock::<JsError>() {
        return e.props.keys().into_iter().map(Dynamic::from).collect();
    }
    if let Some(m) = obj.read_lock::<rhai::Map>() {
        return m.keys().map(|k| Dynamic::from(k.clone())).collect();
    }
    rhai::Array::new()
}

/// The values `for...of` and spread visit.
pub fn iterate(v: &Dynamic) -> JsResult<rhai::Array> {
    if let Some(a) = as_array(v) {
        return Ok(a.items());
    }
    if let Some(bytes) = buffer::bytes_of(v) {
        return Ok(bytes
            .into_iter()
            .map(|b| Dynamic::from_int(b as INT))
            .collect());
    }
    if let Some(s) = v.read_lock::<ImmutableString>() {
        return Ok(s.chars().map(|c| Dynamic::from(c.to_string())).collect());
    }
    if let Some(a) = v.read_lock::<rhai::Array>() {
        return Ok(a.clone());
    }
    if let Some(c) = v.read_lock::<super::collections::JsCollection>() {
        return Ok(c.items());
    }
    let what = if is_nullish(v) {
        nullish_name(v).to_string()
    } else {
        ops::type_of(v).to_string()
    };
    Err(type_error(format!("{what} is not iterable")))
}

/// Copy `src`'s own enumerable properties into `target` (`{...src}`,
/// `Object.assign`).
pub fn spread_into(target: &JsObject, src: &Dynamic) {
    if let Some(o) = as_object(src) {
        if o.ptr_eq(target) {
            return;
        }
        let entries = o.entries();
        let mut map = target.0.lock();
        for (k, v) in entries {
            map.insert(k, v);
        }
    } else if let Some(a) = as_array(src) {
        let items = a.items();
        let mut map = target.0.lock();
        for (i, v) in items.into_iter().enumerate() {
            map.insert(i.to_string().into(), v);
        }
    } else if let Some(s) = src.read_lock::<ImmutableString>() {
        let mut map = target.0.lock();
        for (i, u) in s.encode_utf16().enumerate() {
            map.insert(
                i.to_string().into(),
                Dynamic::from(String::from_utf16_lossy(&[u])),
            );
        }
    } else if let Some(e) = src.read_lock::<JsError>() {
        let entries = e.props.entries();
        let mut map = target.0.lock();
        for (k, v) in entries {
            map.insert(k, v);
        }
    }
}
