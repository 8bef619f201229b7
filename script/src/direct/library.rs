//! Operators, property access, methods and global functions of a direct
//! run. Each covers the cases whose result is plain; the rest are a
//! [`Bail`] and go to the engine, whose library covers everything.

use std::cmp::Ordering;
use std::sync::Arc;

use flowgate_runtime::js_value::array_index;
use oxc_ast::ast::BinaryOperator;

use super::compile::Ex;
use super::value::{self, loose_eq, same_value_zero, strict_eq, Bail, R, V};
use super::Frame;
use crate::jslib::{number, ops, strings};

/// Elements an array may reach in a direct run.
const MAX_LEN: usize = 1 << 20;

/// A property of `o`.
pub fn get(o: &V, key: &str) -> R<V> {
    match o {
        V::Obj(obj) => match obj.borrow().props.get(key) {
            Some(v) => Ok(v.clone()),
            None if value::INHERITED.contains(&key) => Err(Bail),
            None => Ok(V::Undef),
        },
        V::Arr(a) => {
            let a = a.borrow();
            if key == "length" {
                return Ok(V::Num(a.len() as f64));
            }
            let i = array_index(key).ok_or(Bail)?;
            Ok(a.get(i as usize).cloned().unwrap_or_default())
        }
        V::Str(s) => {
            if !s.is_ascii() {
                return match key {
                    "length" => Ok(V::Num(ops::utf16_len(s) as f64)),
                    _ => Err(Bail),
                };
            }
            if key == "length" {
                return Ok(V::Num(s.len() as f64));
            }
            let i = array_index(key).ok_or(Bail)? as usize;
            Ok(s.get(i..=i).map(V::str).unwrap_or_default())
        }
        _ => Err(Bail),
    }
}

/// `o[k]`: an array indexed by a number is read without making a key.
pub fn get_computed(o: &V, k: &V) -> R<V> {
    if let (V::Arr(a), V::Num(n)) = (o, k) {
        if n.fract() == 0.0 && *n >= 0.0 {
            return Ok(a.borrow().get(*n as usize).cloned().unwrap_or_default());
        }
    }
    get(o, &k.to_key()?)
}

/// Set a property of `o`.
pub fn set(o: &V, key: Arc<str>, v: V) -> R<()> {
    match o {
        V::Obj(obj) if &*key != "__proto__" => {
            obj.borrow_mut().set(key, v);
            Ok(())
        }
        V::Arr(a) => {
            let i = array_index(&key).ok_or(Bail)? as usize;
            let mut a = a.borrow_mut();
            match i.cmp(&a.len()) {
                Ordering::Less => a[i] = v,
                Ordering::Equal if i < MAX_LEN => a.push(v),
                _ => return Err(Bail),
            }
            Ok(())
        }
        _ => Err(Bail),
    }
}

/// `delete o[key]` on a plain object.
pub fn delete(o: &V, key: &str) -> R<V> {
    match o {
        V::Obj(obj) => {
            obj.borrow_mut().props.shift_remove(key);
            Ok(V::Bool(true))
        }
        _ => Err(Bail),
    }
}

/// An operator applied to its operands' values.
pub type Binary = fn(&mut Frame<'_>, &V, &V) -> R<V>;

/// The operator `op`, chosen when compiling: each takes two numbers
/// without looking further (a counter's test, arithmetic on counters) and
/// hands anything else to [`binary`].
pub fn binary_op(op: BinaryOperator) -> Option<Binary> {
    use BinaryOperator as B;
    macro_rules! on_numbers {
        ($op:expr, |$x:ident, $y:ident| $e:expr) => {
            |f, a, b| match (a, b) {
                (V::Num($x), V::Num($y)) => $e,
                _ => binary(f, $op, a, b),
            }
        };
    }
    Some(match op {
        B::Addition => on_numbers!(B::Addition, |x, y| num(x + y)),
        B::Subtraction => on_numbers!(B::Subtraction, |x, y| num(x - y)),
        B::Multiplication => on_numbers!(B::Multiplication, |x, y| num(x * y)),
        B::Division => on_numbers!(B::Division, |x, y| num(x / y)),
        B::Remainder => on_numbers!(B::Remainder, |x, y| num(remainder(*x, *y))),
        B::LessThan => on_numbers!(B::LessThan, |x, y| Ok(V::Bool(x < y))),
        B::LessEqualThan => on_numbers!(B::LessEqualThan, |x, y| Ok(V::Bool(x <= y))),
        B::GreaterThan => on_numbers!(B::GreaterThan, |x, y| Ok(V::Bool(x > y))),
        B::GreaterEqualThan => on_numbers!(B::GreaterEqualThan, |x, y| Ok(V::Bool(x >= y))),
        B::StrictEquality => |_, a, b| Ok(V::Bool(strict_eq(a, b))),
        B::StrictInequality => |_, a, b| Ok(V::Bool(!strict_eq(a, b))),
        B::Exponential => |f, a, b| binary(f, B::Exponential, a, b),
        B::Equality => |f, a, b| binary(f, B::Equality, a, b),
        B::Inequality => |f, a, b| binary(f, B::Inequality, a, b),
        _ => return None,
    })
}

/// A number an operator made; `-0` goes to the engine, which keeps
/// integers apart from doubles and so does not always make it.
fn num(n: f64) -> R<V> {
    if n == 0.0 && n.is_sign_negative() {
        return Err(Bail);
    }
    Ok(V::Num(n))
}

pub fn binary(f: &mut Frame<'_>, op: BinaryOperator, a: &V, b: &V) -> R<V> {
    use BinaryOperator as B;
    let compare = |a: &V, b: &V| -> R<Option<Ordering>> {
        Ok(match (a, b) {
            (V::Str(x), V::Str(y)) => Some(ops::utf16_cmp(x, y)),
            _ => a.to_number()?.partial_cmp(&b.to_number()?),
        })
    };
    Ok(match op {
        B::Addition => return add(f, a, b),
        B::Subtraction => return num(a.to_number()? - b.to_number()?),
        B::Multiplication => return num(a.to_number()? * b.to_number()?),
        B::Division => return num(a.to_number()? / b.to_number()?),
        B::Remainder => return num(remainder(a.to_number()?, b.to_number()?)),
        B::Exponential => {
            let (x, y) = (a.to_number()?, b.to_number()?);
            if y.is_nan() || (x.abs() == 1.0 && y.is_infinite()) {
                V::Num(f64::NAN)
            } else {
                return num(x.powf(y));
            }
        }
        B::LessThan => V::Bool(compare(a, b)? == Some(Ordering::Less)),
        B::GreaterThan => V::Bool(compare(a, b)? == Some(Ordering::Greater)),
        B::LessEqualThan => V::Bool(matches!(
            compare(a, b)?,
            Some(Ordering::Less | Ordering::Equal)
        )),
        B::GreaterEqualThan => V::Bool(matches!(
            compare(a, b)?,
            Some(Ordering::Greater | Ordering::Equal)
        )),
        B::StrictEquality => V::Bool(strict_eq(a, b)),
        B::StrictInequality => V::Bool(!strict_eq(a, b)),
        B::Equality => V::Bool(loose_eq(a, b)?),
        B::Inequality => V::Bool(!loose_eq(a, b)?),
        _ => return Err(Bail),
    })
}

/// `x % y`: whole non-negative operands (a loop counter's, usually) take
/// the integer remainder, which is the same number without a call to fmod.
fn remainder(x: f64, y: f64) -> f64 {
    const EXACT: f64 = flowgate_runtime::js_value::MAX_SAFE;
    // (`-0 % y` is `-0`: not a counter's.)
    let counter =
        |n: f64| value::whole(n).filter(|_| n.is_sign_positive() && (0.0..EXACT).contains(&n));
    match (counter(x), counter(y)) {
        (Some(a), Some(b)) if b > 0 => (a % b) as f64,
        _ => x % y,
    }
}

/// `a + b` on primitives.
fn add(f: &mut Frame<'_>, a: &V, b: &V) -> R<V> {
    match (a, b) {
        (V::Num(x), V::Num(y)) => num(x + y),
        (V::Str(_), _) | (_, V::Str(_)) => {
            let mut s = String::new();
            a.push_str(&mut s)?;
            b.push_str(&mut s)?;
            f.made(s)
        }
        _ => num(a.to_number()? + b.to_number()?),
    }
}

/// An operand (a term of a sum, a side of a comparison): variables and
/// literals are read in place, without a call or a copy of their value.
pub enum Term {
    Local(usize),
    Text(Arc<str>),
    Num(f64),
    /// A case change of a variable (`key.toUpperCase()`): in a sum it is
    /// written straight into the sum's buffer, never made as a string of
    /// its own.
    Case(usize, Case),
    Expr(Ex),
}

/// The case a [`Term::Case`] changes its text to.
#[derive(Clone, Copy)]
pub enum Case {
    Upper,
    Lower,
}

impl Case {
    /// The case a method without arguments changes a string to.
    pub fn of_method(name: &str) -> Option<Case> {
        match name {
            "toUpperCase" | "toLocaleUpperCase" => Some(Case::Upper),
            "toLowerCase" | "toLocaleLowerCase" => Some(Case::Lower),
            _ => None,
        }
    }

    /// The method that changes text to it, for text that is not ASCII.
    fn method(self) -> &'static str {
        match self {
            Case::Upper => "toUpperCase",
            Case::Lower => "toLowerCase",
        }
    }
}

impl Term {
    pub fn value(&self, f: &mut Frame<'_>) -> R<V> {
        match self {
            Term::Local(s) => Ok(f.slots[*s].clone()),
            Term::Text(t) => Ok(V::Str(t.clone())),
            Term::Num(n) => Ok(V::Num(*n)),
            Term::Case(..) => {
                let mut buf = f.text_buffer();
                self.push_str(f, &mut buf)?;
                f.made_from_buffer(buf)
            }
            Term::Expr(e) => e(f),
        }
    }

    fn is_text(&self, f: &Frame<'_>) -> bool {
        match self {
            Term::Local(s) | Term::Case(s, _) => matches!(f.slots[*s], V::Str(_)),
            Term::Text(_) => true,
            Term::Num(_) | Term::Expr(_) => false,
        }
    }

    #[inline]
    fn push_str(&self, f: &mut Frame<'_>, out: &mut String) -> R<()> {
        match self {
            Term::Local(s) => f.slots[*s].push_str(out),
            Term::Text(t) => {
                out.push_str(t);
                Ok(())
            }
            Term::Num(n) => value::push_number(*n, out),
            Term::Case(s, case) => match &f.slots[*s] {
                V::Str(s) => push_case(s, *case, out),
                // The method exists on strings only.
                _ => Err(Bail),
            },
            Term::Expr(e) => e(f)?.push_str(out),
        }
    }
}

/// Append `s` in `case`: ASCII byte by byte, other text by Unicode's
/// rules.
fn push_case(s: &str, case: Case, out: &mut String) -> R<()> {
    if s.is_ascii() {
        let start = out.len();
        out.push_str(s);
        match case {
            Case::Upper => out[start..].make_ascii_uppercase(),
            Case::Lower => out[start..].make_ascii_lowercase(),
        }
    } else {
        out.push_str(&strings::text_method(s, case.method()).ok_or(Bail)?);
    }
    Ok(())
}

/// `t0 + t1 + t2 ...`, added left to right: numbers while both sides are
/// numbers, and from the first string on, every further term joined into
/// one buffer (as the string it is, `acc + t` being a string whenever
/// `acc` is). The buffer is one of the frame's, reused from one sum to the
/// next.
pub fn sum(terms: Vec<Term>) -> Ex {
    if matches!(terms.first(), Some(Term::Text(_))) {
        // A sum that starts with a string literal is a string throughout:
        // every term is joined as it comes.
        return Box::new(move |f| {
            let mut s = f.text_buffer();
            for t in &terms {
                t.push_str(f, &mut s)?;
            }
            f.made_from_buffer(s)
        });
    }
    Box::new(move |f| {
        let mut acc = None;
        let mut text: Option<String> = None;
        for (i, t) in terms.iter().enumerate() {
            if let Some(s) = &mut text {
                t.push_str(f, s)?;
                continue;
            }
            // A string from the start: no value is taken at all. (Only when
            // the first term is read without side effects, which could
            // change what the second holds.)
            if i == 0
                && !matches!(t, Term::Expr(_))
                && terms.len() > 1
                && (t.is_text(f) || terms[1].is_text(f))
            {
                let mut s = f.text_buffer();
                t.push_str(f, &mut s)?;
                text = Some(s);
                continue;
            }
            let v = t.value(f)?;
            match acc.take() {
                None => acc = Some(v),
                Some(a) if matches!(a, V::Str(_)) || matches!(v, V::Str(_)) => {
                    let mut s = f.text_buffer();
                    a.push_str(&mut s)?;
                    v.push_str(&mut s)?;
                    text = Some(s);
                }
                Some(a) => acc = Some(add(f, &a, &v)?),
            }
        }
        match text {
            Some(s) => f.made_from_buffer(s),
            None => acc.ok_or(Bail),
        }
    })
}

/// A global function (`ns` empty) or one of a namespace object.
pub type Global = fn(&mut Frame<'_>, &[V]) -> R<V>;

fn arg(args: &[V], i: usize) -> &V {
    args.get(i).unwrap_or(&V::Undef)
}

fn math(args: &[V], f: fn(f64) -> f64) -> R<V> {
    Ok(V::Num(f(arg(args, 0).to_number()?)))
}

pub fn global(ns: &str, name: &str) -> Option<Global> {
    Some(match (ns, name) {
        ("JSON", "stringify") => |f, args| {
            if args.len() > 1 && args[1..].iter().any(|a| !matches!(a, V::Undef)) {
                return Err(Bail);
            }
            match value::stringify(arg(args, 0))? {
                Some(s) => f.made(s),
                None => Ok(V::Undef),
            }
        },
        ("JSON", "parse") => |f, args| {
            let (V::Str(s), None) = (arg(args, 0), args.get(1)) else {
                return Err(Bail);
            };
            let v: serde_json::Value = serde_json::from_str(s).map_err(|_| Bail)?;
            f.heap.convert(&v, 0)
        },
        ("Object", "keys") => |f, args| {
            let keys = own_keys(arg(args, 0))?;
            f.heap.arr(keys.into_iter().map(V::Str).collect())
        },
        ("Object", "values") => |f, args| {
            let V::Obj(o) = arg(args, 0) else {
                return Err(Bail);
            };
            let values = o.borrow().entries().map(|(_, v)| v.clone()).collect();
            f.heap.arr(values)
        },
        ("Array", "isArray") => |_, args| Ok(V::Bool(matches!(arg(args, 0), V::Arr(_)))),
        ("Math", "floor") => |_, a| math(a, f64::floor),
        ("Math", "ceil") => |_, a| math(a, f64::ceil),
        ("Math", "abs") => |_, a| math(a, f64::abs),
        ("Math", "trunc") => |_, a| math(a, f64::trunc),
        ("Math", "sqrt") => |_, a| math(a, f64::sqrt),
        ("Math", "round") => |_, a| math(a, |x| if x.is_finite() { (x + 0.5).floor() } else { x }),
        ("Math", "max") => |_, a| extreme(a, f64::NEG_INFINITY, Ordering::Greater),
        ("Math", "min") => |_, a| extreme(a, f64::INFINITY, Ordering::Less),
        ("", "String") => |_, args| match args.first() {
            None => Ok(V::str("")),
            Some(v) => v.to_str().map(V::Str),
        },
        ("", "Number") => |_, args| match args.first() {
            None => Ok(V::Num(0.0)),
            Some(v) => v.to_number().map(V::Num),
        },
        ("", "Boolean") => |_, args| Ok(V::Bool(arg(args, 0).truthy())),
        ("", "isNaN") => |_, args| Ok(V::Bool(arg(args, 0).to_number()?.is_nan())),
        ("", "parseFloat") => |_, args| Ok(V::Num(number::parse_float(&arg(args, 0).to_str()?))),
        ("", "parseInt") => |_, args| {
            let radix = match arg(args, 1) {
                V::Undef => None,
                V::Num(n) if n.fract() == 0.0 => Some(*n as i64),
                _ => return Err(Bail),
            };
            Ok(V::Num(number::parse_int(&arg(args, 0).to_str()?, radix)))
        },
        _ => return None,
    })
}

/// `Math.max`/`Math.min`.
fn extreme(args: &[V], start: f64, keep: Ordering) -> R<V> {
    let mut best = start;
    for a in args {
        let n = a.to_number()?;
        if n.is_nan() {
            return Ok(V::Num(f64::NAN));
        }
        if n.partial_cmp(&best) == Some(keep) {
            best = n;
        }
    }
    Ok(V::Num(best))
}

/// `Object.keys(v)` of an object or array.
fn own_keys(v: &V) -> R<Vec<Arc<str>>> {
    match v {
        V::Obj(o) => Ok(o.borrow().keys()),
        V::Arr(a) => Ok((0..a.borrow().len())
            .map(|i| Arc::from(i.to_string()))
            .collect()),
        _ => Err(Bail),
    }
}

/// `recv.name(args)`.
pub fn method(f: &mut Frame<'_>, recv: &V, name: &str, args: &[V]) -> R<V> {
    match recv {
        V::Str(s) => string_method(f, s, name, args),
        V::Arr(a) => array_method(f, a, name, args),
        V::Num(n) => match (name, args) {
            ("toString", []) => f.made(number::fmt(*n)),
            ("toFixed", [V::Num(d)]) if d.fract() == 0.0 && (0.0..=100.0).contains(d) => {
                f.made(number::to_fixed(*n, *d as usize))
            }
            _ => Err(Bail),
        },
        _ => Err(Bail),
    }
}

/// A string argument (strings only: converting anything else is the
/// engine's).
fn text(args: &[V], i: usize) -> R<&Arc<str>> {
    match args.get(i) {
        Some(V::Str(s)) => Ok(s),
        _ => Err(Bail),
    }
}

/// An integer argument, `default` when absent.
fn int(args: &[V], i: usize, default: i64) -> R<i64> {
    match args.get(i) {
        None | Some(V::Undef) => Ok(default),
        Some(V::Num(n)) if n.fract() == 0.0 => Ok(*n as i64),
        _ => Err(Bail),
    }
}

/// A relative index (negative counts from the end), clamped to `0..=len`.
fn relative(i: i64, len: usize) -> usize {
    let len = len as i64;
    (if i < 0 { (len + i).max(0) } else { i.min(len) }) as usize
}

fn string_method(f: &mut Frame<'_>, s: &Arc<str>, name: &str, args: &[V]) -> R<V> {
    // Case changes are made in the frame's buffer: the string is
    // allocated once, as the value it becomes.
    if let (Some(case), []) = (Case::of_method(name), args) {
        let mut buf = f.text_buffer();
        push_case(s, case, &mut buf)?;
        return f.made_from_buffer(buf);
    }
    if let Some(out) = strings::text_method(s, name) {
        return if args.is_empty() {
            f.made(out)
        } else {
            Err(Bail)
        };
    }
    // What follows indexes by byte, which is JavaScript's UTF-16 index for
    // ASCII text only.
    let ascii = s.is_ascii();
    match name {
        "includes" | "startsWith" | "endsWith" if args.len() == 1 => {
            let t = text(args, 0)?;
            Ok(V::Bool(match name {
                "includes" => s.contains(&**t),
                "startsWith" => s.starts_with(&**t),
                _ => s.ends_with(&**t),
            }))
        }
        "indexOf" if args.len() == 1 && ascii => {
            let t = text(args, 0)?;
            Ok(V::Num(s.find(&**t).map_or(-1.0, |i| i as f64)))
        }
        "slice" if ascii => {
            let from = relative(int(args, 0, 0)?, s.len());
            let to = relative(int(args, 1, s.len() as i64)?, s.len());
            f.made(s.get(from..to.max(from)).unwrap_or_default().to_owned())
        }
        "substring" if ascii => {
            let clamp = |i: i64| i.clamp(0, s.len() as i64) as usize;
            let (a, b) = (
                clamp(int(args, 0, 0)?),
                clamp(int(args, 1, s.len() as i64)?),
            );
            f.made(s[a.min(b)..a.max(b)].to_owned())
        }
        "charAt" if ascii => {
            let i = int(args, 0, 0)?;
            let c = usize::try_from(i).ok().and_then(|i| s.get(i..=i));
            f.made(c.unwrap_or_default().to_owned())
        }
        "split" if args.len() == 1 => {
            let sep = text(args, 0)?;
            if sep.is_empty() {
                return Err(Bail);
            }
            let parts: Vec<V> = s.split(&**sep).map(V::str).collect();
            f.heap.arr(parts)
        }
        "replace" | "replaceAll" if args.len() == 2 => {
            let (pat, rep) = (text(args, 0)?, text(args, 1)?);
            if rep.contains('$') || (name == "replaceAll" && pat.is_empty()) {
                return Err(Bail);
            }
            let out = if name == "replace" {
                s.replacen(&**pat, rep, 1)
            } else {
                s.replace(&**pat, rep)
            };
            f.made(out)
        }
        "repeat" if args.len() == 1 => {
            let n = usize::try_from(int(args, 0, 0)?).map_err(|_| Bail)?;
            if s.len().saturating_mul(n) > super::MAX_BYTES {
                return Err(Bail);
            }
            f.made(s.repeat(n))
        }
        "padStart" | "padEnd" if ascii => {
            let fill = match args.get(1) {
                None | Some(V::Undef) => " ",
                Some(V::Str(t)) if t.is_ascii() => t,
                _ => return Err(Bail),
            };
            let want = usize::try_from(int(args, 0, 0)?).unwrap_or(0);
            if want <= s.len() || fill.is_empty() {
                return f.made(s.to_string());
            }
            if want > super::MAX_BYTES {
                return Err(Bail);
            }
            let pad: String = fill.chars().cycle().take(want - s.len()).collect();
            f.made(if name == "padStart" {
                pad + &**s
            } else {
                s.to_string() + pad.as_str()
            })
        }
        "concat" => {
            let mut out = s.to_string();
            for a in args {
                a.push_str(&mut out)?;
            }
            f.made(out)
        }
        _ => Err(Bail),
    }
}

/// `recv.push(v)`: the item is moved in, not copied from an argument
/// list.
pub fn push_one(f: &mut Frame<'_>, recv: &V, v: V) -> R<V> {
    match recv {
        V::Arr(a) => {
            let mut items = a.borrow_mut();
            if items.len() >= MAX_LEN {
                return Err(Bail);
            }
            items.push(v);
            Ok(V::Num(items.len() as f64))
        }
        other => method(f, other, "push", &[v]),
    }
}

fn array_method(f: &mut Frame<'_>, a: &value::ArrRef, name: &str, args: &[V]) -> R<V> {
    match name {
        "push" => {
            let mut items = a.borrow_mut();
            if items.len() + args.len() > MAX_LEN {
                return Err(Bail);
            }
            items.extend(args.iter().cloned());
            Ok(V::Num(items.len() as f64))
        }
        "pop" if args.is_empty() => Ok(a.borrow_mut().pop().unwrap_or_default()),
        "join" => {
            let sep = match args.first() {
                None | Some(V::Undef) => ",",
                Some(V::Str(s)) => s,
                _ => return Err(Bail),
            };
            let items = a.borrow();
            // Sized for the strings among the items, in one allocation
            // (no larger than a run may make).
            let text: usize = items
                .iter()
                .map(|v| match v {
                    V::Str(s) => s.len(),
                    _ => 0,
                })
                .sum();
            let seps = sep.len().saturating_mul(items.len());
            let mut out = String::with_capacity(text.saturating_add(seps).min(super::MAX_BYTES));
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                if !item.is_nullish() {
                    item.push_str(&mut out)?;
                }
                if out.len() > super::MAX_BYTES {
                    return Err(Bail);
                }
            }
            f.made(out)
        }
        "includes" if args.len() == 1 => {
            let found = a.borrow().iter().any(|x| same_value_zero(x, &args[0]));
            Ok(V::Bool(found))
        }
        "indexOf" if args.len() == 1 => {
            let found = a.borrow().iter().position(|x| strict_eq(x, &args[0]));
            Ok(V::Num(found.map_or(-1.0, |i| i as f64)))
        }
        "slice" => {
            let copy: Vec<V> = {
                let items = a.borrow();
                let from = relative(int(args, 0, 0)?, items.len());
                let to = relative(int(args, 1, items.len() as i64)?, items.len());
                items.get(from..to.max(from)).unwrap_or_default().to_vec()
            };
            f.heap.arr(copy)
        }
        _ => Err(Bail),
    }
}
