//! Express 4's route syntax, as `path-to-regexp` 0.1.x (the version Express
//! 4.22 and so Node-RED 5 ship) turns a path into a regular expression.
//!
//! The port follows that function step by step, quirks included, because a
//! user's exported `http in` urls are only answered the way Node-RED answers
//! them if the same regular expression comes out: `:name` matches up to the
//! next `/` (or up to the literal text that preceded it in its segment),
//! `:name?` makes the parameter and its leading slash optional, `:name(re)`
//! takes a JavaScript pattern (where the first `*` means `(.*)`), `:name*`
//! takes the rest of the path, a bare `*` is `(.*)` named `0`, `1`…, and any
//! other group is unnamed and numbered the same way. Routes are
//! case-insensitive and take one optional trailing slash (Express's defaults,
//! which Node-RED keeps). The expressions are ECMAScript ones, so they run on
//! `regress`, an ECMAScript regular expression engine.

use std::sync::LazyLock;

/// The tokens `path-to-regexp` 0.1.x rewrites: an escape, a parameter
/// (optional slash or dot, name, pattern, star, question mark), `.` or `*`,
/// and an unnamed group starting a segment.
static TOKEN: LazyLock<regress::Regex> = LazyLock::new(|| {
    regress::Regex::new(r"\\.|(\/)?(\.)?:(\w+)(\(.*?\))?(\*)?(\?)?|[.*]|\/\(")
        .expect("token pattern")
});

/// Every capturing group of the produced expression (an escape is skipped).
static MATCHING_GROUP: LazyLock<regress::Regex> =
    LazyLock::new(|| regress::Regex::new(r"\\.|\((?:\?<(.*?)>)?(?!\?)").expect("group pattern"));

/// Characters that make a path more than literal text for the regex.
const SPECIAL: &[char] = &['^', '$', '|', '?', '+', '(', ')', '[', ']', '{', '}'];

/// One Express path, compiled.
#[derive(Debug)]
pub struct Compiled {
    /// The expression, case-insensitive, anchored at both ends.
    pub regex: regress::Regex,
    /// The name of each capturing group, in group order.
    pub keys: Vec<String>,
    /// Equal for paths that match exactly the same requests the same way
    /// (literal text lower-cased, parameter names left out).
    pub identity: String,
    /// For a path of plain text only: that text lower-cased without its
    /// trailing slash, so it can be looked up without running the regex.
    pub literal: Option<String>,
    /// ASCII text every matching request path starts with (lower-cased),
    /// so most routes are passed over without running their expression.
    pub prefix: String,
}

impl Compiled {
    /// Whether `path` may match: it starts with the route's plain prefix.
    pub fn may_match(&self, path: &str) -> bool {
        path.as_bytes()
            .get(..self.prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(self.prefix.as_bytes()))
    }
}

/// Compile an Express 4 path (starting with `/`).
pub fn compile(path: &str) -> Result<Compiled, String> {
    let (body, keys, identity) = rewrite(path);
    let tail = if body.ends_with('/') { "?" } else { "/?" };
    let source = format!("^{body}{tail}$");
    let regex = regress::Regex::with_flags(&source, "i")
        .map_err(|e| format!("url \"{path}\" is not a valid route ({e})"))?;
    let literal = (identity == body.to_ascii_lowercase()
        && path.is_ascii()
        && !path.ends_with("//")
        && !path.contains(SPECIAL)
        && !path.contains(['\\', '.', '*', ':']))
    .then(|| strip_slash(&identity).to_owned());
    let prefix = literal_prefix(path);
    Ok(Compiled {
        regex,
        keys,
        identity: format!("{identity}{tail}"),
        literal,
        prefix: if prefix.is_ascii() {
            prefix
        } else {
            String::new()
        },
    })
}

/// A path without one trailing slash: how a literal route is keyed.
pub fn strip_slash(path: &str) -> &str {
    path.strip_suffix('/').unwrap_or(path)
}

/// The plain-text start of a path (before its first parameter, group or
/// wildcard), lower-cased and without trailing slashes: what the path
/// surely occupies whatever its parameters match.
pub fn literal_prefix(path: &str) -> String {
    let end = TOKEN
        .find(path)
        .map_or(path.len(), |m| m.start())
        .min(path.find(SPECIAL).unwrap_or(path.len()));
    path[..end].trim_end_matches('/').to_ascii_lowercase()
}

/// The expression body, the group names and the identity of `path`: the
/// string replacement of `path-to-regexp` 0.1.x, then its pass that names
/// the unnamed groups by their position among the named ones.
fn rewrite(path: &str) -> (String, Vec<String>, String) {
    let mut out = String::with_capacity(path.len() * 2);
    let mut identity = String::with_capacity(path.len() * 2);
    // (name, offset in `out`) per named key, as the original records them.
    let mut keys: Vec<(String, usize)> = Vec::new();
    let mut extra_offset = 0usize;
    let mut pos = 0usize;
    let mut backtrack = String::new();
    let mut last = 0usize;
    for m in TOKEN.find_iter(path) {
        let range = m.range();
        let text = &path[range.clone()];
        let plain = &path[last..range.start];
        out.push_str(plain);
        identity.push_str(&plain.to_ascii_lowercase());
        last = range.end;
        let group = |i: usize| m.group(i).map(|r| &path[r]);
        let replacement = if text.starts_with('\\') {
            backtrack.push_str(text);
            pos += text.len();
            text.to_owned()
        } else if text == "." {
            backtrack.push_str("\\.");
            extra_offset += 1;
            pos += 1;
            "\\.".to_owned()
        } else {
            let (slash, format) = (group(1), group(2));
            if slash.is_some() || format.is_some() {
                backtrack.clear();
            } else {
                backtrack.push_str(path.get(pos..range.start).unwrap_or(""));
            }
            pos = range.end;
            if text == "*" {
                backtrack.clear();
                extra_offset += 3;
                "(.*)".to_owned()
            } else if text == "/(" {
                backtrack.push('/');
                extra_offset += 2;
                "/(?:".to_owned()
            } else {
                let format = if format.is_some() { "\\." } else { "" };
                let capture = match group(4) {
                    Some(c) => first_star_to_any(c),
                    None if !backtrack.is_empty() => format!("((?:(?!/|{backtrack}).)+?)"),
                    None => format!("([^/{format}]+?)"),
                };
                let star = if group(5).is_some() {
                    format!("((?:[/{format}].+?)?)")
                } else {
                    String::new()
                };
                let result = format!(
                    "(?:{format}{}{capture}{star}){}",
                    slash.unwrap_or(""),
                    group(6).unwrap_or("")
                );
                keys.push((
                    group(3).unwrap_or("").to_owned(),
                    range.start + extra_offset,
                ));
                backtrack.clear();
                extra_offset = (extra_offset + result.len()).saturating_sub(text.len());
                result
            }
        };
        out.push_str(&replacement);
        identity.push_str(&replacement);
    }
    let plain = &path[last..];
    out.push_str(plain);
    identity.push_str(&plain.to_ascii_lowercase());
    let names = name_groups(&out, keys);
    (out, names, identity)
}

/// `capture.replace(/\\.|\*/, …)`: only the first escape-or-star is looked
/// at, and only a star is rewritten.
fn first_star_to_any(capture: &str) -> String {
    let at = capture
        .char_indices()
        .find(|&(i, c)| c == '*' || (c == '\\' && i + 1 < capture.len()));
    match at {
        Some((i, '*')) => format!("{}(.*){}", &capture[..i], &capture[i + 1..]),
        _ => capture.to_owned(),
    }
}

/// Every capturing group of `body` gets a name: the named keys keep theirs,
/// each other group takes the next number, in order of position.
fn name_groups(body: &str, mut keys: Vec<(String, usize)>) -> Vec<String> {
    let mut unnamed = 0usize;
    let mut i = 0usize;
    for m in MATCHING_GROUP.find_iter(body) {
        if body[m.range()].starts_with('\\') {
            continue;
        }
        if i == keys.len() || keys[i].1 > m.start() {
            keys.insert(i, (unnamed.to_string(), m.start()));
            unnamed += 1;
        }
        i += 1;
    }
    keys.into_iter().map(|(name, _)| name).collect()
}

/// Express's `decode_param`: `decodeURIComponent`, whose failure is the
/// request's error (400).
pub fn decode_param(raw: &str) -> Result<String, String> {
    if !raw.contains('%') {
        return Ok(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    let decoded = well_formed
        .then(|| percent_encoding::percent_decode_str(raw).collect::<Vec<u8>>())
        .and_then(|v| String::from_utf8(v).ok());
    decoded.ok_or_else(|| format!("Failed to decode param '{raw}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expression sources and keys path-to-regexp 0.1.13 produces
    /// (taken from running it under Node.js).
    #[test]
    fn rewrites_as_path_to_regexp() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("/store/:key(*)", "/store(?:/((.*)))", &["key", "0"]),
            ("/user/:id", "/user(?:/([^/]+?))", &["id"]),
            ("/user/:id?", "/user(?:/([^/]+?))?", &["id"]),
            ("/n/:id(\\d+)", "/n(?:/(\\d+))", &["id"]),
            ("/a/*", "/a/(.*)", &["0"]),
            ("/a/*/b/*", "/a/(.*)/b/(.*)", &["0", "1"]),
            (
                "/f/:name.:ext",
                "/f(?:/([^/]+?))(?:\\.([^/\\.]+?))",
                &["name", "ext"],
            ),
            ("/u/(\\d+)/:x", "/u/(?:\\d+)(?:/([^/]+?))", &["x"]),
            (
                "/u-(\\d+)/:x/(a|b)c",
                "/u-(\\d+)(?:/([^/]+?))/(?:a|b)c",
                &["0", "x"],
            ),
            ("/p/:rest*", "/p(?:/([^/]+?)((?:[/].+?)?))", &["rest", "0"]),
            ("/file-:n", "/file-(?:((?:(?!/|/file-).)+?))", &["n"]),
            ("/x/", "/x/", &[]),
            ("/:a/:b?", "(?:/([^/]+?))(?:/([^/]+?))?", &["a", "b"]),
            (
                "/r/:id(\\d+)?/:x(a*b)",
                "/r(?:/(\\d+))?(?:/(a(.*)b))",
                &["id", "x", "0"],
            ),
            ("/e/\\:x.json", "/e/\\:x\\.json", &[]),
        ];
        for (path, body, keys) in cases {
            let (b, k, _) = rewrite(path);
            assert_eq!(
                (b.as_str(), k.iter().map(String::as_str).collect::<Vec<_>>()),
                (*body, keys.to_vec()),
                "{path}"
            );
        }
    }

    #[test]
    fn identity_ignores_names_case_and_trailing_slash() {
        let a = compile("/X/:name/").unwrap();
        let b = compile("/x/:id").unwrap();
        assert_eq!(a.identity, b.identity);
        assert_ne!(compile("/x/:id?").unwrap().identity, b.identity);
        assert_eq!(
            compile("/Jwt/Gen/").unwrap().literal.as_deref(),
            Some("/jwt/gen")
        );
        assert_eq!(b.literal, None);
    }

    #[test]
    fn decodes_as_decode_uri_component() {
        assert_eq!(decode_param("a%20b+c").unwrap(), "a b+c");
        assert_eq!(decode_param("%C3%A9").unwrap(), "é");
        assert!(decode_param("%E0").is_err());
        assert!(decode_param("%zz").is_err());
        assert!(decode_param("a%2").is_err());
    }
}
