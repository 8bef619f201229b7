//! XML text to a value, shaped exactly as xml2js 0.6 (Node-RED's parser)
//! builds it: attributes under `attrkey`, text under `charkey`, every child
//! element in an array, whitespace-only text dropped, an element with only
//! text collapsed to its string.
//!
//! quick-xml reads the text; it never expands entities beyond XML's five
//! predefined ones and character references, and never reads a DTD's
//! declarations, so no entity expansion can grow a document. The reader
//! keeps its own stack, so deep documents cost no call stack; elements
//! nested past [`MAX_DEPTH`] are refused because the resulting value would
//! be too deep to pass on as a message.

use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};

use super::XmlError;

/// Deepest element nesting accepted, in either direction. Each element is
/// two levels of the value (its array and its object), so this keeps a
/// parsed document well inside the runtime's bound on message nesting.
pub const MAX_DEPTH: usize = 128;

/// xml2js's parser options that Node-RED lets `msg.options` set.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    pub attrkey: String,
    pub charkey: String,
    pub explicit_array: bool,
    pub merge_attrs: bool,
    pub ignore_attrs: bool,
    pub explicit_charkey: bool,
    pub explicit_root: bool,
    pub trim: bool,
    pub normalize: bool,
    pub normalize_tags: bool,
    /// The value of an empty element (`""` is "the element's own text").
    pub empty_tag: Value,
}

impl ParseOptions {
    /// Node-RED's choice of keys (the node's own, else `msg.options`'s,
    /// else `$` and `_`) over xml2js's defaults for everything else.
    pub fn from_msg(options: Option<&Map<String, Value>>, attr: &str, chr: &str) -> Self {
        let get = |k: &str| options.and_then(|o| o.get(k));
        let flag = |k: &str, default: bool| {
            get(k).map_or(default, |v| crate::support::js::truthy(Some(v)))
        };
        let key = |node: &str, k: &str, default: &str| {
            if !node.is_empty() {
                return node.to_owned();
            }
            match get(k) {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                _ => default.to_owned(),
            }
        };
        ParseOptions {
            attrkey: key(attr, "attrkey", "$"),
            charkey: key(chr, "charkey", "_"),
            explicit_array: flag("explicitArray", true),
            merge_attrs: flag("mergeAttrs", false),
            ignore_attrs: flag("ignoreAttrs", false),
            explicit_charkey: flag("explicitCharkey", false),
            explicit_root: flag("explicitRoot", true),
            trim: flag("trim", false),
            normalize: flag("normalize", false),
            normalize_tags: flag("normalizeTags", false),
            empty_tag: get("emptyTag")
                .cloned()
                .unwrap_or_else(|| Value::String(String::new())),
        }
    }
}

/// One open element.
struct Frame {
    /// The tag as written, which its end tag must repeat.
    raw_name: String,
    name: String,
    attrs: Map<String, Value>,
    children: Map<String, Value>,
    text: String,
    cdata: bool,
}

/// Where the reader is, for sax's error positions.
struct Doc<'t> {
    text: &'t str,
    /// Whether any markup came before: text then is "outside of root".
    seen_markup: bool,
}

impl Doc<'_> {
    /// sax's error text: the message, then the 0-based line, the column
    /// (UTF-16 units up to and including the current character) and that
    /// character; `at` is the character's byte index, `None` the end.
    fn error(&self, message: &str, at: Option<usize>) -> XmlError {
        let at = at.filter(|i| *i < self.text.len() && self.text.is_char_boundary(*i));
        let end = at.map_or(self.text.len(), |i| {
            i + self.text[i..].chars().next().map_or(0, char::len_utf8)
        });
        let before = &self.text[..end];
        let line = before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column: usize = before[line_start..].chars().map(char::len_utf16).sum();
        let current = at.and_then(|i| self.text[i..].chars().next());
        let current = current.map(String::from).unwrap_or_default();
        XmlError::Syntax(format!(
            "Error: {message}\nLine: {line}\nColumn: {column}\nChar: {current}"
        ))
    }

    /// Byte offset of a slice the reader borrowed from the document.
    fn offset(&self, part: &[u8]) -> usize {
        (part.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize)
    }

    /// Text outside the root element: whitespace only, as sax's strict mode.
    fn outside_root(&self, part: &str, offset: usize) -> Result<(), XmlError> {
        match part.char_indices().find(|(_, c)| !c.is_whitespace()) {
            None => Ok(()),
            Some((i, _)) if self.seen_markup => {
                Err(self.error("Text data outside of root node.", Some(offset + i)))
            }
            Some((i, _)) => Err(self.error("Non-whitespace before first tag.", Some(offset + i))),
        }
    }

    /// Resolves references in `raw` (at `offset` in the document) as sax
    /// does; a bad one is an error at the character that shows it.
    fn resolve(&self, raw: &str, offset: usize) -> Result<String, XmlError> {
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(amp) = rest.find('&') {
            out.push_str(&rest[..amp]);
            let after = &rest[amp + 1..];
            let base = offset + (raw.len() - rest.len()) + amp + 1;
            let name_len = after
                .find(|c: char| !(c.is_alphanumeric() || "#_.-:".contains(c)))
                .unwrap_or(after.len());
            if !after[name_len..].starts_with(';') {
                let at = (name_len < after.len()).then_some(base + name_len);
                return Err(self.error("Invalid character in entity name", at));
            }
            match entity(&after[..name_len]) {
                Some(c) => out.push(c),
                None => return Err(self.error("Invalid character entity", Some(base + name_len))),
            }
            rest = &after[name_len + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// sax's `parseEntity`: a named reference (as written, else lower-cased)
/// or a decimal / hexadecimal character reference written canonically.
fn entity(name: &str) -> Option<char> {
    let named = |n: &str| {
        super::entities::NAMED
            .binary_search_by(|(k, _)| (*k).cmp(n))
            .ok()
            .map(|i| super::entities::NAMED[i].1)
    };
    let lower = name.to_lowercase();
    if let Some(c) = named(name).or_else(|| named(&lower)) {
        return Some(c);
    }
    let (digits, radix) = match lower.strip_prefix("#x") {
        Some(hex) => (hex, 16),
        None => (lower.strip_prefix('#')?, 10),
    };
    let num = u32::from_str_radix(digits, radix).ok()?;
    let canonical = if radix == 16 {
        format!("{num:x}")
    } else {
        num.to_string()
    };
    if canonical != digits.trim_start_matches('0') {
        return None;
    }
    char::from_u32(num)
}

/// Parses `text`; `Ok(Value::Null)` for a blank document or one with no
/// element, as xml2js.
pub fn parse(text: &str, opts: &ParseOptions) -> Result<Value, XmlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = false;
    config.allow_dangling_amp = true;
    config.allow_unmatched_ends = true;
    let mut doc = Doc {
        text,
        seen_markup: false,
    };
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let at = Some(reader.error_position() as usize);
                return Err(doc.error(&e.to_string(), at));
            }
        };
        match event {
            Event::Start(start) => {
                doc.seen_markup = true;
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep(MAX_DEPTH));
                }
                stack.push(open(&doc, &start, before, opts)?);
            }
            Event::End(end) => {
                let close_at = Some(reader.buffer_position() as usize - 1);
                let name = String::from_utf8_lossy(end.name().as_ref()).into_owned();
                let Some(frame) = stack.pop() else {
                    let message = format!("Unmatched closing tag: {name}");
                    return Err(doc.error(&message, close_at));
                };
                if frame.raw_name != name {
                    return Err(doc.error("Unexpected close tag", close_at));
                }
                let (name, value) = close(frame, opts);
                match stack.last_mut() {
                    Some(parent) => assign_or_push(&mut parent.children, &name, value, opts),
                    // xml2js answers as soon as the root element closes.
                    None if opts.explicit_root => {
                        return Ok(Value::Object(Map::from_iter([(name, value)])))
                    }
                    None => return Ok(value),
                }
            }
            Event::Text(t) => {
                let offset = doc.offset(&t);
                let raw = String::from_utf8_lossy(&t);
                match stack.last_mut() {
                    Some(frame) => frame.text.push_str(&doc.resolve(&raw, offset)?),
                    None => doc.outside_root(&raw, offset)?,
                }
            }
            Event::GeneralRef(r) => {
                let offset = doc.offset(&r);
                let Some(frame) = stack.last_mut() else {
                    let at = Some(offset.saturating_sub(1));
                    return Err(doc.error("Non-whitespace before first tag.", at));
                };
                let name = String::from_utf8_lossy(&r);
                match entity(&name) {
                    Some(c) => frame.text.push(c),
                    None => {
                        let at = Some(offset + name.len());
                        return Err(doc.error("Invalid character entity", at));
                    }
                }
            }
            Event::CData(c) => {
                let offset = doc.offset(&c);
                let raw = String::from_utf8_lossy(&c);
                match stack.last_mut() {
                    Some(frame) => {
                        frame.text.push_str(&raw);
                        frame.cdata = true;
                    }
                    None => doc.outside_root(&raw, offset)?,
                }
            }
            Event::Eof if stack.is_empty() => return Ok(Value::Null),
            Event::Eof => return Err(doc.error("Unclosed root tag", None)),
            // Declarations, comments, processing instructions and the
            // doctype carry nothing into the value.
            _ => doc.seen_markup = true,
        }
    }
}

fn open(
    doc: &Doc<'_>,
    start: &BytesStart<'_>,
    at: usize,
    opts: &ParseOptions,
) -> Result<Frame, XmlError> {
    let raw_name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let name = if opts.normalize_tags {
        raw_name.to_lowercase()
    } else {
        raw_name.clone()
    };
    let mut frame = Frame {
        raw_name,
        name,
        attrs: Map::new(),
        children: Map::new(),
        text: String::new(),
        cdata: false,
    };
    let mut seen: Vec<String> = Vec::new();
    for attr in start.attributes().with_checks(false) {
        let attr = attr.map_err(|e| attr_error(doc, &e, at))?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        // Attribute values keep their newlines and tabs, as sax leaves them.
        let raw = String::from_utf8_lossy(&attr.value);
        let value = Value::String(doc.resolve(&raw, doc.offset(&attr.value))?);
        // sax keeps the first of repeated attributes.
        if opts.ignore_attrs || seen.contains(&key) {
            continue;
        }
        seen.push(key.clone());
        if opts.merge_attrs {
            assign_or_push(&mut frame.children, &key, value, opts);
        } else {
            frame.attrs.insert(key, value);
        }
    }
    Ok(frame)
}

/// sax's words for a malformed attribute; `tag` is where the tag starts.
fn attr_error(doc: &Doc<'_>, e: &AttrError, tag: usize) -> XmlError {
    match e {
        AttrError::UnquotedValue(p) => doc.error("Unquoted attribute value", Some(tag + 1 + p)),
        AttrError::ExpectedEq(p) => doc.error("Attribute without value", Some(tag + 1 + p)),
        other => doc.error(&other.to_string(), Some(tag)),
    }
}

/// xml2js's `onclosetag`: the element's value.
fn close(frame: Frame, opts: &ParseOptions) -> (String, Value) {
    let Frame {
        name,
        attrs,
        children,
        mut text,
        cdata,
        ..
    } = frame;
    let blank = text.chars().all(char::is_whitespace) && !cdata;
    let mut obj = Map::new();
    if !blank {
        if opts.trim {
            text = text.trim().to_owned();
        }
        if opts.normalize {
            text = collapse_spaces(&text).trim().to_owned();
        }
        obj.insert(opts.charkey.clone(), Value::String(text.clone()));
    }
    if !attrs.is_empty() {
        obj.insert(opts.attrkey.clone(), Value::Object(attrs));
    }
    for (k, v) in children {
        obj.entry(k).or_insert(v);
    }
    if !blank && obj.len() == 1 && !opts.explicit_charkey {
        return (name, Value::String(text));
    }
    if obj.is_empty() {
        let empty = match &opts.empty_tag {
            Value::String(s) if s.is_empty() => Value::String(text),
            v => v.clone(),
        };
        return (name, empty);
    }
    (name, Value::Object(obj))
}

/// xml2js's `assignOrPush`.
fn assign_or_push(obj: &mut Map<String, Value>, key: &str, value: Value, opts: &ParseOptions) {
    match obj.get_mut(key) {
        None => {
            let v = if opts.explicit_array {
                Value::Array(vec![value])
            } else {
                value
            };
            obj.insert(key.to_owned(), v);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// JavaScript's `s.replace(/\s{2,}/g, " ")`.
fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    for c in s.chars() {
        if c.is_whitespace() {
            run.push(c);
            continue;
        }
        flush_run(&mut out, &mut run);
        out.push(c);
    }
    flush_run(&mut out, &mut run);
    out
}

fn flush_run(out: &mut String, run: &mut String) {
    if run.chars().count() >= 2 {
        out.push(' ');
    } else {
        out.push_str(run);
    }
    run.clear();
}
