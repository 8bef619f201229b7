//! JSON text as JavaScript's `JSON.stringify` writes it, which is what
//! Node-RED puts on the wire: numbers in ECMAScript's Number::toString
//! form. serde_json writes a whole float with a fraction (`10.0`), large
//! and small ones with its own exponent form (`1e+20`) and integers past
//! 2^53 exactly; V8 writes `10`, `100000000000000000000` and the nearest
//! double (`12345678901234567000`). A body `{"t": 20.0}` sent to an echo
//! flow must come back as `{"t":20}`.
//!
//! Every place that writes a message's JSON for someone else to read (HTTP
//! responses, the json node, MQTT, WebSocket, debug, token claims, context
//! files) goes through here.

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

/// The largest integer a JavaScript number holds exactly.
const MAX_EXACT: u64 = 1 << 53;

/// `v` as compact JSON text with JavaScript's numbers.
pub fn to_string<T: Serialize + ?Sized>(v: &T) -> String {
    String::from_utf8(to_vec(v)).expect("JSON is UTF-8")
}

/// `v` as compact JSON bytes with JavaScript's numbers.
pub fn to_vec<T: Serialize + ?Sized>(v: &T) -> Vec<u8> {
    write(v, CompactFormatter)
}

/// `v` indented by `indent` (`JSON.stringify(v, null, indent)`).
pub fn to_string_pretty<T: Serialize + ?Sized>(v: &T, indent: &[u8]) -> String {
    let bytes = write(v, PrettyFormatter::with_indent(indent));
    String::from_utf8(bytes).expect("JSON is UTF-8")
}

fn write<T: Serialize + ?Sized, F: Formatter>(v: &T, inner: F) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, JsNumbers(inner));
    // A `Value` (or any map with string keys) always serializes.
    v.serialize(&mut ser).expect("JSON value serializes");
    out
}

/// A number's text as JavaScript prints it (`String(n)`).
pub fn number_text(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= MAX_EXACT) {
        return i.to_string();
    }
    if let Some(u) = n.as_u64().filter(|&u| u <= MAX_EXACT) {
        return u.to_string();
    }
    float_text(n.as_f64().unwrap_or(f64::NAN))
}

/// Append a number's JSON text (JavaScript's) to `out`: whole numbers in
/// the exact range through serde_json's integer writer, the rest as
/// doubles.
pub fn write_number(out: &mut Vec<u8>, n: &serde_json::Number) {
    let exact = n.as_i64().is_some_and(|i| i.unsigned_abs() <= MAX_EXACT)
        || n.as_u64().is_some_and(|u| u <= MAX_EXACT);
    if exact {
        serde_json::to_writer(&mut *out, n).expect("writing to a Vec cannot fail");
    } else {
        out.extend_from_slice(float_text(n.as_f64().unwrap_or(f64::NAN)).as_bytes());
    }
}

/// A double as JavaScript prints it; JSON has no `NaN` or `Infinity`, which
/// `JSON.stringify` writes as `null`.
fn float_text(x: f64) -> String {
    if x.is_finite() {
        number_string(x)
    } else {
        "null".into()
    }
}

/// `String(x)`: ECMAScript's Number::toString (shortest round-trip digits,
/// exponent form outside 1e-7..1e21, `-0` as `0`, `NaN`, `Infinity`).
pub fn number_string(x: f64) -> String {
    ryu_js::Buffer::new().format(x).to_owned()
}

/// A formatter writing numbers as JavaScript does and everything else as
/// the formatter it wraps.
struct JsNumbers<F>(F);

impl<F: Formatter> Formatter for JsNumbers<F> {
    fn write_i64<W: ?Sized + io::Write>(&mut self, w: &mut W, v: i64) -> io::Result<()> {
        if v.unsigned_abs() <= MAX_EXACT {
            self.0.write_i64(w, v)
        } else {
            w.write_all(float_text(v as f64).as_bytes())
        }
    }

    fn write_u64<W: ?Sized + io::Write>(&mut self, w: &mut W, v: u64) -> io::Result<()> {
        if v <= MAX_EXACT {
            self.0.write_u64(w, v)
        } else {
            w.write_all(float_text(v as f64).as_bytes())
        }
    }

    fn write_i128<W: ?Sized + io::Write>(&mut self, w: &mut W, v: i128) -> io::Result<()> {
        w.write_all(float_text(v as f64).as_bytes())
    }

    fn write_u128<W: ?Sized + io::Write>(&mut self, w: &mut W, v: u128) -> io::Result<()> {
        w.write_all(float_text(v as f64).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, w: &mut W, v: f32) -> io::Result<()> {
        w.write_all(float_text(f64::from(v)).as_bytes())
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, v: f64) -> io::Result<()> {
        w.write_all(float_text(v).as_bytes())
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Whether `b` holds a byte JSON escapes (a control character, `"` or
/// `\`). Eight bytes are tested at a time, in a word, without an early
/// exit: most strings on the request path (claims, keys, ids, tokens) are
/// short and plain, and a byte-by-byte loop cost more than copying them.
/// A string of eight bytes or more ends with a word that overlaps the one
/// before (no partial word to copy into place); one of four to seven bytes
/// is read as two overlapping halves of a word; a shorter one byte by byte.
fn needs_escape(b: &[u8]) -> bool {
    let n = b.len();
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[at..at + 8]);
        escapes_in(u64::from_le_bytes(w))
    };
    if n < 8 {
        if n < 4 {
            return b.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\');
        }
        let half = |at: usize| {
            let mut h = [0u8; 4];
            h.copy_from_slice(&b[at..at + 4]);
            u64::from(u32::from_le_bytes(h))
        };
        return escapes_in(half(0) | half(n - 4) << 32) != 0;
    }
    let mut found = word(n - 8);
    let mut at = 0;
    while at + 8 < n {
        found |= word(at);
        at += 8;
    }
    found != 0
}

/// Non-zero when a byte of `w` is below 0x20, `"` or `\`. Each test is
/// the bit trick for "some byte is less than n" (a zero byte is one less
/// than 1): exact for the word as a whole, which is all that is asked.
fn escapes_in(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |w: u64, n: u64| w.wrapping_sub(ONES * n) & !w & HIGH;
    below(w, 0x20) | below(w ^ (ONES * 0x22), 1) | below(w ^ (ONES * 0x5c), 1)
}

/// A JSON string literal, escaped as serde_json escapes: `\"`, `\\`, the
/// short forms `\b \f \n \r \t`, other control characters as `\u00xx`.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    if !needs_escape(b) {
        out.extend_from_slice(b);
        out.push(b'"');
        return;
    }
    let mut plain_from = 0;
    for (i, &c) in b.iter().enumerate() {
        let short = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0..=0x1f => b'u',
            _ => continue,
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
        plain_from = i + 1;
    }
    out.extend_from_slice(&b[plain_from..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    /// The word-at-a-time test finds every byte that needs escaping, at
    /// every position of strings of every length up to three words, and
    /// nothing in plain text (UTF-8 included).
    #[test]
    fn escapes_are_found_at_every_position() {
        let plain = "abcdefghijklmnopqrstuvwxyzé€ABC";
        for len in 0..24 {
            let base: Vec<u8> = plain.bytes().cycle().take(len).collect();
            assert!(!super::needs_escape(&base), "{len}");
            for at in 0..len {
                for c in (0u8..0x20).chain([b'"', b'\\']) {
                    let mut b = base.clone();
                    b[at] = c;
                    assert!(super::needs_escape(&b), "{len} {at} {c}");
                }
                for c in [0x20u8, b'!', b'#', b'[', b']', 0x7f, 0x80, 0xff] {
                    let mut b = base.clone();
                    b[at] = c;
                    assert!(!super::needs_escape(&b), "{len} {at} {c}");
                }
            }
        }
    }

    /// Each answer is what `JSON.stringify` gives in Node.js 22.
    #[test]
    fn numbers_print_as_javascript_prints_them() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"a": 10.0, "b": 1e20, "c": 1.50, "d": 12345678901234567890, "e": -0.0,
                "f": 1e21, "g": 5e-7, "h": 0.1, "i": -9007199254740996, "j": 9007199254740992}"#,
        )
        .unwrap();
        assert_eq!(
            super::to_string(&v),
            r#"{"a":10,"b":100000000000000000000,"c":1.5,"d":12345678901234567000,"e":0,"f":1e+21,"g":5e-7,"h":0.1,"i":-9007199254740996,"j":9007199254740992}"#
        );
        assert_eq!(
            super::to_string_pretty(&json!({"a": [1.0, {"b": 2.5}]}), b"    "),
            "{\n    \"a\": [\n        1,\n        {\n            \"b\": 2.5\n        }\n    ]\n}"
        );
        assert_eq!(
            super::number_text(&serde_json::Number::from_f64(2.0).unwrap()),
            "2"
        );
    }
}
