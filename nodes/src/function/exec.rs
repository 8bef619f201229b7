//! `exec`: runs a command on the host, with the message's payload appended,
//! and sends what it printed and how it ended on three outputs (stdout,
//! stderr, return code), in Node-RED's `exec` (shell, answer at the end)
//! or `spawn` (no shell, output as it comes) mode.
//!
//! Running programs is the most a flow can do to its host, and flows arrive
//! through the admin API, so the node type is refused at load unless the
//! runtime was started with `--allow-exec`.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use flowgate_runtime::events::Events;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::request::buffer_value;
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use crate::support::js;
use crate::support::msgpath::PropPath;
use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings};
use crate::support::util::{publish_status, status};

/// What the editor and `docs/nodes.md` say about the node.
pub const HELP: &str = "Runs a command on the host with the message's payload (or another property) appended, only when flowgate was started with --allow-exec.\n\
     Exec mode runs it in a shell and sends stdout, stderr and the return code on its three outputs when it ends; spawn mode runs it without a shell and sends output as it arrives.\n\
     A timeout or msg.kill stops the command.";

pub fn node_type() -> NodeType {
    NodeType::runnable("exec", build)
        .help(HELP)
        .category("function")
        .ports(1, 3)
        .color("darksalmon")
        .editor(settings::editor_json::<ExecSettings>())
}

crate::choices! {
    /// How the command runs.
    pub enum SpawnMode ("output mode") {
        Exec = "false" ("when the command is complete - exec mode"),
        Spawn = "true" ("while the command is running - spawn mode"),
    } else Exec
}

/// An `exec` node's settings. `addpay` is kept as written: absent or `true`
/// means `payload`, text names a message property, empty text appends
/// nothing.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecSettings {
    #[serde(deserialize_with = "de::text")]
    pub command: String,
    pub addpay: Option<Value>,
    #[serde(deserialize_with = "de::text")]
    pub append: String,
    pub use_spawn: SpawnMode,
    /// Seconds before the command is killed; empty or 0 never.
    #[serde(deserialize_with = "de::number")]
    pub timer: Option<f64>,
    #[serde(deserialize_with = "de::flag")]
    pub oldrc: bool,
    #[serde(deserialize_with = "de::flag")]
    pub win_hide: bool,
}

impl NodeSettings for ExecSettings {
    const FIELDS: &'static [Field] = &[
        Field::text("command", "").label("Command"),
        Field::new("addpay", Kind::Text, Initial::Str(""))
            .label("Append msg property")
            .absent(Initial::Bool(true)),
        Field::text("append", "").label("Extra input parameters"),
        Field::select("useSpawn", SpawnMode::CHOICES, "false").label("Output"),
        Field::new("timer", Kind::Number, Initial::Str("")).label("Timeout (seconds)"),
        Field::checkbox("oldrc", false).label("Use old style output compatibility mode"),
        Field::checkbox("winHide", false).hidden(),
        Field::name(),
    ];
}

/// Node.js's default `maxBuffer` for Node-RED's exec mode.
const MAX_OUTPUT: usize = 10_000_000;

struct Exec {
    id: String,
    events: Events,
    command: String,
    addpay: Option<PropPath>,
    append: String,
    spawn: bool,
    timeout: Option<Duration>,
    oldrc: bool,
    /// Running commands by pid, for `msg.kill` and shutdown.
    active: Arc<Mutex<HashMap<u32, ()>>>,
    handle: Mutex<Option<NodeHandle>>,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: ExecSettings = settings::load(config, cx)?;
    if !cx.settings.allow_exec {
        return Err(config.problem(
            Some("command"),
            "exec nodes run commands on the host and are off: start flowgate with --allow-exec to allow them",
        ));
    }
    let addpay = match s.addpay {
        None | Some(Value::Bool(true)) => Some("payload".to_owned()),
        Some(v) if js::truthy(Some(&v)) => Some(js::to_js_string(Some(&v))),
        Some(_) => None,
    };
    let addpay = addpay
        .map(|p| PropPath::parse_msg(&p).map_err(|e| config.problem(Some("addpay"), e.to_string())))
        .transpose()?;
    let timeout = s
        .timer
        .filter(|t| *t > 0.0 && t.is_finite())
        .map(Duration::from_secs_f64);
    Ok(Built::new(
        Exec {
            id: config.id.clone(),
            events: cx.events.clone(),
            command: s.command.trim().to_owned(),
            addpay,
            append: s.append.trim().to_owned(),
            spawn: s.use_spawn == SpawnMode::Spawn,
            timeout,
            oldrc: s.oldrc,
            active: Arc::new(Mutex::new(HashMap::new())),
            handle: Mutex::new(None),
        },
        3,
    ))
}

/// Bytes as Node-RED sends them: text when they are UTF-8, else a buffer.
fn output_value(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => Value::String(text.to_owned()),
        Err(_) => buffer_value(bytes),
    }
}

/// A signal by the name `msg.kill` gives (`SIGTERM` when it names none).
fn signal(name: &Value) -> libc::c_int {
    let name = name
        .as_str()
        .map(str::to_ascii_uppercase)
        .unwrap_or_default();
    match name.as_str() {
        "SIGKILL" => libc::SIGKILL,
        "SIGINT" => libc::SIGINT,
        "SIGHUP" => libc::SIGHUP,
        "SIGQUIT" => libc::SIGQUIT,
        "SIGUSR1" => libc::SIGUSR1,
        "SIGUSR2" => libc::SIGUSR2,
        "SIGSTOP" => libc::SIGSTOP,
        "SIGCONT" => libc::SIGCONT,
        _ => libc::SIGTERM,
    }
}

fn kill(pid: u32, sig: libc::c_int) {
    // SAFETY: `kill(2)` has no memory effects; the pid is one of our children.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

/// Node's name for a signal number, as `child_process` reports it.
fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGKILL => "SIGKILL",
        libc::SIGINT => "SIGINT",
        libc::SIGHUP => "SIGHUP",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        _ => "SIGTERM",
    }
}

/// `spawn`'s argument splitting: words, with double-quoted parts kept
/// together and the quotes of a wholly quoted word removed.
fn split_args(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                word.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
        .into_iter()
        .map(|w| {
            if w.len() >= 2 && w.starts_with('"') && w.ends_with('"') {
                w[1..w.len() - 1].to_owned()
            } else {
                w
            }
        })
        .collect()
}

impl Exec {
    fn command_line(&self, msg: &Message) -> String {
        let mut line = self.command.clone();
        if let Some(path) = &self.addpay {
            if let Ok(Some(v)) = path.get(&msg.body) {
                line.push(' ');
                line.push_str(&js::to_js_string(Some(&v)));
            }
        }
        if !self.append.is_empty() {
            line.push(' ');
            line.push_str(&self.append);
        }
        line
    }

    fn status(&self, value: Value) {
        publish_status(&self.events, &self.id, value);
    }

    fn on_kill(&self, msg: &Message) {
        let sig = signal(&msg.body["kill"]);
        let active = self.active.lock();
        let target = match msg.body.get("pid") {
            Some(pid) => {
                let pid = js::to_number(Some(pid));
                active.keys().copied().find(|p| f64::from(*p) == pid)
            }
            None if active.len() == 1 => active.keys().copied().next(),
            None => None,
        };
        if let Some(pid) = target {
            kill(pid, sig);
            self.status(status("red", "dot", "killed"));
        }
    }
}

/// Read a child's stream to the end, at most `limit` bytes (more is an error).
async fn read_all<R: AsyncRead + Unpin>(mut r: R, limit: usize) -> (Vec<u8>, bool) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => return (buf, false),
            Ok(n) if buf.len() + n > limit => return (buf, true),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// How a child ended: `(code, signal)` as Node reports them.
fn ending(status: std::io::Result<std::process::ExitStatus>) -> (Value, Option<&'static str>) {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(code), _) => (json!(code), None),
            (None, Some(sig)) => (Value::Null, Some(signal_name(sig))),
            (None, None) => (Value::Null, None),
        },
        Err(_) => (Value::Null, None),
    }
}

/// Shared by the tasks that watch one child.
struct Run {
    node_id: String,
    events: Events,
    active: Arc<Mutex<HashMap<u32, ()>>>,
    handle: NodeHandle,
    timeout: Option<Duration>,
    oldrc: bool,
}

impl Run {
    fn status(&self, value: Value) {
        publish_status(&self.events, &self.node_id, value);
    }

    /// Kill the child when the node's timeout passes.
    fn arm_timeout(&self, pid: u32) -> Option<tokio::task::AbortHandle> {
        let wait = self.timeout?;
        let active = self.active.clone();
        Some(
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                if active.lock().contains_key(&pid) {
                    kill(pid, libc::SIGTERM);
                }
            })
            .abort_handle(),
        )
    }

    /// Exec mode: a shell runs the line; one answer when it ends.
    async fn exec(self, line: String, mut msg: Message) {
        let shell = if std::path::Path::new("/bin/bash").exists() {
            "/bin/bash"
        } else {
            "/bin/sh"
        };
        let child = Command::new(shell)
            .arg("-c")
            .arg(&line)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                self.handle
                    .error(flowgate_runtime::NodeError::new(e.to_string()).with_msg(msg));
                return;
            }
        };
        let pid = child.id().unwrap_or(0);
        self.active.lock().insert(pid, ());
        self.status(status("blue", "dot", format!("pid:{pid}")));
        let timer = self.arm_timeout(pid);
        let (out, err) = (child.stdout.take(), child.stderr.take());
        let ((stdout, over_out), (stderr, over_err)) = tokio::join!(
            async move {
                match out {
                    Some(o) => read_all(o, MAX_OUTPUT).await,
                    None => (Vec::new(), false),
                }
            },
            async move {
                match err {
                    Some(e) => read_all(e, MAX_OUTPUT).await,
                    None => (Vec::new(), false),
                }
            },
        );
        let over = over_out || over_err;
        if over {
            let _ = child.start_kill();
        }
        let (code, sig) = ending(child.wait().await);
        if let Some(t) = timer {
            t.abort();
        }
        self.active.lock().remove(&pid);
        msg.body.shift_remove("payload");
        let msg2 = (!stderr.is_empty()).then(|| {
            let mut m = msg.clone();
            m.body.insert("payload".into(), output_value(&stderr));
            m
        });
        msg.body.insert("payload".into(), output_value(&stdout));
        self.status(json!({}));
        let failed = over || code != json!(0);
        let rc = if failed {
            let mut rc = if over {
                json!({"code": "ERR_CHILD_PROCESS_STDIO_MAXBUFFER", "message": format!("{} maxBuffer length exceeded", if over_out { "stdout" } else { "stderr" })})
            } else {
                json!({"code": code, "message": format!("Command failed: {line}\n{}", String::from_utf8_lossy(&stderr))})
            };
            if let Some(sig) = sig {
                rc["signal"] = json!(sig);
            }
            self.status(if code.is_null() {
                status("red", "dot", "killed")
            } else {
                status(
                    "red",
                    "dot",
                    format!("error:{}", js::to_js_string(Some(&rc["code"]))),
                )
            });
            Some(rc)
        } else {
            (!self.oldrc).then(|| json!({"code": 0}))
        };
        // The return-code message is copied before `rc` is added to the
        // others, as Node-RED does.
        let msg3 = rc.as_ref().map(|rc| {
            let mut m = msg.clone();
            m.body.insert("payload".into(), rc.clone());
            m
        });
        let mut msg2 = msg2;
        if let Some(rc) = rc {
            msg.body.insert("rc".into(), rc.clone());
            if let Some(m) = msg2.as_mut() {
                m.body.insert("rc".into(), rc);
            }
        }
        // One dispatch for the three, so they arrive in port order.
        let mut out = Outputs::default();
        out.send(0, msg);
        if let Some(m) = msg2 {
            out.send(1, m);
        }
        if let Some(m) = msg3 {
            out.send(2, m);
        }
        self.handle.send_all(out);
    }
}

impl Run {
    /// Spawn mode: no shell; output is sent as it arrives, the return code
    /// when the command ends.
    async fn spawn(self, line: String, mut msg: Message) {
        let mut args = split_args(&line);
        if args.is_empty() {
            args.push(String::new());
        }
        let program = args.remove(0);
        let child = Command::new(&program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                // Node reports an unknown command as a close with the
                // negated errno (`-2` for ENOENT).
                let code = json!(-e.raw_os_error().unwrap_or(1));
                self.finish(&mut msg, code, None);
                return;
            }
        };
        let pid = child.id().unwrap_or(0);
        self.active.lock().insert(pid, ());
        self.status(status("blue", "dot", format!("pid:{pid}")));
        let timer = self.arm_timeout(pid);
        let (out, err) = (child.stdout.take(), child.stderr.take());
        tokio::join!(
            forward(out, 0, &self, pid, &msg),
            forward(err, 1, &self, pid, &msg)
        );
        let (code, sig) = ending(child.wait().await);
        if let Some(t) = timer {
            t.abort();
        }
        // A command the node let go of on redeploy reports nothing.
        if self.active.lock().remove(&pid).is_some() {
            self.finish(&mut msg, code, sig);
        }
    }

    /// The return-code message of spawn mode, and the status Node-RED shows.
    fn finish(&self, msg: &mut Message, code: Value, sig: Option<&str>) {
        let payload = if self.oldrc {
            code.clone()
        } else {
            let mut p = json!({ "code": code });
            if let Some(s) = sig {
                p["signal"] = json!(s);
            }
            p
        };
        msg.body.insert("payload".into(), payload);
        let n = code.as_i64();
        self.status(match n {
            Some(0) => json!({}),
            None => status("red", "dot", "killed"),
            Some(c) if c < 0 => status("red", "dot", format!("rc:{c}")),
            Some(c) => status("yellow", "dot", format!("rc:{c}")),
        });
        self.handle.send(2, msg.clone());
    }
}

/// Send each chunk a spawned command writes to `r` on output `port`, while
/// the command is still one of the node's (not killed by a redeploy).
async fn forward<R: AsyncRead + Unpin>(
    r: Option<R>,
    port: usize,
    run: &Run,
    pid: u32,
    base: &Message,
) {
    let Some(mut r) = r else { return };
    let mut chunk = vec![0u8; 64 * 1024];
    while let Ok(n) = r.read(&mut chunk).await {
        if n == 0 || !run.active.lock().contains_key(&pid) {
            break;
        }
        let mut m = base.clone();
        m.body.insert("payload".into(), output_value(&chunk[..n]));
        run.handle.send(port, m);
    }
}

impl Node for Exec {
    fn on_input<'a>(&'a self, msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        if msg.body.contains_key("kill") {
            self.on_kill(&msg);
            return Outcome::Ready(Ok(()));
        }
        let Some(handle) = self.handle.lock().clone() else {
            return Outcome::Ready(Ok(()));
        };
        let run = Run {
            node_id: self.id.clone(),
            events: self.events.clone(),
            active: self.active.clone(),
            handle,
            timeout: self.timeout,
            oldrc: self.oldrc,
        };
        let line = self.command_line(&msg);
        // The command runs on its own task: the message tree (and the
        // request that started it) does not wait for it, as in Node-RED.
        if self.spawn {
            tokio::spawn(run.spawn(line, msg));
        } else {
            tokio::spawn(run.exec(line, msg));
        }
        Outcome::Ready(Ok(()))
    }

    fn start(&self, handle: NodeHandle) {
        *self.handle.lock() = Some(handle);
    }

    fn stop(&self) {
        let pids: Vec<u32> = self.active.lock().drain().map(|(p, _)| p).collect();
        for pid in pids {
            kill(pid, libc::SIGTERM);
        }
        self.handle.lock().take();
        self.status(json!({}));
    }
}

#[cfg(test)]
mod tests {
    use super::split_args;

    #[test]
    fn spawn_splits_words_and_unquotes_whole_quoted_ones() {
        assert_eq!(
            split_args(r#"echo "a b"  c "d"e x"y z""#),
            vec!["echo", "a b", "c", "\"d\"e", "x\"y z\""]
        );
    }
}
