//! A bound on how deeply a function body nests, checked before parsing.
//!
//! The JavaScript parser, the translator and Rhai's compiler and evaluator
//! all recurse once per nesting level; a body such as `((((…1…))))` a few
//! thousand levels deep would overflow the thread's stack and abort the
//! whole process at deploy time. A linear scan estimates the nesting from
//! above (brackets, plus the operators and keywords within one statement or
//! list item that make a recursive-descent parser recurse) and refuses
//! bodies beyond [`MAX_NESTING`] with a load error instead.

/// The deepest nesting accepted, far beyond what people write by hand.
pub const MAX_NESTING: usize = 100;

/// Keywords after which the parser recurses into a nested statement or
/// expression.
const NESTING_WORDS: &[&str] = &[
    "if",
    "else",
    "while",
    "for",
    "do",
    "with",
    "typeof",
    "void",
    "delete",
    "new",
    "await",
    "throw",
    "return",
    "case",
    "yield",
    "in",
    "of",
    "instanceof",
];

/// The byte offset where the estimate first exceeds [`MAX_NESTING`], if it does.
pub fn too_deep_at(source: &str) -> Option<usize> {
    let b = source.as_bytes();
    // Per open bracket: the operator chain of the level it interrupts, and
    // for `{`, whether it opened a template substitution (`${`).
    let mut stack: Vec<(usize, bool)> = Vec::new();
    let mut chain = 0usize;
    let mut i = 0;
    while i < b.len() {
        if stack.len() + chain > MAX_NESTING {
            return Some(i);
        }
        let c = b[i];
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = source[i + 2..]
                    .find("*/")
                    .map_or(b.len(), |e| i + 2 + e + 2);
                continue;
            }
            b'\'' | b'"' => {
                i = skip_string(b, i);
                continue;
            }
            b'`' => {
                match skip_template(b, i + 1) {
                    (end, true) => {
                        stack.push((chain, true));
                        chain = 0;
                        i = end;
                    }
                    (end, false) => i = end,
                }
                continue;
            }
            b'(' | b'[' | b'{' => {
                stack.push((chain, false));
                chain = 0;
            }
            b'}' if stack.last().is_some_and(|s| s.1) => {
                // The end of a `${…}` substitution: back in template text.
                chain = stack.pop().map_or(0, |s| s.0);
                match skip_template(b, i + 1) {
                    (end, true) => {
                        stack.push((chain, true));
                        chain = 0;
                        i = end;
                    }
                    (end, false) => i = end,
                }
                continue;
            }
            b')' | b']' | b'}' => {
                chain = stack.pop().map_or(0, |s| s.0);
            }
            // A new statement or list item starts a new chain (a line break
            // too, so bodies without semicolons are not summed up; the
            // compiler's stack is sized for chains spread over lines).
            b';' | b',' | b'\n' => chain = 0,
            b'=' | b'?' | b'!' | b'~' | b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^'
            | b'<' | b'>' | b'.' | b':' => {
                // Every operator character counts (`!!!!x` nests four times;
                // `===` merely counts thrice, which keeps this an upper bound).
                chain += 1;
            }
            c if c.is_ascii_alphabetic() => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$')
                {
                    i += 1;
                }
                let preceded_by_dot = start > 0 && b[start - 1] == b'.';
                if !preceded_by_dot && NESTING_WORDS.contains(&&source[start..i]) {
                    chain += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    (stack.len() + chain > MAX_NESTING).then_some(b.len())
}

/// The index after the string literal starting at `start`.
fn skip_string(b: &[u8], start: usize) -> usize {
    let quote = b[start];
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            c if c == quote || c == b'\n' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Skip template text from `i`: (index after it, whether it stopped at a
/// `${` rather than the closing backquote).
fn skip_template(b: &[u8], mut i: usize) -> (usize, bool) {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'`' => return (i + 1, false),
            b'$' if b.get(i + 1) == Some(&b'{') => return (i + 2, true),
            _ => i += 1,
        }
    }
    (b.len(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_bodies_pass() {
        let body = "var a = {x: [1, 2, {y: `t ${msg.payload.a + 1} u`}]};\n\
                    if (a.x.length > 1 && !msg.done) { for (var i = 0; i < 3; i++) { a.x.push(i * 2 - 1); } }\n\
                    msg.payload = a.x.map((v) => v + 1).filter((v) => v % 2 === 0).join(', ');\nreturn msg;";
        assert_eq!(too_deep_at(body), None);
        // Long flat lists are siblings, not nesting.
        let list = format!("var a = [{}];", vec!["1 + 2"; 10_000].join(", "));
        assert_eq!(too_deep_at(&list), None);
        // Brackets inside strings, comments and template text do not count.
        let quoted = format!(
            "var s = '{0}'; /* {0} */ // {0}\nvar t = `{0}`;",
            "(".repeat(1000)
        );
        assert_eq!(too_deep_at(&quoted), None);
    }

    #[test]
    fn deep_bodies_are_found() {
        for (open, close) in [("(", ")"), ("[", "]"), ("{a:", "}"), ("!", ""), ("- ", "")] {
            let body = format!("x = {}1{};", open.repeat(300), close.repeat(300));
            assert!(too_deep_at(&body).is_some(), "{open}");
        }
        assert!(too_deep_at(&"if (x) ".repeat(300)).is_some());
        assert!(too_deep_at(&"x = ".repeat(300)).is_some());
        assert!(too_deep_at(&format!("x = 1{}", " + 1".repeat(300))).is_some());
        assert!(too_deep_at(&"`${".repeat(300)).is_some());
    }

    #[test]
    fn statements_without_semicolons_do_not_add_up() {
        let body = "x = msg.payload.a + 1 - y * 2\n".repeat(1000);
        assert_eq!(too_deep_at(&body), None);
    }
}
