//! JavaScript number semantics: how numbers print (`String(x)`, `toFixed`)
//! and parse (`Number`, `parseInt`, `parseFloat`).
//!
//! Numbers are kept as Rhai integers while they are whole and exactly
//! representable (|n| ≤ 2^53), so a message's integers stay integers in JSON,
//! and as floats otherwise.

use rhai::{Dynamic, FLOAT, INT};

/// The largest integer a JavaScript number holds exactly.
pub use flowgate_runtime::js_value::MAX_SAFE;

/// A JavaScript number as a Rhai value: an integer when whole and safe.
pub fn num(x: f64) -> Dynamic {
    if x.fract() == 0.0 && x.abs() <= MAX_SAFE {
        Dynamic::from_int(x as INT)
    } else {
        Dynamic::from_float(x)
    }
}

/// An integer result, falling back to a float outside the safe range.
pub fn int(n: i128) -> Dynamic {
    // Compared as an integer: `n as f64` rounds 2^53 + 1 down into range.
    if n.unsigned_abs() <= MAX_SAFE as u128 {
        Dynamic::from_int(n as INT)
    } else {
        Dynamic::from_float(n as FLOAT)
    }
}

/// `Number.prototype.toString()` for base 10: ryu-js implements
/// ECMAScript's Number::toString exactly (shortest round-trip digits,
/// exponent form outside 1e-7..1e21, `-0` as `0`, `NaN`, `Infinity`).
pub fn fmt(x: f64) -> String {
    // A whole number in the safe range prints as its integer digits (`-0`
    // as `0`): the common case, without the shortest-digits search.
    if x.fract() == 0.0 && x.abs() <= MAX_SAFE {
        return (x as INT).to_string();
    }
    flowgate_runtime::js_json::number_string(x)
}

/// The integer `v` holds, if it holds one. `Dynamic::as_int` answers the
/// same, but builds an error (the value's type name) for every other value,
/// which the operators' type tests would pay on every string and object.
#[inline]
pub fn int_of(v: &Dynamic) -> Option<INT> {
    if v.is_int() {
        v.as_int().ok()
    } else {
        None
    }
}

/// The float `v` holds, if it holds one (see [`int_of`]).
#[inline]
pub fn float_of(v: &Dynamic) -> Option<FLOAT> {
    if v.is_float() {
        v.as_float().ok()
    } else {
        None
    }
}

/// The boolean `v` holds, if it holds one (see [`int_of`]).
#[inline]
pub fn bool_of(v: &Dynamic) -> Option<bool> {
    if v.is_bool() {
        v.as_bool().ok()
    } else {
        None
    }
}

/// `Number.prototype.toFixed(digits)`: rounds half away from zero on the
/// exact binary value, as the specification requires.
pub fn to_fixed(x: f64, digits: usize) -> String {
    if !x.is_finite() || x.abs() >= 1e21 {
        return fmt(x);
    }
    let wide = format!("{:.*}", digits + 30, x.abs());
    let (int_part, frac_part) = wide.split_once('.').expect("fraction");
    let mut kept: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes().take(digits))
        .collect();
    let round_up = frac_part.as_bytes()[digits] >= b'5';
    if round_up {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                break;
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let int_len = kept.len() - digits;
    let mut out = String::with_capacity(kept.len() + 2);
    if x < 0.0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&kept[..int_len]).expect("ascii"));
    if digits > 0 {
        out.push('.');
        out.push_str(std::str::from_utf8(&kept[int_len..]).expect("ascii"));
    }
    out
}

/// `Number.prototype.toString(radix)` for integers and radix 2..36.
pub fn fmt_radix(x: f64, radix: u32) -> String {
    if radix == 10 || !x.is_finite() || x.fract() != 0.0 {
        return fmt(x);
    }
    let mut n = x.abs() as u128;
    if n == 0 {
        return "0".into();
    }
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(std::char::from_digit((n % radix as u128) as u32, radix).expect("digit"));
        n /= radix as u128;
    }
    if x < 0.0 {
        digits.push('-');
    }
    digits.iter().rev().collect()
}

fn is_js_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// `Number(string)`: the whole (trimmed) string must be a number.
pub fn parse_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    let radix = |p: &str, r: u32| -> Option<f64> {
        let digits = t.get(2..)?;
        if !t[..2].eq_ignore_ascii_case(p) || digits.is_empty() {
            return None;
        }
        u128::from_str_radix(digits, r).ok().map(|n| n as f64)
    };
    if t.len() > 2 {
        if let Some(v) = radix("0x", 16)
            .or_else(|| radix("0o", 8))
            .or_else(|| radix("0b", 2))
        {
            return v;
        }
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    let valid = t
        .bytes()
        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        && t.bytes().any(|b| b.is_ascii_digit());
    if !valid {
        return f64::NAN;
    }
    t.parse::<f64>().unwrap_or(f64::NAN)
}

/// `parseFloat(string)`: the longest numeric prefix.
pub fn parse_float(s: &str) -> f64 {
    let t = s.trim_start_matches(is_js_space);
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    if rest.starts_with("Infinity") {
        return sign * f64::INFINITY;
    }
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i == 0 || (int_digits == 0 && i == 1) {
        return f64::NAN;
    }
    let mut end = i;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > start {
            end = j;
        }
    }
    sign * rest[..end].parse::<f64>().unwrap_or(f64::NAN)
}

/// `parseInt(string, radix)`.
pub fn parse_int(s: &str, radix: Option<i64>) -> f64 {
    let t = s.trim_start_matches(is_js_space);
    let (sign, mut rest) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    let mut r = match radix {
        None | Some(0) => 10,
        Some(r) if (2..=36).contains(&r) => r as u32,
        Some(_) => return f64::NAN,
    };
    if (r == 16 || radix.is_none() || radix == Some(0))
        && (rest.starts_with("0x") || rest.starts_with("0X"))
    {
        rest = &rest[2..];
        r = 16;
    }
    let end = rest
        .char_indices()
        .find(|(_, c)| c.to_digit(r).is_none())
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    if end == 0 {
        return f64::NAN;
    }
    let mut v = 0f64;
    for c in rest[..end].chars() {
        v = v * r as f64 + c.to_digit(r).expect("digit") as f64;
    }
    sign * v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_javascript() {
        assert_eq!(fmt(1.5), "1.5");
        assert_eq!(fmt(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(fmt(1e21), "1e+21");
        assert_eq!(fmt(1e20), "100000000000000000000");
        assert_eq!(fmt(1.5e-7), "1.5e-7");
        assert_eq!(fmt(0.000001), "0.000001");
        assert_eq!(fmt(-2.5), "-2.5");
        assert_eq!(fmt(123456789.125), "123456789.125");
    }

    #[test]
    fn to_fixed_rounds_half_up() {
        assert_eq!(to_fixed(2.5, 0), "3");
        assert_eq!(to_fixed(1.005, 2), "1.00");
        assert_eq!(to_fixed(0.125, 2), "0.13");
        assert_eq!(to_fixed(-1.5, 0), "-2");
        assert_eq!(to_fixed(1.23456, 3), "1.235");
        assert_eq!(to_fixed(9.995, 2), "9.99");
        assert_eq!(to_fixed(99.5, 0), "100");
        assert_eq!(to_fixed(-0.0001, 2), "-0.00");
    }

    #[test]
    fn parses_like_javascript() {
        assert_eq!(parse_int("42px", None), 42.0);
        assert_eq!(parse_int("  -0x1A", None), -26.0);
        assert!(parse_int("abc", None).is_nan());
        assert_eq!(parse_int("101", Some(2)), 5.0);
        assert_eq!(parse_float("2.5abc"), 2.5);
        assert_eq!(parse_float(".5"), 0.5);
        assert!(parse_float(".").is_nan());
        assert_eq!(parse_float("1e3x"), 1000.0);
        assert_eq!(parse_number(" 12 "), 12.0);
        assert_eq!(parse_number(""), 0.0);
        assert!(parse_number("12px").is_nan());
        assert_eq!(parse_number("0x10"), 16.0);
    }
}
