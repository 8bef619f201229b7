//! `split`: one message into a sequence. Text and Buffers split at a
//! separator or into fixed lengths, arrays into slices, objects into one
//! message per key; every part carries `msg.parts` as Node-RED builds it (a
//! message that already had parts keeps them under `parts.parts`), so a
//! `join` in automatic mode can put the sequence back together. In stream
//! mode what is left after the last separator waits for the next message.

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::parts;
use crate::support::msgpath::PropPath;
use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings};

/// What the editor and `docs/nodes.md` say about the node.
pub const HELP: &str = "Splits a message into a sequence: a string or Buffer by a separator or a length, an array into elements or chunks, an object into one message per key.\n\
     Each message carries msg.parts, so a join node can put the sequence back together.\n\
     Stream mode carries an incomplete last piece over to the next message.";

pub fn node_type() -> NodeType {
    NodeType::runnable("split", build)
        .help(HELP)
        .category("sequence")
        .color("#E2D96E")
        .editor(settings::editor_json::<SplitSettings>())
}

crate::choices! {
    /// How text and Buffers are split.
    pub enum SpltType ("split type") {
        Str = "str" ("string"),
        Bin = "bin" ("buffer"),
        Len = "len" ("Fixed length of"),
    } else Str
}

crate::choices! {
    /// How arrays are split (only by length).
    pub enum ArraySpltType ("array split type") {
        Len = "len" ("Fixed length of"),
    } else Len
}

/// A `split` node's settings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SplitSettings {
    /// The separator (`str`: text with `\n`-style escapes, `bin`: a JSON
    /// array of bytes) or the length (`len`).
    #[serde(deserialize_with = "de::text")]
    pub splt: String,
    pub splt_type: SpltType,
    /// Kept as written: Node-RED reads it with `parseInt`.
    pub array_splt: Value,
    pub array_splt_type: ArraySpltType,
    #[serde(deserialize_with = "de::flag")]
    pub stream: bool,
    /// A message property to copy each object key to.
    #[serde(deserialize_with = "de::text")]
    pub addname: String,
    #[serde(deserialize_with = "de::text")]
    pub property: String,
}

impl NodeSettings for SplitSettings {
    const FIELDS: &'static [Field] = &[
        Field::text("property", "payload")
            .required()
            .label("Split property"),
        Field::text("splt", "\\n").label("Split using"),
        Field::select("spltType", SpltType::CHOICES, "str").label("String / Buffer split by"),
        Field::new("arraySplt", Kind::Number, Initial::Int(1)).label("Array: fixed length of"),
        Field::select("arraySpltType", ArraySpltType::CHOICES, "len").hidden(),
        Field::checkbox("stream", false).label("Handle as a stream of messages"),
        Field::text("addname", "").label("Object: copy key to msg."),
        Field::name(),
    ];
}

/// Where text and Buffers split.
enum Splitter {
    /// At a text separator (Buffers at its UTF-8 bytes).
    Text(String),
    /// At a byte sequence; `written` is the array as configured, which
    /// Node-RED passes on as `parts.ch`.
    Bytes { bytes: Vec<u8>, written: Value },
    /// Into pieces of this many UTF-16 code units or bytes.
    Length(usize),
}

#[derive(Default)]
struct State {
    /// The next `parts.index` (carried across messages in stream mode).
    next: usize,
    /// Text left over in stream mode.
    remainder: String,
    /// Bytes left over in stream mode.
    buffer: Vec<u8>,
}

struct Split {
    splitter: Splitter,
    array_len: usize,
    stream: bool,
    addname: Option<PropPath>,
    property: PropPath,
    property_text: String,
    state: Mutex<State>,
}

/// JavaScript's `parseInt` for a positive length setting.
fn parse_int(v: &Value) -> Option<i64> {
    let text = crate::support::js::to_js_string(Some(v));
    let t = text.trim_start();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse::<i64>().ok().map(|n| sign * n)
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: SplitSettings = settings::load(config, cx)?;
    let invalid = |field: &'static str, why: String| {
        config.problem(Some(field), format!("Invalid split property: Error: {why}"))
    };
    let splitter = match s.splt_type {
        SpltType::Str => {
            let text = if s.splt.is_empty() { "\\n" } else { &s.splt };
            Splitter::Text(parts::unescape(text))
        }
        SpltType::Bin => {
            let (bytes, written) = parts::parse_bytes(&s.splt).map_err(|e| invalid("splt", e))?;
            if bytes.is_empty() {
                return Err(invalid("splt", "empty separator".into()));
            }
            Splitter::Bytes { bytes, written }
        }
        SpltType::Len => match parse_int(&Value::String(s.splt.clone())) {
            Some(n) if n >= 1 => Splitter::Length(n as usize),
            _ => return Err(invalid("splt", format!("invalid split length: {}", s.splt))),
        },
    };
    let array_len = if s.array_splt.is_null() {
        Some(1)
    } else {
        parse_int(&s.array_splt)
    };
    let array_len = match array_len {
        Some(n) if n >= 1 => n as usize,
        _ => {
            let text = crate::support::js::to_js_string(Some(&s.array_splt));
            return Err(invalid(
                "arraySplt",
                format!("invalid array split length: {text}"),
            ));
        }
    };
    let property_text = if s.property.is_empty() {
        "payload".to_owned()
    } else {
        s.property
    };
    let path = |field: &'static str, text: &str| {
        PropPath::parse_msg(text).map_err(|e| config.problem(Some(field), e.to_string()))
    };
    Ok(Built::new(
        Split {
            splitter,
            array_len,
            stream: s.stream,
            addname: if s.addname.is_empty() {
                None
            } else {
                Some(path("addname", &s.addname)?)
            },
            property: path("property", &property_text)?,
            property_text,
            state: Mutex::new(State::default()),
        },
        1,
    ))
}

/// One input message being cut into parts: each part is a copy of `msg`
/// with the piece at the property and `parts` as it stands.
struct Cut<'a> {
    msg: Message,
    parts: Map<String, Value>,
    property: &'a PropPath,
    out: &'a mut Outputs,
}

impl Cut<'_> {
    fn set(&mut self, key: &str, value: Value) {
        self.parts.insert(key.into(), value);
    }

    fn emit(&mut self, piece: Value, index: usize) {
        self.set("index", json!(index));
        let mut m = self.msg.clone();
        let _ = self.property.set(&mut m.body, piece);
        m.body
            .insert("parts".into(), Value::Object(self.parts.clone()));
        parts::fresh_msgid(&mut m);
        self.out.send(0, m);
    }
}

/// JavaScript's `String.prototype.split` for a non-empty separator, or into
/// UTF-16 code units for an empty one.
fn split_text(text: &str, sep: &str) -> Vec<String> {
    if sep.is_empty() {
        return text
            .encode_utf16()
            .map(|u| String::from_utf16_lossy(&[u]))
            .collect();
    }
    text.split(sep).map(str::to_owned).collect::<Vec<_>>()
}

/// Where `needle` starts in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

impl Split {
    /// Node-RED's `sendArray`: every piece a part; in stream mode the last
    /// waits as the remainder.
    fn send_pieces(&self, st: &mut State, cut: &mut Cut<'_>, pieces: Vec<String>) {
        let count = pieces.len();
        let mut pieces = pieces.into_iter();
        let last = pieces.next_back().unwrap_or_default();
        for piece in pieces {
            if !self.stream {
                cut.set("count", json!(count));
            }
            cut.emit(Value::String(piece), st.next);
            st.next += 1;
        }
        if self.stream {
            st.remainder = last;
        } else {
            cut.set("count", json!(count));
            cut.emit(Value::String(last), st.next);
            st.next = 0;
        }
    }

    fn split_string(&self, st: &mut State, cut: &mut Cut<'_>, value: String) {
        let value = std::mem::take(&mut st.remainder) + value.as_str();
        cut.set("type", json!("string"));
        match &self.splitter {
            Splitter::Length(n) => {
                let n = *n;
                cut.set("ch", json!(""));
                cut.set("len", json!(n));
                let units: Vec<u16> = value.encode_utf16().collect();
                let count = units.len().div_ceil(n);
                if !self.stream {
                    cut.set("count", json!(count));
                    st.next = 0;
                }
                let mut pos = 0;
                for _ in 1..count {
                    let piece = String::from_utf16_lossy(&units[pos..pos + n]);
                    cut.emit(Value::String(piece), st.next);
                    st.next += 1;
                    pos += n;
                }
                let rest = String::from_utf16_lossy(&units[pos..]);
                if !self.stream || units.len() - pos == n {
                    cut.emit(Value::String(rest), st.next);
                    st.next += 1;
                } else {
                    st.remainder = rest;
                }
            }
            Splitter::Text(sep) => {
                cut.set("ch", Value::String(sep.clone()));
                self.send_pieces(st, cut, split_text(&value, sep));
            }
            Splitter::Bytes { bytes, written } => {
                cut.set("ch", written.clone());
                let sep = String::from_utf8_lossy(bytes).into_owned();
                self.send_pieces(st, cut, split_text(&value, &sep));
            }
        }
    }

    fn split_buffer(&self, st: &mut State, cut: &mut Cut<'_>, value: Vec<u8>) {
        let mut buff = std::mem::take(&mut st.buffer);
        buff.extend(value);
        cut.set("type", json!("buffer"));
        let sep: &[u8] = match &self.splitter {
            Splitter::Length(n) => return self.split_buffer_len(st, cut, buff, *n),
            Splitter::Text(t) => {
                cut.set("ch", Value::String(t.clone()));
                t.as_bytes()
            }
            Splitter::Bytes { bytes, written } => {
                cut.set("ch", written.clone());
                bytes
            }
        };
        let mut cuts = Vec::new();
        let mut from = 0;
        while let Some(pos) = find(&buff, sep, from) {
            cuts.push(pos);
            from = pos + sep.len();
        }
        if !self.stream {
            cut.set("count", json!(cuts.len() + 1));
            st.next = 0;
        }
        let mut p = 0;
        for pos in cuts {
            cut.emit(parts::buffer(&buff[p..pos]), st.next);
            st.next += 1;
            p = pos + sep.len();
        }
        if !self.stream && p < buff.len() {
            // Node-RED sets the count to the index + 1 and skips one index.
            cut.set("count", json!(st.next + 1));
            cut.emit(parts::buffer(&buff[p..]), st.next);
            st.next += 2;
        } else {
            st.buffer = buff[p..].to_vec();
        }
    }

    fn split_buffer_len(&self, st: &mut State, cut: &mut Cut<'_>, buff: Vec<u8>, n: usize) {
        let count = buff.len().div_ceil(n);
        if !self.stream {
            cut.set("count", json!(count));
            st.next = 0;
        }
        cut.set("len", json!(n));
        let mut pos = 0;
        for _ in 1..count {
            cut.emit(parts::buffer(&buff[pos..pos + n]), st.next);
            st.next += 1;
            pos += n;
        }
        let rest = &buff[pos..];
        if !self.stream || rest.len() == n {
            cut.emit(parts::buffer(rest), st.next);
            st.next += 1;
        } else {
            st.buffer = rest.to_vec();
        }
    }

    fn split_array(&self, cut: &mut Cut<'_>, items: Vec<Value>) {
        let n = self.array_len;
        let count = items.len().div_ceil(n);
        cut.set("type", json!("array"));
        cut.set("count", json!(count));
        cut.set("len", json!(n));
        for (i, chunk) in items.chunks(n).enumerate() {
            let piece = if n == 1 {
                chunk[0].clone()
            } else {
                Value::Array(chunk.to_vec())
            };
            cut.emit(piece, i);
        }
    }

    fn split_object(&self, cut: &mut Cut<'_>, object: Map<String, Value>) {
        cut.set("type", json!("object"));
        let count = object.len();
        for (j, key) in parts::key_order(&object).into_iter().enumerate() {
            if let Some(addname) = &self.addname {
                let _ = addname.set(&mut cut.msg.body, Value::String(key.clone()));
            }
            cut.set("key", Value::String(key.clone()));
            cut.set("count", json!(count));
            cut.emit(object[key].clone(), j);
        }
    }
}

impl Node for Split {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let Some(value) = self
            .property
            .get(&msg.body)
            .ok()
            .flatten()
            .map(|v| v.into_owned())
        else {
            return Outcome::Ready(Ok(()));
        };
        let mut p = Map::new();
        if let Some(old) = msg.body.shift_remove("parts") {
            p.insert("parts".into(), old);
        }
        p.insert("id".into(), Value::String(parts::group_id()));
        if self.property_text != "payload" {
            p.insert("property".into(), Value::String(self.property_text.clone()));
        }
        msg.body.shift_remove("_msgid");
        // Every part is a copy of the message: leave the whole value out of
        // it, or an array of n items would be copied n times.
        let _ = self.property.set(&mut msg.body, Value::Null);
        let mut cut = Cut {
            msg,
            parts: p,
            property: &self.property,
            out,
        };
        let mut st = self.state.lock();
        match value {
            Value::String(s) => self.split_string(&mut st, &mut cut, s),
            Value::Array(items) => self.split_array(&mut cut, items),
            v => {
                if let Some(b) = parts::bytes(&v) {
                    self.split_buffer(&mut st, &mut cut, b);
                } else if let Value::Object(object) = v {
                    self.split_object(&mut cut, object);
                }
            }
        }
        Outcome::Ready(Ok(()))
    }
}
