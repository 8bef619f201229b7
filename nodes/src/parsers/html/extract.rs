//! The selection and the four kinds of result, serialised as cheerio 1.0
//! (rc.10) does: inner HTML by the HTML serialisation algorithm, which
//! Node-RED re-parses as a fragment and writes out in cheerio's XML mode
//! (self-closed empty elements, `&apos;`-style escapes, non-ASCII as
//! `&#x..;`); text as every text node's data outside `script` and `style`.

use ego_tree::iter::Edge;
use ego_tree::NodeRef;
use html5ever::serialize::{SerializeOpts, TraversalScope};
use html5ever::tendril::TendrilSink;
use html5ever::{local_name, ns, QualName};
use scraper::{ElementRef, Html, HtmlTreeSink, Node, Selector};
use serde_json::{Map, Value};

use super::Ret;

/// Deepest element nesting accepted in a document. html5ever checks
/// element scopes by walking the stack of open elements, so time grows
/// with the square of the depth; real pages stay far below this.
pub const MAX_DEPTH: usize = 512;

/// Why a document could not be searched; the text becomes
/// `msg.error.message`.
#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    #[error("invalid selector {selector:?}: {reason}")]
    Selector { selector: String, reason: String },
    #[error("HTML nested deeper than {0} elements")]
    TooDeep(usize),
}

/// The result for each element `selector` matches in `document`, in
/// document order; an empty selector matches nothing.
pub fn extract(
    document: &str,
    selector: &str,
    ret: Ret,
    chr: &str,
) -> Result<Vec<Value>, HtmlError> {
    if selector.trim().is_empty() {
        return Ok(Vec::new());
    }
    let parsed = Selector::parse(selector).map_err(|e| HtmlError::Selector {
        selector: selector.to_owned(),
        reason: e.to_string(),
    })?;
    check_depth(document)?;
    let doc = Html::parse_document(document);
    Ok(doc
        .select(&parsed)
        .map(|el| match ret {
            Ret::Html => Value::String(reserialize_xml(&inner_html(el))),
            Ret::Text => Value::String(text(el)),
            Ret::Attr => Value::Object(attributes(el)),
            Ret::Compl => {
                let mut obj = Map::new();
                obj.insert(chr.to_owned(), Value::String(inner_html(el)));
                // Object.assign: an attribute named like `chr` replaces it.
                obj.extend(attributes(el));
                Value::Object(obj)
            }
        })
        .collect())
}

/// Refuses documents whose tags could nest past [`MAX_DEPTH`], counted
/// before html5ever sees them in one pass: start tags minus end tags,
/// ignoring void elements, and self-closed tags inside `svg` or `math`
/// (HTML itself ignores `/>`). Elements whose end tag HTML lets one omit
/// (`p`, `li`, ...) close when a sibling opens, so they are not counted.
fn check_depth(document: &str) -> Result<(), HtmlError> {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "param", "keygen",
    ];
    const OPTIONAL_END: &[&str] = &[
        "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot",
        "rb", "rt", "rp", "rtc", "colgroup", "caption", "html", "head", "body",
    ];
    let bytes = document.as_bytes();
    let (mut depth, mut foreign) = (0usize, 0usize);
    let mut i = 0;
    while let Some(lt) = bytes[i..].iter().position(|&b| b == b'<') {
        i += lt + 1;
        let closing = bytes.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let len = bytes[start..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .unwrap_or(bytes.len() - start);
        if len == 0 || !bytes[start].is_ascii_alphabetic() {
            continue;
        }
        let name = document[start..start + len].to_ascii_lowercase();
        if VOID.contains(&name.as_str()) || OPTIONAL_END.contains(&name.as_str()) {
            continue;
        }
        let is_foreign_root = name == "svg" || name == "math";
        if closing {
            depth = depth.saturating_sub(1);
            if is_foreign_root {
                foreign = foreign.saturating_sub(1);
            }
            continue;
        }
        // The tag's end: the next `>`, looking no further than the next
        // `<` so the whole pass stays linear.
        let after = start + len;
        let self_closed = bytes[after..]
            .iter()
            .position(|&b| b == b'>' || b == b'<')
            .is_some_and(|e| bytes[after + e] == b'>' && e > 0 && bytes[after + e - 1] == b'/');
        if self_closed && (foreign > 0 || is_foreign_root) {
            continue;
        }
        if is_foreign_root {
            foreign += 1;
        }
        depth += 1;
        if depth > MAX_DEPTH {
            return Err(HtmlError::TooDeep(MAX_DEPTH));
        }
    }
    Ok(())
}

/// `$(el).html().trim()`: the HTML serialisation of the children, with
/// scripting on as in parse5 and the element known as its text's parent
/// (so `script`, `style` and `noscript` content stays raw text).
fn inner_html(el: ElementRef<'_>) -> String {
    const RAW: &[&str] = &[
        "style",
        "script",
        "xmp",
        "iframe",
        "noembed",
        "noframes",
        "plaintext",
        "noscript",
    ];
    let raw = RAW.contains(&el.value().name());
    let mut out = String::new();
    for child in el.children() {
        match child.value() {
            Node::Text(t) if raw => out.push_str(t),
            Node::Text(t) => out.push_str(&escape_html_text(t)),
            Node::Comment(c) => {
                out.push_str("<!--");
                out.push_str(c);
                out.push_str("-->");
            }
            Node::Element(_) => {
                let child = ElementRef::wrap(child).expect("an element node");
                let opts = SerializeOpts {
                    scripting_enabled: true,
                    traversal_scope: TraversalScope::IncludeNode,
                    create_missing_parent: false,
                };
                let mut buf = Vec::new();
                html5ever::serialize(&mut buf, &child, opts).expect("writing to memory");
                out.push_str(&String::from_utf8_lossy(&buf));
            }
            _ => {}
        }
    }
    js_trim(&out).to_owned()
}

/// The HTML serialisation algorithm's escaping of text.
fn escape_html_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('\u{a0}', "&nbsp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// JavaScript's `String.prototype.trim` (its whitespace set).
fn js_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

/// `cheerio.load(html, null, false).xml()`: the text parsed as a fragment
/// (in a `template`, as parse5 does without a context) and written out in
/// XML mode.
fn reserialize_xml(html: &str) -> String {
    let sink = HtmlTreeSink::new(Html::new_fragment());
    let context = QualName::new(None, ns!(html), local_name!("template"));
    let fragment =
        html5ever::driver::parse_fragment(sink, Default::default(), context, Vec::new(), false)
            .one(html);
    let mut out = String::new();
    let root = fragment.root_element();
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) if node.id() != root.id() => open_xml(&mut out, node),
            Edge::Close(node) if node.id() != root.id() => {
                if let Node::Element(e) = node.value() {
                    if node.has_children() {
                        out.push_str("</");
                        out.push_str(e.name());
                        out.push('>');
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// dom-serializer's XML mode for the start of one node.
fn open_xml(out: &mut String, node: NodeRef<'_, Node>) {
    match node.value() {
        Node::Text(t) => out.push_str(&encode_xml(t)),
        Node::Comment(c) => {
            out.push_str("<!--");
            out.push_str(c);
            out.push_str("-->");
        }
        Node::Element(e) => {
            out.push('<');
            out.push_str(e.name());
            for (name, value) in &e.attrs {
                out.push(' ');
                out.push_str(&attr_name(name));
                out.push_str("=\"");
                out.push_str(&encode_xml(value));
                out.push('"');
            }
            out.push_str(if node.has_children() { ">" } else { "/>" });
        }
        _ => {}
    }
}

/// entities 2's `encodeXML`: the five XML specials by name, every
/// non-ASCII character as an upper-case hexadecimal reference.
fn encode_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_ascii() => out.push(c),
            c => out.push_str(&format!("&#x{:X};", c as u32)),
        }
    }
    out
}

/// An attribute's name as parse5's tree adapter writes it (`xlink:href`).
fn attr_name(name: &QualName) -> String {
    match &name.prefix {
        Some(prefix) => format!("{prefix}:{}", name.local),
        None => name.local.to_string(),
    }
}

/// `$(el).text()`: text nodes' data, leaving out `script` and `style`
/// (the element itself included).
fn text(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    let mut skipping: Option<ego_tree::NodeId> = None;
    for edge in el.traverse() {
        match edge {
            Edge::Open(node) if skipping.is_none() => match node.value() {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) if matches!(e.name(), "script" | "style") => {
                    skipping = Some(node.id());
                }
                _ => {}
            },
            Edge::Close(node) if skipping == Some(node.id()) => skipping = None,
            _ => {}
        }
    }
    out
}

/// `Object.assign({}, el.attribs)`.
fn attributes(el: ElementRef<'_>) -> Map<String, Value> {
    el.value()
        .attrs
        .iter()
        .map(|(k, v)| (attr_name(k), Value::String(v.to_string())))
        .collect()
}
