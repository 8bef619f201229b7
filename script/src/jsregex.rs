//! JavaScript regular expressions on `regress`, an ECMAScript engine (the
//! one Boa uses): look-around, back-references, named groups, Unicode
//! property escapes and case folding as V8 has them. Shared by function
//! bodies, `switch` regex rules and `change` replace rules, with
//! `String.prototype.replace`'s `$1`, `$&`, `$$`, `` $` ``, `$'` and
//! `$<name>` substitutions and V8's wording for syntax errors.
//!
//! `regress` backtracks, so a pattern such as `(a+)+$` takes time
//! exponential in the length of a subject it does not match. Every search
//! therefore runs under a stop check ([`bounded`], [`within_limit`]) that
//! the engine consults every few thousand backtracks.

use std::cell::Cell;
use std::ops::Range;
use std::time::{Duration, Instant};

pub use regress::{Match, Regex};

/// The flags that change how a JavaScript pattern compiles (`i`, `m`, `s`,
/// `u`, `v`); `g`, `y` and `d` only change how it is applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Syntax {
    pub ignore_case: bool,
    pub multi_line: bool,
    pub dot_all: bool,
    pub unicode: bool,
    pub unicode_sets: bool,
}

/// How long one `switch` or `change` rule may search (a flow author's
/// pattern against a subject from a request): past it the rule fails
/// instead of holding its worker.
pub const RULE_TIME_LIMIT: Duration = Duration::from_millis(250);

/// A search stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("regular expression search exceeded its time limit of {} ms", RULE_TIME_LIMIT.as_millis())]
pub struct TooSlow;

/// Whether `pattern` has more `)` than `(` before its end: V8 says
/// "Unmatched ')'" for that and "Unterminated group" for the reverse, where
/// `regress` says "Unbalanced parenthesis" for both.
fn has_unopened_paren(pattern: &str) -> bool {
    let (mut depth, mut in_class, mut escaped) = (0i32, false, false);
    for c in pattern.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' => in_class = true,
            ']' => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Whether `pattern` has a `]`, `{` or `}` outside a class and not
/// escaped: V8 calls those "Lone quantifier brackets" with `u` or `v`.
fn has_lone_bracket(pattern: &str) -> bool {
    let (mut in_class, mut escaped) = (false, false);
    pattern.chars().any(|c| {
        let lone = !escaped && !in_class && matches!(c, ']' | '{' | '}');
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' => in_class = true,
            ']' => in_class = false,
            _ => {}
        }
        lone
    })
}

/// V8's wording for a syntax error `regress` reports.
fn v8_reason(pattern: &str, syntax: Syntax, reason: &str) -> String {
    let unicode = syntax.unicode || syntax.unicode_sets;
    match reason {
        "Unbalanced parenthesis" if has_unopened_paren(pattern) => "Unmatched ')'",
        "Unbalanced parenthesis" => "Unterminated group",
        "Unbalanced bracket" => "Unterminated character class",
        "Invalid atom character" if unicode && has_lone_bracket(pattern) => {
            "Lone quantifier brackets"
        }
        // A quantified look-around (`regress` also says this after `^`).
        "Quantifier not allowed here" if pattern.contains("(?") => "Invalid quantifier",
        "Invalid atom character" | "Quantifier not allowed here" | "Invalid braced quantifier" => {
            "Nothing to repeat"
        }
        // `regress` names the group; V8 does not.
        r if r.starts_with("Backreference to invalid named capture group") => {
            "Invalid named capture referenced"
        }
        "Invalid quantifier" => "numbers out of order in {} quantifier",
        "Range values reversed, start char code is greater than end char code." => {
            "Range out of order in character class"
        }
        "Incomplete escape" | "Unterminated escape" => "\\ at end of pattern",
        "Invalid named backreference syntax" => "Invalid named reference",
        "Invalid token at named capture group identifier" => "Invalid capture group name",
        "Invalid unicode escape" => "Invalid Unicode escape",
        "Invalid character escape" => "Invalid escape",
        "Invalid character range" => "Invalid character class",
        "Invalid group modifier" => "Invalid group",
        "Invalid property name" | "Invalid property escape" => "Invalid property name",
        other => other,
    }
    .to_owned()
}

/// Compile a JavaScript pattern (`switch`/`change` rules: only `i`).
pub fn compile(pattern: &str, case_insensitive: bool) -> Result<Regex, String> {
    compile_with(
        pattern,
        Syntax {
            ignore_case: case_insensitive,
            ..Syntax::default()
        },
    )
}

/// Compile a JavaScript pattern with its flags. The error reads like V8's
/// (`Invalid regular expression: /a)/: Unmatched ')'`).
pub fn compile_with(pattern: &str, syntax: Syntax) -> Result<Regex, String> {
    let flags = regress::Flags {
        icase: syntax.ignore_case,
        multiline: syntax.multi_line,
        dot_all: syntax.dot_all,
        unicode: syntax.unicode,
        unicode_sets: syntax.unicode_sets,
        no_opt: false,
    };
    Regex::from_unicode(pattern.chars().map(u32::from), flags).map_err(|e| {
        format!(
            "Invalid regular expression: /{pattern}/: {}",
            v8_reason(pattern, syntax, &e.text)
        )
    })
}

/// A pattern matching `text` literally (`change` rules searching for a
/// string, number or boolean, as Node-RED escapes them into a `RegExp`).
pub fn literal(text: &str) -> Regex {
    compile(&regress::escape(text), false).expect("an escaped string is a valid pattern")
}

/// The first match of `re` in `text` at or after byte `start`.
pub fn find_at(re: &Regex, text: &str, start: usize) -> Option<Match> {
    re.find_from(text, start).next()
}

/// The first match of a function body's `re` in `text` at or after byte
/// `start`. Without the `u` or `v` flag (`unicode` false) JavaScript
/// matches UTF-16 code units, so `.` takes half of an emoji and
/// `/^.$/.test("😀")` is false: such a pattern runs on the text's code
/// units when it has characters outside the Basic Multilingual Plane. A
/// match boundary inside such a character widens to the whole character,
/// since flowgate's strings cannot hold half of one.
pub fn find_js(re: &Regex, unicode: bool, text: &str, start: usize) -> Option<Match> {
    if unicode || !text.chars().any(|c| c.len_utf16() == 2) {
        return find_at(re, text, start);
    }
    // The byte offset of every code unit (the second half of a pair maps
    // to its character's start), and of the end.
    let mut byte_of = Vec::with_capacity(text.len() + 1);
    for (b, c) in text.char_indices() {
        byte_of.push(b);
        if c.len_utf16() == 2 {
            byte_of.push(b);
        }
    }
    byte_of.push(text.len());
    let units: Vec<u16> = text.encode_utf16().collect();
    let first = byte_of.partition_point(|&b| b < start);
    let mut m = re.find_from_ucs2(&units, first).next()?;
    m.range = unit_range_to_bytes(&byte_of, m.range.clone());
    m.captures = m
        .captures
        .iter()
        .map(|c| c.clone().map(|r| unit_range_to_bytes(&byte_of, r)))
        .collect();
    Some(m)
}

/// A range of code units as bytes (`byte_of` from [`find_js`]); an end
/// inside a character moves to the character's end.
fn unit_range_to_bytes(byte_of: &[usize], r: Range<usize>) -> Range<usize> {
    let inside = |u: usize| u > 0 && u < byte_of.len() - 1 && byte_of[u] == byte_of[u - 1];
    let start = byte_of[r.start];
    let end = if inside(r.end) {
        byte_of[r.end + 1]
    } else {
        byte_of[r.end]
    };
    start..end.max(start)
}

/// Run the searches in `search` with `stop` asked every few thousand
/// backtracks whether to give up; `None` when it did.
pub fn bounded<R>(stop: fn() -> bool, search: impl FnOnce() -> R) -> Option<R> {
    regress::interrupt::with_stop_check(stop, search).ok()
}

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

fn past_deadline() -> bool {
    DEADLINE.get().is_some_and(|d| Instant::now() >= d)
}

/// Run the searches in `search` within [`RULE_TIME_LIMIT`].
pub fn within_limit<R>(search: impl FnOnce() -> R) -> Result<R, TooSlow> {
    let previous = DEADLINE.replace(Some(Instant::now() + RULE_TIME_LIMIT));
    let result = bounded(past_deadline, search);
    DEADLINE.set(previous);
    result.ok_or(TooSlow)
}

/// `text` with every match of `re` replaced, as `text.replace(/re/g,
/// replacement)` does (the search is not bounded: see [`within_limit`]).
pub fn replace_all(re: &Regex, text: &str, replacement: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut next = 0;
    for m in re.find_iter(text) {
        out.push_str(&text[next..m.start()]);
        out.push_str(&substitute(&m, text, replacement));
        next = m.end();
    }
    out.push_str(&text[next..]);
    out
}

/// Expand `replacement`'s `$` patterns for one match (`GetSubstitution`).
pub fn substitute(m: &Match, text: &str, replacement: &str) -> String {
    if !replacement.contains('$') {
        return replacement.to_owned();
    }
    let group = |n: usize| m.group(n).map_or("", |r| &text[r]);
    let mut out = String::new();
    let bytes = replacement.as_bytes();
    let mut i = 0;
    let groups = m.captures.len();
    while i < bytes.len() {
        if bytes[i] != b'$' || i + 1 >= bytes.len() {
            let c = replacement[i..].chars().next().expect("char");
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        match bytes[i + 1] {
            b'$' => {
                out.push('$');
                i += 2;
            }
            b'&' => {
                out.push_str(group(0));
                i += 2;
            }
            b'`' => {
                out.push_str(&text[..m.start()]);
                i += 2;
            }
            b'\'' => {
                out.push_str(&text[m.end()..]);
                i += 2;
            }
            b'0'..=b'9' => {
                // Two digits when that names a group, else one.
                let d1 = (bytes[i + 1] - b'0') as usize;
                let two = bytes
                    .get(i + 2)
                    .filter(|b| b.is_ascii_digit())
                    .map(|b| d1 * 10 + (b - b'0') as usize);
                match two {
                    Some(n) if n >= 1 && n <= groups => {
                        out.push_str(group(n));
                        i += 3;
                    }
                    _ if d1 >= 1 && d1 <= groups => {
                        out.push_str(group(d1));
                        i += 2;
                    }
                    _ => {
                        out.push('$');
                        i += 1;
                    }
                }
            }
            // `$<name>` only means a group when the pattern names groups.
            b'<' if m.named_groups().len() > 0 => match replacement[i + 2..].find('>') {
                Some(end) => {
                    let name = &replacement[i + 2..i + 2 + end];
                    out.push_str(m.named_group(name).map_or("", |r| &text[r]));
                    i += 3 + end;
                }
                None => {
                    out.push('$');
                    i += 1;
                }
            },
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_substitutions() {
        let re = compile(r"(\w)(\d)", false).unwrap();
        assert_eq!(
            replace_all(&re, "a1-b2", "[$2$1|$&|$$|$3]"),
            "[1a|a1|$|$3]-[2b|b2|$|$3]"
        );
        let re = compile("-", false).unwrap();
        assert_eq!(replace_all(&re, "x-y", "<$`|$'|$<k>>"), "x<x|y|$<k>>y");
        let re = compile("(?<k>b)", false).unwrap();
        assert_eq!(replace_all(&re, "abc", "[$<k>]"), "a[b]c");
    }

    #[test]
    fn ecmascript_features() {
        let m = |p: &str, text: &str| compile(p, false).unwrap().find(text).map(|m| m.range);
        assert_eq!(m(r"(?<=\$)\d+", "cost $42"), Some(6..8));
        assert_eq!(m(r"(?<!\$)\b\d+", "$1 2"), Some(3..4));
        assert_eq!(m(r"(\w)\1", "abccd"), Some(2..4));
        assert_eq!(m(r"(?<q>['x])\w+\k<q>", "a 'b' c"), Some(2..5));
        assert_eq!(m(r"^\d$", "٣"), None);
        assert!(compile("HELLO", true).unwrap().find("hello").is_some());
    }

    #[test]
    fn errors_read_like_v8() {
        let e = |p: &str| compile(p, false).unwrap_err();
        assert_eq!(
            e("("),
            "Invalid regular expression: /(/: Unterminated group"
        );
        assert_eq!(e("a)"), "Invalid regular expression: /a)/: Unmatched ')'");
        assert_eq!(
            e("[z-a]"),
            "Invalid regular expression: /[z-a]/: Range out of order in character class"
        );
        assert_eq!(
            e("x{3,1}"),
            "Invalid regular expression: /x{3,1}/: numbers out of order in {} quantifier"
        );
        assert_eq!(e("*"), "Invalid regular expression: /*/: Nothing to repeat");
    }

    #[test]
    fn a_catastrophic_search_stops_at_the_limit() {
        let re = compile("^(a+)+$", false).unwrap();
        let text = format!("{}!", "a".repeat(64));
        let started = Instant::now();
        assert_eq!(within_limit(|| re.find(&text).is_some()), Err(TooSlow));
        assert!(started.elapsed() < RULE_TIME_LIMIT * 4);
        // An ordinary search is not affected.
        assert_eq!(within_limit(|| re.find("aaa").is_some()), Ok(true));
    }
}
