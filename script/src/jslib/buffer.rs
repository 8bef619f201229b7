//! Node.js `Buffer`s in translated code.
//!
//! flowgate carries binary data in Node-RED's JSON form of a Buffer,
//! `{"type": "Buffer", "data": [bytes]}` (what an `http in` node makes of a
//! binary body, and what `JSON.stringify(buffer)` prints in Node-RED), so a
//! Buffer in a script is an object of that shape: `Buffer.from` builds one,
//! and `toString`, `length`, indexing and the other Buffer members work on
//! any object of that shape, such as a binary `msg.payload`.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::{DecodePaddingMode, Engine as _};
use rhai::{Dynamic, ImmutableString, NativeCallContext};

use super::arg;

use super::number::{self, num};
use super::ops::{self, to_number, to_string, JsResult};
use super::values::{
    array, as_array, as_object, is_nullish, JsArray, JsError, JsObject, MAX_ELEMENTS,
    MAX_STRING_BYTES,
};

/// The byte array of a value in Buffer form, if it is one.
pub fn data_of(v: &Dynamic) -> Option<JsArray> {
    let o = as_object(v)?;
    let map = o.0.lock();
    if map.len() != 2 {
        return None;
    }
    let is_buffer = map
        .get("type")
        .and_then(|t| {
            t.read_lock::<ImmutableString>()
                .map(|t| t.as_str() == "Buffer")
        })
        .unwrap_or(false);
    if !is_buffer {
        return None;
    }
    map.get("data").and_then(as_array)
}

/// Whether `v` is a Buffer (`Buffer.isBuffer`).
pub fn is_buffer(v: &Dynamic) -> bool {
    data_of(v).is_some()
}

/// `ToUint8`: how a typed array stores a number.
pub(super) fn to_byte(v: &Dynamic) -> u8 {
    if let Ok(i) = v.as_int() {
        return i.rem_euclid(256) as u8;
    }
    let f = to_number(v);
    if !f.is_finite() {
        return 0;
    }
    (f.trunc() as i64).rem_euclid(256) as u8
}

fn bytes_in(data: &JsArray) -> Vec<u8> {
    data.0.lock().iter().map(to_byte).collect()
}

/// The bytes of a Buffer value.
pub fn bytes_of(v: &Dynamic) -> Option<Vec<u8>> {
    data_of(v).map(|d| bytes_in(&d))
}

/// A new Buffer holding `bytes`.
pub fn make(bytes: &[u8]) -> Dynamic {
    let obj = JsObject::with_capacity(2);
    obj.set("type".into(), Dynamic::from("Buffer"));
    obj.set(
        "data".into(),
        array(
            bytes
                .iter()
                .map(|&b| Dynamic::from_int(b as rhai::INT))
                .collect(),
        ),
    );
    Dynamic::from(obj)
}

/// The encodings Node.js knows, by canonical name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Hex,
    Base64,
    Base64Url,
    Ascii,
    Latin1,
    Utf16Le,
}

pub(crate) fn encoding(v: Option<&Dynamic>) -> JsResult<Encoding> {
    let Some(v) = v.filter(|v| !is_nullish(v)) else {
        return Ok(Encoding::Utf8);
    };
    let name = to_string(v);
    Ok(match name.to_ascii_lowercase().as_str() {
        "utf8" | "utf-8" => Encoding::Utf8,
        "hex" => Encoding::Hex,
        "base64" => Encoding::Base64,
        "base64url" => Encoding::Base64Url,
        "ascii" => Encoding::Ascii,
        "latin1" | "binary" => Encoding::Latin1,
        "ucs2" | "ucs-2" | "utf16le" | "utf-16le" => Encoding::Utf16Le,
        _ => {
            return Err(node_error(
                "ERR_UNKNOWN_ENCODING",
                format!("Unknown encoding: {name}"),
            ))
        }
    })
}

fn node_error(code: &str, message: String) -> Box<rhai::EvalAltResult> {
    Box::new(rhai::EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::with_code("TypeError", code, message)),
        rhai::Position::NONE,
    ))
}

/// Base64 as Node.js reads it: either alphabet, padding optional, anything
/// outside the alphabet skipped, stopping at the first `=`.
fn decode_base64(text: &str) -> Vec<u8> {
    let mut clean: String = text
        .chars()
        .take_while(|&c| c != '=')
        .filter_map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '+' | '/' => Some(c),
            '-' => Some('+'),
            '_' => Some('/'),
            _ => None,
        })
        .collect();
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    let lenient = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    lenient.decode(clean).unwrap_or_default()
}

/// Hex as Node.js reads it: pairs of digits up to the first invalid pair.
fn decode_hex(text: &str) -> Vec<u8> {
    text.as_bytes()
        .chunks_exact(2)
        .map_while(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect()
}

/// A string's bytes in `enc` (`Buffer.from(string, enc)`).
pub(crate) fn encode_string(s: &str, enc: Encoding) -> Vec<u8> {
    match enc {
        Encoding::Utf8 => s.as_bytes().to_vec(),
        Encoding::Hex => decode_hex(s),
        Encoding::Base64 | Encoding::Base64Url => decode_base64(s),
        Encoding::Ascii | Encoding::Latin1 => s.encode_utf16().map(|u| u as u8).collect(),
        Encoding::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
    }
}

/// Bytes as a string in `enc` (`buf.toString(enc)`).
pub(crate) fn decode_bytes(bytes: &[u8], enc: Encoding) -> String {
    match enc {
        Encoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Encoding::Hex => hex::encode(bytes),
        Encoding::Base64 => STANDARD.encode(bytes),
        Encoding::Base64Url => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        Encoding::Ascii => bytes.iter().map(|&b| (b & 0x7f) as char).collect(),
        Encoding::Latin1 => bytes.iter().map(|&b| b as char).collect(),
        Encoding::Utf16Le => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|p| u16::from_le_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
    }
}

/// How Node.js names a value it was not expecting.
fn received(v: &Dynamic) -> String {
    if v.is_unit() {
        return "Received undefined".into();
    }
    if v.is::<super::values::JsNull>() {
        return "Received null".into();
    }
    let t = ops::type_of(v);
    if matches!(t, "number" | "boolean") {
        return format!("Received type {t} ({})", to_string(v));
    }
    if t == "function" {
        return "Received function ".into();
    }
    if let Some(text) = v.read_lock::<ImmutableString>() {
        // Node.js shows at most 28 characters, and quotes with JSON when
        // the text has a single quote.
        let shown: String = if text.chars().count() > 28 {
            text.chars().take(25).chain("...".chars()).collect()
        } else {
            text.to_string()
        };
        return if shown.contains('\'') {
            format!(
                "Received type string ({})",
                serde_json::Value::String(shown)
            )
        } else {
            format!("Received type string ('{shown}')")
        };
    }
    "Received an instance of Object".into()
}

pub(crate) fn check_len(n: usize) -> JsResult<()> {
    if n > MAX_ELEMENTS {
        Err(ops::throw(
            "RangeError",
            format!("Array buffer allocation failed (more than {MAX_ELEMENTS} bytes)"),
        ))
    } else {
        Ok(())
    }
}

/// `Buffer.from(string, encoding)`, `Buffer.from(array)`, `Buffer.from(buffer)`.
pub fn from(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let v = arg(&args, 0);
    if let Some(s) = v.read_lock::<ImmutableString>() {
        let enc = encoding(args.get(1))?;
        let bytes = encode_string(&s, enc);
        check_len(bytes.len())?;
        return Ok(make(&bytes));
    }
    if let Some(bytes) = bytes_of(&v) {
        return Ok(make(&bytes));
    }
    if let Some(a) = as_array(&v) {
        return Ok(make(&bytes_in(&a)));
    }
    if let Some(o) = as_object(&v) {
        let len = o.get("length");
        if !len.is_unit() {
            let n = to_number(&len);
            let n = if n.is_nan() || n < 0.0 { 0 } else { n as usize };
            check_len(n)?;
            let bytes: Vec<u8> = (0..n).map(|i| to_byte(&o.get(&i.to_string()))).collect();
            return Ok(make(&bytes));
        }
    }
    Err(node_error(
        "ERR_INVALID_ARG_TYPE",
        format!(
            "The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object. {}",
            received(&v)
        ),
    ))
}

fn size_arg(v: &Dynamic) -> JsResult<usize> {
    let f = ops::as_f64(v).ok_or_else(|| {
        node_error(
            "ERR_INVALID_ARG_TYPE",
            format!(
                "The \"size\" argument must be of type number. {}",
                received(v)
            ),
        )
    })?;
    if !(0.0..=MAX_ELEMENTS as f64).contains(&f) || f.is_nan() {
        return Err(Box::new(rhai::EvalAltResult::ErrorRuntime(
            Dynamic::from(JsError::with_code(
                "RangeError",
                "ERR_OUT_OF_RANGE",
                format!(
                    "The value of \"size\" is out of range. It must be >= 0 && <= {MAX_ELEMENTS}. Received {}",
                    number::fmt(f)
                ),
            )),
            rhai::Position::NONE,
        )));
    }
    Ok(f as usize)
}

/// `Buffer.alloc(size, fill)`: zeros, or `fill` (a byte or a string) repeated.
/// `new Buffer(...)`, deprecated in Node.js but still run by Node-RED: a
/// number allocates that many zero bytes (`Buffer.alloc`), anything else is
/// `Buffer.from`.
pub fn construct(cx: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    if ops::as_f64(&arg(&args, 0)).is_some() {
        alloc(cx, args.into_iter().take(1).collect())
    } else {
        from(cx, args)
    }
}

pub fn alloc(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let size = size_arg(&arg(&args, 0))?;
    let fill = arg(&args, 1);
    let pattern = if fill.is_unit() {
        vec![0]
    } else if let Some(s) = fill.read_lock::<ImmutableString>() {
        encode_string(&s, encoding(args.get(2))?)
    } else if let Some(b) = bytes_of(&fill) {
        b
    } else {
        vec![to_byte(&fill)]
    };
    let bytes: Vec<u8> = if pattern.is_empty() {
        vec![0; size]
    } else {
        pattern.iter().copied().cycle().take(size).collect()
    };
    Ok(make(&bytes))
}

/// `Buffer.isBuffer(v)`.
pub fn is_buffer_fn(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    Ok(Dynamic::from_bool(is_buffer(&arg(&args, 0))))
}

/// `Buffer.byteLength(string, encoding)`.
pub fn byte_length(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let v = arg(&args, 0);
    if let Some(s) = v.read_lock::<ImmutableString>() {
        return Ok(num(encode_string(&s, encoding(args.get(1))?).len() as f64));
    }
    if let Some(d) = data_of(&v) {
        return Ok(num(d.len() as f64));
    }
    Err(node_error(
        "ERR_INVALID_ARG_TYPE",
        format!(
            "The \"string\" argument must be of type string or an instance of Buffer or ArrayBuffer. {}",
            received(&v)
        ),
    ))
}

/// `Buffer.concat(list, totalLength)`.
pub fn concat(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let list = arg(&args, 0);
    let Some(items) = as_array(&list) else {
        return Err(node_error(
            "ERR_INVALID_ARG_TYPE",
            format!(
                "The \"list\" argument must be an instance of Array. {}",
                received(&list)
            ),
        ));
    };
    let mut out = Vec::new();
    for (i, item) in items.items().iter().enumerate() {
        match bytes_of(item) {
            Some(b) => out.extend(b),
            None => {
                return Err(node_error(
                    "ERR_INVALID_ARG_TYPE",
                    format!(
                    "The \"list[{i}]\" argument must be an instance of Buffer or Uint8Array. {}",
                    received(item)
                ),
                ))
            }
        }
        check_len(out.len())?;
    }
    let total = arg(&args, 1);
    if !total.is_unit() {
        let n = size_arg(&total)?;
        out.resize(n, 0);
    }
    Ok(make(&out))
}

/// The members a Buffer has beyond its JSON form (for `typeof buf.toString`).
pub const METHODS: &[&str] = &[
    "toString",
    "toJSON",
    "slice",
    "subarray",
    "equals",
    "includes",
    "indexOf",
    "readUInt8",
    "readInt8",
    "readUInt16BE",
    "readUInt16LE",
    "readInt16BE",
    "readInt16LE",
    "readUInt32BE",
    "readUInt32LE",
    "readInt32BE",
    "readInt32LE",
    "readUint8",
    "readUint16BE",
    "readUint16LE",
    "readUint32BE",
    "readUint32LE",
];

/// Whether Buffers have a method `name`.
pub fn has_method(name: &str) -> bool {
    METHODS.contains(&name) || super::buffer_rw::METHODS.contains(&name)
}

/// `buf.length` and `buf[i]`; `None` for other keys.
pub fn get(data: &JsArray, key: &Dynamic) -> Option<Dynamic> {
    if let Some(i) = ops::to_index(key) {
        let d = data.0.lock();
        return Some(d.get(i).map_or(
            Dynamic::UNIT,
            |b| Dynamic::from_int(to_byte(b) as rhai::INT),
        ));
    }
    (ops::to_key(key).as_str() == "length").then(|| num(data.len() as f64))
}

/// `buf[i] = v`: stores `ToUint8(v)`; writes past the end are ignored.
/// Returns whether `key` was an index.
pub fn set(data: &JsArray, key: &Dynamic, value: &Dynamic) -> bool {
    let Some(i) = ops::to_index(key) else {
        return false;
    };
    let mut d = data.0.lock();
    if i < d.len() {
        d[i] = Dynamic::from_int(to_byte(value) as rhai::INT);
    }
    true
}

/// `start`/`end` of `slice`/`toString`, relative to `len` like Node.js.
fn range(args: &[Dynamic], from: usize, len: usize, negative: bool) -> (usize, usize) {
    let bound = |v: Option<&Dynamic>, default: usize| -> usize {
        let Some(v) = v.filter(|v| !v.is_unit()) else {
            return default;
        };
        let f = to_number(v);
        let f = if f.is_nan() { 0.0 } else { f.trunc() };
        let i = if f < 0.0 && negative {
            (len as f64 + f).max(0.0)
        } else {
            f.max(0.0)
        };
        i.min(len as f64) as usize
    };
    let start = bound(args.get(from), 0);
    let end = bound(args.get(from + 1), len);
    (start, end.max(start))
}

/// A `RangeError` with Node.js's error `code`.
pub(super) fn range_error(code: &str, message: String) -> Box<rhai::EvalAltResult> {
    Box::new(rhai::EvalAltResult::ErrorRuntime(
        Dynamic::from(JsError::with_code("RangeError", code, message)),
        rhai::Position::NONE,
    ))
}

/// The `offset` argument of a read or write of `size` bytes in a Buffer of
/// `len` bytes, checked as Node.js checks it (a number, whole, in range).
pub(super) fn checked_offset(len: usize, size: usize, offset_arg: &Dynamic) -> JsResult<usize> {
    let offset = if offset_arg.is_unit() {
        0.0
    } else {
        ops::as_f64(offset_arg).ok_or_else(|| {
            node_error(
                "ERR_INVALID_ARG_TYPE",
                format!(
                    "The \"offset\" argument must be of type number. {}",
                    received(offset_arg)
                ),
            )
        })?
    };
    let max = len as f64 - size as f64;
    if offset.fract() != 0.0 {
        return Err(range_error(
            "ERR_OUT_OF_RANGE",
            format!(
                "The value of \"offset\" is out of range. It must be an integer. Received {}",
                number::fmt(offset)
            ),
        ));
    }
    if offset < 0.0 || offset > max {
        if max < 0.0 {
            return Err(range_error(
                "ERR_BUFFER_OUT_OF_BOUNDS",
                "Attempt to access memory outside buffer bounds".to_string(),
            ));
        }
        return Err(range_error(
            "ERR_OUT_OF_RANGE",
            format!(
                "The value of \"offset\" is out of range. It must be >= 0 and <= {}. Received {}",
                max,
                number::fmt(offset)
            ),
        ));
    }
    Ok(offset as usize)
}

fn read_int(bytes: &[u8], name: &str, args: &[Dynamic]) -> JsResult<Dynamic> {
    let lower = name.replace("Uint", "UInt");
    let size = if lower.contains("8") {
        1
    } else if lower.contains("16") {
        2
    } else {
        4
    };
    let at = checked_offset(bytes.len(), size, &arg(args, 0))?;
    let b = &bytes[at..at + size];
    let big = lower.ends_with("BE") || size == 1;
    let mut raw: u32 = 0;
    for i in 0..size {
        let byte = if big { b[i] } else { b[size - 1 - i] };
        raw = (raw << 8) | byte as u32;
    }
    let signed = !lower.starts_with("readUInt");
    let value = if signed {
        let shift = 32 - 8 * size as u32;
        ((raw << shift) as i32 >> shift) as f64
    } else {
        raw as f64
    };
    Ok(num(value))
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(from.min(hay.len()));
    }
    (from..=hay.len().saturating_sub(needle.len())).find(|&i| hay[i..].starts_with(needle))
}

/// Call Buffer method `name` on a Buffer with byte array `data`; `None`
/// when Buffers have no such method.
pub fn call(data: &JsArray, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    let bytes = bytes_in(data);
    Some(match name {
        "toString" => (|| {
            let enc = encoding(args.first())?;
            let (start, end) = range(args, 1, bytes.len(), false);
            let text = decode_bytes(&bytes[start..end], enc);
            if text.len() > MAX_STRING_BYTES {
                return Err(ops::throw("RangeError", "Invalid string length"));
            }
            Ok(Dynamic::from(text))
        })(),
        "toJSON" => Ok(make(&bytes)),
        "slice" | "subarray" => {
            let (start, end) = range(args, 0, bytes.len(), true);
            Ok(make(&bytes[start..end]))
        }
        "equals" => match bytes_of(&arg(args, 0)) {
            Some(other) => Ok(Dynamic::from_bool(other == bytes)),
            None => Err(node_error(
                "ERR_INVALID_ARG_TYPE",
                format!(
                    "The \"otherBuffer\" argument must be an instance of Buffer or Uint8Array. {}",
                    received(&arg(args, 0))
                ),
            )),
        },
        "includes" | "indexOf" => (|| {
            let v = arg(args, 0);
            let needle = if let Some(s) = v.read_lock::<ImmutableString>() {
                encode_string(&s, encoding(args.get(2))?)
            } else if let Some(b) = bytes_of(&v) {
                b
            } else {
                vec![to_byte(&v)]
            };
            let (from, _) = range(args, 1, bytes.len(), true);
            let at = find(&bytes, &needle, from);
            Ok(if name == "includes" {
                Dynamic::from_bool(at.is_some())
            } else {
                num(at.map_or(-1.0, |i| i as f64))
            })
        })(),
        n if n.starts_with("read") && METHODS.contains(&n) => read_int(&bytes, n, args),
        n => return super::buffer_rw::call(data, n, args),
    })
}

/// A Buffer converted to a string (`"" + buf`, `` `${buf}` ``): its UTF-8 text.
pub fn to_text(data: &JsArray) -> String {
    decode_bytes(&bytes_in(data), Encoding::Utf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_is_as_lenient_as_node() {
        assert_eq!(decode_base64("aGk=\n x"), b"hi");
        assert_eq!(decode_base64("a-_b"), [0x6b, 0xef, 0xdb]);
        assert_eq!(decode_base64("YQ"), b"a");
        assert_eq!(decode_base64("Y"), b"");
        assert_eq!(decode_base64("YW=Jj"), b"a");
        assert_eq!(decode_hex("abc"), [0xab]);
        assert_eq!(decode_hex("zz12"), Vec::<u8>::new());
    }

    #[test]
    fn encodings_round_trip() {
        for enc in [
            Encoding::Utf8,
            Encoding::Hex,
            Encoding::Base64,
            Encoding::Base64Url,
            Encoding::Utf16Le,
        ] {
            let bytes = encode_string(&decode_bytes(b"h\xc3\xa9llo", enc), enc);
            assert_eq!(bytes, b"h\xc3\xa9llo", "{enc:?}");
        }
        assert_eq!(
            decode_bytes(&[0xff, 0xfe, 0x41], Encoding::Utf8),
            "\u{fffd}\u{fffd}A"
        );
        assert_eq!(decode_bytes("héllo".as_bytes(), Encoding::Latin1), "hÃ©llo");
        assert_eq!(encode_string("hé", Encoding::Latin1), [0x68, 0xe9]);
    }
}
