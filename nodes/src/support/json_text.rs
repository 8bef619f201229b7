//! A JSON value's compact text, byte for byte what
//! [`flowgate_runtime::js_json`] writes (serde_json's text with JavaScript's
//! numbers), for the request path's answers and token claims.
//!
//! serde_json looks at a string one byte at a time to find what needs
//! escaping; the strings on the request path (tokens, claims, ids) are long
//! runs of plain ASCII, so here eight bytes at a time are checked at once
//! and copied when none needs escaping. Numbers are written by
//! [`flowgate_runtime::js_json::write_number`], so their text cannot differ.

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

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any of the eight bytes in `w` is a control character, `"` or
/// `\` (the bytes JSON escapes). Exact: a byte of 0x80 or above never
/// counts, and a flagged word is looked at byte by byte anyway.
fn needs_escape(w: u64) -> bool {
    let zero_in = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
    below_space | zero_in(w ^ (ONES * u64::from(b'"'))) | zero_in(w ^ (ONES * u64::from(b'\\')))
        != 0
}

/// A JSON string literal, escaped as serde_json escapes: `\"`, `\\`, the
/// short forms `\b \f \n \r \t`, other control characters as `\u00xx`.
fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut plain_from = 0;
    let mut i = 0;
    while i < b.len() {
        if !needs_escape(word_at(b, i)) {
            i += 8;
            continue;
        }
        let c = b[i];
        let short = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0..=0x1f => b'u',
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&b[plain_from..i]);
        out.push(b'\\');
        out.push(short);
        if short == b'u' {
            out.extend_from_slice(&[
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 15)],
            ]);
        }
        i += 1;
        plain_from = i;
    }
    out.extend_from_slice(&b[plain_from..]);
    out.push(b'"');
}

/// The eight bytes of `b` from `i`, padded with a plain byte past its end
/// (so a short string or a tail takes the word check too).
fn word_at(b: &[u8], i: usize) -> u64 {
    match b.get(i..i + 8) {
        Some(word) => u64::from_le_bytes(word.try_into().expect("eight bytes")),
        None => {
            let mut padded = [b'a'; 8];
            let tail = &b[i..];
            padded[..tail.len()].copy_from_slice(tail);
            u64::from_le_bytes(padded)
        }
    }
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
