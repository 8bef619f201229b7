//! `String.prototype` methods with JavaScript's UTF-16 indexing.
//!
//! ASCII strings (the common case) are indexed by byte; others are
//! converted to UTF-16 code units for the operation.

use rhai::{Dynamic, ImmutableString, NativeCallContext};

use super::callback::call_function;
use super::number::{self, num};
use super::ops::{self, to_number, to_string, JsResult};
use super::regexp::{self, JsRegExp};
use super::values::{array, MAX_STRING_BYTES};

fn units(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn from_units(u: &[u16]) -> String {
    String::from_utf16_lossy(u)
}

/// `ToIntegerOrInfinity` clamped into `0..=len`, with negative values
/// counting from the end when `relative` is set (slice semantics).
fn rel_index(v: Option<&Dynamic>, len: usize, default: usize, relative: bool) -> usize {
    let Some(v) = v.filter(|v| !v.is_unit()) else {
        return default;
    };
    let f = to_number(v);
    let f = if f.is_nan() { 0.0 } else { f.trunc() };
    let len_f = len as f64;
    let i = if f < 0.0 && relative {
        (len_f + f).max(0.0)
    } else {
        f.max(0.0)
    };
    i.min(len_f) as usize
}

/// A substring by UTF-16 range.
fn sub(s: &str, from: usize, to: usize) -> String {
    if to <= from {
        return String::new();
    }
    if s.is_ascii() {
        return s[from..to].to_owned();
    }
    from_units(&units(s)[from..to])
}

fn find_from(hay: &str, needle: &str, from: usize) -> Option<usize> {
    if hay.is_ascii() && needle.is_ascii() {
        if from > hay.len() {
            return if needle.is_empty() {
                Some(hay.len())
            } else {
                None
            };
        }
        return hay[from..].find(needle).map(|i| i + from);
    }
    let h = units(hay);
    let n = units(needle);
    if from > h.len() {
        return n.is_empty().then_some(h.len());
    }
    if n.is_empty() {
        return Some(from);
    }
    (from..=h.len().saturating_sub(n.len())).find(|&i| h[i..].starts_with(&n))
}

fn rfind_to(hay: &str, needle: &str, to: usize) -> Option<usize> {
    let h = units(hay);
    let n = units(needle);
    if n.len() > h.len() {
        return None;
    }
    let start = to.min(h.len() - n.len());
    (0..=start).rev().find(|&i| h[i..].starts_with(&n))
}

fn arg(args: &[Dynamic], i: usize) -> Option<&Dynamic> {
    args.get(i)
}

fn arg_str(args: &[Dynamic], i: usize) -> ImmutableString {
    args.get(i)
        .map(to_string)
        .unwrap_or_else(|| "undefined".into())
}

fn check_len(n: usize) -> JsResult<()> {
    if n > MAX_STRING_BYTES {
        Err(ops::throw("RangeError", "Invalid string length"))
    } else {
        Ok(())
    }
}

/// Expand `$&`, `$$`, `` $` `` and `$'` in a replacement string.
fn expand(rep: &str, matched: &str, before: &str, after: &str) -> String {
    let mut out = String::with_capacity(rep.len());
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('$') => {
                out.push('$');
                chars.next();
            }
            Some('&') => {
                out.push_str(matched);
                chars.next();
            }
            Some('`') => {
                out.push_str(before);
                chars.next();
            }
            Some('\'') => {
                out.push_str(after);
                chars.next();
            }
            _ => out.push('$'),
        }
    }
    out
}

fn replace(ctx: &NativeCallContext, s: &str, args: &[Dynamic], all: bool) -> JsResult<Dynamic> {
    let pat = arg_str(args, 0);
    let rep = args.get(1).cloned().unwrap_or(Dynamic::UNIT);
    let callable = rep.is_fnptr() || rep.is::<super::values::JsFunction>();
    let rep_str = if callable {
        ImmutableString::new()
    } else {
        to_string(&rep)
    };
    let mut out = String::with_capacity(s.len());
    let mut pos = 0usize; // byte position in s
    let mut search_from = 0usize;
    loop {
        let found = if pat.is_empty() {
            (search_from <= s.len()).then_some(search_from)
        } else {
            s[search_from..].find(pat.as_str()).map(|i| i + search_from)
        };
        let Some(at) = found else { break };
        out.push_str(&s[pos..at]);
        let end = at + pat.len();
        let replacement = if callable {
            let offset = ops::utf16_len(&s[..at]);
            let r = call_function(
                ctx,
                &rep,
                vec![
                    Dynamic::from(pat.clone()),
                    num(offset as f64),
                    Dynamic::from(s.to_owned()),
                ],
            )?;
            to_string(&r).to_string()
        } else {
            expand(&rep_str, &pat, &s[..at], &s[end..])
        };
        out.push_str(&replacement);
        check_len(out.len())?;
        pos = end;
        if !all {
            break;
        }
        if pat.is_empty() {
            // Step over one character so empty patterns advance.
            match s[end..].chars().next() {
                Some(c) => {
                    out.push(c);
                    pos = end + c.len_utf8();
                    search_from = pos;
                }
                None => break,
            }
        } else {
            search_from = end;
        }
    }
    out.push_str(&s[pos.min(s.len())..]);
    Ok(out.into())
}

fn split(s: &str, args: &[Dynamic]) -> Dynamic {
    let limit = match arg(args, 1).filter(|v| !v.is_unit()) {
        Some(v) => to_number(v).max(0.0).min(u32::MAX as f64) as usize,
        None => usize::MAX,
    };
    let parts: Vec<Dynamic> = match arg(args, 0).filter(|v| !v.is_unit()) {
        None => vec![Dynamic::from(s.to_owned())],
        Some(sep) => {
            let sep = to_string(sep);
            if sep.is_empty() {
                s.encode_utf16()
                    .map(|u| Dynamic::from(from_units(&[u])))
                    .take(limit)
                    .collect()
            } else {
                s.split(sep.as_str())
                    .take(limit)
                    .map(|p| Dynamic::from(p.to_owned()))
                    .collect()
            }
        }
    };
    array(parts.into_iter().take(limit).collect())
}

fn pad(s: &str, args: &[Dynamic], start: bool) -> JsResult<Dynamic> {
    let target = arg(args, 0).map(to_number).unwrap_or(0.0);
    let fill = match arg(args, 1).filter(|v| !v.is_unit()) {
        Some(f) => to_string(f),
        None => " ".into(),
    };
    let len = ops::utf16_len(s);
    if target.is_nan() || target <= len as f64 || fill.is_empty() {
        return Ok(Dynamic::from(s.to_owned()));
    }
    let need = target as usize - len;
    check_len(need + s.len())?;
    let fill_units = units(&fill);
    let padding: Vec<u16> = fill_units.iter().copied().cycle().take(need).collect();
    let padding = from_units(&padding);
    Ok(if start {
        format!("{padding}{s}")
    } else {
        format!("{s}{padding}")
    }
    .into())
}

/// The string methods that take a regular expression (`match`, `matchAll`
/// and `search` also turn a string argument into one).
fn regexp_call(
    ctx: &NativeCallContext,
    s: &str,
    name: &str,
    args: &[Dynamic],
) -> Option<JsResult<Dynamic>> {
    let first = args.first();
    let s = || ImmutableString::from(s);
    Some(match name {
        "match" => regexp::string_match(&s(), first),
        "matchAll" => regexp::match_all(&s(), first),
        "search" => regexp::search_index(&s(), first),
        "replace" | "replaceAll" if regexp::is_regexp(first) => {
            let re = first
                .and_then(|f| f.read_lock::<JsRegExp>().map(|r| r.clone()))
                .expect("regexp");
            let rep = args.get(1).cloned().unwrap_or(Dynamic::UNIT);
            regexp::replace(ctx, &s(), &re, &rep, name == "replaceAll")
        }
        "split" if regexp::is_regexp(first) => {
            let re = first
                .and_then(|f| f.read_lock::<JsRegExp>().map(|r| r.clone()))
                .expect("regexp");
            regexp::split(&s(), &re, args.get(1))
        }
        _ => return None,
    })
}

/// Call `name` on string `s`; `None` when strings have no such method.
pub fn call(
    ctx: &NativeCallContext,
    s: &str,
    name: &str,
    args: &[Dynamic],
) -> Option<JsResult<Dynamic>> {
    regexp_call(ctx, s, name, args)
        .or_else(|| call_text_method(s, name))
        .or_else(|| call_search_method(s, name, args))
        .or_else(|| call_extract_method(s, name, args))
        .or_else(|| call_build_method(ctx, s, name, args))
        .or_else(|| (name == "normalize").then(|| super::unicode::normalize(s, arg(args, 0))))
}

/// Case changes, trimming and identity conversions: the whole string, transformed.
fn call_text_method(s: &str, name: &str) -> Option<JsResult<Dynamic>> {
    text_method(s, name).map(|v| Ok(Dynamic::from(v)))
}

/// The string methods that take no argument and transform the whole string
/// (`toUpperCase`, `trim`...): `None` for any other name.
pub fn text_method(s: &str, name: &str) -> Option<String> {
    let trimmed = |t: &str| t.to_owned();
    let space = |c: char| c.is_whitespace() || c == '\u{feff}';
    Some(match name {
        // ASCII text (the usual case) maps byte by byte.
        "toUpperCase" | "toLocaleUpperCase" if s.is_ascii() => s.to_ascii_uppercase(),
        "toLowerCase" | "toLocaleLowerCase" if s.is_ascii() => s.to_ascii_lowercase(),
        "toUpperCase" | "toLocaleUpperCase" => s.to_uppercase(),
        "toLowerCase" | "toLocaleLowerCase" => s.to_lowercase(),
        "trim" => trimmed(s.trim_matches(space)),
        "trimStart" | "trimLeft" => trimmed(s.trim_start_matches(space)),
        "trimEnd" | "trimRight" => trimmed(s.trim_end_matches(space)),
        "toString" | "valueOf" => s.to_owned(),
        _ => return None,
    })
}

/// `includes`, `startsWith`, `endsWith`, `indexOf`, `lastIndexOf`,
/// `localeCompare`: find or compare text; positions count UTF-16 code units.
fn call_search_method(s: &str, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    let len = ops::utf16_len(s);
    Some(match name {
        "includes" => {
            let from = rel_index(arg(args, 1), len, 0, false);
            Ok(Dynamic::from_bool(
                find_from(s, &arg_str(args, 0), from).is_some(),
            ))
        }
        "startsWith" => {
            let from = rel_index(arg(args, 1), len, 0, false);
            let rest = sub(s, from, len);
            Ok(Dynamic::from_bool(
                rest.starts_with(arg_str(args, 0).as_str()),
            ))
        }
        "endsWith" => {
            let to = rel_index(arg(args, 1), len, len, false);
            let head = sub(s, 0, to);
            Ok(Dynamic::from_bool(
                head.ends_with(arg_str(args, 0).as_str()),
            ))
        }
        "indexOf" => {
            let from = rel_index(arg(args, 1), len, 0, false);
            let needle = arg_str(args, 0);
            let found = find_from(s, &needle, from);
            Ok(match found {
                Some(i) if s.is_ascii() && needle.is_ascii() => num(i as f64),
                Some(i) => num(i as f64),
                None => num(-1.0),
            })
        }
        "lastIndexOf" => {
            let to = match arg(args, 1).map(to_number) {
                Some(f) if !f.is_nan() => f.max(0.0) as usize,
                _ => len,
            };
            Ok(num(rfind_to(s, &arg_str(args, 0), to)
                .map(|i| i as f64)
                .unwrap_or(-1.0)))
        }
        "localeCompare" => super::collate::locale_compare(
            s,
            &arg_str(args, 0),
            &super::arg(args, 1),
            &super::arg(args, 2),
        ),
        _ => return None,
    })
}

/// `split`, `slice`, `substring`, `substr`, `charAt`, `at`, `charCodeAt`,
/// `codePointAt`: pieces of the string, indexed by UTF-16 code units.
fn call_extract_method(s: &str, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    let len = ops::utf16_len(s);
    let text = |v: String| Ok(Dynamic::from(v));
    Some(match name {
        "split" => Ok(split(s, args)),
        "slice" => {
            let from = rel_index(arg(args, 0), len, 0, true);
            let to = rel_index(arg(args, 1), len, len, true);
            text(sub(s, from, to))
        }
        "substring" => {
            let a = rel_index(arg(args, 0), len, 0, false);
            let b = rel_index(arg(args, 1), len, len, false);
            text(sub(s, a.min(b), a.max(b)))
        }
        "substr" => {
            let from = rel_index(arg(args, 0), len, 0, true);
            let count = match arg(args, 1).filter(|v| !v.is_unit()) {
                Some(v) => to_number(v).max(0.0) as usize,
                None => len,
            };
            text(sub(s, from, (from.saturating_add(count)).min(len)))
        }
        "charAt" | "at" => {
            let f = arg(args, 0).map(to_number).unwrap_or(0.0);
            let f = if f.is_nan() { 0.0 } else { f.trunc() };
            let i = if name == "at" && f < 0.0 {
                len as f64 + f
            } else {
                f
            };
            if i < 0.0 || i >= len as f64 {
                if name == "at" {
                    Ok(Dynamic::UNIT)
                } else {
                    text(String::new())
                }
            } else {
                text(sub(s, i as usize, i as usize + 1))
            }
        }
        "charCodeAt" | "codePointAt" => {
            let f = arg(args, 0).map(to_number).unwrap_or(0.0);
            let f = if f.is_nan() { 0.0 } else { f.trunc() };
            let u = units(s);
            if f < 0.0 || f >= u.len() as f64 {
                return Some(Ok(if name == "charCodeAt" {
                    num(f64::NAN)
                } else {
                    Dynamic::UNIT
                }));
            }
            let i = f as usize;
            let code = if name == "codePointAt" {
                char::decode_utf16(u[i..].iter().copied())
                    .next()
                    .and_then(Result::ok)
                    .map(|c| c as u32)
                    .unwrap_or(u[i] as u32)
            } else {
                u[i] as u32
            };
            Ok(num(code as f64))
        }
        _ => return None,
    })
}

/// `padStart`, `padEnd`, `repeat`, `concat`, `replace`, `replaceAll`: longer
/// strings, bounded by the string size limit.
fn call_build_method(
    ctx: &NativeCallContext,
    s: &str,
    name: &str,
    args: &[Dynamic],
) -> Option<JsResult<Dynamic>> {
    let text = |v: String| Ok(Dynamic::from(v));
    Some(match name {
        "padStart" => pad(s, args, true),
        "padEnd" => pad(s, args, false),
        "repeat" => {
            let n = arg(args, 0).map(to_number).unwrap_or(0.0);
            if n < 0.0 || n.is_infinite() {
                return Some(Err(ops::throw(
                    "RangeError",
                    format!("Invalid count value: {}", number::fmt(n)),
                )));
            }
            let n = if n.is_nan() { 0 } else { n as usize };
            if let Err(e) = check_len(s.len().saturating_mul(n)) {
                return Some(Err(e));
            }
            text(s.repeat(n))
        }
        "concat" => {
            let mut out = s.to_owned();
            for a in args {
                out.push_str(&to_string(a));
            }
            check_len(out.len()).map(|_| Dynamic::from(out))
        }
        "replace" => replace(ctx, s, args, false),
        "replaceAll" => replace(ctx, s, args, true),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_patterns() {
        assert_eq!(expand("[$&]$$", "b", "a", "c"), "[b]$");
        assert_eq!(sub("héllo", 1, 3), "él");
        assert_eq!(find_from("héllo", "l", 0), Some(2));
    }
}
