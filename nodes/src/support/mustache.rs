//! Mustache templates with mustache.js 4 semantics, which Node-RED's
//! `template` node and `http request` URLs use: `{{x}}` HTML-escapes,
//! `{{{x}}}`/`{{& x}}` do not, sections, inverted sections, comments,
//! delimiter changes and mustache.js's standalone-line whitespace rules.
//! No maintained Rust crate renders exactly as mustache.js does (lookup
//! through parent contexts, JavaScript `String()` of values, its escape set).

use std::borrow::Cow;

use serde_json::Value;

use crate::support::js;

/// Why a template cannot be parsed (mustache.js's messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MustacheError {
    #[error("Unclosed tag at {0}")]
    UnclosedTag(usize),
    #[error("Unopened section \"{0}\" at {1}")]
    UnopenedSection(String, usize),
    #[error("Unclosed section \"{0}\" at {1}")]
    UnclosedSection(String, usize),
    #[error("Invalid tags: {0}")]
    InvalidTags(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Text(String),
    /// `{{name}}` (escaped) or `{{{name}}}` / `{{& name}}` (raw).
    Value {
        name: String,
        escape: bool,
    },
    /// `{{#name}}…{{/name}}` or `{{^name}}…{{/name}}`.
    Section {
        name: String,
        inverted: bool,
        children: Vec<Token>,
    },
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    tokens: Vec<Token>,
}

/// Names a template refers to (for resolving `flow.x`, `global.x`, `env.X`
/// before rendering, as Node-RED does).
impl Template {
    pub fn names(&self) -> Vec<String> {
        fn walk(tokens: &[Token], out: &mut Vec<String>) {
            for t in tokens {
                match t {
                    Token::Text(_) => {}
                    Token::Value { name, .. } => out.push(name.clone()),
                    Token::Section { name, children, .. } => {
                        out.push(name.clone());
                        walk(children, out);
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.tokens, &mut out);
        out.sort();
        out.dedup();
        out
    }
}

fn is_js_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// Where `\s*` + `tag` first matches in `s`: (start of the match, end).
fn find_ws_then(s: &str, tag: &str) -> Option<(usize, usize)> {
    let idx = s.find(tag)?;
    let start = s[..idx].trim_end_matches(is_js_space).len();
    Some((start, idx + tag.len()))
}

struct RawToken {
    kind: char,
    value: String,
    start: usize,
}

/// At a line end: when the line held only whitespace and standalone tags,
/// drop its whitespace tokens (mustache.js `stripSpace`); start a new line.
fn strip_space(
    tokens: &mut [Option<RawToken>],
    spaces: &mut Vec<usize>,
    has_tag: &mut bool,
    non_space: &mut bool,
) {
    if *has_tag && !*non_space {
        while let Some(i) = spaces.pop() {
            tokens[i] = None;
        }
    } else {
        spaces.clear();
    }
    *has_tag = false;
    *non_space = false;
}

/// The value of a tag of `kind` whose name starts at `pos`, and the position
/// of the whitespace before its closing tag: `{{= =}}` and `{{{ }}}` end in
/// their own delimiters before the closing tag.
fn scan_tag_value(template: &str, mut pos: usize, kind: char, close: &str) -> (String, usize) {
    let tail = &template[pos..];
    let value;
    match kind {
        '=' => {
            let (vend, after_eq) = match find_ws_then(tail, "=") {
                Some(m) => m,
                None => (tail.len(), tail.len()),
            };
            value = tail[..vend].to_owned();
            pos += after_eq;
            // scanUntil(closing tag)
            let t2 = &template[pos..];
            pos += find_ws_then(t2, close).map_or(t2.len(), |m| m.0);
        }
        '{' => {
            let closing_curly = format!("}}{close}");
            let (vend, _) = find_ws_then(tail, &closing_curly).unwrap_or((tail.len(), tail.len()));
            value = tail[..vend].to_owned();
            pos += vend;
            // scan(/\s*\}/)
            let t2 = &template[pos..];
            let ws = t2.len() - t2.trim_start_matches(is_js_space).len();
            if t2[ws..].starts_with('}') {
                pos += ws + 1;
            }
            let t3 = &template[pos..];
            pos += find_ws_then(t3, close).map_or(t3.len(), |m| m.0);
        }
        _ => {
            let vend = find_ws_then(tail, close).map_or(tail.len(), |m| m.0);
            value = tail[..vend].to_owned();
            pos += vend;
        }
    }
    (value, pos)
}

/// Parse a template (mustache.js `parseTemplate`).
pub fn parse(template: &str) -> Result<Template, MustacheError> {
    let mut tokens: Vec<Option<RawToken>> = Vec::new();
    let mut sections: Vec<(String, usize)> = Vec::new();
    let mut spaces: Vec<usize> = Vec::new();
    let mut has_tag = false;
    let mut non_space = false;
    let mut open = "{{".to_owned();
    let mut close = "}}".to_owned();
    let mut pos = 0usize;

    while pos < template.len() {
        let rest = &template[pos..];
        let text_end = rest.find(open.as_str()).unwrap_or(rest.len());
        let mut offset = pos;
        for c in rest[..text_end].chars() {
            if is_js_space(c) {
                spaces.push(tokens.len());
            } else {
                non_space = true;
            }
            tokens.push(Some(RawToken {
                kind: 't',
                value: c.to_string(),
                start: offset,
            }));
            offset += c.len_utf8();
            if c == '\n' {
                strip_space(&mut tokens, &mut spaces, &mut has_tag, &mut non_space);
            }
        }
        pos += text_end;
        if pos >= template.len() {
            break;
        }
        let start = pos;
        // Opening tag and the whitespace after it.
        pos += open.len();
        pos += template[pos..].len() - template[pos..].trim_start_matches(is_js_space).len();
        has_tag = true;
        let mut kind = match template[pos..].chars().next() {
            Some(c @ ('#' | '^' | '/' | '>' | '{' | '&' | '=' | '!')) => {
                pos += 1;
                c
            }
            _ => 'n',
        };
        pos += template[pos..].len() - template[pos..].trim_start_matches(is_js_space).len();
        let (value, scanned) = scan_tag_value(template, pos, kind, &close);
        pos = scanned;
        if kind == '{' {
            kind = '&';
        }
        // The closing tag.
        let t4 = &template[pos..];
        let ws = t4.len() - t4.trim_start_matches(is_js_space).len();
        if !t4[ws..].starts_with(close.as_str()) {
            return Err(MustacheError::UnclosedTag(pos + ws));
        }
        pos += ws + close.len();
        match kind {
            '#' | '^' => sections.push((value.clone(), start)),
            '/' => match sections.pop() {
                None => return Err(MustacheError::UnopenedSection(value, start)),
                Some((open_name, _)) if open_name != value => {
                    return Err(MustacheError::UnclosedSection(open_name, start))
                }
                Some(_) => {}
            },
            'n' | '&' => non_space = true,
            _ => {}
        }
        if kind == '=' {
            let parts: Vec<&str> = value.split(is_js_space).filter(|p| !p.is_empty()).collect();
            match parts.as_slice() {
                [o, c] => {
                    open = (*o).to_owned();
                    close = (*c).to_owned();
                }
                _ => return Err(MustacheError::InvalidTags(value)),
            }
        }
        tokens.push(Some(RawToken { kind, value, start }));
    }
    strip_space(&mut tokens, &mut spaces, &mut has_tag, &mut non_space);
    if let Some((name, _)) = sections.pop() {
        return Err(MustacheError::UnclosedSection(name, pos));
    }
    Ok(Template {
        tokens: nest(tokens.into_iter().flatten()),
    })
}

/// Squash text and nest sections (mustache.js `squashTokens` + `nestTokens`).
fn nest(raw: impl Iterator<Item = RawToken>) -> Vec<Token> {
    let mut stack: Vec<(String, bool, Vec<Token>)> = Vec::new();
    let mut root: Vec<Token> = Vec::new();
    for t in raw {
        let collector = match stack.last_mut() {
            Some((_, _, c)) => c,
            None => &mut root,
        };
        let _ = t.start;
        match t.kind {
            't' => match collector.last_mut() {
                Some(Token::Text(s)) => s.push_str(&t.value),
                _ => collector.push(Token::Text(t.value)),
            },
            'n' => collector.push(Token::Value {
                name: t.value,
                escape: true,
            }),
            '&' => collector.push(Token::Value {
                name: t.value,
                escape: false,
            }),
            '#' | '^' => stack.push((t.value, t.kind == '^', Vec::new())),
            '/' => {
                let (name, inverted, children) = stack.pop().expect("sections were checked");
                let section = Token::Section {
                    name,
                    inverted,
                    children,
                };
                match stack.last_mut() {
                    Some((_, _, c)) => c.push(section),
                    None => root.push(section),
                }
            }
            // Comments, partials (none are registered) and delimiter changes render nothing.
            _ => {}
        }
    }
    root
}

/// mustache.js's HTML escape set: eight characters, three more than
/// Express's 404 page escapes (`runtime::http`), so the two stay separate.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '/' => out.push_str("&#x2F;"),
            '`' => out.push_str("&#x60;"),
            '=' => out.push_str("&#x3D;"),
            c => out.push(c),
        }
    }
    out
}

/// `value[name]` and whether the lookup "hit" as mustache.js decides it.
fn property<'v>(
    value: &'v Value,
    name: &str,
    allow_primitive: bool,
) -> (bool, Option<Cow<'v, Value>>) {
    match value {
        Value::Object(m) => (m.contains_key(name), m.get(name).map(Cow::Borrowed)),
        Value::Array(a) => {
            if name == "length" {
                return (true, Some(Cow::Owned(Value::from(a.len()))));
            }
            match name.parse::<usize>() {
                Ok(i) if i.to_string() == name => (i < a.len(), a.get(i).map(Cow::Borrowed)),
                _ => (false, None),
            }
        }
        Value::String(s) => {
            let units: Vec<u16> = s.encode_utf16().collect();
            let v = if name == "length" {
                Some(Cow::Owned(Value::from(units.len())))
            } else {
                match name.parse::<usize>() {
                    Ok(i) if i.to_string() == name => units
                        .get(i)
                        .map(|u| Cow::Owned(Value::String(String::from_utf16_lossy(&[*u])))),
                    _ => None,
                }
            };
            (allow_primitive && v.is_some(), v)
        }
        _ => (false, None),
    }
}

/// Look `name` up in one view (mustache.js `Context.lookup`, one level).
fn lookup_in<'v>(view: &'v Value, name: &str) -> (bool, Option<Cow<'v, Value>>) {
    if name == "." {
        return (true, Some(Cow::Borrowed(view)));
    }
    if name.find('.').is_some_and(|i| i > 0) {
        let names: Vec<&str> = name.split('.').collect();
        let mut current: Option<Cow<'v, Value>> = Some(Cow::Borrowed(view));
        let mut hit = false;
        for (i, n) in names.iter().enumerate() {
            let Some(cur) = current.take() else { break };
            if cur.is_null() {
                break;
            }
            let (h, next) = match cur {
                Cow::Borrowed(v) => property(v, n, true),
                Cow::Owned(v) => {
                    let (h, next) = property(&v, n, true);
                    (h, next.map(|c| Cow::Owned(c.into_owned())))
                }
            };
            if i == names.len() - 1 {
                hit = h;
            }
            current = next;
        }
        (hit, current)
    } else {
        property(view, name, false)
    }
}

/// What a template is rendered against: the view stack (the message first)
/// and, for Node-RED's `template` node, values for names the message lacks
/// (`flow.x`, `global.x`, `env.X`).
pub struct RenderContext<'a> {
    stack: Vec<Cow<'a, Value>>,
    fallback: &'a dyn Fn(&str) -> Option<Value>,
    /// Node-RED escapes `\`, newlines and tabs in top-level string values when
    /// the template's output is parsed as JSON.
    escape_json_strings: bool,
}

impl<'a> RenderContext<'a> {
    pub fn new(view: &'a Value, fallback: &'a dyn Fn(&str) -> Option<Value>) -> Self {
        RenderContext {
            stack: vec![Cow::Borrowed(view)],
            fallback,
            escape_json_strings: false,
        }
    }

    /// Escape string values for embedding in JSON text (`output: json`).
    pub fn escape_json_strings(mut self, on: bool) -> Self {
        self.escape_json_strings = on;
        self
    }

    fn lookup(&self, name: &str) -> Option<Value> {
        for view in self.stack.iter().rev() {
            let (hit, value) = lookup_in(view, name);
            if hit {
                let value = value.map(Cow::into_owned);
                if self.escape_json_strings && self.stack.len() == 1 {
                    if let Some(Value::String(s)) = &value {
                        return Some(Value::String(escape_json_text(s)));
                    }
                }
                return value;
            }
        }
        (self.fallback)(name)
    }
}

fn escape_json_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            '\u{8}' => out.push_str("\\b"),
            c => out.push(c),
        }
    }
    out
}

impl Template {
    /// Render against `cx`.
    pub fn render(&self, cx: &mut RenderContext<'_>) -> String {
        let mut out = String::new();
        render_tokens(&self.tokens, cx, &mut out);
        out
    }
}

fn render_tokens(tokens: &[Token], cx: &mut RenderContext<'_>, out: &mut String) {
    for t in tokens {
        match t {
            Token::Text(s) => out.push_str(s),
            Token::Value { name, escape } => match cx.lookup(name) {
                None | Some(Value::Null) => {}
                Some(v @ Value::Number(_)) => out.push_str(&js::to_js_string(Some(&v))),
                Some(v) => {
                    let s = js::to_js_string(Some(&v));
                    if *escape {
                        out.push_str(&escape_html(&s));
                    } else {
                        out.push_str(&s);
                    }
                }
            },
            Token::Section {
                name,
                inverted,
                children,
            } => {
                let value = cx.lookup(name);
                if *inverted {
                    let empty = match &value {
                        Some(Value::Array(a)) => a.is_empty(),
                        v => !js::truthy(v.as_ref()),
                    };
                    if empty {
                        render_tokens(children, cx, out);
                    }
                    continue;
                }
                if !js::truthy(value.as_ref()) {
                    continue;
                }
                match value {
                    Some(Value::Array(items)) => {
                        for item in items {
                            cx.stack.push(Cow::Owned(item));
                            render_tokens(children, cx, out);
                            cx.stack.pop();
                        }
                    }
                    Some(Value::Bool(true)) => render_tokens(children, cx, out),
                    Some(v) => {
                        cx.stack.push(Cow::Owned(v));
                        render_tokens(children, cx, out);
                        cx.stack.pop();
                    }
                    None => {}
                }
            }
        }
    }
}

/// Render `template` against `view` with no fallback values (what
/// `mustache.render(template, msg)` does for `http request` URLs).
pub fn render_plain(template: &Template, view: &Value) -> String {
    let none = |_: &str| None;
    template.render(&mut RenderContext::new(view, &none))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(t: &str, view: Value) -> String {
        render_plain(&parse(t).unwrap(), &view)
    }

    #[test]
    fn escapes_like_mustache_js() {
        let v = json!({"x": "<a href='/'>&\"`=</a>"});
        assert_eq!(
            render("{{x}}", v.clone()),
            "&lt;a href&#x3D;&#39;&#x2F;&#39;&gt;&amp;&quot;&#x60;&#x3D;&lt;&#x2F;a&gt;"
        );
        assert_eq!(render("{{{x}}}", v.clone()), "<a href='/'>&\"`=</a>");
        assert_eq!(render("{{& x}}", v), "<a href='/'>&\"`=</a>");
    }

    #[test]
    fn values_print_as_javascript_strings() {
        let v = json!({"n": 1.5, "b": false, "o": {"a": 1}, "l": [1, null, "x"], "z": null});
        assert_eq!(
            render("{{n}}|{{b}}|{{o}}|{{l}}|{{z}}|{{missing}}", v),
            "1.5|false|[object Object]|1,,x||"
        );
    }

    #[test]
    fn dotted_names_and_lengths() {
        let v = json!({"payload": {"a": [10, 20], "s": "abc"}});
        assert_eq!(
            render(
                "{{payload.a.1}} {{payload.a.length}} {{payload.s.length}}",
                v
            ),
            "20 2 3"
        );
    }

    #[test]
    fn sections_iterate_and_push_context() {
        let v =
            json!({"items": [{"n": "a"}, {"n": "b"}], "top": "T", "obj": {"k": 1}, "empty": []});
        assert_eq!(
            render("{{#items}}{{n}}{{top}},{{/items}}", v.clone()),
            "aT,bT,"
        );
        assert_eq!(render("{{#obj}}{{k}}{{/obj}}", v.clone()), "1");
        assert_eq!(
            render("{{^empty}}none{{/empty}}{{^top}}x{{/top}}", v.clone()),
            "none"
        );
        assert_eq!(
            render("{{#items}}{{.}}{{/items}}", json!({"items": [1, 2]})),
            "12"
        );
        assert_eq!(
            render("{{#zero}}x{{/zero}}{{^zero}}y{{/zero}}", json!({"zero": 0})),
            "y"
        );
    }

    #[test]
    fn standalone_lines_are_removed() {
        let t = "<ul>\n  {{#items}}\n  <li>{{.}}</li>\n  {{/items}}\n</ul>\n";
        assert_eq!(
            render(t, json!({"items": ["a", "b"]})),
            "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n"
        );
        assert_eq!(render("a\n  {{! note }}\nb", json!({})), "a\nb");
        assert_eq!(render("a {{#t}}b{{/t}} c", json!({"t": true})), "a b c");
    }

    #[test]
    fn delimiters_can_change() {
        assert_eq!(
            render("{{=<% %>=}}<% x %> {{x}}", json!({"x": 1})),
            "1 {{x}}"
        );
    }

    #[test]
    fn parse_errors_name_the_problem() {
        assert_eq!(parse("{{x").unwrap_err().to_string(), "Unclosed tag at 3");
        assert!(matches!(
            parse("{{#a}}"),
            Err(MustacheError::UnclosedSection(..))
        ));
        assert!(matches!(
            parse("{{/a}}"),
            Err(MustacheError::UnopenedSection(..))
        ));
    }

    #[test]
    fn fallback_supplies_missing_names() {
        let t = parse("{{flow.x}}-{{payload}}").unwrap();
        let fb = |n: &str| (n == "flow.x").then(|| json!("F"));
        let view = json!({"payload": "P"});
        assert_eq!(t.render(&mut RenderContext::new(&view, &fb)), "F-P");
    }

    #[test]
    fn json_output_escapes_top_level_strings() {
        let t = parse(r#"{"a":"{{payload}}"}"#).unwrap();
        let none = |_: &str| None;
        let view = json!({"payload": "x\ny\\"});
        let out = t.render(&mut RenderContext::new(&view, &none).escape_json_strings(true));
        assert_eq!(out, r#"{"a":"x\ny\\"}"#);
    }
}
