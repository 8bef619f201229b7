//! A JSON value's compact text, byte for byte what
//! [`flowgate_runtime::js_json`] writes (serde_json's text with JavaScript's
//! numbers), for the request path's answers and token claims.
//!
//! serde_json looks at a string one byte at a time to find what needs
//! escaping; the strings on the request path (tokens, claims, ids) are long
//! runs of plain ASCII, which [`flowgate_runtime::js_json::write_str`]
//! checks eight bytes at a time. Numbers are written by
//! [`flowgate_runtime::js_json::write_number`], so their text cannot differ.

use flowgate_runtime::js_json::write_str;
use serde_json::{Map, Value};

/// Append `v`'s compact JSON text to `out`.
pub fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => flowgate_runtime::js_json::write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(out, map),
    }
}

/// Append an object's compact JSON text to `out`.
pub fn write_object(out: &mut Vec<u8>, map: &Map<String, Value>) {
    out.push(b'{');
    for (i, (k, item)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, k);
        out.push(b':');
        write_value(out, item);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        write_value(&mut out, v);
        out
    }

    #[test]
    fn every_ascii_and_some_unicode_at_every_offset_as_serde_json() {
        let mut specials: Vec<char> = (0u8..0x80).map(char::from).collect();
        specials.extend(['é', '€', '😀', '\u{7f}', '\u{80}', '\u{2028}']);
        for c in specials {
            for at in 0..18 {
                let s = format!("{}{c}{}", "a".repeat(at), "b".repeat(17 - at));
                let v = Value::String(s);
                assert_eq!(text(&v), flowgate_runtime::js_json::to_vec(&v), "{v}");
            }
        }
    }

    #[test]
    fn nested_values_and_numbers_as_js_json() {
        let v = json!({
            "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYW1lIjoiQ1liZXIifQ.sig-_",
            "n": [0, -1, 1.5, 1e300, -0.0, 9007199254740993u64, i64::MIN, 0.1, 10.0, 1e20],
            "o": {"\"k\\\n": [null, true, false, {}, [], ""]},
            "": "tab\there"
        });
        assert_eq!(text(&v), flowgate_runtime::js_json::to_vec(&v));
    }
}
