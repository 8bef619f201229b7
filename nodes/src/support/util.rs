//! Small helpers shared by node types.

use flowgate_runtime::{Message, NodeError};

/// A node error that hands the message back, so `catch` nodes receive it.
pub fn fail(msg: Message, reason: impl Into<String>) -> NodeError {
    NodeError::new(reason).with_msg(msg)
}

use flowgate_runtime::events::Events;
use serde_json::{json, Value};

/// Publish a node's status (`{fill, shape, text}`) the way the editor and
/// `status` nodes receive it.
pub fn publish_status(events: &Events, node_id: &str, status: Value) {
    events.publish(format!("status/{node_id}"), status);
}

/// A `{fill, shape, text}` status object.
pub fn status(fill: &str, shape: &str, text: impl Into<Value>) -> Value {
    json!({ "fill": fill, "shape": shape, "text": text.into() })
}

/// The `hash-sum` npm package's digest, which Node-RED's `http request` puts
/// in `msg.headers["x-node-red-request-node"]` so that `http response` can tell
/// response headers passed through unchanged (and not echo them).
pub fn hash_sum(value: &Value) -> String {
    let h = fold_value(0, value, "");
    format!("{:0>8}", format!("{h:x}"))
}

fn to_int32(v: i64) -> i32 {
    v as i32
}

fn fold(hash: i64, text: &str) -> i64 {
    if text.is_empty() {
        return hash;
    }
    let mut h = hash;
    for unit in text.encode_utf16() {
        let shifted = to_int32(h).wrapping_shl(5) as i64;
        h = to_int32(shifted - h + i64::from(unit)) as i64;
    }
    if h < 0 {
        h * -2
    } else {
        h
    }
}

fn fold_value(input: i64, value: &Value, key: &str) -> i64 {
    let (tag, type_of) = match value {
        Value::Null => ("[object Null]", "object"),
        Value::Bool(_) => ("[object Boolean]", "boolean"),
        Value::Number(_) => ("[object Number]", "number"),
        Value::String(_) => ("[object String]", "string"),
        Value::Array(_) => ("[object Array]", "object"),
        Value::Object(_) => ("[object Object]", "object"),
    };
    let hash = fold(fold(fold(input, key), tag), type_of);
    match value {
        Value::Null => fold(hash, "null"),
        Value::Array(items) => {
            let mut keys: Vec<String> = (0..items.len()).map(|i| i.to_string()).collect();
            keys.sort();
            let obj_hash = keys.iter().fold(hash, |h, k| {
                fold_value(h, &items[k.parse::<usize>().expect("index")], k)
            });
            fold(obj_hash, &crate::support::js::to_js_string(Some(value)))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let obj_hash = keys.iter().fold(hash, |h, k| fold_value(h, &map[*k], k));
            fold(obj_hash, "[object Object]")
        }
        other => fold(hash, &crate::support::js::to_js_string(Some(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_sum_matches_the_npm_package() {
        // Values computed with hash-sum 2.0.0 under Node.js.
        assert_eq!(hash_sum(&json!({})), "59322f29");
        assert_eq!(hash_sum(&json!({"content-type": "text/plain"})), "44c4f7bf");
        assert_eq!(
            hash_sum(&json!({"a": ["x", "y"], "b": "1", "set-cookie": ["a=b; Path=/"]})),
            "7e1bbca8"
        );
        assert_eq!(hash_sum(&json!({"x-a": "é😀"})), "286586ea");
    }
}
