//! `watch`: sends a message when a watched file, or anything in a watched
//! directory, changes. Node-RED watches with the `node-watch` package,
//! which reports `update` for a path that exists after the change (created
//! or modified) and `remove` for one that no longer does, once per path
//! per 200 ms burst of file-system events; this node does the same on the
//! `notify` crate.

use std::path::{Path, PathBuf};
use std::time::Duration;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use notify::{EventKind, RecursiveMode, Watcher};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map};
use tokio::sync::mpsc;

use super::path::FileRoot;
use crate::support::settings::{self, de, Field, NodeSettings};

/// What Node-RED's help panel says about the node, in our words.
pub const HELP: &str = "Watches files and directories (a comma-separated list) and sends a message when one changes.
msg.payload and msg.filename are the full path of what changed, msg.file its name alone, msg.topic the watched list.
msg.event is \"update\" when the path exists after the change (created or modified) and \"remove\" when it was deleted.
msg.type says what the path is (\"file\", \"directory\", or \"none\" once removed); msg.size is a file's size in bytes.
Sub-directories are watched too when \"Watch sub-directories recursively\" is set.";

pub fn node_type() -> NodeType {
    NodeType::runnable("watch", build)
        .help(HELP)
        .category("storage")
        .ports(0, 1)
        .color("BurlyWood")
        .editor(settings::editor_json::<WatchSettings>())
}

/// A `watch` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct WatchSettings {
    #[serde(deserialize_with = "de::text")]
    pub files: String,
    #[serde(deserialize_with = "de::flag")]
    pub recursive: bool,
}

impl NodeSettings for WatchSettings {
    const FIELDS: &'static [Field] = &[
        Field::text("files", "").label("File(s)").required(),
        Field::checkbox("recursive", false).label("Watch sub-directories recursively"),
        Field::name(),
    ];
}

/// How long a burst of events on one path is gathered into one message
/// (`node-watch`'s default delay).
const SETTLE: Duration = Duration::from_millis(200);

struct Watch {
    files: Vec<String>,
    topic: String,
    recursive: bool,
    root: FileRoot,
    running: Mutex<Option<Running>>,
}

/// The watcher and the task turning its events into messages.
struct Running {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::AbortHandle,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: WatchSettings = settings::load(config, cx)?;
    let files: Vec<String> = s.files.split(',').map(|f| f.trim().to_owned()).collect();
    let topic = match files.as_slice() {
        [one] => one.clone(),
        many => serde_json::to_string(many).expect("text list serializes"),
    };
    Ok(Built::new(
        Watch {
            files,
            topic,
            recursive: s.recursive,
            root: FileRoot::new(cx.settings.file_root.as_deref()),
            running: Mutex::new(None),
        },
        1,
    ))
}

/// The message for a change to `path`, as Node-RED's `watch` builds it.
fn change_message(path: &Path, topic: &str) -> Message {
    let fpath = path.display().to_string();
    let meta = std::fs::metadata(path).ok();
    let mut body = Map::new();
    body.insert("payload".into(), json!(fpath));
    body.insert("topic".into(), json!(topic));
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
    body.insert("file".into(), json!(file.unwrap_or_default()));
    body.insert("filename".into(), json!(fpath));
    let event = if meta.is_some() { "update" } else { "remove" };
    body.insert("event".into(), json!(event));
    let kind = match &meta {
        None => "none",
        Some(m) if m.is_file() => {
            body.insert("size".into(), json!(m.len()));
            "file"
        }
        Some(m) if m.is_dir() => "directory",
        Some(m) => file_kind(m.file_type()),
    };
    body.insert("type".into(), json!(kind));
    Message::from_body(body)
}

fn file_kind(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_block_device() {
        "blockdevice"
    } else if t.is_char_device() {
        "characterdevice"
    } else if t.is_socket() {
        "socket"
    } else if t.is_fifo() {
        "fifo"
    } else {
        "n/a"
    }
}

/// What the watcher reports that the node passes on: changes to a watched
/// file, or to anything in a watched directory.
#[derive(Default)]
struct Targets {
    /// Watched files as the watcher names them (their directory joined
    /// with their name).
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Targets {
    fn wants(&self, path: &Path) -> bool {
        self.files.iter().any(|f| f == path) || self.dirs.iter().any(|d| path.starts_with(d))
    }
}

impl Watch {
    /// Watch every path the node names; each that cannot be watched is an
    /// error catch nodes receive (with `msg.payload` empty, as Node-RED's).
    /// A file is watched through its directory, as `node-watch` does, so
    /// that replacing it (a new file renamed over it) is seen too.
    fn watch(&self, watcher: &mut notify::RecommendedWatcher, handle: &NodeHandle) -> Targets {
        let mode = if self.recursive {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        let mut targets = Targets::default();
        for f in &self.files {
            let path = Path::new(f);
            let problem = if let Err(e) = self.root.check(f) {
                Some(e.to_string())
            } else if !path.exists() {
                Some(format!("Error: {f} does not exist."))
            } else if path.is_dir() {
                targets.dirs.push(path.to_path_buf());
                watcher
                    .watch(path, mode)
                    .err()
                    .map(|e| format!("Error: {e}"))
            } else {
                let parent = match path.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                targets
                    .files
                    .push(parent.join(path.file_name().unwrap_or_default()));
                watcher
                    .watch(parent, RecursiveMode::NonRecursive)
                    .err()
                    .map(|e| format!("Error: {e}"))
            };
            if let Some(reason) = problem {
                let mut body = Map::new();
                body.insert("payload".into(), json!(""));
                handle.error(NodeError::new(reason).with_msg(Message::from_body(body)));
            }
        }
        targets
    }
}

/// Gather events into bursts and send one message per changed path.
async fn relay(
    mut events: mpsc::UnboundedReceiver<PathBuf>,
    handle: NodeHandle,
    topic: String,
    root: FileRoot,
    targets: Targets,
) {
    let mut pending: Vec<PathBuf> = Vec::new();
    while let Some(first) = events.recv().await {
        pending.push(first);
        let settle = tokio::time::sleep(SETTLE);
        tokio::pin!(settle);
        loop {
            tokio::select! {
                _ = &mut settle => break,
                next = events.recv() => match next {
                    Some(p) if !pending.contains(&p) => pending.push(p),
                    Some(_) => {}
                    None => break,
                },
            }
        }
        // One delivery for the burst, so its messages arrive in order.
        let mut out = Outputs::default();
        for path in pending.drain(..) {
            // A link inside the root may point out of it: say nothing of it.
            if targets.wants(&path) && root.check(&path.display().to_string()).is_ok() {
                out.send(0, change_message(&path, &topic));
            }
        }
        if !out.is_empty() {
            handle.send_all(out);
        }
    }
}

impl Node for Watch {
    fn on_input<'a>(&'a self, _msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        Outcome::Ready(Ok(()))
    }

    fn start(&self, handle: NodeHandle) {
        let (tx, rx) = mpsc::unbounded_channel();
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let Ok(event) = res else { return };
            // Opening, reading and closing a file is no change (fs.watch,
            // which node-watch uses, is not told of them).
            if matches!(event.kind, EventKind::Access(_)) {
                return;
            }
            for p in event.paths {
                let _ = tx.send(p);
            }
        });
        let mut watcher = match watcher {
            Ok(w) => w,
            Err(e) => {
                handle.error(NodeError::new(format!("Error: {e}")));
                return;
            }
        };
        let targets = self.watch(&mut watcher, &handle);
        let task = tokio::spawn(relay(
            rx,
            handle,
            self.topic.clone(),
            self.root.clone(),
            targets,
        ));
        *self.running.lock() = Some(Running {
            _watcher: watcher,
            task: task.abort_handle(),
        });
    }

    fn stop(&self) {
        if let Some(r) = self.running.lock().take() {
            r.task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_message_says_what_the_path_is() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.txt");
        std::fs::write(&f, "hello").unwrap();
        let m = change_message(&f, "t");
        assert_eq!(m.body["event"], "update");
        assert_eq!(m.body["type"], "file");
        assert_eq!(m.body["size"], 5);
        assert_eq!(m.body["file"], "a.txt");
        let m = change_message(dir.path(), "t");
        assert_eq!(m.body["type"], "directory");
        std::fs::remove_file(&f).unwrap();
        let m = change_message(&f, "t");
        assert_eq!(
            (m.body["event"].clone(), m.body["type"].clone()),
            (json!("remove"), json!("none"))
        );
        assert!(m.body.get("size").is_none());
    }
}
