//! `Array.prototype` methods on shared [`JsArray`]s.
//!
//! Callbacks run without the array's lock held (they may touch the same
//! array), reading elements one at a time as JavaScript does.

use std::cmp::Ordering;

use rhai::{Dynamic, NativeCallContext};

use super::arg;

use super::callback::{call_function, call_with_this, is_callable};
use super::number::num;
use super::ops::{self, strict_eq, to_number, to_string, truthy, type_error, utf16_cmp, JsResult};
use super::values::{array, as_array, is_nullish, JsArray, MAX_ELEMENTS};

fn rel(v: &Dynamic, len: usize, default: usize) -> usize {
    if v.is_unit() {
        return default;
    }
    let f = to_number(v);
    let f = if f.is_nan() { 0.0 } else { f.trunc() };
    let i = if f < 0.0 {
        (len as f64 + f).max(0.0)
    } else {
        f
    };
    i.min(len as f64) as usize
}

fn callback(args: &[Dynamic]) -> JsResult<Dynamic> {
    let f = arg(args, 0);
    if is_callable(&f) {
        Ok(f)
    } else {
        Err(type_error(format!("{} is not a function", to_string(&f))))
    }
}

/// A per-element callback and the `this` it runs with: the method's
/// `thisArg` (`arr.forEach(function (x) { this.n += x; }, acc)`).
struct Callback {
    f: Dynamic,
    this: Dynamic,
}

fn callback_with_this(args: &[Dynamic]) -> JsResult<Callback> {
    Ok(Callback {
        f: callback(args)?,
        this: arg(args, 1),
    })
}

fn check_size(n: usize) -> JsResult<()> {
    if n > MAX_ELEMENTS {
        Err(ops::throw("RangeError", "Invalid array length"))
    } else {
        Ok(())
    }
}

/// SameValueZero, for `includes`.
fn same_value_zero(a: &Dynamic, b: &Dynamic) -> bool {
    // Two strings (`includes` on a list of names, the common case) compare
    // in place, before the numeric tests.
    if let (Ok(x), Ok(y)) = (a.as_immutable_string_ref(), b.as_immutable_string_ref()) {
        return x.as_str() == y.as_str();
    }
    if let (Some(x), Some(y)) = (ops::as_f64(a), ops::as_f64(b)) {
        return x == y || (x.is_nan() && y.is_nan());
    }
    strict_eq(a, b)
}

/// Visit each element with `(element, index, array)`.
fn each(
    ctx: &NativeCallContext,
    a: &JsArray,
    cb: &Callback,
    mut visit: impl FnMut(usize, Dynamic, Dynamic) -> JsResult<bool>,
) -> JsResult<()> {
    let len = a.len();
    let this = Dynamic::from(a.clone());
    for i in 0..len {
        if i >= a.len() {
            break;
        }
        let item = a.get(i);
        let args = vec![item.clone(), num(i as f64), this.clone()];
        let r = call_with_this(ctx, &cb.f, cb.this.clone(), args)?;
        if !visit(i, item, r)? {
            break;
        }
    }
    Ok(())
}

/// A stable merge sort that tolerates inconsistent comparators and stops at
/// the first error (Rust's own sort may panic on a non-total order).
fn merge_sort(
    items: Vec<Dynamic>,
    cmp: &mut dyn FnMut(&Dynamic, &Dynamic) -> JsResult<Ordering>,
) -> JsResult<Vec<Dynamic>> {
    if items.len() <= 1 {
        return Ok(items);
    }
    let mut right = items;
    let left = right.drain(..right.len() / 2).collect::<Vec<_>>();
    let left = merge_sort(left, cmp)?;
    let right = merge_sort(right, cmp)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut l = left.into_iter().peekable();
    let mut r = right.into_iter().peekable();
    while let (Some(a), Some(b)) = (l.peek(), r.peek()) {
        if cmp(a, b)? == Ordering::Greater {
            out.push(r.next().expect("peeked"));
        } else {
            out.push(l.next().expect("peeked"));
        }
    }
    out.extend(l);
    out.extend(r);
    Ok(out)
}

fn flatten_into(out: &mut Vec<Dynamic>, items: Vec<Dynamic>, depth: f64) -> JsResult<()> {
    for item in items {
        match as_array(&item) {
            Some(inner) if depth >= 1.0 => flatten_into(out, inner.items(), depth - 1.0)?,
            _ => out.push(item),
        }
        check_size(out.len())?;
    }
    Ok(())
}

/// Call `name` on array `a`; `None` when arrays have no such method.
pub fn call(
    ctx: &NativeCallContext,
    a: &JsArray,
    name: &str,
    args: &[Dynamic],
) -> Option<JsResult<Dynamic>> {
    call_stack_method(a, name, args)
        .or_else(|| call_callback_method(ctx, a, name, args))
        .or_else(|| call_search_method(a, name, args))
        .or_else(|| call_reorder_method(ctx, a, name, args))
        .or_else(|| call_copy_method(a, name, args))
        .or_else(|| call_changed_copy_method(ctx, a, name, args))
}

/// `toSorted`, `toReversed`, `toSpliced`, `with` (Node.js 20 and later):
/// what `sort`, `reverse`, `splice` and an index assignment would do, on a
/// copy, leaving the array as it is.
fn call_changed_copy_method(
    ctx: &NativeCallContext,
    a: &JsArray,
    name: &str,
    args: &[Dynamic],
) -> Option<JsResult<Dynamic>> {
    if !matches!(name, "toSorted" | "toReversed" | "toSpliced" | "with") {
        return None;
    }
    let copy = JsArray::from_vec(a.items());
    Some(match name {
        "toSorted" => sort(ctx, &copy, args),
        "toReversed" => call_reorder_method(ctx, &copy, "reverse", args)?,
        "toSpliced" => {
            call_reorder_method(ctx, &copy, "splice", args)?.map(|_| Dynamic::from(copy))
        }
        _ => {
            let len = copy.len() as f64;
            let f = to_number(&arg(args, 0));
            let f = if f.is_nan() { 0.0 } else { f.trunc() };
            let at = if f < 0.0 { len + f } else { f };
            if at < 0.0 || at >= len {
                return Some(Err(ops::throw(
                    "RangeError",
                    format!("Invalid index : {}", ops::to_string(&arg(args, 0))),
                )));
            }
            copy.0.lock()[at as usize] = arg(args, 1);
            Ok(Dynamic::from(copy))
        }
    })
}

/// `push`, `pop`, `shift`, `unshift`: add or remove at either end, in place.
fn call_stack_method(a: &JsArray, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    Some(match name {
        "push" => {
            let mut v = a.0.lock();
            if let Err(e) = check_size(v.len() + args.len()) {
                return Some(Err(e));
            }
            v.extend(args.iter().cloned());
            Ok(num(v.len() as f64))
        }
        "pop" => Ok(a.0.lock().pop().unwrap_or(Dynamic::UNIT)),
        "shift" => {
            let mut v = a.0.lock();
            Ok(if v.is_empty() {
                Dynamic::UNIT
            } else {
                v.remove(0)
            })
        }
        "unshift" => {
            let mut v = a.0.lock();
            if let Err(e) = check_size(v.len() + args.len()) {
                return Some(Err(e));
            }
            v.splice(0..0, args.iter().cloned());
            Ok(num(v.len() as f64))
        }
        _ => return None,
    })
}

/// The methods that call a function per element (`forEach`, `map`, `find`,
/// `reduce`…); each checks its callback before touching the array.
fn call_callback_method(
    ctx: &NativeCallContext,
    a: &JsArray,
    name: &str,
    args: &[Dynamic],
) -> Option<JsResult<Dynamic>> {
    Some(match name {
        "forEach" => callback_with_this(args)
            .and_then(|f| each(ctx, a, &f, |_, _, _| Ok(true)).map(|_| Dynamic::UNIT)),
        "map" => callback_with_this(args).and_then(|f| {
            let mut out = Vec::with_capacity(a.len());
            each(ctx, a, &f, |_, _, r| {
                out.push(r);
                Ok(true)
            })?;
            Ok(array(out))
        }),
        "filter" => callback_with_this(args).and_then(|f| {
            let mut out = Vec::new();
            each(ctx, a, &f, |_, item, r| {
                if truthy(&r) {
                    out.push(item);
                }
                Ok(true)
            })?;
            Ok(array(out))
        }),
        "find" | "findIndex" | "findLast" | "findLastIndex" => {
            callback_with_this(args).and_then(|f| find(ctx, a, &f, name))
        }
        "some" => callback_with_this(args).and_then(|f| {
            let mut found = false;
            each(ctx, a, &f, |_, _, r| {
                found = truthy(&r);
                Ok(!found)
            })?;
            Ok(Dynamic::from_bool(found))
        }),
        "every" => callback_with_this(args).and_then(|f| {
            let mut all = true;
            each(ctx, a, &f, |_, _, r| {
                all = truthy(&r);
                Ok(all)
            })?;
            Ok(Dynamic::from_bool(all))
        }),
        "reduce" | "reduceRight" => callback(args).and_then(|f| reduce(ctx, a, &f, name, args)),
        "flatMap" => callback_with_this(args).and_then(|f| {
            let mut mapped = Vec::new();
            each(ctx, a, &f, |_, _, r| {
                mapped.push(r);
                Ok(true)
            })?;
            let mut out = Vec::new();
            flatten_into(&mut out, mapped, 1.0)?;
            Ok(array(out))
        }),
        _ => return None,
    })
}

/// `find`, `findIndex`, `findLast`, `findLastIndex`: the first (or last)
/// element the callback accepts, or its index.
fn find(ctx: &NativeCallContext, a: &JsArray, cb: &Callback, name: &str) -> JsResult<Dynamic> {
    let reverse = name.starts_with("findLast");
    let items = a.items();
    let this = Dynamic::from(a.clone());
    let order: Box<dyn Iterator<Item = usize>> = if reverse {
        Box::new((0..items.len()).rev())
    } else {
        Box::new(0..items.len())
    };
    for i in order {
        let item = a.get(i);
        let args = vec![item.clone(), num(i as f64), this.clone()];
        let r = call_with_this(ctx, &cb.f, cb.this.clone(), args)?;
        if truthy(&r) {
            return Ok(if name.ends_with("Index") {
                num(i as f64)
            } else {
                item
            });
        }
    }
    Ok(if name.ends_with("Index") {
        num(-1.0)
    } else {
        Dynamic::UNIT
    })
}

/// `reduce` and `reduceRight`; without an initial value the first visited
/// element seeds the accumulator, as JavaScript does.
fn reduce(
    ctx: &NativeCallContext,
    a: &JsArray,
    f: &Dynamic,
    name: &str,
    args: &[Dynamic],
) -> JsResult<Dynamic> {
    let items = a.items();
    let this = Dynamic::from(a.clone());
    let idx: Vec<usize> = if name == "reduce" {
        (0..items.len()).collect()
    } else {
        (0..items.len()).rev().collect()
    };
    let mut iter = idx.into_iter();
    let mut acc = if args.len() >= 2 {
        args[1].clone()
    } else {
        match iter.next() {
            Some(i) => items[i].clone(),
            None => return Err(type_error("Reduce of empty array with no initial value")),
        }
    };
    for i in iter {
        acc = call_function(
            ctx,
            f,
            vec![acc, items[i].clone(), num(i as f64), this.clone()],
        )?;
    }
    Ok(acc)
}

/// `includes`, `indexOf`, `lastIndexOf`, `at`: look elements up without changing the array.
fn call_search_method(a: &JsArray, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    Some(match name {
        // The searches compare under the array's lock rather than on a
        // copy: comparing runs no script, so nothing can reenter the array.
        "includes" => {
            let needle = arg(args, 0);
            Ok(Dynamic::from_bool(
                a.0.lock().iter().any(|x| same_value_zero(x, &needle)),
            ))
        }
        "indexOf" => {
            let needle = arg(args, 0);
            let from = rel(&arg(args, 1), a.len(), 0);
            let items = a.0.lock();
            Ok(num(items
                .iter()
                .enumerate()
                .skip(from)
                .find(|(_, x)| strict_eq(x, &needle))
                .map(|(i, _)| i as f64)
                .unwrap_or(-1.0)))
        }
        "lastIndexOf" => {
            let needle = arg(args, 0);
            Ok(num(a
                .0
                .lock()
                .iter()
                .rposition(|x| strict_eq(x, &needle))
                .map(|i| i as f64)
                .unwrap_or(-1.0)))
        }
        "at" => {
            let len = a.len();
            let f = to_number(&arg(args, 0));
            let f = if f.is_nan() { 0.0 } else { f.trunc() };
            let i = if f < 0.0 { len as f64 + f } else { f };
            Ok(if i < 0.0 || i >= len as f64 {
                Dynamic::UNIT
            } else {
                a.get(i as usize)
            })
        }
        _ => return None,
    })
}

/// `splice`, `reverse`, `sort`, `fill`: change the array in place.
fn call_reorder_method(
    ctx: &NativeCallContext,
    a: &JsArray,
    name: &str,
    args: &[Dynamic],
) -> Option<JsResult<Dynamic>> {
    Some(match name {
        "splice" => {
            let mut v = a.0.lock();
            let len = v.len();
            let start = rel(&arg(args, 0), len, 0);
            let count = match args.len() {
                0 => 0,
                1 => len - start,
                _ => {
                    let c = to_number(&args[1]);
                    if c.is_nan() {
                        0
                    } else {
                        (c.max(0.0) as usize).min(len - start)
                    }
                }
            };
            let insert = args.iter().skip(2).cloned();
            let removed: Vec<Dynamic> = v.splice(start..start + count, insert).collect();
            if let Err(e) = check_size(v.len()) {
                return Some(Err(e));
            }
            Ok(array(removed))
        }
        "reverse" => {
            a.0.lock().reverse();
            Ok(Dynamic::from(a.clone()))
        }
        "sort" => sort(ctx, a, args),
        "fill" => {
            let mut v = a.0.lock();
            let len = v.len();
            let from = rel(&arg(args, 1), len, 0);
            let to = rel(&arg(args, 2), len, len);
            let value = arg(args, 0);
            for slot in v.iter_mut().take(to).skip(from) {
                *slot = value.clone();
            }
            drop(v);
            Ok(Dynamic::from(a.clone()))
        }
        _ => return None,
    })
}

/// `sort`: undefined elements go last without reaching the comparator, and
/// the default order compares UTF-16 code units of the string forms, as
/// JavaScript does.
fn sort(ctx: &NativeCallContext, a: &JsArray, args: &[Dynamic]) -> JsResult<Dynamic> {
    let f = arg(args, 0);
    if !f.is_unit() && !is_callable(&f) {
        return Err(type_error(
            "The comparison function must be either a function or undefined",
        ));
    }
    let items = a.items();
    let (undefs, defined): (Vec<Dynamic>, Vec<Dynamic>) =
        items.into_iter().partition(|x| x.is_unit());
    let mut cmp = |x: &Dynamic, y: &Dynamic| -> JsResult<Ordering> {
        if f.is_unit() {
            Ok(utf16_cmp(&to_string(x), &to_string(y)))
        } else {
            let r = to_number(&call_function(ctx, &f, vec![x.clone(), y.clone()])?);
            Ok(if r > 0.0 {
                Ordering::Greater
            } else if r < 0.0 {
                Ordering::Less
            } else {
                Ordering::Equal
            })
        }
    };
    merge_sort(defined, &mut cmp).map(|mut sorted| {
        sorted.extend(undefs);
        *a.0.lock() = sorted;
        Dynamic::from(a.clone())
    })
}

/// `join`, `toString`, `slice`, `concat`, `flat`, `keys`, `entries`, `values`:
/// build a new value from the elements, leaving the array as it is.
fn call_copy_method(a: &JsArray, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    Some(match name {
        "join" => {
            let sep = match args.first().filter(|v| !v.is_unit()) {
                Some(s) => to_string(s),
                None => ",".into(),
            };
            let mut out = String::new();
            for (i, item) in a.items().iter().enumerate() {
                if i > 0 {
                    out.push_str(&sep);
                }
                if !is_nullish(item) {
                    out.push_str(&to_string(item));
                }
                if out.len() > super::values::MAX_STRING_BYTES {
                    return Some(Err(ops::throw("RangeError", "Invalid string length")));
                }
            }
            Ok(out.into())
        }
        "toString" => Ok(Dynamic::from(to_string(&Dynamic::from(a.clone())))),
        "slice" => {
            let items = a.items();
            let from = rel(&arg(args, 0), items.len(), 0);
            let to = rel(&arg(args, 1), items.len(), items.len());
            Ok(array(if to > from {
                items[from..to].to_vec()
            } else {
                Vec::new()
            }))
        }
        "concat" => {
            let mut out = a.items();
            for x in args {
                match as_array(x) {
                    Some(other) => out.extend(other.items()),
                    None => out.push(x.clone()),
                }
                if let Err(e) = check_size(out.len()) {
                    return Some(Err(e));
                }
            }
            Ok(array(out))
        }
        "flat" => {
            let depth = match args.first().filter(|v| !v.is_unit()) {
                Some(d) => to_number(d),
                None => 1.0,
            };
            let mut out = Vec::new();
            flatten_into(&mut out, a.items(), depth).map(|_| array(out))
        }
        "keys" => Ok(array((0..a.len()).map(|i| num(i as f64)).collect())),
        "entries" => Ok(array(
            a.items()
                .into_iter()
                .enumerate()
                .map(|(i, v)| array(vec![num(i as f64), v]))
                .collect(),
        )),
        "values" => Ok(array(a.items())),
        _ => return None,
    })
}
