//! JavaScript regular expressions as `switch` and `change` rules write them,
//! on Rust's linear-time `regex` engine: ASCII `\d`, `\w`, `\b` like
//! JavaScript, and `String.prototype.replace`'s `$1`, `$&`, `$$`, `` $` ``,
//! `$'` and `$<name>` substitutions. Look-around and back-references, which
//! `regex` does not offer, are reported as load errors.

use regex::{Captures, Regex, RegexBuilder};

/// The flags that change how a JavaScript pattern compiles (`i`, `m`, `s`,
/// `u`); `g` and `y` only change how it is applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Syntax {
    pub ignore_case: bool,
    pub multi_line: bool,
    pub dot_all: bool,
    pub unicode: bool,
}

/// JavaScript's `\s`: its white space and line terminators (not Unicode's
/// White_Space, which differs in U+0085 and U+FEFF).
const JS_SPACE: &str =
    "\\t\\n\\x0B\\x0C\\r \\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF";

/// Whether `rest` (just after a `{`) is a quantifier body `n}`, `n,}` or `n,m}`.
fn is_quantifier(rest: &str) -> bool {
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let rest = &rest[digits..];
    if let Some(r) = rest.strip_prefix(',') {
        let more = r.bytes().take_while(u8::is_ascii_digit).count();
        return r[more..].starts_with('}');
    }
    rest.starts_with('}')
}

/// Translate JavaScript pattern syntax into the `regex` crate's: ASCII-only
/// `\d`/`\w`/`\b`, JavaScript's `\s` and `.`, `[^]`, identity escapes
/// (`\e` is `e`), `\0`, `\cX`, `[\b]`, literal braces and brackets that
/// JavaScript reads as characters. Look-around and back-references are left
/// for the `regex` crate to reject.
fn translate(pattern: &str, syntax: Syntax) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut chars = pattern.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                let Some((_, n)) = chars.next() else {
                    out.push_str("\\\\");
                    break;
                };
                match (n, in_class) {
                    ('d', false) => out.push_str("[0-9]"),
                    ('D', false) => out.push_str("[^0-9]"),
                    ('w', false) => out.push_str("[0-9A-Za-z_]"),
                    ('W', false) => out.push_str("[^0-9A-Za-z_]"),
                    ('s', false) => {
                        out.push('[');
                        out.push_str(JS_SPACE);
                        out.push(']');
                    }
                    ('S', false) => {
                        out.push_str("[^");
                        out.push_str(JS_SPACE);
                        out.push(']');
                    }
                    ('d', true) => out.push_str("0-9"),
                    ('w', true) => out.push_str("0-9A-Za-z_"),
                    ('s', true) => out.push_str(JS_SPACE),
                    ('b', false) => out.push_str("(?-u:\\b)"),
                    ('B', false) => out.push_str("(?-u:\\B)"),
                    ('b', true) => out.push_str("\\x08"),
                    ('0', _) if !chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) => {
                        out.push_str("\\x00")
                    }
                    ('c', _) if chars.peek().is_some_and(|(_, l)| l.is_ascii_alphabetic()) => {
                        let (_, l) = chars.next().expect("peeked");
                        out.push_str(&format!("\\x{:02X}", (l as u32) % 32));
                    }
                    ('p' | 'P', _) if !syntax.unicode => out.push(n),
                    ('p' | 'P', _) => {
                        // `\p{Script=Greek}`: the property name as written.
                        out.push('\\');
                        out.push(n);
                        if chars.peek().is_some_and(|(_, b)| *b == '{') {
                            for (_, q) in chars.by_ref() {
                                out.push(q);
                                if q == '}' {
                                    break;
                                }
                            }
                        }
                    }
                    // Escapes both dialects share, and those `regex` rejects
                    // as it should (back-references, `\k<name>`).
                    ('D' | 'W' | 'S' | 'B' | 'n' | 'r' | 't' | 'v' | 'f' | 'x' | 'u' | 'k', _)
                    | ('1'..='9', _) => {
                        out.push('\\');
                        out.push(n);
                    }
                    // Any other letter is an identity escape in JavaScript.
                    (l, _) if l.is_alphanumeric() || l == '_' => out.push(l),
                    (other, _) if other.is_ascii() => {
                        out.push('\\');
                        out.push(other);
                    }
                    (other, _) => out.push(other),
                }
            }
            '[' if !in_class => {
                let rest = &pattern[at + 1..];
                if rest.starts_with("^]") {
                    // `[^]` matches any character.
                    out.push_str("[\\s\\S]");
                    chars.next();
                    chars.next();
                } else if rest.starts_with(']') {
                    // `[]` matches nothing.
                    out.push_str("[^\\s\\S]");
                    chars.next();
                } else {
                    in_class = true;
                    out.push('[');
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            // Characters the `regex` crate gives a meaning inside a class.
            '[' | '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '-' if in_class && chars.peek().is_some_and(|(_, n)| *n == '-') => {
                out.push_str("\\-");
            }
            '.' if !in_class => out.push_str(if syntax.dot_all {
                "(?s:.)"
            } else {
                "[^\\n\\r\\u2028\\u2029]"
            }),
            '{' if !in_class && !is_quantifier(&pattern[at + 1..]) => out.push_str("\\{"),
            '}' if !in_class => {
                // A `}` closing a quantifier was consumed with it below.
                out.push_str("\\}");
            }
            '{' if !in_class => {
                // A quantifier: copy it through its `}`.
                out.push('{');
                for (_, q) in chars.by_ref() {
                    out.push(q);
                    if q == '}' {
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// V8's wording for the syntax errors both engines report.
fn v8_reason(reason: &str) -> &str {
    match reason {
        "unclosed group" => "Unterminated group",
        "unopened group" => "Unmatched ')'",
        "unclosed character class" => "Unterminated character class",
        "repetition operator missing expression" => "Nothing to repeat",
        "invalid character class range, the start must be <= the end" => {
            "Range out of order in character class"
        }
        "invalid repetition count range, the start must be <= the end" => {
            "numbers out of order in {} quantifier"
        }
        "incomplete escape sequence, reached end of pattern prematurely" => "\\ at end of pattern",
        "duplicate capture group name" => "Duplicate capture group name",
        other => other,
    }
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
/// (`Invalid regular expression: /(/: ...`), with the `regex` crate's reason.
pub fn compile_with(pattern: &str, syntax: Syntax) -> Result<Regex, String> {
    RegexBuilder::new(&translate(pattern, syntax))
        .case_insensitive(syntax.ignore_case)
        .multi_line(syntax.multi_line)
        .build()
        .map_err(|e| match e {
            regex::Error::Syntax(s) => {
                let first = s.lines().last().unwrap_or("invalid regular expression");
                format!(
                    "Invalid regular expression: /{pattern}/: {}",
                    v8_reason(first.trim_start_matches("error: "))
                )
            }
            other => format!("Invalid regular expression: /{pattern}/: {other}"),
        })
}

/// `text.replace(/re/g, replacement)` with JavaScript's substitution patterns.
pub fn replace_all(re: &Regex, text: &str, replacement: &str) -> String {
    if !replacement.contains('$') {
        return re
            .replace_all(text, regex::NoExpand(replacement))
            .into_owned();
    }
    re.replace_all(text, |caps: &Captures<'_>| {
        substitute(caps, text, replacement)
    })
    .into_owned()
}

/// Expand `replacement`'s `$` patterns for one match (`GetSubstitution`).
pub fn substitute(caps: &Captures<'_>, text: &str, replacement: &str) -> String {
    let whole = caps.get(0).expect("match");
    let mut out = String::new();
    let bytes = replacement.as_bytes();
    let mut i = 0;
    let groups = caps.len() - 1;
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
                out.push_str(whole.as_str());
                i += 2;
            }
            b'`' => {
                out.push_str(&text[..whole.start()]);
                i += 2;
            }
            b'\'' => {
                out.push_str(&text[whole.end()..]);
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
                        out.push_str(caps.get(n).map_or("", |m| m.as_str()));
                        i += 3;
                    }
                    _ if d1 >= 1 && d1 <= groups => {
                        out.push_str(caps.get(d1).map_or("", |m| m.as_str()));
                        i += 2;
                    }
                    _ => {
                        out.push('$');
                        i += 1;
                    }
                }
            }
            b'<' => match replacement[i + 2..].find('>') {
                Some(end) => {
                    let name = &replacement[i + 2..i + 2 + end];
                    out.push_str(caps.name(name).map_or("", |m| m.as_str()));
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
        assert_eq!(replace_all(&re, "x-y", "<$`|$'>"), "x<x|y>y");
        let re = compile("(?<k>b)", false).unwrap();
        assert_eq!(replace_all(&re, "abc", "[$<k>]"), "a[b]c");
    }

    #[test]
    fn classes_are_ascii_like_javascript() {
        assert!(!compile(r"^\d$", false).unwrap().is_match("٣"));
        assert!(compile(r"^[\w-]+$", false).unwrap().is_match("a_b-1"));
        assert!(compile("HELLO", true).unwrap().is_match("hello"));
    }

    #[test]
    fn javascript_syntax_reads_as_in_javascript() {
        let js = |p: &str, s: Syntax, text: &str| compile_with(p, s).unwrap().is_match(text);
        let plain = Syntax::default();
        // `.` stops at every JavaScript line terminator unless `s` is set.
        assert!(!js("a.c", plain, "a\rc"));
        assert!(js(
            "a.c",
            Syntax {
                dot_all: true,
                ..plain
            },
            "a\rc"
        ));
        // JavaScript's `\s` includes U+FEFF but not U+0085.
        assert!(js(r"^\s$", plain, "\u{feff}"));
        assert!(!js(r"^\s$", plain, "\u{85}"));
        // `[^]` is any character, `[]` none; identity escapes and `\0`.
        assert!(js("^[^]$", plain, "\n"));
        assert!(!js("[]", plain, "a"));
        assert!(js(r"^\e\/\0$", plain, "e/\0"));
        assert!(js(r"^\cJ$", plain, "\n"));
        // Braces that are no quantifier, and brackets inside a class, are literal.
        assert!(js("^a{$", plain, "a{"));
        assert!(js("^a{2}$", plain, "aa"));
        assert!(js("^x{1,}}$", plain, "xx}"));
        assert!(js("^[[&~]+$", plain, "[&~"));
        assert!(js(r"^[\b]$", plain, "\u{8}"));
        // `\p` is a Unicode property only with `u`.
        assert!(js(
            r"^\p{L}+$",
            Syntax {
                unicode: true,
                ..plain
            },
            "héllo"
        ));
        assert!(js(r"^\p{L}$", plain, "p{L}"));
    }

    #[test]
    fn errors_read_like_v8() {
        assert_eq!(
            compile("(", false).unwrap_err(),
            "Invalid regular expression: /(/: Unterminated group"
        );
        assert_eq!(
            compile("[z-a]", false).unwrap_err(),
            "Invalid regular expression: /[z-a]/: Range out of order in character class"
        );
    }

    #[test]
    fn unsupported_syntax_is_reported() {
        assert!(compile("(?=x)", false)
            .unwrap_err()
            .starts_with("Invalid regular expression: /(?=x)/"));
    }
}
