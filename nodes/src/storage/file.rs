//! `file` (write file): appends the payload to a file, overwrites the file
//! with it, or deletes the file, then sends the message on (as Node-RED 3
//! and later do). Messages are handled one after another, in the order they
//! arrive, so writes to one file keep message order.

use std::io::Write;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::request::as_buffer;
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::oneshot;

use super::path::FileRoot;
use super::{encoding_setting, node_io_error, Encoding, Filename};
use crate::support::settings::{self, de, Choice, Choices, Field, Initial, Kind, NodeSettings};
use crate::support::typed_value::Contexts;
use crate::support::util::fail;

/// What Node-RED's help panel says about the node, in our words.
pub const HELP: &str = "Writes msg.payload to a file: appends it, replaces the file's contents, or deletes the file.
The filename is set in the node or taken from a message property (msg.filename by default), and is put in msg.filename.
Objects are written as JSON; buffers as their bytes; other values as text, encoded with the chosen encoding.
With \"Add newline\" each payload is followed by a newline (not after the last part of a split string).
With \"Create directory\" missing parent directories are created first.
The message is sent on once the file has been written or deleted; failures are errors a catch node receives.";

pub fn node_type() -> NodeType {
    NodeType::runnable("file", build)
        .help(HELP)
        .category("storage")
        .color("BurlyWood")
        .editor(settings::editor_json::<FileSettings>())
}

crate::choices! {
    /// What the node does with the file.
    pub enum Action ("action") {
        Append = "false" ("append to file"),
        Overwrite = "true" ("overwrite file"),
        Delete = "delete" ("delete file"),
    } else Append
}

/// Where the editor lets a filename come from (flows may also name a
/// `flow` or `global` context value, which the runtime reads as well).
pub const FILENAME_TYPES: &[Choice] = &[
    Choice {
        value: "str",
        label: Some("path"),
    },
    Choice::plain("msg"),
    Choice::plain("jsonata"),
    Choice::plain("env"),
];

/// The encodings flowgate offers (Node-RED's list, less the code pages
/// `encoding_rs` does not have).
pub const ENCODINGS: &[Choice] = &[
    Choice {
        value: "none",
        label: Some("default"),
    },
    Choice::plain("utf8"),
    Choice::plain("ucs2"),
    Choice::plain("utf-16le"),
    Choice::plain("ascii"),
    Choice::plain("binary"),
    Choice::plain("base64"),
    Choice::plain("hex"),
    Choice::plain("utf-16be"),
    Choice::plain("Shift_JIS"),
    Choice::plain("Windows-31j"),
    Choice::plain("Windows932"),
    Choice::plain("EUC-JP"),
    Choice::plain("GB2312"),
    Choice::plain("GBK"),
    Choice::plain("GB18030"),
    Choice::plain("Windows936"),
    Choice::plain("EUC-CN"),
    Choice::plain("KS_C_5601"),
    Choice::plain("Windows949"),
    Choice::plain("EUC-KR"),
    Choice::plain("Big5"),
    Choice::plain("Big5-HKSCS"),
    Choice::plain("Windows950"),
    Choice::plain("cp874"),
    Choice::plain("cp1250"),
    Choice::plain("cp1251"),
    Choice::plain("cp1252"),
    Choice::plain("cp1253"),
    Choice::plain("cp1254"),
    Choice::plain("cp1255"),
    Choice::plain("cp1256"),
    Choice::plain("cp1257"),
    Choice::plain("cp1258"),
    Choice::plain("ISO-8859-1"),
    Choice::plain("ISO-8859-2"),
    Choice::plain("ISO-8859-3"),
    Choice::plain("ISO-8859-4"),
    Choice::plain("ISO-8859-5"),
    Choice::plain("ISO-8859-6"),
    Choice::plain("ISO-8859-7"),
    Choice::plain("ISO-8859-8"),
    Choice::plain("ISO-8859-10"),
    Choice::plain("ISO-8859-13"),
    Choice::plain("ISO-8859-14"),
    Choice::plain("ISO-8859-15"),
    Choice::plain("ISO-8859-16"),
    Choice::plain("cp866"),
    Choice::plain("maccyrillic"),
    Choice::plain("macintosh"),
    Choice::plain("macroman"),
    Choice::plain("koi8-r"),
    Choice::plain("koi8-u"),
];

/// [`ENCODINGS`] and `setbymsg` (`msg.encoding`), which only writing offers.
const WRITE_ENCODINGS: &[Choice] = &{
    let mut all = [Choice::plain("setbymsg"); ENCODINGS.len() + 1];
    let mut i = 0;
    while i < ENCODINGS.len() {
        all[i] = ENCODINGS[i];
        i += 1;
    }
    all[ENCODINGS.len()] = Choice {
        value: "setbymsg",
        label: Some("set by msg.encoding"),
    };
    all
};

/// A `file` node's settings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileSettings {
    #[serde(deserialize_with = "de::text")]
    pub filename: String,
    #[serde(deserialize_with = "de::text")]
    pub filename_type: String,
    pub overwrite_file: Action,
    #[serde(deserialize_with = "de::flag")]
    pub append_newline: bool,
    #[serde(deserialize_with = "de::flag")]
    pub create_dir: bool,
    #[serde(deserialize_with = "de::text")]
    pub encoding: String,
}

impl NodeSettings for FileSettings {
    const FIELDS: &'static [Field] = &[
        Field::new("filename", Kind::Typed, Initial::Str("")).label("Filename"),
        Field::new(
            "filenameType",
            Kind::Select(FILENAME_TYPES),
            Initial::Str("str"),
        )
        .label("Filename type")
        .absent(Initial::Str("")),
        Field::select("overwriteFile", Action::CHOICES, "false").label("Action"),
        Field::checkbox("appendNewline", true)
            .label("Add newline (\\n) to each payload?")
            .absent(Initial::Bool(false)),
        Field::checkbox("createDir", false).label("Create directory if it doesn't exist?"),
        Field::select("encoding", WRITE_ENCODINGS, "none").label("Encoding"),
        Field::name(),
    ];
}

/// The encoding a `file` node writes with.
enum WriteEncoding {
    Fixed(Encoding),
    /// `msg.encoding`, `none` when absent.
    ByMsg,
}

struct FileNode {
    id: String,
    filename: Filename,
    action: Action,
    newline: bool,
    create_dir: bool,
    encoding: WriteEncoding,
    root: FileRoot,
    contexts: Contexts,
    /// Resolves when the previous message is handled: each message waits
    /// for the one before, as Node-RED's per-node queue does.
    tail: Mutex<oneshot::Receiver<()>>,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: FileSettings = settings::load(config, cx)?;
    let encoding = if s.encoding == "setbymsg" {
        WriteEncoding::ByMsg
    } else {
        WriteEncoding::Fixed(encoding_setting(config, &s.encoding)?)
    };
    let (_, done) = oneshot::channel();
    Ok(Built::new(
        FileNode {
            id: config.id.clone(),
            filename: Filename::build(config, cx, &s.filename, &s.filename_type)?,
            action: s.overwrite_file,
            newline: s.append_newline,
            create_dir: s.create_dir,
            encoding,
            root: FileRoot::new(cx.settings.file_root.as_deref()),
            contexts: Contexts::from_cx(cx),
            tail: Mutex::new(done),
        },
        1,
    ))
}

/// The bytes Node-RED writes for a message's payload.
fn payload_bytes(msg: &Message, newline: bool, encoding: Encoding) -> Vec<u8> {
    let payload = msg.body.get("payload").unwrap_or(&Value::Null);
    let text = match payload {
        Value::String(s) => s.clone(),
        Value::Object(_) => match as_buffer(payload) {
            // iconv-lite reads a buffer as UTF-8 text before encoding it.
            Some(bytes) if matches!(encoding, Encoding::None) => return bytes,
            Some(bytes) => return encoding.encode(&String::from_utf8_lossy(&bytes)),
            None => crate::parsers::json::stringify(payload, false),
        },
        Value::Array(_) | Value::Null => crate::parsers::json::stringify(payload, false),
        other => crate::support::js::to_js_string(Some(other)),
    };
    // No newline after the last part of a split string.
    let parts = msg.body.get("parts");
    let last_part = parts.is_some_and(|p| {
        p["type"] == "string"
            && p["count"].as_f64().is_some()
            && p["count"].as_f64() == p["index"].as_f64().map(|i| i + 1.0)
    });
    let mut text = text;
    if newline && !last_part {
        text.push('\n');
    }
    encoding.encode(&text)
}

impl FileNode {
    /// Handle one message: `Ok(true)` sends it on.
    async fn handle(&self, msg: &mut Message) -> Result<bool, Failure> {
        let filename = self.filename.evaluate(&msg.body, &self.contexts)?;
        msg.body
            .insert("filename".into(), Value::String(filename.clone()));
        if filename.is_empty() {
            tracing::warn!(node = %self.id, "file: No filename specified");
            return Ok(false);
        }
        self.root.check(&filename).map_err(|e| e.to_string())?;
        if self.action == Action::Delete {
            let f = filename.clone();
            return blocking(move || std::fs::remove_file(&f))
                .await
                .map(|()| true)
                .map_err(|e| {
                    Failure::Only(format!(
                        "failed to delete file: {}",
                        node_io_error(&e, "unlink", Some(&filename))
                    ))
                });
        }
        if msg.body.get("payload").is_none() {
            return Ok(false);
        }
        let encoding = match self.encoding {
            WriteEncoding::Fixed(e) => e,
            WriteEncoding::ByMsg => {
                let name = match msg.body.get("encoding") {
                    Some(Value::String(s)) if !s.is_empty() => s.clone(),
                    _ => "none".to_owned(),
                };
                Encoding::from_name(&name)
                    .ok_or_else(|| format!("Encoding not recognized: '{name}'"))?
            }
        };
        let bytes = payload_bytes(msg, self.newline, encoding);
        if self.create_dir {
            let dir = std::path::Path::new(&filename)
                .parent()
                .map(|p| p.to_path_buf())
                .unwrap_or_default();
            if !dir.as_os_str().is_empty() {
                let shown = dir.display().to_string();
                blocking(move || std::fs::create_dir_all(&dir))
                    .await
                    .map_err(|e| {
                        format!(
                            "failed to create file: {}",
                            node_io_error(&e, "mkdir", Some(&shown))
                        )
                    })?;
            }
        }
        let overwrite = self.action == Action::Overwrite;
        let f = filename.clone();
        let written = blocking(move || {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(!overwrite)
                .truncate(overwrite)
                .open(&f)?;
            file.write_all(&bytes)
        })
        .await;
        match written {
            Ok(()) => Ok(true),
            Err(e) if overwrite => Err(Failure::Only(format!(
                "failed to write to file: {}",
                node_io_error(&e, "open", Some(&filename))
            ))),
            // Node-RED's append stream calls back after its error too, so
            // the message is sent on as well.
            Err(e) => {
                let text = format!(
                    "failed to append to file: {}",
                    node_io_error(&e, "open", Some(&filename))
                );
                Err(Failure::AndSend(text))
            }
        }
    }
}

/// Why a message failed: the node's error text, and whether Node-RED
/// sends the message on all the same.
enum Failure {
    Only(String),
    AndSend(String),
}

impl From<String> for Failure {
    fn from(text: String) -> Self {
        Failure::Only(text)
    }
}

/// Run file-system work off the runtime's worker threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())))
}

impl Node for FileNode {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let (mine, next) = oneshot::channel::<()>();
        let previous = std::mem::replace(&mut *self.tail.lock(), next);
        Outcome::Pending(Box::pin(async move {
            // Dropping `mine` (at the end, or if the dispatch is abandoned)
            // lets the next message go.
            let _mine = mine;
            let _ = previous.await;
            match self.handle(&mut msg).await {
                Ok(true) => {
                    out.send(0, msg);
                    Ok(())
                }
                Ok(false) => Ok(()),
                Err(Failure::Only(reason)) => Err::<(), NodeError>(fail(msg, reason)),
                Err(Failure::AndSend(reason)) => {
                    out.send(0, msg.clone());
                    Err(fail(msg, reason))
                }
            }
        }))
    }
}
