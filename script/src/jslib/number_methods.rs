//! `Number.prototype` methods: `toFixed`, `toPrecision`, `toExponential`,
//! `toString(radix)` and `toLocaleString`, with V8's argument checks and
//! RangeError texts. Digits are rounded half up on the number's exact
//! binary value, as ECMAScript specifies (Rust's own formatting rounds
//! ties to even).

use rhai::Dynamic;

use super::arg;

use super::number::{self, num};
use super::ops::{throw, to_number, JsResult};

/// ECMAScript's ToIntegerOrInfinity of argument `i` (`undefined` is 0).
fn integer_arg(args: &[Dynamic], i: usize) -> f64 {
    let n = to_number(&arg(args, i));
    if n.is_nan() {
        0.0
    } else {
        n.trunc()
    }
}

/// Call number method `name` on `x`; `None` when numbers have no such method.
pub fn call(x: f64, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    let text = |s: String| Ok(Dynamic::from(s));
    Some(match name {
        "toFixed" => {
            let d = integer_arg(args, 0);
            if !(0.0..=100.0).contains(&d) {
                return Some(Err(throw(
                    "RangeError",
                    "toFixed() digits argument must be between 0 and 100",
                )));
            }
            text(number::to_fixed(x, d as usize))
        }
        "toString" => {
            let r = if arg(args, 0).is_unit() {
                10.0
            } else {
                integer_arg(args, 0)
            };
            if !(2.0..=36.0).contains(&r) {
                return Some(Err(throw(
                    "RangeError",
                    "toString() radix argument must be between 2 and 36",
                )));
            }
            text(number::fmt_radix(x, r as u32))
        }
        "toPrecision" => {
            if arg(args, 0).is_unit() || !x.is_finite() {
                return Some(text(number::fmt(x)));
            }
            let p = integer_arg(args, 0);
            if !(1.0..=100.0).contains(&p) {
                return Some(Err(throw(
                    "RangeError",
                    "toPrecision() argument must be between 1 and 100",
                )));
            }
            text(to_precision(x, p as usize))
        }
        "toExponential" => {
            let f = integer_arg(args, 0);
            if !x.is_finite() {
                return Some(text(number::fmt(x)));
            }
            if !(0.0..=100.0).contains(&f) {
                return Some(Err(throw(
                    "RangeError",
                    "toExponential() argument must be between 0 and 100",
                )));
            }
            let digits = (!arg(args, 0).is_unit()).then_some(f as usize + 1);
            text(to_exponential(x, digits))
        }
        "toLocaleString" => super::number_locale::to_locale_string(x, &arg(args, 0), &arg(args, 1)),
        "valueOf" => Ok(num(x)),
        _ => return None,
    })
}

/// The first `n` significant digits of finite, non-zero `|x|`, rounded half
/// up on its exact value, and the decimal exponent of the first one.
fn significant(x: f64, n: usize) -> (Vec<u8>, i32) {
    // 30 digits past the last kept one decide the rounding: a double's
    // exact expansion would need 30 nines in a row there to mislead it.
    let wide = format!("{:.*e}", n + 29, x.abs());
    let (mant, exp) = wide.split_once('e').expect("exponent");
    let mut e: i32 = exp.parse().expect("digits");
    let all: Vec<u8> = mant.bytes().filter(|c| *c != b'.').collect();
    let mut kept = all[..n].to_vec();
    if all[n] >= b'5' {
        let mut i = n;
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                kept.truncate(n);
                e += 1;
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
    (kept, e)
}

fn exponent_form(sign: &str, digits: &[u8], e: i32) -> String {
    let d = std::str::from_utf8(digits).expect("ascii");
    let m = if d.len() > 1 {
        format!("{}.{}", &d[..1], &d[1..])
    } else {
        d.to_string()
    };
    format!("{sign}{m}e{}{}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// `x.toExponential(f)` with `digits` = f + 1 significant digits, or as
/// many as `x` needs to round-trip when `f` is not given.
pub fn to_exponential(x: f64, digits: Option<usize>) -> String {
    let sign = if x < 0.0 { "-" } else { "" };
    if x == 0.0 {
        let zeros = digits.unwrap_or(1).saturating_sub(1);
        return if zeros == 0 {
            "0e+0".into()
        } else {
            format!("0.{}e+0", "0".repeat(zeros))
        };
    }
    let (kept, e) = match digits {
        Some(n) => significant(x, n),
        None => {
            // The shortest round-trip digits, as `String(x)` has them.
            let short = format!("{:e}", x.abs());
            let (mant, exp) = short.split_once('e').expect("exponent");
            (
                mant.bytes().filter(|c| *c != b'.').collect(),
                exp.parse().expect("digits"),
            )
        }
    };
    exponent_form(sign, &kept, e)
}

/// `x.toPrecision(p)` for finite `x`.
pub fn to_precision(x: f64, p: usize) -> String {
    if x == 0.0 {
        return if p > 1 {
            format!("0.{}", "0".repeat(p - 1))
        } else {
            "0".into()
        };
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let (kept, e) = significant(x, p);
    if e < -6 || e >= p as i32 {
        return exponent_form(sign, &kept, e);
    }
    let digits = String::from_utf8(kept).expect("ascii");
    if e >= 0 {
        let int_len = e as usize + 1;
        if int_len >= digits.len() {
            format!("{sign}{digits}")
        } else {
            format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
        }
    } else {
        format!("{sign}0.{}{digits}", "0".repeat((-e - 1) as usize))
    }
}
