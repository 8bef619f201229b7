//! JavaScript's value semantics on JSON values, where Node-RED's nodes rely on
//! them: `String(v)`, `Number(v)`, loose `==` and relational comparison,
//! truthiness and number formatting, on top of the script library's number
//! rules ([`crate::jslib::number`]). `None` stands for `undefined`.

use std::borrow::Cow;

use serde_json::{Number, Value};

// The scalar rules (printing and parsing numbers) are the script library's,
// so nodes and scripts never disagree on what `Number("0x1f")` is.
use crate::jslib::number;
use crate::jslib::prim::Prim;

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

/// The value as the primitive rules see it: strings borrowed, arrays and
/// objects not yet converted.
fn kind(v: Option<&Value>) -> Prim<Cow<'_, str>> {
    match v {
        None => Prim::Undefined,
        Some(Value::Null) => Prim::Null,
        Some(Value::Bool(b)) => Prim::Bool(*b),
        Some(Value::Number(n)) => Prim::Num(n.as_f64().unwrap_or(f64::NAN)),
        Some(Value::String(s)) => Prim::Str(Cow::Borrowed(s)),
        Some(Value::Array(_) | Value::Object(_)) => Prim::Object,
    }
}

/// `ToPrimitive(v)`: arrays and objects become their string form (a JSON
/// value holds no dates, so the hint changes nothing).
fn to_primitive(v: Option<&Value>) -> Prim<Cow<'_, str>> {
    match v {
        Some(other @ (Value::Array(_) | Value::Object(_))) => {
            Prim::Str(Cow::Owned(to_js_string(Some(other))))
        }
        _ => kind(v),
    }
}

/// `String(v)`.
pub fn to_js_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::Null => String::new(),
                other => to_js_string(Some(other)),
            })
            .collect::<Vec<_>>()
            .join(","),
        _ => kind(v).to_js_string().into_owned(),
    }
}

/// A JSON number printed as JavaScript prints it. A JSON integer past 2^53
/// prints as the double V8 reads it as (`12345678901234567890` prints
/// `12345678901234567000`).
pub fn number_to_string(n: &Number) -> String {
    number::fmt(n.as_f64().unwrap_or(f64::NAN))
}

/// `Number(v)`.
pub fn to_number(v: Option<&Value>) -> f64 {
    to_primitive(v).to_number()
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
    kind(v).truthy()
}

/// `typeof v` for JSON values.
pub fn type_of(v: Option<&Value>) -> &'static str {
    kind(v).type_of()
}

/// Loose equality `a == b`. Two objects are never equal (they would have to
/// be the same object).
pub fn loose_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    let (ka, kb) = (kind(a), kind(b));
    if matches!((&ka, &kb), (Prim::Object, Prim::Object)) {
        return false;
    }
    to_primitive(a).loose_eq(&to_primitive(b))
}

/// Strict equality `a === b` (`None` is `undefined`). Two objects are
/// never identical: they would have to be the same object.
pub fn strict_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        (Some(Value::Object(_) | Value::Array(_)), _)
        | (_, Some(Value::Object(_) | Value::Array(_))) => false,
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Relational comparison `a < b` (`Some(ordering)` or `None` when NaN is involved).
pub fn compare(a: Option<&Value>, b: Option<&Value>) -> Option<std::cmp::Ordering> {
    to_primitive(a).compare(&to_primitive(b))
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
    fn integers_past_2_pow_53_print_as_v8_reads_them() {
        // V8 holds a JSON integer as a double: String(12345678901234567890)
        // is "12345678901234567000", as in a function body.
        assert_eq!(
            to_js_string(Some(&json!(12_345_678_901_234_567_890u64))),
            "12345678901234567000"
        );
        assert_eq!(
            number_to_string(&Number::from(9_007_199_254_740_993i64)),
            "9007199254740992"
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
