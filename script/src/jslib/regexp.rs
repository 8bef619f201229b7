//! `RegExp` objects and the string methods that take them (`match`,
//! `matchAll`, `replace`, `replaceAll`, `split`, `search`), with
//! JavaScript's `lastIndex`, empty-match and UTF-16 index rules.
//!
//! Patterns compile with [`crate::jsregex`] (ECMAScript semantics on
//! `regress`). A literal is checked when the flow loads, so a malformed one
//! is a load error as it is a syntax error in V8; every compiled pattern is
//! cached, so a literal evaluated per message compiles once. Searches run
//! within the script's budget (see [`search`]).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use rhai::{Dynamic, ImmutableString, NativeCallContext};

use super::callback::{call_function, is_callable};
use super::number::num;
use super::ops::{self, to_number, to_string, type_error, JsResult};
use super::values::{array, null, JsArray, JsMatch, JsObject, MAX_ELEMENTS, MAX_STRING_BYTES};
use crate::jsregex::{self, Match, Regex, Syntax};

/// A regular expression's flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub has_indices: bool,
    pub global: bool,
    pub ignore_case: bool,
    pub multiline: bool,
    pub dot_all: bool,
    pub unicode: bool,
    pub unicode_sets: bool,
    pub sticky: bool,
}

/// A flags string that is not one (an unknown or repeated flag, or both
/// `u` and `v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidFlags;

impl Flags {
    /// Parse a flags string.
    pub fn parse(text: &str) -> Result<Flags, InvalidFlags> {
        let mut f = Flags::default();
        for c in text.chars() {
            let slot = match c {
                'd' => &mut f.has_indices,
                'g' => &mut f.global,
                'i' => &mut f.ignore_case,
                'm' => &mut f.multiline,
                's' => &mut f.dot_all,
                'u' => &mut f.unicode,
                'v' => &mut f.unicode_sets,
                'y' => &mut f.sticky,
                _ => return Err(InvalidFlags),
            };
            if *slot {
                return Err(InvalidFlags);
            }
            *slot = true;
        }
        if f.unicode && f.unicode_sets {
            return Err(InvalidFlags);
        }
        Ok(f)
    }

    fn syntax(&self) -> Syntax {
        Syntax {
            ignore_case: self.ignore_case,
            multi_line: self.multiline,
            dot_all: self.dot_all,
            unicode: self.unicode,
            unicode_sets: self.unicode_sets,
        }
    }

    /// The flags in JavaScript's canonical order (`re.flags`).
    pub fn text(&self) -> String {
        [
            (self.has_indices, 'd'),
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

/// A `RegExp`: shared, since `lastIndex` changes are seen by every reference.
#[derive(Clone)]
pub struct JsRegExp(pub Arc<RegExpData>);

pub struct RegExpData {
    /// The pattern as `source` shows it.
    pub source: ImmutableString,
    pub flags: Flags,
    pub re: Arc<Regex>,
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

/// Check a regular expression literal when the flow loads, as V8 does when
/// it compiles a script: `Err` is V8's `SyntaxError` message.
pub fn check_literal(source: &str, flags: &str) -> Result<(), String> {
    let f = Flags::parse(flags)
        .map_err(|InvalidFlags| "Invalid regular expression flags".to_owned())?;
    compiled(source, f.syntax())
        .map(|_| ())
        .map_err(|e| e.replacen(&format!("/{source}/:"), &format!("/{source}/{flags}:"), 1))
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
    let f = Flags::parse(flags).map_err(|InvalidFlags| {
        ops::throw(
            "SyntaxError",
            format!("Invalid flags supplied to RegExp constructor '{flags}'"),
        )
    })?;
    let re = compiled(pattern, f.syntax()).map_err(|e| {
        // V8 shows the flags after the pattern.
        let e = e.replacen(&format!("/{pattern}/:"), &format!("/{pattern}/{flags}:"), 1);
        ops::throw("SyntaxError", e)
    })?;
    Ok(JsRegExp(Arc::new(RegExpData {
        source: display_source(pattern).into(),
        flags: f,
        re,
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

/// UTF-16 position of byte offset `byte` in `s`: the one conversion from
/// the engine's byte offsets to JavaScript's indexes.
fn units_at(s: &str, byte: usize) -> usize {
    if s.is_ascii() {
        byte
    } else {
        ops::utf16_len(&s[..byte])
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

/// Run the engine's searches in `f` within the running script's budget. A
/// catastrophic pattern is one built-in operation the progress hook cannot
/// interrupt, so the engine asks [`crate::sandbox::search_should_stop`]
/// every few thousand backtracks; once the budget is spent the search gives
/// up and the run ends with the budget's error (or moves off the worker).
fn search<R>(f: impl FnOnce() -> R) -> JsResult<R> {
    jsregex::bounded(crate::sandbox::search_should_stop, f)
        .ok_or_else(|| ops::throw("RangeError", "regular expression search interrupted"))
}

/// `RegExpBuiltinExec`: one match from `lastIndex` (global/sticky) or the
/// start, updating `lastIndex` as JavaScript does.
fn exec_raw(re: &JsRegExp, s: &str) -> JsResult<Option<Match>> {
    let uses_last = re.sticky_or_global();
    let start = if uses_last {
        match byte_at(s, re.last_index()) {
            Some(b) => b,
            None => {
                re.set_last_index(0);
                return Ok(None);
            }
        }
    } else {
        0
    };
    let found = search(|| {
        jsregex::find_js(
            &re.0.re,
            re.0.flags.unicode || re.0.flags.unicode_sets,
            s,
            start,
        )
    })?
    .filter(|m| !re.0.flags.sticky || m.start() == start);
    if uses_last {
        match &found {
            Some(m) => re.set_last_index(units_at(s, m.end())),
            None => re.set_last_index(0),
        }
    }
    Ok(found)
}

/// Every match from byte `from` on, as a global `match`/`replace` finds
/// them (a sticky pattern stops at the first gap).
fn all_matches(re: &JsRegExp, s: &str, from: usize) -> JsResult<Vec<Match>> {
    let mut out = Vec::new();
    let mut pos = from;
    search(|| {
        while pos <= s.len() {
            let Some(m) = jsregex::find_js(
                &re.0.re,
                re.0.flags.unicode || re.0.flags.unicode_sets,
                s,
                pos,
            ) else {
                break;
            };
            if re.0.flags.sticky && m.start() != pos {
                break;
            }
            pos = if m.range.is_empty() {
                advance(s, m.end())
            } else {
                m.end()
            };
            out.push(m);
            if out.len() > MAX_ELEMENTS {
                break;
            }
        }
    })?;
    if out.len() > MAX_ELEMENTS {
        return Err(ops::throw("RangeError", "Invalid array length"));
    }
    Ok(out)
}

fn group_value(s: &str, m: &Match, i: usize) -> Dynamic {
    m.group(i)
        .map(|r| Dynamic::from(s[r].to_owned()))
        .unwrap_or(Dynamic::UNIT)
}

/// The named groups of a match as an object (`undefined` without names).
fn groups_of(s: &str, m: &Match) -> Dynamic {
    if m.named_groups().len() == 0 {
        return Dynamic::UNIT;
    }
    let obj = JsObject::new();
    for (name, range) in m.named_groups() {
        let v = range.map_or(Dynamic::UNIT, |r| Dynamic::from(s[r].to_owned()));
        obj.set(name.into(), v);
    }
    Dynamic::from(obj)
}

/// `match.indices` of a pattern with the `d` flag: each group's
/// `[start, end]` in UTF-16 units, `undefined` for a group that took no
/// part.
fn indices_of(re: &JsRegExp, s: &str, m: &Match) -> Dynamic {
    if !re.0.flags.has_indices {
        return Dynamic::UNIT;
    }
    let pair = |i: usize| {
        m.group(i).map_or(Dynamic::UNIT, |r| {
            array(vec![
                num(units_at(s, r.start) as f64),
                num(units_at(s, r.end) as f64),
            ])
        })
    };
    array((0..=m.captures.len()).map(pair).collect())
}

/// The match array `exec` returns.
fn match_value(re: &JsRegExp, s: &str, input: &ImmutableString, m: &Match) -> Dynamic {
    let items = (0..=m.captures.len())
        .map(|i| group_value(s, m, i))
        .collect();
    Dynamic::from(JsMatch {
        items: JsArray::from_vec(items),
        index: units_at(s, m.start()),
        input: input.clone(),
        groups: groups_of(s, m),
        indices: indices_of(re, s, m),
    })
}

/// `re.exec(s)`.
pub fn exec(re: &JsRegExp, input: &ImmutableString) -> JsResult<Dynamic> {
    Ok(match exec_raw(re, input)? {
        Some(m) => match_value(re, input, input, &m),
        None => null(),
    })
}

/// `re.test(s)`.
pub fn test(re: &JsRegExp, s: &str) -> JsResult<bool> {
    exec_raw(re, s).map(|m| m.is_some())
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
        "hasIndices" => Dynamic::from_bool(f.has_indices),
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
    Some(match name {
        "test" => test(re, &s()).map(Dynamic::from_bool),
        "exec" => exec(re, &s()),
        "toString" => Ok(Dynamic::from(re.to_js_string())),
        _ => return None,
    })
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
        return exec(&re, s);
    }
    let found = all_matches(&re, s, 0)?;
    re.set_last_index(0);
    if found.is_empty() {
        return Ok(null());
    }
    Ok(array(found.iter().map(|m| group_value(s, m, 0)).collect()))
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
        found.iter().map(|m| match_value(&re, s, s, m)).collect(),
    ))
}

/// `s.search(re)`: where the first match starts, or -1.
pub fn search_index(s: &ImmutableString, arg: Option<&Dynamic>) -> JsResult<Dynamic> {
    let re = regexp_arg(arg, "")?;
    let found = search(|| {
        jsregex::find_js(
            &re.0.re,
            re.0.flags.unicode || re.0.flags.unicode_sets,
            s,
            0,
        )
    })?
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
        exec_raw(re, s)?.into_iter().collect()
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
    for m in &found {
        let rep = if callable {
            let mut args: Vec<Dynamic> = (0..=m.captures.len())
                .map(|i| group_value(s, m, i))
                .collect();
            args.push(num(units_at(s, m.start()) as f64));
            args.push(Dynamic::from(s.clone()));
            if m.named_groups().len() > 0 {
                args.push(groups_of(s, m));
            }
            to_string(&call_function(ctx, replacement, args)?).to_string()
        } else {
            jsregex::substitute(m, s, &template)
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
pub fn split(s: &str, re: &JsRegExp, limit: Option<&Dynamic>) -> JsResult<Dynamic> {
    let limit = match limit.filter(|l| !l.is_unit()) {
        Some(l) => ops::to_int32(l) as u32 as usize,
        None => u32::MAX as usize,
    };
    let mut out: Vec<Dynamic> = Vec::new();
    if limit == 0 {
        return Ok(array(out));
    }
    let piece = |a: usize, b: usize| Dynamic::from(s[a..b].to_owned());
    if s.is_empty() {
        if search(|| {
            jsregex::find_js(
                &re.0.re,
                re.0.flags.unicode || re.0.flags.unicode_sets,
                s,
                0,
            )
        })?
        .is_none()
        {
            out.push(piece(0, 0));
        }
        return Ok(array(out));
    }
    let (mut p, mut q) = (0, 0);
    while q < s.len() {
        let Some(m) = search(|| {
            jsregex::find_js(
                &re.0.re,
                re.0.flags.unicode || re.0.flags.unicode_sets,
                s,
                q,
            )
        })?
        else {
            break;
        };
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
            return Ok(array(out));
        }
        p = e;
        for i in 1..=m.captures.len() {
            out.push(group_value(s, &m, i));
            if out.len() == limit {
                return Ok(array(out));
            }
        }
        q = p;
    }
    out.push(piece(p, s.len()));
    Ok(array(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str, f: &str) -> JsRegExp {
        new_regexp(p, f).unwrap_or_else(|_| panic!("/{p}/{f}"))
    }

    fn split_ok(s: &str, r: &JsRegExp, limit: Option<&Dynamic>) -> Dynamic {
        split(s, r, limit).unwrap()
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
        assert_eq!(Flags::parse("gg"), Err(InvalidFlags));
        assert_eq!(Flags::parse("x"), Err(InvalidFlags));
        assert_eq!(Flags::parse("ydg").unwrap().text(), "dgy");
    }

    #[test]
    fn exec_moves_last_index_for_global_patterns() {
        let r = re(r"\d", "g");
        let s: ImmutableString = "a1b2".into();
        assert!(test(&r, &s).unwrap());
        assert_eq!(to_string(&get(&r, "lastIndex")), "2");
        assert!(test(&r, &s).unwrap());
        assert!(!test(&r, &s).unwrap());
        assert_eq!(to_string(&get(&r, "lastIndex")), "0");
    }

    #[test]
    fn split_follows_javascript() {
        assert_eq!(
            strings(&split_ok("a1b22c", &re(r"\d+", ""), None)),
            ["a", "b", "c"]
        );
        assert_eq!(
            strings(&split_ok("abc", &re("(b)", ""), None)),
            ["a", "b", "c"]
        );
        assert_eq!(
            strings(&split_ok("abc", &re("x*", ""), None)),
            ["a", "b", "c"]
        );
        assert_eq!(
            strings(&split_ok("", &re("x*", ""), None)),
            Vec::<String>::new()
        );
        assert_eq!(strings(&split_ok("", &re("x", ""), None)), [""]);
    }

    #[test]
    fn indexes_count_utf16_units() {
        let r = re("b", "g");
        let s: ImmutableString = "é😀b".into();
        let m = exec(&r, &s).unwrap();
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
    fn load_check_gives_the_v8_syntax_error() {
        assert!(check_literal("(?<=a)b", "").is_ok());
        assert!(check_literal("(a)\\1", "gd").is_ok());
        assert_eq!(
            check_literal("a)", "g").unwrap_err(),
            "Invalid regular expression: /a)/g: Unmatched ')'"
        );
    }
}
