//! JavaScript's rules on primitive values, written once: truthiness,
//! `typeof`, `ToNumber`, `String(v)`, loose equality and relational
//! comparison. Both value models map into [`Prim`]: JSON values (what the
//! switch, change, template and delay nodes compare, [`crate::jsvalue`]) and
//! Rhai values (what translated function bodies compute,
//! [`super::ops`]), so a node and a script never disagree on `"1" == 1`.
//!
//! Objects are each model's business: a model maps an object to
//! [`Prim::Object`] for truthiness and `typeof`, and runs its own
//! `ToPrimitive` (arrays join, dates print or give their time) before asking
//! for `==`, `<` or `ToNumber`.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::number;

/// A JavaScript value as far as the primitive rules see it. `S` is the
/// model's string type (a borrowed `&str`, a `Cow`, Rhai's shared string),
/// so mapping a value in never copies its text.
#[derive(Clone, Debug)]
pub enum Prim<S> {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(S),
    /// Any object not yet converted by the model's `ToPrimitive`.
    Object,
}

/// The hint `ToPrimitive` is asked with: `==` and `+` ask for the default
/// (a date gives its string), relational operators for a number (a date
/// gives its time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hint {
    Default,
    Number,
}

impl<S: AsRef<str>> Prim<S> {
    /// JavaScript truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            Prim::Undefined | Prim::Null => false,
            Prim::Bool(b) => *b,
            Prim::Num(n) => *n != 0.0 && !n.is_nan(),
            Prim::Str(s) => !s.as_ref().is_empty(),
            Prim::Object => true,
        }
    }

    /// `typeof v` (functions are objects here; a model with callables
    /// answers `"function"` itself).
    pub fn type_of(&self) -> &'static str {
        match self {
            Prim::Undefined => "undefined",
            Prim::Null | Prim::Object => "object",
            Prim::Bool(_) => "boolean",
            Prim::Num(_) => "number",
            Prim::Str(_) => "string",
        }
    }

    /// `ToNumber(v)`. An unconverted object has no number (`NaN`, as a
    /// plain object's `"[object Object]"` gives).
    pub fn to_number(&self) -> f64 {
        match self {
            Prim::Undefined | Prim::Object => f64::NAN,
            Prim::Null => 0.0,
            Prim::Bool(b) => f64::from(u8::from(*b)),
            Prim::Num(n) => *n,
            Prim::Str(s) => number::parse_number(s.as_ref()),
        }
    }

    /// `String(v)` of a primitive; an unconverted object prints as a plain
    /// object does.
    pub fn to_js_string(&self) -> Cow<'_, str> {
        match self {
            Prim::Undefined => "undefined".into(),
            Prim::Null => "null".into(),
            Prim::Bool(true) => "true".into(),
            Prim::Bool(false) => "false".into(),
            Prim::Num(n) => number::fmt(*n).into(),
            Prim::Str(s) => s.as_ref().into(),
            Prim::Object => "[object Object]".into(),
        }
    }

    /// Loose equality `a == b` between primitives (the Abstract Equality
    /// Comparison once objects are converted). Two unconverted objects are
    /// never equal: identity is the model's to check.
    pub fn loose_eq<T: AsRef<str>>(&self, other: &Prim<T>) -> bool {
        match (self, other) {
            (Prim::Undefined | Prim::Null, Prim::Undefined | Prim::Null) => true,
            (Prim::Undefined | Prim::Null, _) | (_, Prim::Undefined | Prim::Null) => false,
            (Prim::Object, _) | (_, Prim::Object) => false,
            (Prim::Str(x), Prim::Str(y)) => x.as_ref() == y.as_ref(),
            (Prim::Bool(x), Prim::Bool(y)) => x == y,
            _ => self.to_number() == other.to_number(),
        }
    }

    /// Relational comparison (`<`, `<=`, `>`, `>=`) between primitives:
    /// two strings compare by UTF-16 code units, anything else as numbers;
    /// `None` when NaN is involved.
    pub fn compare<T: AsRef<str>>(&self, other: &Prim<T>) -> Option<Ordering> {
        if let (Prim::Str(x), Prim::Str(y)) = (self, other) {
            return Some(super::ops::utf16_cmp(x.as_ref(), y.as_ref()));
        }
        self.to_number().partial_cmp(&other.to_number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type P = Prim<&'static str>;

    #[test]
    fn truthiness_and_typeof() {
        for (p, t) in [
            (P::Undefined, false),
            (P::Null, false),
            (P::Num(f64::NAN), false),
            (P::Num(-0.0), false),
            (P::Str(""), false),
            (P::Str("0"), true),
            (P::Object, true),
        ] {
            assert_eq!(p.truthy(), t, "{p:?}");
        }
        assert_eq!(P::Null.type_of(), "object");
        assert_eq!(P::Num(1.0).type_of(), "number");
    }

    #[test]
    fn loose_equality_and_comparison() {
        assert!(P::Str("1").loose_eq(&P::Num(1.0)));
        assert!(P::Bool(true).loose_eq(&P::Str("1")));
        assert!(P::Undefined.loose_eq(&P::Null));
        assert!(!P::Null.loose_eq(&P::Num(0.0)));
        assert!(!P::Num(f64::NAN).loose_eq(&P::Num(f64::NAN)));
        assert_eq!(P::Null.compare(&P::Num(0.0)), Some(Ordering::Equal));
        assert_eq!(P::Str("10").compare(&P::Str("9")), Some(Ordering::Less));
        assert_eq!(P::Str("x").compare(&P::Num(1.0)), None);
        // UTF-16 order: a surrogate pair sorts below U+FFFF, as in V8.
        assert_eq!(
            P::Str("\u{1F600}").compare(&P::Str("\u{FFFF}")),
            Some(Ordering::Less)
        );
    }
}
