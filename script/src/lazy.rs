//! The script's `msg` for translated JavaScript, converted on demand.
//!
//! Converting a whole message into script values and back costs more than
//! most function bodies: an `http in` message carries `msg.req` with every
//! header, which a body like `msg.payload = {...}; return msg;` never looks
//! at. So the message body moves (uncopied) into a shared source, and each
//! top-level property of `msg` starts as a [`LazyJson`] marker pointing at
//! it. A marker becomes a script value the first time anything reads that
//! property ([`JsObject::get`]/[`JsObject::entries`] materialize it in
//! place); a property the script never read is copied straight from the
//! source when the message is sent, and moved when the run's returned `msg`
//! is the last use ([`collect_final`]).
//!
//! Passed-through JSON is normalized exactly as a round trip through the
//! script's value model would change it (numbers as JavaScript holds them,
//! integer-like keys first), so skipping the conversion is invisible.

use std::sync::Arc;

use rhai::Dynamic;
use serde_json::{Map, Value};

use super::api::{is_object, list_items, message_type, Sends};
use super::convert::{self, ConvertError, Mode};
use super::sandbox::{conversion_step, Interrupted};
use crate::jslib::values::{as_object, is_nullish, JsMap, JsObject, Key};

/// A top-level property of `msg` not converted yet: its value is
/// `src[key]`. Only ever stored in the `msg` object itself, once per key.
#[derive(Clone)]
pub struct LazyJson {
    src: Arc<Map<String, Value>>,
    key: Key,
}

impl LazyJson {
    fn source(&self) -> &Value {
        self.src.get(self.key.as_str()).unwrap_or(&Value::Null)
    }

    /// The property as a script value (what a full conversion gives).
    pub fn materialize(&self) -> Result<Dynamic, Interrupted> {
        convert::try_from_json(self.source(), Mode::Js)
    }

    /// The property as JSON, as a round trip through a script value would
    /// leave it.
    pub fn to_json(&self) -> Result<Value, Interrupted> {
        let mut v = self.source().clone();
        try_normalize(&mut v)?;
        Ok(v)
    }
}

/// Replace a [`LazyJson`] marker by its script value; other values stay.
/// When the running script's budget cuts the conversion short the marker
/// stays (the run is ending, see [`conversion_step`]).
pub fn materialize_in_place(slot: &mut Dynamic) -> Result<(), Interrupted> {
    let converted = match slot.read_lock::<LazyJson>() {
        Some(lazy) => lazy.materialize()?,
        None => return Ok(()),
    };
    *slot = converted;
    Ok(())
}

/// The script's `msg` over `src`: every property a [`LazyJson`] marker, in
/// the order a full conversion gives (integer-like keys first).
pub fn lazy_msg(src: &Arc<Map<String, Value>>) -> JsObject {
    let map: JsMap = src
        .keys()
        .map(|k| {
            let key: Key = k.as_str().into();
            let lazy = LazyJson {
                src: Arc::clone(src),
                key: key.clone(),
            };
            (key, Dynamic::from(lazy))
        })
        .collect();
    JsObject::from_map(map)
}

/// Take the message body back out of `src` (a copy only if a marker still
/// holds it).
pub fn into_body(src: Arc<Map<String, Value>>) -> Map<String, Value> {
    Arc::try_unwrap(src).unwrap_or_else(|shared| (*shared).clone())
}

pub use flowgate_runtime::js_value::normalize;

/// [`normalize`] counted against the running script's budget (see
/// [`conversion_step`]); cut short, `v` is left part normalized.
fn try_normalize(v: &mut Value) -> Result<(), Interrupted> {
    flowgate_runtime::js_value::walk_normalize(v, &mut conversion_step)
}

/// A conversion that failed: the error text and the input body.
pub type Failed = (String, Map<String, Value>);

/// The messages a run's return value sends, with `_msgid` set: like
/// [`super::api::collect_sends`], but when the run's own `msg` is returned
/// once (`return msg;`, `return [msg, null];`) its untouched properties move
/// from `src` into the outgoing message instead of being copied.
///
/// Beside the sends, which of them are the run's own `msg` (sent on as the
/// same message, which still owes `msg.req` if the input did).
///
/// On failure, the error text and the input body taken back from `src`.
pub fn collect_final(
    value: Dynamic,
    msg: Option<Dynamic>,
    src: Arc<Map<String, Value>>,
    msgid: &str,
) -> Result<(Sends, Vec<bool>), Failed> {
    let msg_obj = msg.as_ref().and_then(as_object);
    drop(msg);
    let mut bad = Vec::new();
    if is_nullish(&value) {
        return Ok(((Vec::new(), bad), Vec::new()));
    }
    // Flatten [[a, b], c, null] into (port, message) in send order.
    let mut flat: Vec<(usize, Dynamic)> = Vec::new();
    let ports = list_items(&value).unwrap_or_else(|| vec![value.clone()]);
    for (port, entry) in ports.iter().enumerate() {
        if is_nullish(entry) {
            continue;
        }
        match list_items(entry) {
            Some(items) => flat.extend(
                items
                    .into_iter()
                    .filter(|m| !is_nullish(m))
                    .map(|m| (port, m)),
            ),
            None => flat.push((port, entry.clone())),
        }
    }
    drop(ports);
    drop(value);
    let is_msg = |m: &Dynamic| {
        msg_obj
            .as_ref()
            .is_some_and(|o| as_object(m).is_some_and(|x| x.ptr_eq(o)))
    };
    let is_own: Vec<bool> = flat.iter().map(|(_, m)| is_msg(m)).collect();
    let own = match is_own.iter().filter(|&&o| o).count() {
        1 => is_own.iter().position(|&o| o),
        _ => None,
    };
    // Every other message first (copying what they share with `src`), the
    // run's own `msg` last, when nothing else can need `src` any more.
    let mut bodies: Vec<Option<Map<String, Value>>> = Vec::with_capacity(flat.len());
    for (i, (_, m)) in flat.iter().enumerate() {
        if Some(i) == own {
            bodies.push(None);
            continue;
        }
        if !is_object(m) {
            bad.push(message_type(m));
            bodies.push(None);
            continue;
        }
        match convert::to_body(m, Mode::Js, None) {
            Ok(b) => bodies.push(b),
            Err(e) => {
                drop(flat);
                drop(msg_obj);
                return Err((e.to_string(), into_body(src)));
            }
        }
    }
    if let (Some(i), Some(obj)) = (own, msg_obj) {
        // Moving empties the object, so it is only done when nothing else
        // (a timer callback, a value sent on another port) still holds it.
        flat[i].1 = Dynamic::UNIT;
        bodies[i] = Some(final_body(obj, src)?);
    }
    let mut sends = Vec::with_capacity(bodies.len());
    let mut own_sends = Vec::with_capacity(bodies.len());
    for (((port, _), body), own) in flat.into_iter().zip(bodies).zip(is_own) {
        if let Some(mut body) = body {
            body.insert("_msgid".into(), Value::String(msgid.to_owned()));
            sends.push((port, body));
            own_sends.push(own);
        }
    }
    Ok(((sends, bad), own_sends))
}

/// The run's `msg` object as a message body, as the last use of `src`:
/// untouched properties are moved out of `src` when nothing else (a timer
/// callback, a value sent on another port) still holds the object, copied
/// otherwise. On failure, the error text and the input body.
pub fn final_body(
    obj: JsObject,
    src: Arc<Map<String, Value>>,
) -> Result<Map<String, Value>, (String, Map<String, Value>)> {
    if obj.is_sole_reference() {
        return move_out(&obj, src).map_err(|(e, body)| (e.to_string(), body));
    }
    // The object goes first, so `src` is no longer shared with its markers.
    let converted = convert::to_body(&Dynamic::from(obj), Mode::Js, None);
    match converted {
        Ok(body) => Ok(body.unwrap_or_default()),
        Err(e) => Err((e.to_string(), into_body(src))),
    }
}

/// Convert the run's `msg` object for the last time: converted properties
/// as usual, untouched ones moved out of `src`.
fn move_out(
    obj: &JsObject,
    src: Arc<Map<String, Value>>,
) -> Result<Map<String, Value>, (ConvertError, Map<String, Value>)> {
    let entries = std::mem::take(&mut *obj.0.lock());
    let mut out = Map::with_capacity(entries.len());
    let mut pending: Vec<(String, Key)> = Vec::new();
    // A property holding `msg` itself is circular, as in a full conversion.
    let mut seen = vec![obj.addr()];
    let mut failed = None;
    for (k, item) in entries.iter() {
        if let Some(lazy) = item.read_lock::<LazyJson>() {
            out.insert(k.as_str().to_owned(), Value::Null);
            pending.push((k.as_str().to_owned(), lazy.key.clone()));
            continue;
        }
        match convert::to_json_seen(item, Mode::Js, &mut seen) {
            Ok(Some(j)) => {
                out.insert(k.as_str().to_owned(), j);
            }
            Ok(None) => {}
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    // Dropped first: the values may hold the last other references to `src`.
    drop(entries);
    if let Some(e) = failed {
        return Err((e, into_body(src)));
    }
    let mut body = into_body(src);
    for (out_key, src_key) in pending {
        let mut v = body
            .get_mut(src_key.as_str())
            .map(Value::take)
            .unwrap_or(Value::Null);
        normalize(&mut v);
        if let Some(slot) = out.get_mut(&out_key) {
            *slot = v;
        }
    }
    Ok(out)
}

/// The fewest values in a message that make converting it too much work
/// for a tokio worker's time slice (about a millisecond's worth in a
/// release build).
const LARGE_INPUT: usize = 10_000;

/// Whether `body` holds at least [`LARGE_INPUT`] values. Counts at most
/// that many, so a small message costs a walk over itself and a huge one
/// no more than a big one.
pub fn is_large(body: &Map<String, Value>) -> bool {
    fn nested(v: &&Value) -> bool {
        matches!(v, Value::Array(_) | Value::Object(_))
    }
    let mut count = body.len();
    if count >= LARGE_INPUT {
        return true;
    }
    // Only containers wait to be looked into: a leaf is counted by its
    // parent's length already.
    let mut pending: Vec<&Value> = Vec::with_capacity(8);
    pending.extend(body.values().filter(nested));
    while let Some(v) = pending.pop() {
        count += match v {
            Value::Array(items) => items.len(),
            Value::Object(map) => map.len(),
            _ => 0,
        };
        if count >= LARGE_INPUT {
            return true;
        }
        match v {
            Value::Array(items) => pending.extend(items.iter().filter(nested)),
            Value::Object(map) => pending.extend(map.values().filter(nested)),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(v: &Value) -> Value {
        convert::to_json(&convert::from_json(v, Mode::Js), Mode::Js, None)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn normalize_equals_a_round_trip_through_script_values() {
        let v = json!({
            "b": 1, "10": [1.0, 2.5, -0.0, 9007199254740993u64, -9007199254740993i64,
                           18446744073709551615u64, 1e300, null, true, "s"],
            "a": {"2": "x", "k": {"1": 1, "0": 0}, "01": "leading zero"},
            "1": 1.5
        });
        let mut n = v.clone();
        normalize(&mut n);
        assert_eq!(
            serde_json::to_string(&n).unwrap(),
            serde_json::to_string(&round_trip(&v)).unwrap()
        );
    }

    #[test]
    fn untouched_properties_move_and_read_ones_convert() {
        let Value::Object(body) =
            json!({"_msgid": "m", "req": {"headers": {"host": "h"}}, "payload": {"n": 1.0}})
        else {
            unreachable!()
        };
        let src = Arc::new(body);
        let obj = lazy_msg(&src);
        // Reading converts in place, and the same object comes back each time.
        let p1 = obj.get("payload");
        let p2 = obj.get("payload");
        assert!(as_object(&p1).unwrap().ptr_eq(&as_object(&p2).unwrap()));
        let msg = Dynamic::from(obj.clone());
        let ((sends, bad), own) = collect_final(msg.clone(), Some(msg), src, "id").unwrap();
        assert_eq!(own, [true]);
        assert!(bad.is_empty());
        assert_eq!(
            Value::Object(sends[0].1.clone()),
            json!({"_msgid": "id", "req": {"headers": {"host": "h"}}, "payload": {"n": 1}})
        );
    }
}
