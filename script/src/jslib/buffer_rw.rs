//! Buffer number access beyond the whole-byte integer reads: floats and
//! doubles, variable-width integers (`readUIntBE(offset, byteLength)`),
//! and every `write…` method, with Node.js's range checks and messages.
//! Flows that speak binary protocols (Modbus registers, sensor frames) use
//! them to take apart and build payloads.

use rhai::{Dynamic, INT};

use super::arg;
use super::buffer::{checked_offset, range_error};
use super::number::{self, num};
use super::ops::{to_number, JsResult};
use super::values::JsArray;

/// The methods this module answers.
pub const METHODS: &[&str] = &[
    "readFloatBE",
    "readFloatLE",
    "readDoubleBE",
    "readDoubleLE",
    "readUIntBE",
    "readUIntLE",
    "readIntBE",
    "readIntLE",
    "readUintBE",
    "readUintLE",
    "writeUInt8",
    "writeInt8",
    "writeUInt16BE",
    "writeUInt16LE",
    "writeInt16BE",
    "writeInt16LE",
    "writeUInt32BE",
    "writeUInt32LE",
    "writeInt32BE",
    "writeInt32LE",
    "writeUint8",
    "writeUint16BE",
    "writeUint16LE",
    "writeUint32BE",
    "writeUint32LE",
    "writeFloatBE",
    "writeFloatLE",
    "writeDoubleBE",
    "writeDoubleLE",
    "writeUIntBE",
    "writeUIntLE",
    "writeIntBE",
    "writeIntLE",
    "writeUintBE",
    "writeUintLE",
];

/// Call `name` on the Buffer whose bytes are `data`; `None` for other names.
pub fn call(data: &JsArray, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    if !METHODS.contains(&name) {
        return None;
    }
    let name = name.replace("Uint", "UInt");
    let little = name.ends_with("LE");
    Some(if let Some(kind) = name.strip_prefix("read") {
        read(data, kind, little, args)
    } else {
        write(data, &name["write".len()..], little, args)
    })
}

/// The width and signedness of `kind` (`UInt16BE`, `Int8`, `FloatLE`...);
/// `None` width for the variable-width `UIntBE`/`IntLE` forms.
fn width(kind: &str) -> Option<usize> {
    [("8", 1), ("16", 2), ("32", 4), ("Float", 4), ("Double", 8)]
        .iter()
        .find(|(tag, _)| kind.contains(tag))
        .map(|&(_, w)| w)
}

/// `byteLength` of the variable-width forms: a whole number from 1 to 6.
fn byte_length(v: &Dynamic) -> JsResult<usize> {
    let n = to_number(v);
    if n.fract() != 0.0 || !(1.0..=6.0).contains(&n) {
        return Err(range_error(
            "ERR_OUT_OF_RANGE",
            format!(
                "The value of \"byteLength\" is out of range. It must be >= 1 and <= 6. Received {}",
                number::fmt(n)
            ),
        ));
    }
    Ok(n as usize)
}

fn read(data: &JsArray, kind: &str, little: bool, args: &[Dynamic]) -> JsResult<Dynamic> {
    let size = match width(kind) {
        Some(w) => w,
        None => byte_length(&arg(args, 1))?,
    };
    let bytes: Vec<u8> = data.0.lock().iter().map(super::buffer::to_byte).collect();
    let at = checked_offset(bytes.len(), size, &arg(args, 0))?;
    let mut b = bytes[at..at + size].to_vec();
    if little {
        b.reverse();
    }
    if kind.starts_with("Float") {
        return Ok(num(f64::from(f32::from_be_bytes(
            b.try_into().expect("4 bytes"),
        ))));
    }
    if kind.starts_with("Double") {
        return Ok(num(f64::from_be_bytes(b.try_into().expect("8 bytes"))));
    }
    let raw = b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
    let bits = 8 * size as u32;
    let value = if kind.starts_with("Int") && raw >> (bits - 1) & 1 == 1 {
        raw as i64 - (1i64 << bits)
    } else {
        raw as i64
    };
    Ok(num(value as f64))
}

fn write(data: &JsArray, kind: &str, little: bool, args: &[Dynamic]) -> JsResult<Dynamic> {
    let value = to_number(&arg(args, 0));
    let size = match width(kind) {
        Some(w) => w,
        None => byte_length(&arg(args, 2))?,
    };
    let mut b = if kind.starts_with("Float") {
        (value as f32).to_be_bytes().to_vec()
    } else if kind.starts_with("Double") {
        value.to_be_bytes().to_vec()
    } else {
        check_value(value, kind.starts_with("Int"), size)?;
        // What a typed array stores: the whole part, modulo 2^bits.
        let whole = if value.is_finite() {
            value.trunc()
        } else {
            0.0
        };
        let bits = (whole.rem_euclid(2f64.powi(8 * size as i32))) as u64;
        bits.to_be_bytes()[8 - size..].to_vec()
    };
    if little {
        b.reverse();
    }
    let mut d = data.0.lock();
    let at = checked_offset(d.len(), size, &arg(args, 1))?;
    for (i, byte) in b.into_iter().enumerate() {
        d[at + i] = Dynamic::from_int(INT::from(byte));
    }
    Ok(num((at + size) as f64))
}

/// Node.js's range check of an integer write (`NaN` passes and writes 0).
fn check_value(value: f64, signed: bool, size: usize) -> JsResult<()> {
    let bits = 8 * size as i32;
    let (min, max) = if signed {
        (-(2f64.powi(bits - 1)), 2f64.powi(bits - 1) - 1.0)
    } else {
        (0.0, 2f64.powi(bits) - 1.0)
    };
    if !(value > max || value < min) {
        return Ok(());
    }
    let range = match (size > 4, signed) {
        (false, _) => format!(">= {} and <= {}", number::fmt(min), number::fmt(max)),
        (true, false) => format!(">= 0 and < 2 ** {bits}"),
        (true, true) => format!(">= -(2 ** {}) and < 2 ** {}", bits - 1, bits - 1),
    };
    Err(range_error(
        "ERR_OUT_OF_RANGE",
        format!(
            "The value of \"value\" is out of range. It must be {range}. Received {}",
            received_number(value)
        ),
    ))
}

/// How Node.js's range errors print the received number: with `_`
/// separators past 2^32.
fn received_number(v: f64) -> String {
    let text = number::fmt(v);
    if v.fract() != 0.0 || v.abs() <= 2f64.powi(32) || text.contains('e') {
        return text;
    }
    let (sign, digits) = text.split_at(usize::from(v < 0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('_');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}
