//! JavaScript regular expressions as `switch` and `change` rules write them,
//! on Rust's linear-time `regex` engine: ASCII `\d`, `\w`, `\b` like
//! JavaScript, and `String.prototype.replace`'s `$1`, `$&`, `$$`, `` $` ``,
//! `$'` and `$<name>` substitutions. Look-around and back-references, which
//! `regex` does not offer, are reported as load errors.

use regex::{Captures, Regex, RegexBuilder};

/// Translate JavaScript's ASCII-only classes into explicit ones.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let rep = match (n, in_class) {
                    ('d', false) => "[0-9]",
                    ('D', false) => "[^0-9]",
                    ('w', false) => "[0-9A-Za-z_]",
                    ('W', false) => "[^0-9A-Za-z_]",
                    ('d', true) => "0-9",
                    ('w', true) => "0-9A-Za-z_",
                    ('b', false) => "(?-u:\\b)",
                    ('B', false) => "(?-u:\\B)",
                    _ => {
                        out.push('\\');
                        out.push(n);
                        continue;
                    }
                };
                out.push_str(rep);
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A leading `]` or `^]` is literal in JavaScript too.
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Compile a JavaScript pattern.
pub fn compile(pattern: &str, case_insensitive: bool) -> Result<Regex, String> {
    RegexBuilder::new(&translate(pattern))
        .case_insensitive(case_insensitive)
        .build()
        .map_err(|e| match e {
            regex::Error::Syntax(s) => {
                let first = s.lines().last().unwrap_or("invalid regular expression");
                format!("Invalid regular expression: /{pattern}/: {}", first.trim_start_matches("error: "))
            }
            other => format!("Invalid regular expression: /{pattern}/: {other}"),
        })
}

/// `text.replace(/re/g, replacement)` with JavaScript's substitution patterns.
pub fn replace_all(re: &Regex, text: &str, replacement: &str) -> String {
    if !replacement.contains('$') {
        return re.replace_all(text, regex::NoExpand(replacement)).into_owned();
    }
    re.replace_all(text, |caps: &Captures<'_>| substitute(caps, text, replacement))
        .into_owned()
}

fn substitute(caps: &Captures<'_>, text: &str, replacement: &str) -> String {
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
        assert_eq!(replace_all(&re, "a1-b2", "[$2$1|$&|$$|$3]"), "[1a|a1|$|$3]-[2b|b2|$|$3]");
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
    fn unsupported_syntax_is_reported() {
        assert!(compile("(?=x)", false).unwrap_err().starts_with("Invalid regular expression: /(?=x)/"));
    }
}
