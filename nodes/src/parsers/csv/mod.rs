//! `csv`: converts between CSV text and objects or arrays, in either
//! direction, as Node-RED 5 does. Node-RED has two implementations chosen
//! by the `spec` field: its RFC 4180 reader (new nodes, [`rfc`]) and the
//! older character loop every flow exported before it uses ([`legacy`]);
//! each is followed with its own quirks, since both kinds of flows exist.

mod legacy;
mod parse;
mod rfc;

use std::sync::Mutex;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use thiserror::Error;

use crate::support::js;
use crate::support::settings::{self, de, Choice, Choices, Field, Initial, Kind, NodeSettings};

/// What Node-RED's help panel says about the node.
pub const HELP: &str = "Converts between CSV text and objects, in either direction.
A string is parsed as CSV: each row becomes an object keyed by the column names (from the \
Columns list, the first row, or col1, col2…), sent as one message per row with msg.parts set, \
or as one message holding an array.
An object, an array of objects or an array of arrays becomes CSV text; the Columns list (or \
msg.columns) picks and orders the properties written, and a header row can be sent never, \
always, or once until a message with msg.reset arrives.
Numeric values can be parsed into numbers, and empty or missing cells kept as empty strings \
or nulls. The RFC 4180 parser raises catchable errors for malformed headers and payloads.
Column names are always comma separated, whatever separator the data uses.";

pub fn node_type() -> NodeType {
    NodeType::runnable("csv", build)
        .help(HELP)
        .category("parser")
        .color("#DEBD5C")
        .editor(settings::editor_json::<CsvSettings>())
}

crate::choices! {
    /// Which of Node-RED's two implementations runs.
    pub enum Spec ("parser") {
        Rfc = "rfc" ("RFC4180"),
        Legacy = "" ("Legacy"),
    } else Legacy
}

crate::choices! {
    /// When a header row is written before CSV output.
    pub enum HeaderOut ("header output") {
        None = "none" | "false" | "" ("never send column headers"),
        All = "all" | "true" ("always send column headers"),
        Once = "once" ("send headers once, until msg.reset"),
    } else All
}

crate::choices! {
    /// How parsed rows leave the node.
    pub enum Multi ("output") {
        One = "one" | "" ("a message per row"),
        Mult = "mult" ("a single message [array]"),
    } else Mult
}

const NEWLINES: &[Choice] = &[
    Choice {
        value: "\\r\\n",
        label: Some("Windows (\\r\\n)"),
    },
    Choice {
        value: "\\n",
        label: Some("Linux (\\n)"),
    },
    Choice {
        value: "\\r",
        label: Some("Mac (\\r)"),
    },
];

/// A `csv` node's settings, as the editor writes them. A flow exported
/// before the RFC parser existed has no `spec` and runs the legacy one.
#[derive(Debug, Serialize, Deserialize)]
pub struct CsvSettings {
    pub spec: Spec,
    /// The column names, comma separated.
    #[serde(deserialize_with = "de::text")]
    pub temp: String,
    /// The separator; any text (`\t` written as two characters).
    #[serde(deserialize_with = "de::text")]
    pub sep: String,
    #[serde(deserialize_with = "de::text")]
    pub skip: String,
    #[serde(deserialize_with = "de::flag")]
    pub hdrin: bool,
    #[serde(deserialize_with = "de::flag")]
    pub strings: bool,
    #[serde(deserialize_with = "de::flag")]
    pub include_empty_strings: bool,
    #[serde(deserialize_with = "de::flag")]
    pub include_null_values: bool,
    pub multi: Multi,
    pub hdrout: HeaderOut,
    /// The line end written; empty is the parser's default.
    #[serde(deserialize_with = "de::text")]
    pub ret: String,
}

impl NodeSettings for CsvSettings {
    const FIELDS: &'static [Field] = &[
        Field::text("temp", "").label("Columns"),
        // Free text, as Node-RED's "other..." choice allows any separator.
        Field::text("sep", ",").required().label("Separator"),
        Field::select("spec", Spec::CHOICES, "rfc")
            .absent(Initial::Str(""))
            .label("Parser"),
        Field::name(),
        Field::text("skip", "0").label("Skip first lines"),
        Field::checkbox("hdrin", false).label("first row contains column names"),
        Field::checkbox("strings", true).label("parse numerical values"),
        Field::checkbox("include_empty_strings", false).label("include empty strings"),
        Field::checkbox("include_null_values", false).label("include null values"),
        Field::select("multi", Multi::CHOICES, "one")
            .required()
            .label("Output"),
        Field::select("hdrout", HeaderOut::CHOICES, "none").label("Output"),
        Field::new("ret", Kind::Select(NEWLINES), Initial::Str("\\r\\n"))
            .absent(Initial::Str(""))
            .label("Newline"),
    ];
}

/// The node's settings, read once.
pub(crate) struct Config {
    pub id: String,
    pub template: String,
    pub sep: String,
    pub ret: String,
    pub multi: Multi,
    pub hdrin: bool,
    pub hdrout: HeaderOut,
    pub skip: i64,
    pub parse_strings: bool,
    pub include_empty: bool,
    pub include_null: bool,
}

impl Config {
    /// The separator as one character; a longer one never matches a
    /// single character of the input.
    pub fn sep_char(&self) -> Option<char> {
        let mut chars = self.sep.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        }
    }
}

/// What the node keeps between messages.
enum State {
    Rfc(rfc::State),
    Legacy(legacy::State),
    /// The RFC parser rejected the column list: Node-RED leaves such a node
    /// unconnected, so it drops every message.
    Broken,
}

struct Csv {
    config: Config,
    state: Mutex<State>,
}

/// `parseInt(text || 0)`, with no number read as 0.
fn parse_int(text: &str) -> i64 {
    let t = text.trim_start();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse::<i64>().map_or(0, |n| sign * n)
}

/// Node-RED's escapes for the separator and newline fields.
fn unescape(text: &str, tab: bool) -> String {
    let t = if tab {
        text.replace("\\t", "\t")
    } else {
        text.to_owned()
    };
    t.replace("\\n", "\n").replace("\\r", "\r")
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: CsvSettings = settings::load(config, cx)?;
    let rfc = s.spec == Spec::Rfc;
    let sep = if s.sep.is_empty() { "," } else { &s.sep };
    let default_ret = if rfc { "\r\n" } else { "\n" };
    let ret = if s.ret.is_empty() {
        default_ret.to_owned()
    } else {
        unescape(&s.ret, false)
    };
    let c = Config {
        id: config.id.clone(),
        template: s.temp,
        sep: unescape(sep, true),
        ret,
        multi: s.multi,
        hdrin: s.hdrin,
        hdrout: s.hdrout,
        skip: parse_int(&s.skip),
        parse_strings: s.strings,
        include_empty: s.include_empty_strings,
        include_null: s.include_null_values,
    };
    let state = if rfc {
        match rfc::State::new(&c) {
            Some(st) => State::Rfc(st),
            None => {
                tracing::warn!(node = %c.id, "csv: Malformed columns template.");
                State::Broken
            }
        }
    } else {
        State::Legacy(legacy::State::new(&c))
    };
    Ok(Built::new(
        Csv {
            config: c,
            state: Mutex::new(state),
        },
        1,
    ))
}

impl Node for Csv {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let result = match &mut *state {
            State::Rfc(st) => st.on_input(&self.config, msg, out),
            State::Legacy(st) => st.on_input(&self.config, msg, out),
            State::Broken => Ok(()),
        };
        Outcome::Ready(result)
    }
}

/// What the two implementations share about a message's place in a
/// sequence (`msg.parts` from a file or split node).
pub(crate) struct Sequence {
    pub has_parts: bool,
    pub index: f64,
    pub last: bool,
}

impl Sequence {
    fn of(msg: &Message) -> Self {
        let parts = msg.body.get("parts");
        let num = |k: &str| parts.and_then(|p| p.get(k)).map(|v| js::to_number(Some(v)));
        let index = num("index").unwrap_or(f64::NAN);
        let last = num("count").is_some_and(|count| index + 1.0 >= count);
        Sequence {
            has_parts: parts.is_some(),
            index,
            last,
        }
    }
}

/// Sends parsed rows the way both implementations do: one message per row
/// with `msg.parts` (renumbered past skipped and header lines when the input
/// was itself a sequence), or one array, gathered across a sequence of
/// one-line messages in `store`.
pub(crate) struct Rows<'a> {
    pub rows: Vec<Value>,
    /// What a sequence of one-line messages adds to `store`.
    pub store_rows: Vec<Value>,
    pub columns: String,
    pub line_breaks: usize,
    pub store: &'a mut Vec<Value>,
}

pub(crate) fn send_rows(c: &Config, mut msg: Message, rows: Rows<'_>, out: &mut Outputs) {
    let seq = Sequence::of(&msg);
    let columns = Value::String(rows.columns);
    if c.multi != Multi::One {
        if seq.has_parts && rows.line_breaks <= 1 {
            rows.store.extend(rows.store_rows);
            let count = msg
                .body
                .get("parts")
                .and_then(|p| p.get("count"))
                .map(|v| js::to_number(Some(v)));
            if count == Some(seq.index + 1.0) {
                msg.body
                    .insert("payload".into(), Value::Array(std::mem::take(rows.store)));
                msg.body.insert("columns".into(), columns);
                msg.body.shift_remove("parts");
                out.send(0, msg);
            }
        } else {
            msg.body.insert("columns".into(), columns);
            msg.body.insert("payload".into(), Value::Array(rows.rows));
            out.send(0, msg);
        }
        return;
    }
    let len = rows.rows.len();
    let shift = c.skip as f64 + if c.hdrin { 1.0 } else { 0.0 };
    for (i, row) in rows.rows.into_iter().enumerate() {
        let mut m = msg.clone();
        m.body.insert("columns".into(), columns.clone());
        m.body.insert("payload".into(), row);
        if !seq.has_parts {
            let parts = json!({"id": msg.msgid(), "index": i, "count": len});
            m.body.insert("parts".into(), parts);
        } else if let Some(Value::Object(parts)) = m.body.get_mut("parts") {
            for key in ["index", "count"] {
                let n = js::to_number(parts.get(key));
                parts.insert(key.into(), js::number(n - shift));
            }
        }
        if seq.last {
            m.body.insert("complete".into(), Value::Bool(true));
        }
        out.send(0, m);
    }
    if seq.has_parts && seq.last && len == 0 {
        let mut body = Map::new();
        body.insert("complete".into(), Value::Bool(true));
        out.send(0, Message::from_body(body));
    }
}

/// Why a message could not be converted, in the words (class name, then
/// message) Node-RED's catch node reports for the same input.
#[derive(Debug, Error)]
pub(crate) enum CsvError {
    #[error(transparent)]
    Parse(#[from] parse::ParseError),
    #[error("TypeError: Cannot convert undefined or null to object")]
    NullObject,
    #[error("TypeError: Cannot read properties of {0} (reading '{1}')")]
    Property(&'static str, String),
    #[error("Error: This node only handles CSV strings or js objects.")]
    NotCsv,
}

/// A failure to convert, reported against the message.
pub(crate) fn fail(msg: Message, e: CsvError) -> NodeError {
    NodeError::new(e.to_string()).with_msg(msg)
}

/// `RED.util.ensureString`: text as is, objects as JSON, the rest as
/// JavaScript prints it.
pub(crate) fn ensure_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(b) if flowgate_runtime::request::as_buffer(b).is_some() => {
            String::from_utf8_lossy(&flowgate_runtime::request::as_buffer(b).unwrap_or_default())
                .into_owned()
        }
        Some(v @ (Value::Object(_) | Value::Array(_) | Value::Null)) => {
            flowgate_runtime::js_json::to_string(v)
        }
        other => js::to_js_string(other),
    }
}

/// `Object.keys(v)` for a JSON value.
pub(crate) fn keys_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Object(m)) => crate::sequence::parts::key_order(m)
            .into_iter()
            .cloned()
            .collect(),
        Some(Value::Array(a)) => (0..a.len()).map(|i| i.to_string()).collect(),
        Some(Value::String(s)) => (0..s.encode_utf16().count())
            .map(|i| i.to_string())
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
