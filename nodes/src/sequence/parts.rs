//! What the sequence nodes share: `msg.parts` group ids, Node-RED's escape
//! rule for separators, Buffers as flowgate carries them
//! (`{"type":"Buffer","data":[…]}`), JavaScript's key and sort order, and
//! the bound on messages a node holds.

use std::cmp::Ordering;

use flowgate_runtime::message::new_msgid;
use flowgate_runtime::request::{as_buffer, buffer_value};
use flowgate_runtime::{Message, NodeError};
use serde_json::{Map, Value};

use crate::support::js;

/// A group id as Node-RED's `RED.util.generateId()` makes them: 16 hex digits.
pub fn group_id() -> String {
    crate::support::wire::generate_id()
}

/// Give a message about to be sent a new `_msgid` (Node-RED gives every
/// message sent without one a fresh id).
pub fn fresh_msgid(msg: &mut Message) {
    msg.body.insert("_msgid".into(), Value::String(new_msgid()));
}

/// Node-RED's rule for separators typed in the editor: `\n`, `\r`, `\t`,
/// `\f` and `\0` become the characters, `\e` becomes `e` (JavaScript's
/// `"\e"`), replaced in that order.
pub fn unescape(text: &str) -> String {
    text.replace("\\n", "\n")
        .replace("\\r", "\r")
        .replace("\\t", "\t")
        .replace("\\e", "e")
        .replace("\\f", "\u{c}")
        .replace("\\0", "\0")
}

/// A `bin` separator or joiner: a JSON array of bytes as `Buffer.from`
/// reads it (numbers modulo 256, anything else 0).
pub fn parse_bytes(text: &str) -> Result<(Vec<u8>, Value), String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Value::Array(items) = &value else {
        return Err("not an array".into());
    };
    let bytes = items
        .iter()
        .map(|v| {
            let n = js::to_number(Some(v));
            if n.is_finite() {
                (n.trunc() as i64).rem_euclid(256) as u8
            } else {
                0
            }
        })
        .collect();
    Ok((bytes, value))
}

/// The bytes of a Buffer value, if it is one.
pub fn bytes(v: &Value) -> Option<Vec<u8>> {
    as_buffer(v)
}

/// A Buffer value holding `bytes`.
pub fn buffer(bytes: &[u8]) -> Value {
    buffer_value(bytes)
}

/// `String(v)` where a Buffer is its UTF-8 text, as JavaScript's
/// `Array.prototype.join` writes Buffers.
pub fn join_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(v) => match bytes(v) {
            Some(b) => String::from_utf8_lossy(&b).into_owned(),
            None => match v {
                Value::Array(items) => items
                    .iter()
                    .map(|i| join_text(Some(i)))
                    .collect::<Vec<_>>()
                    .join(","),
                other => js::to_js_string(Some(other)),
            },
        },
    }
}

/// An object's keys in JavaScript's `for…in` order: array-index keys
/// ascending first, then the others as inserted.
pub fn key_order(map: &Map<String, Value>) -> Vec<&String> {
    let index = |k: &str| -> Option<u32> {
        let n: u32 = k.parse().ok()?;
        (n != u32::MAX && n.to_string() == k).then_some(n)
    };
    let mut numeric: Vec<(u32, &String)> = map
        .keys()
        .filter_map(|k| index(k).map(|n| (n, k)))
        .collect();
    numeric.sort_by_key(|(n, _)| *n);
    let mut keys: Vec<&String> = numeric.into_iter().map(|(_, k)| k).collect();
    keys.extend(map.keys().filter(|k| index(k).is_none()));
    keys
}

/// A stable merge sort that, like JavaScript's `Array.prototype.sort`,
/// accepts a comparison that is no total order (NaN keys) without failing.
pub fn stable_sort<T>(items: Vec<T>, cmp: &mut impl FnMut(&T, &T) -> Ordering) -> Vec<T> {
    if items.len() <= 1 {
        return items;
    }
    let mut left = items;
    let right = left.split_off(left.len() / 2);
    let (left, right) = (stable_sort(left, cmp), stable_sort(right, cmp));
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    while let (Some(a), Some(b)) = (l.peek(), r.peek()) {
        if cmp(b, a) == Ordering::Less {
            merged.extend(r.next());
        } else {
            merged.extend(l.next());
        }
    }
    merged.extend(l);
    merged.extend(r);
    merged
}

/// The bound on messages a node holds (`--max-pending-messages`; 0 is
/// unlimited), and the catchable error past it in Node-RED's words for
/// that node ("too many pending messages in join node").
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: usize,
    pub node: &'static str,
}

impl Limit {
    /// Whether holding `held` messages is over the bound.
    pub fn exceeded(&self, held: usize) -> bool {
        self.max > 0 && held > self.max
    }

    /// The error reported with the message that went over the bound.
    pub fn error(&self, msg: Message) -> NodeError {
        let text = if self.node == "sort" {
            // Node-RED's sort node alone capitalises it.
            "Too many pending messages in sort node".to_owned()
        } else {
            format!("too many pending messages in {} node", self.node)
        };
        NodeError::new(text).with_msg(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn separators_unescape_in_node_reds_order() {
        assert_eq!(unescape("a\\nb\\tc\\e"), "a\nb\tce");
    }

    #[test]
    fn keys_follow_for_in_order() {
        let m = json!({"b": 1, "2": 2, "a": 3, "1": 4, "01": 5});
        let keys: Vec<&str> = key_order(m.as_object().unwrap())
            .into_iter()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["1", "2", "b", "a", "01"]);
    }

    #[test]
    fn sort_survives_an_inconsistent_comparison() {
        let v = vec![f64::NAN, 2.0, 1.0, f64::NAN, 0.5];
        let sorted = stable_sort(v, &mut |a: &f64, b: &f64| {
            if a > b {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        });
        assert_eq!(sorted.len(), 5);
    }
}
