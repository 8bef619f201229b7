//! JavaScript's value semantics on JSON values, where Node-RED's nodes rely on
//! them: `String(v)`, `Number(v)`, loose `==` and relational comparison,
//! truthiness and number formatting. `None` stands for `undefined`.

use serde_json::{Number, Value};

/// A JSON number from an `f64` the way JavaScript would print it: integral
/// values stay integers (`5`, not `5.0`); NaN and infinities become `null`,
/// which is what `JSON.stringify` writes for them.
pub fn number(n: f64) -> Value {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        if n == 0.0 {
            return Value::from(0);
        }
        return Value::from(n as i64);
    }
    Number::from_f64(n)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// JavaScript's `Number.prototype.toString()` (shortest round-trip digits,
/// exponent form outside 1e-7..1e21).
pub fn format_number(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if n == 0.0 {
        return "0".into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: d.ddde±x.
    let sci = format!("{:e}", n.abs());
    let (mantissa, exp) = sci.split_once('e').expect("exponent form");
    let exp: i32 = exp.parse().expect("exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let sign = if n < 0.0 { "-" } else { "" };
    let e = exp + 1; // position of the decimal point relative to the digits
    let body = if k <= e && e <= 21 {
        format!("{digits}{}", "0".repeat((e - k) as usize))
    } else if 0 < e && e <= 21 {
        format!("{}.{}", &digits[..e as usize], &digits[e as usize..])
    } else if -6 < e && e <= 0 {
        format!("0.{}{digits}", "0".repeat((-e) as usize))
    } else {
        let exp_sign = if e > 0 { "+" } else { "-" };
        let rest = if k > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits.clone()
        };
        format!("{rest}e{exp_sign}{}", (e - 1).abs())
    };
    format!("{sign}{body}")
}

/// `String(v)`.
pub fn to_js_string(v: Option<&Value>) -> String {
    match v {
        None => "undefined".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => number_to_string(n),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::Null => String::new(),
                other => to_js_string(Some(other)),
            })
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Object(_)) => "[object Object]".into(),
    }
}

/// A JSON number printed as JavaScript prints it.
pub fn number_to_string(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    format_number(n.as_f64().unwrap_or(f64::NAN))
}

/// JavaScript's string-to-number conversion (`Number("  12 ")`, `"0x1f"`,
/// `""` → 0, anything else → NaN).
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if t.is_empty() {
        return 0.0;
    }
    let radix = |p: &str, r: u32| {
        u64::from_str_radix(p, r)
            .map(|v| v as f64)
            .unwrap_or(f64::NAN)
    };
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return radix(h, 16);
    }
    if let Some(o) = t.strip_prefix("0o").or_else(|| t.strip_prefix("0O")) {
        return radix(o, 8);
    }
    if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
        return radix(b, 2);
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    let valid = t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && t.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return f64::NAN;
    }
    t.parse::<f64>().unwrap_or(f64::NAN)
}

/// `Number(v)`.
pub fn to_number(v: Option<&Value>) -> f64 {
    match v {
        None => f64::NAN,
        Some(Value::Null) => 0.0,
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::String(s)) => string_to_number(s),
        Some(arr @ Value::Array(_)) => string_to_number(&to_js_string(Some(arr))),
        Some(Value::Object(_)) => f64::NAN,
    }
}

/// `parseFloat(v)`: the longest numeric prefix of `String(v)`.
pub fn parse_float(v: Option<&Value>) -> f64 {
    if let Some(Value::Number(n)) = v {
        return n.as_f64().unwrap_or(f64::NAN);
    }
    let s = to_js_string(v);
    let t = s.trim_start();
    if t.starts_with("Infinity") || t.starts_with("+Infinity") {
        return f64::INFINITY;
    }
    if t.starts_with("-Infinity") {
        return f64::NEG_INFINITY;
    }
    let mut end = 0;
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut seen_exp = false;
    let bytes = t.as_bytes();
    while end < bytes.len() {
        let c = bytes[end];
        match c {
            b'0'..=b'9' => seen_digit = true,
            b'+' | b'-' if end == 0 || matches!(bytes[end - 1], b'e' | b'E') => {}
            b'.' if !seen_dot && !seen_exp => seen_dot = true,
            b'e' | b'E' if seen_digit && !seen_exp => {
                // Only an exponent when digits follow.
                let rest = &bytes[end + 1..];
                let rest = rest
                    .strip_prefix(b"+")
                    .or_else(|| rest.strip_prefix(b"-"))
                    .unwrap_or(rest);
                if !rest.first().is_some_and(u8::is_ascii_digit) {
                    break;
                }
                seen_exp = true;
            }
            _ => break,
        }
        end += 1;
    }
    if !seen_digit {
        return f64::NAN;
    }
    t[..end].parse().unwrap_or(f64::NAN)
}

/// JavaScript truthiness.
pub fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// `typeof v` for JSON values.
pub fn type_of(v: Option<&Value>) -> &'static str {
    match v {
        None => "undefined",
        Some(Value::Null) | Some(Value::Array(_)) | Some(Value::Object(_)) => "object",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
    }
}

/// A primitive after JavaScript's `ToPrimitive` (objects become their string form).
enum Prim<'a> {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(std::borrow::Cow<'a, str>),
}

fn to_primitive(v: Option<&Value>) -> Prim<'_> {
    match v {
        None => Prim::Undefined,
        Some(Value::Null) => Prim::Null,
        Some(Value::Bool(b)) => Prim::Bool(*b),
        Some(Value::Number(n)) => Prim::Num(n.as_f64().unwrap_or(f64::NAN)),
        Some(Value::String(s)) => Prim::Str(std::borrow::Cow::Borrowed(s)),
        Some(other) => Prim::Str(std::borrow::Cow::Owned(to_js_string(Some(other)))),
    }
}

fn prim_number(p: &Prim<'_>) -> f64 {
    match p {
        Prim::Undefined => f64::NAN,
        Prim::Null => 0.0,
        Prim::Bool(b) => f64::from(u8::from(*b)),
        Prim::Num(n) => *n,
        Prim::Str(s) => string_to_number(s),
    }
}

/// Loose equality `a == b`. Two objects are never equal (they would have to
/// be the same object).
pub fn loose_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    let is_obj = |v: Option<&Value>| matches!(v, Some(Value::Array(_)) | Some(Value::Object(_)));
    if is_obj(a) && is_obj(b) {
        return false;
    }
    let (pa, pb) = (to_primitive(a), to_primitive(b));
    match (&pa, &pb) {
        (Prim::Undefined | Prim::Null, Prim::Undefined | Prim::Null) => true,
        (Prim::Undefined | Prim::Null, _) | (_, Prim::Undefined | Prim::Null) => false,
        (Prim::Str(x), Prim::Str(y)) => x == y,
        (Prim::Bool(x), Prim::Bool(y)) => x == y,
        _ => prim_number(&pa) == prim_number(&pb),
    }
}

/// Relational comparison `a < b` (`Some(ordering)` or `None` when NaN is involved).
pub fn compare(a: Option<&Value>, b: Option<&Value>) -> Option<std::cmp::Ordering> {
    let (pa, pb) = (to_primitive(a), to_primitive(b));
    if let (Prim::Str(x), Prim::Str(y)) = (&pa, &pb) {
        // JavaScript compares UTF-16 code units.
        return Some(x.encode_utf16().cmp(y.encode_utf16()));
    }
    prim_number(&pa).partial_cmp(&prim_number(&pb))
}

/// `a < b`.
pub fn lt(a: Option<&Value>, b: Option<&Value>) -> bool {
    compare(a, b) == Some(std::cmp::Ordering::Less)
}

/// `a <= b`.
pub fn lte(a: Option<&Value>, b: Option<&Value>) -> bool {
    matches!(
        compare(a, b),
        Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
    )
}

/// `a > b`.
pub fn gt(a: Option<&Value>, b: Option<&Value>) -> bool {
    lt(b, a)
}

/// `a >= b`.
pub fn gte(a: Option<&Value>, b: Option<&Value>) -> bool {
    lte(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_print_like_javascript() {
        assert_eq!(format_number(1.5), "1.5");
        assert_eq!(format_number(100.0), "100");
        assert_eq!(format_number(1e21), "1e+21");
        assert_eq!(format_number(1.5e-7), "1.5e-7");
        assert_eq!(format_number(0.000001), "0.000001");
        assert_eq!(format_number(-0.1), "-0.1");
        assert_eq!(format_number(123456789012.0), "123456789012");
        assert_eq!(number(3.0), json!(3));
        assert_eq!(number(f64::NAN), Value::Null);
    }

    #[test]
    fn string_to_number_like_javascript() {
        assert_eq!(string_to_number(" 12 "), 12.0);
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("0x10"), 16.0);
        assert!(string_to_number("12px").is_nan());
        assert!(string_to_number("abc").is_nan());
        assert_eq!(parse_float(Some(&json!("12px"))), 12.0);
        assert_eq!(parse_float(Some(&json!("1e3x"))), 1000.0);
        assert!(parse_float(Some(&json!("x1"))).is_nan());
    }

    #[test]
    fn loose_equality() {
        assert!(loose_eq(Some(&json!("1")), Some(&json!(1))));
        assert!(loose_eq(Some(&json!(true)), Some(&json!(1))));
        assert!(loose_eq(None, Some(&Value::Null)));
        assert!(!loose_eq(Some(&Value::Null), Some(&json!(0))));
        assert!(loose_eq(Some(&json!([1, 2])), Some(&json!("1,2"))));
        assert!(!loose_eq(Some(&json!({})), Some(&json!({}))));
        assert!(!loose_eq(Some(&json!("a")), Some(&json!(0))));
    }

    #[test]
    fn relational_comparison() {
        assert!(!lt(Some(&json!("10")), Some(&json!(9))));
        assert!(
            lt(Some(&json!("10")), Some(&json!("9"))),
            "string comparison"
        );
        assert!(
            !lt(Some(&json!("x")), Some(&json!(1))) && !gte(Some(&json!("x")), Some(&json!(1)))
        );
        assert!(lte(Some(&Value::Null), Some(&json!(0))));
        assert!(!lt(None, Some(&json!(1))));
    }
}
