//! `RegExp` objects and the string methods that take them (`match`,
//! `matchAll`, `replace`, `replaceAll`, `split`, `search`), with
//! JavaScript's `lastIndex`, empty-match and UTF-16 index rules.
//!
//! Patterns compile with [`crate::jsregex`] (JavaScript syntax on the
//! linear-time `regex` crate). A literal is checked when the flow loads, so
//! look-around and back-references are load errors; every compiled pattern
//! is cached, so a literal evaluated per message compiles once.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use regex::{Captures, Regex};
use rhai::{Dynamic, ImmutableString, NativeCallContext};

use super::callback::{call_function, is_callable};
use super::number::num;
use super::ops::{self, to_number, to_string, type_error, JsResult};
use super::values::{array, null, JsArray, JsMatch, JsObject, MAX_ELEMENTS, MAX_STRING_BYTES};
use crate::jsregex::{self, Syntax};

/// A regular expression's flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub global: bool,
    pub ignore_case: bool,
    pub multiline: bool,
    pub dot_all: bool,
    pub unicode: bool,
    pub unicode_sets: bool,
    pub sticky: bool,
}

impl Flags {
    /// Parse a flags string; `Err` names what is wrong.
    pub fn parse(text: &str) -> Result<Flags, FlagError> {
        let mut f = Flags::default();
        for c in text.chars() {
            let slot = match c {
                'g' => &mut f.global,
                'i' => &mut f.ignore_case,
                'm' => &mut f.multiline,
                's' => &mut f.dot_all,
                'u' => &mut f.unicode,
                'v' => &mut f.unicode_sets,
                'y' => &mut f.sticky,
                'd' => return Err(FlagError::Unsupported('d')),
                _ => return Err(FlagError::Invalid),
            };
            if *slot {
                return Err(FlagError::Invalid);
            }
            *slot = true;
        }
        if f.unicode && f.unicode_sets {
            return Err(FlagError::Invalid);
        }
        Ok(f)
    }

    fn syntax(&self) -> Syntax {
        Syntax {
            ignore_case: self.ignore_case,
            multi_line: self.multiline,
            dot_all: self.dot_all,
            unicode: self.unicode || self.unicode_sets,
        }
    }

    /// The flags in JavaScript's canonical order (`re.flags`).
    pub fn text(&self) -> String {
        [
            (self.global, 'g'),
            (self.ignore_case, 'i'),
            (self.multiline, 'm'),
            (self.dot_all, 's'),
            (self.unicode, 'u'),
            (self.unicode_sets, 'v'),
            (self.sticky, 'y'),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, c)| *c)
        .collect()
    }
}

/// Why a flags string is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagError {
    /// Not a JavaScript flag, or repeated.
    Invalid,
    /// A JavaScript flag flowgate does not implement (`d`).
    Unsupported(char),
}

/// A `RegExp`: shared, since `lastIndex` changes are seen by every reference.
#[derive(Clone)]
pub struct JsRegExp(pub Arc<RegExpData>);

pub struct RegExpData {
    /// The pattern as `source` shows it.
    pub source: ImmutableString,
    pub flags: Flags,
    pub re: Arc<Regex>,
    /// Names of the capture groups (by group number), when any group is named.
    pub names: Option<Vec<Option<ImmutableString>>>,
    last_index: Mutex<Dynamic>,
}

impl JsRegExp {
    pub fn addr(&self) -> usize {
        Arc::as_ptr(&self.0) as *const () as usize
    }

    fn last_index(&self) -> usize {
        let f = to_number(&self.0.last_index.lock());
        if f.is_nan() || f <= 0.0 {
            0
        } else {
            f.min(u32::MAX as f64) as usize
        }
    }

    fn set_last_index(&self, units: usize) {
        *self.0.last_index.lock() = Dynamic::from_int(units as rhai::INT);
    }

    /// `/source/flags`, as `toString` and string conversion show it.
    pub fn to_js_string(&self) -> String {
        format!("/{}/{}", self.0.source, self.0.flags.text())
    }

    fn sticky_or_global(&self) -> bool {
        self.0.flags.global || self.0.flags.sticky
    }
}

/// Compiled patterns by source and syntax flags.
type Cache = HashMap<(String, Syntax), Arc<Regex>>;

/// How many distinct patterns the cache keeps (a script building patterns
/// from data cannot grow it without bound).
const CACHE_LIMIT: usize = 512;

fn compiled(source: &str, syntax: Syntax) -> Result<Arc<Regex>, String> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (source.to_owned(), syntax);
    if let Some(re) = cache.lock().get(&key) {
        return Ok(re.clone());
    }
    let re = Arc::new(jsregex::compile_with(source, syntax)?);
    let mut c = cache.lock();
    if c.len() >= CACHE_LIMIT {
        c.clear();
    }
    c.insert(key, re.clone());
    Ok(re)
}

/// What about a pattern makes it unsupported, for the load error.
fn unsupported_feature(source: &str) -> Option<&'static str> {
    if source.contains("(?<=") || source.contains("(?<!") {
        Some("look-behind")
    } else if source.contains("(?=") || source.contains("(?!") {
        Some("look-ahead")
    } else if source.contains("\\k<")
        || source
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == b'\\' && (b'1'..=b'9').contains(&w[1]))
    {
        Some("a back-reference")
    } else {
        None
    }
}

/// Check a regular expression literal when the flow loads: `Err` is the
/// construct to name in the load error.
pub fn check_literal(source: &str, flags: &str) -> Result<(), String> {
    let shown = format!("regular expression `/{source}/{flags}`");
    let f = match Flags::parse(flags) {
        Ok(f) => f,
        Err(FlagError::Unsupported(c)) => return Err(format!("{shown} (the `{c}` flag)")),
        Err(FlagError::Invalid) => return Err(format!("{shown} (invalid flags)")),
    };
    compiled(source, f.syntax())
        .map(|_| ())
        .map_err(|e| match unsupported_feature(source) {
            Some(what) => format!("{shown} ({what})"),
            None => format!("{shown} ({})", e.rsplit(": ").next().unwrap_or(&e)),
        })
}

/// `source` as JavaScript shows it: `/` and line breaks escaped, `(?:)` for
/// an empty pattern.
fn display_source(pattern: &str) -> String {
    if pattern.is_empty() {
        return "(?:)".into();
    }
    let mut out = String::with_capacity(pattern.len());
    let mut in_class = false;
    let mut escaped = false;
    for c in pattern.chars() {
        if escaped {
            escaped = false;
            out.push(c);
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                out.push(c);
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            '/' if !in_class => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A new `RegExp` (a literal's evaluation or `new RegExp(source, flags)`).
pub fn new_regexp(pattern: &str, flags: &str) -> JsResult<JsRegExp> {
    let f = match Flags::parse(flags) {
        Ok(f) => f,
        Err(FlagError::Unsupported(c)) => {
            return Err(ops::throw(
                "SyntaxError",
                format!("The regular expression flag '{c}' is not supported by flowgate"),
            ))
        }
        Err(FlagError::Invalid) => {
            return Err(ops::throw(
                "SyntaxError",
                format!("Invalid flags supplied to RegExp constructor '{flags}'"),
            ))
        }
    };
    let re = compiled(pattern, f.syntax()).map_err(|e| {
        // V8 shows the flags after the pattern.
        let e = e.replacen(&format!("/{pattern}/:"), &format!("/{pattern}/{flags}:"), 1);
        ops::throw("SyntaxError", e)
    })?;
    let names = re
        .capture_names()
        .any(|n| n.is_some())
        .then(|| re.capture_names().map(|n| n.map(Into::into)).collect());
    Ok(JsRegExp(Arc::new(RegExpData {
        source: display_source(pattern).into(),
        flags: f,
        re,
        names,
        last_index: Mutex::new(Dynamic::from_int(0)),
    })))
}

/// `new RegExp(pattern, flags)` / `RegExp(pattern, flags)`.
pub fn construct(args: &[Dynamic]) -> JsResult<Dynamic> {
    let pattern = args.first().cloned().unwrap_or(Dynamic::UNIT);
    let flags = args.get(1).filter(|f| !f.is_unit());
    if let Some(re) = pattern.read_lock::<JsRegExp>() {
        let flags = match flags {
            Some(f) => to_string(f).to_string(),
            None => re.0.flags.text(),
        };
        return new_regexp(&source_pattern(&re.0.source), &flags).map(Dynamic::from);
    }
    let source = if pattern.is_unit() {
        ImmutableString::new()
    } else {
        to_string(&pattern)
    };
    let flags = flags.map(to_string).unwrap_or_default();
    new_regexp(&source, &flags).map(Dynamic::from)
}

/// The pattern behind a displayed `source` (`(?:)` is the empty pattern).
fn source_pattern(source: &str) -> String {
    if source == "(?:)" {
        String::new()
    } else {
        source.to_owned()
    }
}

/// UTF-16 position of byte offset `byte` in `s`.
fn units_at(s: &str, byte: usize) -> usize {
    if s.is_ascii() {
        byte
    } else {
        s[..byte].encode_utf16().count()
    }
}

/// Byte offset of UTF-16 position `units` in `s` (`None` past the end). A
/// position inside a surrogate pair rounds up to the next character.
fn byte_at(s: &str, units: usize) -> Option<usize> {
    if s.is_ascii() {
        return (units <= s.len()).then_some(units);
    }
    let mut u = 0;
    for (i, c) in s.char_indices() {
        if u >= units {
            return Some(i);
        }
        u += c.len_utf16();
    }
    (u >= units).then_some(s.len())
}

/// The position after an empty match at `byte`: one character on.
fn advance(s: &str, byte: usize) -> usize {
    byte + s[byte..].chars().next().map_or(1, char::len_utf8)
}

/// `RegExpBuiltinExec`: one match from `lastIndex` (global/sticky) or the
/// start, updating `lastIndex` as JavaScript does.
fn exec_raw<'t>(re: &JsRegExp, s: &'t str) -> Option<Captures<'t>> {
    let uses_last = re.sticky_or_global();
    let start = if uses_last {
        match byte_at(s, re.last_index()) {
            Some(b) => b,
            None => {
                re.set_last_index(0);
                return None;
            }
        }
    } else {
        0
    };
    let caps =
        re.0.re
            .captures_at(s, start)
            .filter(|c| !re.0.flags.sticky || c.get(0).is_some_and(|m| m.start() == start));
    if uses_last {
        match &caps {
            Some(c) => re.set_last_index(units_at(s, c.get(0).expect("match").end())),
            None => re.set_last_index(0),
        }
    }
    caps
}

/// Every match from byte `from` on, as a global `match`/`replace` finds
/// them (a sticky pattern stops at the first gap).
fn all_matches<'t>(re: &JsRegExp, s: &'t str, from: usize) -> JsResult<Vec<Captures<'t>>> {
    let mut out = Vec::new();
    let mut pos = from;
    while pos <= s.len() {
        let Some(c) = re.0.re.captures_at(s, pos) else {
            break;
        };
        let m = c.get(0).expect("match");
        if re.0.flags.sticky && m.start() != pos {
            break;
        }
        pos = if m.is_empty() {
            advance(s, m.end())
        } else {
            m.end()
        };
        out.push(c);
        if out.len() > MAX_ELEMENTS {
            return Err(ops::throw("RangeError", "Invalid array length"));
        }
    }
    Ok(out)
}

fn group_value(c: &Captures<'_>, i: usize) -> Dynamic {
    c.get(i)
        .map(|m| Dynamic::from(m.as_str().to_owned()))
        .unwrap_or(Dynamic::UNIT)
}

/// The named groups of a match as an object (`undefined` without names).
fn groups_of(re: &JsRegExp, c: &Captures<'_>) -> Dynamic {
    let Some(names) = &re.0.names else {
        return Dynamic::UNIT;
    };
    let obj = JsObject::new();
    for (i, name) in names.iter().enumerate() {
        if let Some(name) = name {
            obj.set(name.clone(), group_value(c, i));
        }
    }
    Dynamic::from(obj)
}

/// The match array `exec` returns.
fn match_value(re: &JsRegExp, s: &str, input: &ImmutableString, c: &Captures<'_>) -> Dynamic {
    let items = (0..c.len()).map(|i| group_value(c, i)).collect();
    Dynamic::from(JsMatch {
        items: JsArray::from_vec(items),
        index: units_at(s, c.get(0).expect("match").start()),
        input: input.clone(),
        groups: groups_of(re, c),
    })
}

/// `re.exec(s)`.
pub fn exec(re: &JsRegExp, input: &ImmutableString) -> Dynamic {
    match exec_raw(re, input) {
        Some(c) => match_value(re, input, input, &c),
        None => null(),
    }
}

/// `re.test(s)`.
pub fn test(re: &JsRegExp, s: &str) -> bool {
    if re.sticky_or_global() {
        return exec_raw(re, s).is_some();
    }
    re.0.re.is_match(s)
}

/// A property of a `RegExp`.
pub fn get(re: &JsRegExp, key: &str) -> Dynamic {
    let f = &re.0.flags;
    match key {
        "source" => Dynamic::from(re.0.source.clone()),
        "flags" => Dynamic::from(f.text()),
        "global" => Dynamic::from_bool(f.global),
        "ignoreCase" => Dynamic::from_bool(f.ignore_case),
        "multiline" => Dynamic::from_bool(f.multiline),
        "dotAll" => Dynamic::from_bool(f.dot_all),
        "unicode" => Dynamic::from_bool(f.unicode),
        "unicodeSets" => Dynamic::from_bool(f.unicode_sets),
        "sticky" => Dynamic::from_bool(f.sticky),
        "hasIndices" => Dynamic::from_bool(false),
        "lastIndex" => re.0.last_index.lock().clone(),
        _ => Dynamic::UNIT,
    }
}

/// `re.key = value` (only `lastIndex` is writable).
pub fn set(re: &JsRegExp, key: &str, value: Dynamic) {
    if key == "lastIndex" {
        *re.0.last_index.lock() = value;
    }
}

/// The methods a `RegExp` has (for `typeof re.test`).
pub const METHODS: &[&str] = &["test", "exec", "toString"];

/// Call `name` on a `RegExp`; `None` when it has no such method.
pub fn call(re: &JsRegExp, name: &str, args: &[Dynamic]) -> Option<JsResult<Dynamic>> {
    let s = || {
        args.first()
            .map(to_string)
            .unwrap_or_else(|| "undefined".into())
    };
    Some(Ok(match name {
        "test" => Dynamic::from_bool(test(re, &s())),
        "exec" => exec(re, &s()),
        "toString" => Dynamic::from(re.to_js_string()),
        _ => return None,
    }))
}

/// The `RegExp` a string method works with: the argument itself, or a new
/// one from a string (`s.match("a.c")` treats the string as a pattern).
fn regexp_arg(arg: Option<&Dynamic>, flags: &str) -> JsResult<JsRegExp> {
    match arg {
        Some(v) if v.is::<JsRegExp>() => Ok(v.read_lock::<JsRegExp>().expect("regexp").clone()),
        Some(v) if !v.is_unit() => new_regexp(&to_string(v), flags),
        _ => new_regexp("", flags),
    }
}

/// Whether a string method's first argument is a `RegExp`.
pub fn is_regexp(v: Option<&Dynamic>) -> bool {
    v.is_some_and(|v| v.is::<JsRegExp>())
}

/// `s.match(re)`: the `exec` result, or every match for a global pattern.
pub fn string_match(s: &ImmutableString, arg: Option<&Dynamic>) -> JsResult<Dynamic> {
    let re = regexp_arg(arg, "")?;
    if !re.0.flags.global {
        return Ok(exec(&re, s));
    }
    let found = all_matches(&re, s, 0)?;
    re.set_last_index(0);
    if found.is_empty() {
        return Ok(null());
    }
    Ok(array(
        found
            .iter()
            .map(|c| Dynamic::from(c.get(0).expect("match").as_str().to_owned()))
            .collect(),
    ))
}

/// `s.matchAll(re)`: every match array. JavaScript returns an iterator; this
/// returns the matches as an array, which `for...of`, spread and
/// `Array.from` read the same way.
pub fn match_all(s: &ImmutableString, arg: Option<&Dynamic>) -> JsResult<Dynamic> {
    let re = regexp_arg(arg, "g")?;
    if !re.0.flags.global {
        return Err(type_error(
            "String.prototype.matchAll called with a non-global RegExp argument",
        ));
    }
    let from = byte_at(s, re.last_index()).unwrap_or(s.len() + 1);
    let found = all_matches(&re, s, from)?;
    Ok(array(
        found.iter().map(|c| match_value(&re, s, s, c)).collect(),
    ))
}

/// `s.search(re)`: where the first match starts, or -1.
pub fn search(s: &ImmutableString, arg: Option<&Dynamic>) -> JsResult<Dynamic> {
    let re = regexp_arg(arg, "")?;
    let found =
        re.0.re
            .find(s)
            .filter(|m| !re.0.flags.sticky || m.start() == 0);
    Ok(num(found.map_or(-1.0, |m| units_at(s, m.start()) as f64)))
}

/// `s.replace(re, replacement)` / `s.replaceAll(re, replacement)`, with a
/// replacement string (`$1`, `$<name>`, `$&`...) or function.
pub fn replace(
    ctx: &NativeCallContext,
    s: &ImmutableString,
    re: &JsRegExp,
    replacement: &Dynamic,
    all: bool,
) -> JsResult<Dynamic> {
    if all && !re.0.flags.global {
        return Err(type_error(
            "String.prototype.replaceAll called with a non-global RegExp argument",
        ));
    }
    let found = if re.0.flags.global {
        let found = all_matches(re, s, 0)?;
        re.set_last_index(0);
        found
    } else {
        exec_raw(re, s).into_iter().collect()
    };
    if found.is_empty() {
        return Ok(Dynamic::from(s.clone()));
    }
    let callable = is_callable(replacement);
    let template = if callable {
        ImmutableString::new()
    } else {
        to_string(replacement)
    };
    let mut out = String::with_capacity(s.len());
    let mut next = 0;
    for c in &found {
        let m = c.get(0).expect("match");
        let rep = if callable {
            let mut args: Vec<Dynamic> = (0..c.len()).map(|i| group_value(c, i)).collect();
            args.push(num(units_at(s, m.start()) as f64));
            args.push(Dynamic::from(s.clone()));
            if re.0.names.is_some() {
                args.push(groups_of(re, c));
            }
            to_string(&call_function(ctx, replacement, args)?).to_string()
        } else {
            jsregex::substitute(c, s, &template)
        };
        if m.start() >= next {
            out.push_str(&s[next..m.start()]);
            out.push_str(&rep);
            next = m.end();
        }
        if out.len() > MAX_STRING_BYTES {
            return Err(ops::throw("RangeError", "Invalid string length"));
        }
    }
    out.push_str(&s[next..]);
    Ok(Dynamic::from(out))
}

/// `s.split(re, limit)`: the pieces between matches, with each match's
/// groups spliced in, as `RegExp.prototype[Symbol.split]` does.
pub fn split(s: &str, re: &JsRegExp, limit: Option<&Dynamic>) -> Dynamic {
    let limit = match limit.filter(|l| !l.is_unit()) {
        Some(l) => ops::to_int32(l) as u32 as usize,
        None => u32::MAX as usize,
    };
    let mut out: Vec<Dynamic> = Vec::new();
    if limit == 0 {
        return array(out);
    }
    let piece = |a: usize, b: usize| Dynamic::from(s[a..b].to_owned());
    if s.is_empty() {
        if re.0.re.find(s).is_none() {
            out.push(piece(0, 0));
        }
        return array(out);
    }
    let (mut p, mut q) = (0, 0);
    while q < s.len() {
        let Some(c) = re.0.re.captures_at(s, q) else {
            break;
        };
        let m = c.get(0).expect("match");
        if m.start() >= s.len() {
            break;
        }
        q = m.start();
        let e = m.end();
        if e == p {
            q = advance(s, q);
            continue;
        }
        out.push(piece(p, q));
        if out.len() == limit {
            return array(out);
        }
        p = e;
        for i in 1..c.len() {
            out.push(group_value(&c, i));
            if out.len() == limit {
                return array(out);
            }
        }
        q = p;
    }
    out.push(piece(p, s.len()));
    array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str, f: &str) -> JsRegExp {
        new_regexp(p, f).unwrap_or_else(|_| panic!("/{p}/{f}"))
    }

    fn strings(v: &Dynamic) -> Vec<String> {
        super::super::values::as_array(v)
            .unwrap()
            .items()
            .iter()
            .map(|d| to_string(d).to_string())
            .collect()
    }

    #[test]
    fn flags_parse_and_print_canonically() {
        assert_eq!(Flags::parse("yig").unwrap().text(), "giy");
        assert_eq!(Flags::parse("gg"), Err(FlagError::Invalid));
        assert_eq!(Flags::parse("x"), Err(FlagError::Invalid));
        assert_eq!(Flags::parse("d"), Err(FlagError::Unsupported('d')));
    }

    #[test]
    fn exec_moves_last_index_for_global_patterns() {
        let r = re(r"\d", "g");
        let s: ImmutableString = "a1b2".into();
        assert!(test(&r, &s));
        assert_eq!(to_string(&get(&r, "lastIndex")), "2");
        assert!(test(&r, &s));
        assert!(!test(&r, &s));
        assert_eq!(to_string(&get(&r, "lastIndex")), "0");
    }

    #[test]
    fn split_follows_javascript() {
        assert_eq!(
            strings(&split("a1b22c", &re(r"\d+", ""), None)),
            ["a", "b", "c"]
        );
        assert_eq!(
            strings(&split("abc", &re("(b)", ""), None)),
            ["a", "b", "c"]
        );
        assert_eq!(strings(&split("abc", &re("x*", ""), None)), ["a", "b", "c"]);
        assert_eq!(
            strings(&split("", &re("x*", ""), None)),
            Vec::<String>::new()
        );
        assert_eq!(strings(&split("", &re("x", ""), None)), [""]);
    }

    #[test]
    fn indexes_count_utf16_units() {
        let r = re("b", "g");
        let s: ImmutableString = "é😀b".into();
        let m = exec(&r, &s);
        assert_eq!(m.read_lock::<JsMatch>().unwrap().index, 3);
        assert_eq!(to_string(&get(&r, "lastIndex")), "4");
    }

    #[test]
    fn source_is_escaped_like_v8() {
        assert_eq!(&*re("a/b", "").0.source, "a\\/b");
        assert_eq!(&*re("", "").0.source, "(?:)");
        assert_eq!(re("[/]", "gi").to_js_string(), "/[/]/gi");
    }

    #[test]
    fn load_check_names_the_unsupported_feature() {
        assert_eq!(
            check_literal("(?<=a)b", "").unwrap_err(),
            "regular expression `/(?<=a)b/` (look-behind)"
        );
        assert_eq!(
            check_literal("(a)\\1", "g").unwrap_err(),
            "regular expression `/(a)\\1/g` (a back-reference)"
        );
        assert!(check_literal("^[\\w.-]+@\\S+$", "i").is_ok());
    }
}
