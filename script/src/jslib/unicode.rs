//! Strings from and to code points: `String.fromCharCode`,
//! `String.fromCodePoint`, and `normalize` (Unicode normalization forms,
//! through ICU4X's `icu_normalizer`, the data V8's ICU uses).
//!
//! flowgate's strings are UTF-8, so a lone surrogate half (a
//! `fromCharCode(0xD83D)` on its own) becomes U+FFFD; pairs join into
//! their character as in JavaScript.

use icu_normalizer::{ComposingNormalizerBorrowed, DecomposingNormalizerBorrowed};
use rhai::{Dynamic, NativeCallContext};

use super::ops::{throw, to_number, to_string, JsResult};

/// ECMAScript's ToUint16.
fn to_uint16(v: &Dynamic) -> u16 {
    let n = to_number(v);
    if !n.is_finite() {
        return 0;
    }
    n.trunc().rem_euclid(65_536.0) as u16
}

/// `String.fromCharCode(...units)`.
pub fn from_char_code(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let units: Vec<u16> = args.iter().map(to_uint16).collect();
    Ok(Dynamic::from(String::from_utf16_lossy(&units)))
}

/// `String.fromCodePoint(...points)`, with V8's RangeError for a value
/// that is not a code point.
pub fn from_code_point(_: &NativeCallContext, args: Vec<Dynamic>) -> JsResult<Dynamic> {
    let mut units: Vec<u16> = Vec::with_capacity(args.len());
    for v in &args {
        let n = to_number(v);
        if n.fract() != 0.0 || !(0.0..=1_114_111.0).contains(&n) {
            return Err(throw(
                "RangeError",
                format!("Invalid code point {}", to_string(v)),
            ));
        }
        let cp = n as u32;
        match char::from_u32(cp) {
            Some(c) => units.extend_from_slice(c.encode_utf16(&mut [0; 2])),
            // A surrogate code point on its own.
            None => units.push(cp as u16),
        }
    }
    Ok(Dynamic::from(String::from_utf16_lossy(&units)))
}

/// `s.normalize(form)`.
pub fn normalize(s: &str, form: Option<&Dynamic>) -> JsResult<Dynamic> {
    let form = form
        .filter(|v| !v.is_unit())
        .map(|v| to_string(v).to_string())
        .unwrap_or_else(|| "NFC".into());
    let out = match form.as_str() {
        "NFC" => ComposingNormalizerBorrowed::new_nfc().normalize(s),
        "NFKC" => ComposingNormalizerBorrowed::new_nfkc().normalize(s),
        "NFD" => DecomposingNormalizerBorrowed::new_nfd().normalize(s),
        "NFKD" => DecomposingNormalizerBorrowed::new_nfkd().normalize(s),
        _ => {
            return Err(throw(
                "RangeError",
                "The normalization form should be one of NFC, NFD, NFKC, NFKD.",
            ))
        }
    };
    Ok(Dynamic::from(out.into_owned()))
}
