//! Context values as Node-RED's editor shows them: `util.encodeObject`'s
//! `{"msg", "format"}` (strings and arrays cut at 1,000 characters or
//! items).

use serde_json::{json, Map, Value};

/// Node-RED's `debugMaxLength` default: longer strings and arrays are cut.
const MAX_LENGTH: usize = 1000;

/// A number as JavaScript's `String(n)` writes it (`3`, not `3.0`).
fn js_number(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        _ => n.to_string(),
    }
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The first `n` UTF-16 units of `s` (JavaScript's `substring(0, n)`).
fn utf16_prefix(s: &str, n: usize) -> String {
    let units: Vec<u16> = s.encode_utf16().take(n).collect();
    String::from_utf16_lossy(&units)
}

/// `JSON.stringify` with `encodeObject`'s replacer: long strings end in
/// `...`, long arrays become `{"__enc__":true,"type":"array",…}`.
fn replace(v: &Value) -> Value {
    match v {
        Value::String(s) if utf16_len(s) > MAX_LENGTH => {
            Value::String(format!("{}...", utf16_prefix(s, MAX_LENGTH)))
        }
        Value::Array(a) if a.len() > MAX_LENGTH => json!({
            "__enc__": true,
            "type": "array",
            "data": a.iter().take(MAX_LENGTH).map(replace).collect::<Vec<_>>(),
            "length": a.len(),
        }),
        Value::Array(a) => Value::Array(a.iter().map(replace).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), replace(v))).collect()),
        other => other.clone(),
    }
}

/// `util.encodeObject({msg: v})` for a JSON value (`None` is `undefined`).
pub fn encode_object(v: Option<&Value>) -> Map<String, Value> {
    let (msg, format) = match v {
        None => ("(undefined)".to_owned(), "undefined".to_owned()),
        Some(Value::Null) => ("(undefined)".to_owned(), "null".to_owned()),
        Some(Value::Bool(b)) => (b.to_string(), "boolean".to_owned()),
        Some(Value::Number(n)) => (js_number(n), "number".to_owned()),
        Some(Value::String(s)) => {
            let len = utf16_len(s);
            let text = if len > MAX_LENGTH {
                format!("{}...", utf16_prefix(s, MAX_LENGTH))
            } else {
                s.clone()
            };
            (text, format!("string[{len}]"))
        }
        Some(Value::Array(a)) => (
            replace(&Value::Array(a.clone())).to_string(),
            format!("array[{}]", a.len()),
        ),
        Some(o @ Value::Object(_)) => (replace(o).to_string(), "Object".to_owned()),
    };
    let mut out = Map::new();
    out.insert("msg".into(), Value::String(msg));
    out.insert("format".into(), Value::String(format));
    out
}

/// `?keysOnly` for one key: the shape of the value's own keys.
pub fn keys_of(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Array(a)) => json!({ "format": format!("array[{}]", a.len()) }),
        Some(Value::Object(o)) => {
            let keys: Vec<Value> = o
                .iter()
                .map(|(k, v)| match v {
                    Value::Array(a) => {
                        json!({ "key": k, "format": format!("array[{}]", a.len()), "length": a.len() })
                    }
                    Value::Object(_) | Value::Null => json!({ "key": k, "format": "object" }),
                    _ => json!({ "key": k }),
                })
                .collect();
            json!({ "keys": keys, "format": "object" })
        }
        // `typeof null === 'object'` in Node-RED: `Object.keys(null)` throws
        // there; an empty list is the useful answer.
        _ => json!({ "keys": [] }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_the_debug_sidebar_shows() {
        let e = |v: Value| Value::Object(encode_object(Some(&v)));
        assert_eq!(e(json!(3.0)), json!({"msg": "3", "format": "number"}));
        assert_eq!(
            e(json!("héllo")),
            json!({"msg": "héllo", "format": "string[5]"})
        );
        assert_eq!(
            e(json!(null)),
            json!({"msg": "(undefined)", "format": "null"})
        );
        assert_eq!(
            e(json!([1, 2])),
            json!({"msg": "[1,2]", "format": "array[2]"})
        );
        assert_eq!(
            e(json!({"a": true})),
            json!({"msg": "{\"a\":true}", "format": "Object"})
        );
        let long = "x".repeat(1001);
        assert_eq!(
            e(json!(long))["msg"].as_str().unwrap().len(),
            1003,
            "cut at 1000 characters with ..."
        );
        assert_eq!(
            Value::Object(encode_object(None)),
            json!({"msg": "(undefined)", "format": "undefined"})
        );
    }
}
