//! JavaScript's value semantics on JSON values, where Node-RED's nodes rely on
//! them: `String(v)`, `Number(v)`, loose `==` and relational comparison,
//! truthiness and number formatting, on top of the script library's number
//! rules ([`crate::jslib::number`]). `None` stands for `undefined`.

use serde_json::{Number, Value};

// The scalar rules (printing and parsing numbers) are the script library's,
// so nodes and scripts never disagree on what `Number("0x1f")` is.
use crate::jslib::number;

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
    number::fmt(n.as_f64().unwrap_or(f64::NAN))
}

/// `Number(v)`.
pub fn to_number(v: Option<&Value>) -> f64 {
    match v {
        None => f64::NAN,
        Some(Value::Null) => 0.0,
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::String(s)) => number::parse_number(s),
        Some(arr @ Value::Array(_)) => number::parse_number(&to_js_string(Some(arr))),
        Some(Value::Object(_)) => f64::NAN,
    }
}

/// `parseFloat(v)`: the longest numeric prefix of `String(v)`.
pub fn parse_float(v: Option<&Value>) -> f64 {
    if let Some(Value::Number(n)) = v {
        return n.as_f64().unwrap_or(f64::NAN);
    }
    number::parse_float(&to_js_string(v))
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
        Prim::Str(s) => number::parse_number(s),
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
        assert_eq!(number::fmt(1.5), "1.5");
        assert_eq!(number::fmt(100.0), "100");
        assert_eq!(number::fmt(1e21), "1e+21");
        assert_eq!(number::fmt(1.5e-7), "1.5e-7");
        assert_eq!(number::fmt(0.000001), "0.000001");
        assert_eq!(number::fmt(-0.1), "-0.1");
        assert_eq!(number::fmt(123456789012.0), "123456789012");
        assert_eq!(number(3.0), json!(3));
        assert_eq!(number(f64::NAN), Value::Null);
    }

    #[test]
    fn string_to_number_like_javascript() {
        let n = |s: &str| to_number(Some(&json!(s)));
        assert_eq!(n(" 12 "), 12.0);
        assert_eq!(n(""), 0.0);
        assert_eq!(n("0x10"), 16.0);
        assert!(n("12px").is_nan());
        assert!(n("abc").is_nan());
        // Past u64: V8 gives 18446744073709552000, as the script library
        // does; nodes and scripts now share the one rule.
        assert_eq!(n("0x10000000000000000"), 18_446_744_073_709_551_616.0);
        assert_eq!(
            number::fmt(n("0x10000000000000000")),
            "18446744073709552000"
        );
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
