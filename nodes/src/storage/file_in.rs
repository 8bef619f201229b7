//! `file in` (read file): reads a file and sends its contents as one
//! string, one buffer, one message per line, or a stream of 64 KiB buffers
//! (the last two with `msg.parts`, so a `join` can put them back together).
//!
//! The whole file is read before anything is sent, so every read is
//! bounded by `--max-file-bytes`.

use std::io::Read;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::request::buffer_value;
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::file::{ENCODINGS, FILENAME_TYPES};
use super::path::FileRoot;
use super::{encoding_setting, node_io_error, node_io_error_value, Encoding, Filename};
use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings};
use crate::support::typed_value::Contexts;
use crate::support::util::fail;

/// What Node-RED's help panel says about the node, in our words.
pub const HELP: &str = "Reads a file and sends its contents.
The filename is set in the node or taken from a message property (msg.filename by default), and is put in msg.filename.
Output as a single UTF-8 string, a single buffer, one message per line, or a stream of buffers; lines and buffers carry msg.parts so a join node can rebuild the whole.
Line and buffer messages keep only msg.topic and msg.filename unless \"include all existing properties\" is set.
The encoding decodes the file's bytes into text.
A file that cannot be read is an error a catch node receives (and, in the legacy mode, a message with msg.error).";

pub fn node_type() -> NodeType {
    NodeType::runnable("file in", build)
        .help(HELP)
        .category("storage")
        .color("BurlyWood")
        .editor(settings::editor_json::<FileInSettings>())
}

crate::choices! {
    /// How the file is sent.
    pub enum Format ("output format") {
        Utf8 = "utf8" ("a single utf8 string"),
        Lines = "lines" ("a msg per line"),
        Buffer = "" ("a single Buffer object"),
        Stream = "stream" ("a stream of Buffers"),
    } else Buffer
}

/// A `file in` node's settings. `chunk` is an old field Node-RED keeps
/// writing and no longer reads.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileInSettings {
    #[serde(deserialize_with = "de::text")]
    pub filename: String,
    #[serde(deserialize_with = "de::text")]
    pub filename_type: String,
    pub format: Format,
    #[serde(deserialize_with = "de::flag")]
    pub chunk: bool,
    #[serde(deserialize_with = "de::flag")]
    pub send_error: bool,
    #[serde(deserialize_with = "de::text")]
    pub encoding: String,
    #[serde(deserialize_with = "de::flag")]
    pub all_props: bool,
}

impl NodeSettings for FileInSettings {
    const FIELDS: &'static [Field] = &[
        Field::new("filename", Kind::Typed, Initial::Str("")).label("Filename"),
        Field::new(
            "filenameType",
            Kind::Select(FILENAME_TYPES),
            Initial::Str("str"),
        )
        .label("Filename type")
        .absent(Initial::Str("")),
        Field::select("format", Format::CHOICES, "utf8").label("Output"),
        Field::checkbox("chunk", false).hidden(),
        // Flows from before the option send a message on error.
        Field::checkbox("sendError", false)
            .label("Send message on error (legacy mode)")
            .absent(Initial::Bool(true)),
        Field::select("encoding", ENCODINGS, "none").label("Encoding"),
        Field::checkbox("allProps", false).label("include all existing properties in each msg"),
        Field::name(),
    ];
}

/// Node.js's file read stream buffer size: the size of `stream` chunks.
const CHUNK: usize = 64 * 1024;

struct FileIn {
    filename: Filename,
    format: Format,
    send_error: bool,
    encoding: Encoding,
    all_props: bool,
    root: FileRoot,
    max_bytes: u64,
    contexts: Contexts,
    id: String,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: FileInSettings = settings::load(config, cx)?;
    Ok(Built::new(
        FileIn {
            filename: Filename::build(config, cx, &s.filename, &s.filename_type)?,
            format: s.format,
            send_error: s.send_error,
            encoding: encoding_setting(config, &s.encoding)?,
            all_props: s.all_props,
            root: FileRoot::new(cx.settings.file_root.as_deref()),
            max_bytes: cx.settings.max_file_bytes,
            contexts: Contexts::from_cx(cx),
            id: config.id.clone(),
        },
        1,
    ))
}

/// Why a file was not read: the node's error text, and for the legacy
/// error message the error object (`None` when Node.js raises none).
struct ReadError {
    text: String,
    object: Value,
}

/// Read at most `max` bytes of `path`: a larger file is an error.
fn read_bounded(path: &str, max: u64) -> Result<Vec<u8>, ReadError> {
    let io = |e: std::io::Error, syscall: &str, path: Option<&str>| ReadError {
        text: node_io_error(&e, syscall, path),
        object: node_io_error_value(&e, syscall, path),
    };
    let file = std::fs::File::open(path).map_err(|e| io(e, "open", Some(path)))?;
    let mut data = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| io(e, "read", None))?;
    if data.len() as u64 > max {
        let text = format!(
            "\"{path}\" is larger than the {max} bytes a file in node may read (--max-file-bytes)"
        );
        return Err(ReadError {
            object: json!({ "message": text }),
            text,
        });
    }
    Ok(data)
}

impl FileIn {
    /// A line or chunk message: all of the input's properties, or only its
    /// topic and filename, with a new message id.
    fn part(&self, msg: &Message, payload: Value, parts: Value) -> Message {
        let mut body = Map::new();
        if self.all_props {
            body = msg.body.clone();
        } else {
            for key in ["topic", "filename"] {
                if let Some(v) = msg.body.get(key) {
                    body.insert(key.into(), v.clone());
                }
            }
        }
        body.insert("payload".into(), payload);
        body.insert("parts".into(), parts);
        // A copy keeps the message id; a new message gets its own.
        msg.derive(body)
    }

    /// Send the file's contents as the node's format says.
    fn send(&self, mut msg: Message, data: &[u8], out: &mut Outputs) {
        let id = Value::from(msg.msgid());
        match self.format {
            Format::Utf8 => {
                msg.body
                    .insert("payload".into(), Value::String(self.encoding.decode(data)));
                out.send(0, msg);
            }
            Format::Buffer => {
                msg.body.insert("payload".into(), buffer_value(data));
                out.send(0, msg);
            }
            Format::Lines => {
                // Node-RED decodes each read chunk on its own, then splits.
                let mut spare = String::new();
                let mut index = 0;
                for chunk in data.chunks(CHUNK) {
                    spare.push_str(&self.encoding.decode(chunk));
                    let mut bits: Vec<&str> = spare.split('\n').collect();
                    let last = bits.pop().unwrap_or_default().to_owned();
                    for line in bits {
                        let parts = json!({"index": index, "ch": "\n", "type": "string", "id": id});
                        out.send(0, self.part(&msg, Value::from(line), parts));
                        index += 1;
                    }
                    spare = last;
                }
                let parts = json!({"index": index, "count": index + 1, "ch": "\n", "type": "string", "id": id});
                out.send(0, self.part(&msg, Value::String(spare), parts));
            }
            Format::Stream => {
                let mut count = 0;
                for chunk in data.chunks(CHUNK) {
                    let mut parts = json!({"index": count, "ch": "", "type": "buffer", "id": id});
                    count += 1;
                    if chunk.len() < CHUNK {
                        parts["count"] = json!(count);
                    }
                    out.send(0, self.part(&msg, buffer_value(chunk), parts));
                }
                if !data.is_empty() && data.len().is_multiple_of(CHUNK) {
                    // The last chunk was full: an empty closing message says
                    // how many there were.
                    let parts = json!({"index": count, "count": count, "ch": "", "type": "buffer", "id": id});
                    let mut body = Map::new();
                    body.insert("parts".into(), parts);
                    out.send(0, msg.derive(body));
                }
            }
        }
    }
}

impl Node for FileIn {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let filename = match self.filename.evaluate(&msg.body, &self.contexts) {
            Ok(f) => f.replace(['\t', '\r', '\n'], ""),
            Err(e) => return Outcome::Ready(Err(fail(msg, e))),
        };
        if filename.is_empty() {
            tracing::warn!(node = %self.id, "file in: No filename specified");
            return Outcome::Ready(Ok(()));
        }
        msg.body
            .insert("filename".into(), Value::String(filename.clone()));
        Outcome::Pending(Box::pin(async move {
            let root = self.root.clone();
            let max = self.max_bytes;
            let path = filename.clone();
            let read = tokio::task::spawn_blocking(move || {
                root.check(&path).map_err(|e| ReadError {
                    object: json!({ "message": e.to_string() }),
                    text: e.to_string(),
                })?;
                read_bounded(&path, max)
            })
            .await
            .unwrap_or_else(|e| {
                Err(ReadError {
                    text: e.to_string(),
                    object: Value::Null,
                })
            });
            match read {
                Ok(data) => {
                    self.send(msg, &data, out);
                    Ok(())
                }
                Err(e) => {
                    if self.send_error {
                        let mut m = msg.clone();
                        m.body.shift_remove("payload");
                        m.body.insert("error".into(), e.object);
                        out.send(0, m);
                    }
                    Err(fail(msg, e.text))
                }
            }
        }))
    }
}
