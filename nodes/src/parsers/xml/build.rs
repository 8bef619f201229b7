//! A value to XML text, as xml2js 0.6's builder writes it through
//! xmlbuilder 11: `$` (attrkey) holds attributes, `_` (charkey) text, arrays
//! repeat their element, anything else becomes an element with its text.
//! A one-key object names the root; otherwise the root is `rootName`.

use serde_json::{Map, Value};

use super::parse::MAX_DEPTH;
use super::XmlError;
use crate::support::js;

/// xml2js's builder options that `msg.options` can set.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub attrkey: String,
    pub charkey: String,
    pub root_name: Option<String>,
    pub headless: bool,
    pub version: String,
    pub encoding: Option<String>,
    pub standalone: Option<bool>,
    pub pretty: bool,
    pub indent: String,
    pub newline: String,
}

impl BuildOptions {
    /// Node-RED builds compactly unless `msg.options` is given, in which
    /// case xml2js's defaults (pretty, two-space indent) fill what it omits.
    pub fn from_msg(options: Option<&Map<String, Value>>) -> Self {
        let get = |k: &str| options.and_then(|o| o.get(k));
        let text = |v: Option<&Value>, default: &str| match v {
            Some(Value::String(s)) => s.clone(),
            _ => default.to_owned(),
        };
        let render = get("renderOpts").and_then(Value::as_object);
        let pretty = match (options, render) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(_), Some(r)) => js::truthy(r.get("pretty")),
        };
        let dec = get("xmldec").and_then(Value::as_object);
        let dec_get = |k: &str| dec.and_then(|d| d.get(k));
        BuildOptions {
            attrkey: text(get("attrkey"), "$"),
            charkey: text(get("charkey"), "_"),
            root_name: match get("rootName") {
                Some(Value::String(s)) if s != "root" => Some(s.clone()),
                _ => None,
            },
            headless: js::truthy(get("headless")),
            version: text(dec_get("version"), "1.0"),
            encoding: match (dec, dec_get("encoding")) {
                (None, _) => Some("UTF-8".into()),
                (Some(_), Some(Value::String(s))) => Some(s.clone()),
                (Some(_), _) => None,
            },
            standalone: match (dec, dec_get("standalone")) {
                (None, _) => Some(true),
                (Some(_), None | Some(Value::Null)) => None,
                (Some(_), Some(v)) => Some(js::truthy(Some(v))),
            },
            pretty,
            indent: text(render.and_then(|r| r.get("indent")), "  "),
            newline: text(render.and_then(|r| r.get("newline")), "\n"),
        }
    }
}

/// One node of the document before it is written out.
enum Node {
    Element(Element),
    Text(String),
}

struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

impl Element {
    fn new(name: &str) -> Result<Self, XmlError> {
        check_name(name)?;
        Ok(Element {
            name: name.to_owned(),
            attrs: Vec::new(),
            children: Vec::new(),
        })
    }
}

/// `builder.buildObject(value)`.
pub fn build(value: &Value, opts: &BuildOptions) -> Result<String, XmlError> {
    let keys = match value {
        Value::Object(obj) => obj.len(),
        Value::Array(items) => items.len(),
        _ => return Err(XmlError::NotObject),
    };
    let (root_name, root) = match (value, keys, &opts.root_name) {
        (Value::Object(obj), 1, None) => {
            let (k, v) = obj.iter().next().expect("one key");
            (k.as_str(), v)
        }
        // An array's one key is its index, which is no element name.
        (_, 1, None) => ("0", value),
        (_, _, name) => (name.as_deref().unwrap_or("root"), value),
    };
    let mut root_el = Element::new(root_name)?;
    render(&mut root_el, root, opts, 1)?;
    let mut out = String::new();
    if !opts.headless {
        out.push_str(&format!("<?xml version=\"{}\"", opts.version));
        if let Some(enc) = &opts.encoding {
            out.push_str(&format!(" encoding=\"{enc}\""));
        }
        if let Some(sa) = opts.standalone {
            out.push_str(if sa {
                " standalone=\"yes\""
            } else {
                " standalone=\"no\""
            });
        }
        out.push_str("?>");
        if opts.pretty {
            out.push_str(&opts.newline);
        }
    }
    write_element(&mut out, &root_el, opts, 0);
    if opts.pretty && out.ends_with(&opts.newline) {
        out.truncate(out.len() - opts.newline.len());
    }
    Ok(out)
}

/// xml2js's `render(element, obj)`.
fn render(
    el: &mut Element,
    obj: &Value,
    opts: &BuildOptions,
    depth: usize,
) -> Result<(), XmlError> {
    if depth > MAX_DEPTH {
        return Err(XmlError::TooDeep(MAX_DEPTH));
    }
    match obj {
        Value::Array(items) => {
            for child in items {
                if let Value::Object(map) = child {
                    for (k, v) in map {
                        el.children
                            .push(Node::Element(child_element(k, v, opts, depth)?));
                    }
                }
            }
        }
        Value::Object(map) => {
            for (key, child) in map {
                if *key == opts.attrkey {
                    if let Value::Object(attrs) = child {
                        for (name, v) in attrs {
                            check_name(name)?;
                            let v = js::to_js_string(Some(v));
                            match el.attrs.iter_mut().find(|(n, _)| n == name) {
                                Some(slot) => slot.1 = v,
                                None => el.attrs.push((name.clone(), v)),
                            }
                        }
                    }
                } else if *key == opts.charkey {
                    el.children.push(Node::Text(js::to_js_string(Some(child))));
                } else if let Value::Array(entries) = child {
                    for entry in entries {
                        let mut e = Element::new(key)?;
                        match entry {
                            Value::String(s) => e.children.push(Node::Text(s.clone())),
                            other => render(&mut e, other, opts, depth + 1)?,
                        }
                        el.children.push(Node::Element(e));
                    }
                } else {
                    el.children
                        .push(Node::Element(child_element(key, child, opts, depth)?));
                }
            }
        }
        Value::Null => {}
        scalar => el.children.push(Node::Text(js::to_js_string(Some(scalar)))),
    }
    Ok(())
}

/// `element.ele(key)` rendered from an object, or `ele(key, text)`.
fn child_element(
    key: &str,
    v: &Value,
    opts: &BuildOptions,
    depth: usize,
) -> Result<Element, XmlError> {
    let mut e = Element::new(key)?;
    match v {
        Value::Object(_) | Value::Array(_) => render(&mut e, v, opts, depth + 1)?,
        Value::Null => {}
        scalar => e.children.push(Node::Text(js::to_js_string(Some(scalar)))),
    }
    Ok(e)
}

/// xmlbuilder's `XMLWriterBase.element`.
fn write_element(out: &mut String, el: &Element, opts: &BuildOptions, level: usize) {
    let pretty = opts.pretty;
    let indent = |out: &mut String, level: usize| {
        if pretty {
            out.push_str(&opts.indent.repeat(level));
        }
    };
    indent(out, level);
    out.push('<');
    out.push_str(&el.name);
    for (name, value) in &el.attrs {
        out.push_str(&format!(" {name}=\"{}\"", att_escape(value)));
    }
    let endline = |out: &mut String| {
        if pretty {
            out.push_str(&opts.newline);
        }
    };
    let all_empty = el
        .children
        .iter()
        .all(|c| matches!(c, Node::Text(t) if t.is_empty()));
    if all_empty {
        out.push_str("/>");
        endline(out);
        return;
    }
    if let [Node::Text(t)] = el.children.as_slice() {
        out.push('>');
        out.push_str(&text_escape(t));
        out.push_str(&format!("</{}>", el.name));
        endline(out);
        return;
    }
    out.push('>');
    endline(out);
    for child in &el.children {
        match child {
            Node::Element(c) => write_element(out, c, opts, level + 1),
            Node::Text(t) => {
                indent(out, level + 1);
                out.push_str(&text_escape(t));
                endline(out);
            }
        }
    }
    indent(out, level);
    out.push_str(&format!("</{}>", el.name));
    endline(out);
}

fn text_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\r', "&#xD;")
}

fn att_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
        .replace('\t', "&#x9;")
        .replace('\n', "&#xA;")
        .replace('\r', "&#xD;")
}

/// xmlbuilder's `assertLegalName`: an XML Name.
fn check_name(name: &str) -> Result<(), XmlError> {
    let start = |c: char| c == ':' || c == '_' || c.is_ascii_alphabetic() || (c as u32) >= 0xC0;
    let rest = |c: char| start(c) || c == '-' || c == '.' || c.is_ascii_digit() || c == '\u{B7}';
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if start(c) && chars.all(rest) => Ok(()),
        _ => Err(XmlError::Builder("Invalid character in name".into())),
    }
}
