//! `RED.util.getMessageProperty(msg, path)` and
//! `RED.util.setMessageProperty(msg, path, value[, createMissing])`, as
//! Node-RED's `util.js` has them: the path is a property expression
//! (`payload.items[0]["a b"]`, with or without `msg.`), read with the same
//! parser as context keys.

use flowgate_runtime::context::path::{parse_path, Seg};
use rhai::{Dynamic, NativeCallContext};

use super::arg;
use super::number::num;
use super::ops::{throw, JsResult};
use super::props;
use super::values::{array, as_array, is_nullish, JsObject};

/// The path's segments, `msg.` left off.
fn segments(path: &Dynamic) -> JsResult<Vec<Seg>> {
    let text = super::ops::to_string(path);
    let text = text.strip_prefix("msg.").unwrap_or(&text);
    parse_path(text).map_err(|m| throw("Error", m))
}

fn key(s: &Seg) -> Dynamic {
    match s {
        Seg::Key(k) => Dynamic::from(k.clone()),
        Seg::Index(i) => num(*i as f64),
    }
}

/// `getMessageProperty`: each step reads a property, so a step past
/// `undefined` throws as JavaScript does.
pub fn get_message_property(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let mut cur = arg(&args, 0);
    for s in segments(&arg(&args, 1))? {
        cur = props::get(&cur, &key(&s))?;
    }
    Ok(cur)
}

/// `setMessageProperty`: missing steps are created (an object, or an
/// array before a numeric step) unless `createMissing` is false, which it
/// is by default for an `undefined` value; `undefined` deletes the property
/// (an array element is spliced out). A step that is not an object stops
/// the walk. Answers whether the property was set.
pub fn set_message_property(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let value = arg(&args, 2);
    let create = match args.get(3) {
        Some(c) if !c.is_unit() => super::ops::truthy(c),
        _ => !value.is_unit(),
    };
    let segs = segments(&arg(&args, 1))?;
    let Some((last, steps)) = segs.split_last() else {
        return Ok(Dynamic::FALSE);
    };
    let mut obj = arg(&args, 0);
    for (i, s) in steps.iter().enumerate() {
        let next = props::get(&obj, &key(s))?;
        let is_container = !is_nullish(&next)
            && (super::values::as_object(&next).is_some()
                || as_array(&next).is_some()
                || super::callback::is_callable(&next));
        obj = if is_container {
            next
        } else if !next.is_unit() {
            // A value that cannot hold properties ends the walk.
            return Ok(Dynamic::FALSE);
        } else if create {
            let made = match steps.get(i + 1).unwrap_or(last) {
                Seg::Index(_) => array(Vec::new()),
                Seg::Key(_) => Dynamic::from(JsObject::new()),
            };
            let _ = props::set(&obj, &key(s), made.clone())?;
            made
        } else {
            return Ok(Dynamic::FALSE);
        };
    }
    if value.is_unit() {
        match (last, as_array(&obj)) {
            (Seg::Index(i), Some(a)) => {
                let mut items = a.0.lock();
                if *i < items.len() {
                    let _ = items.remove(*i);
                }
            }
            _ => {
                props::delete(&obj, &key(last))?;
            }
        }
    } else {
        let _ = props::set(&obj, &key(last), value)?;
    }
    Ok(Dynamic::TRUE)
}
