//! Context values as Node-RED's editor shows them: `util.encodeObject`'s
//! `{"msg", "format"}` (strings and arrays cut at 1,000 characters or
//! items), and the key paths (`a.b[0]`) the endpoints accept.

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

/// `a.b[0]["c"]` → `["a", "b", "0", "c"]`; `None` when it does not parse.
pub fn parse_path(path: &str) -> Option<Vec<String>> {
    let mut segs = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if cur.is_empty() && segs.is_empty() {
                    return None;
                }
                if !cur.is_empty() {
                    segs.push(std::mem::take(&mut cur));
                }
            }
            '[' => {
                if !cur.is_empty() {
                    segs.push(std::mem::take(&mut cur));
                }
                let mut inner = String::new();
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    inner.push(c);
                }
                let inner = inner.trim();
                let unquoted = inner
                    .strip_prefix('"')
                    .and_then(|s| s.strip_suffix('"'))
                    .or_else(|| inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')));
                segs.push(unquoted.unwrap_or(inner).to_owned());
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        segs.push(cur);
    }
    (!segs.is_empty()).then_some(segs)
}

/// The value under `segs` inside `v`.
pub fn walk<'v>(mut v: &'v Value, segs: &[String]) -> Option<&'v Value> {
    for s in segs {
        v = match v {
            Value::Object(o) => o.get(s)?,
            Value::Array(a) => a.get(s.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Remove the value under `segs` (non-empty) inside `v`, as setting it to
/// `undefined` does.
pub fn remove(v: &mut Value, segs: &[String]) {
    let Some((last, parents)) = segs.split_last() else {
        return;
    };
    let mut cur = v;
    for s in parents {
        cur = match cur {
            Value::Object(o) => match o.get_mut(s) {
                Some(c) => c,
                None => return,
            },
            Value::Array(a) => match s.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(c) => c,
                None => return,
            },
            _ => return,
        };
    }
    match cur {
        Value::Object(o) => {
            o.shift_remove(last);
        }
        Value::Array(a) => {
            if let Some(slot) = last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                *slot = Value::Null;
            }
        }
        _ => {}
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

    #[test]
    fn paths_parse_and_remove() {
        assert_eq!(
            parse_path("a.b[0][\"c d\"]").unwrap(),
            ["a", "b", "0", "c d"]
        );
        assert!(parse_path(".a").is_none());
        let mut v = json!({"b": [{"c": 1, "d": 2}]});
        remove(&mut v, &["b".into(), "0".into(), "c".into()]);
        assert_eq!(v, json!({"b": [{"d": 2}]}));
    }
}
