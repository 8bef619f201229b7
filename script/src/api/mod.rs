//! Node-RED's function API — `node`, `context`/`flow`/`global`, `env`,
//! `JSON`, `Date`, `uuid()` — as Rhai host objects.
//!
//! Everything a script does that the outside world can see (sends, raised
//! errors, status and debug events, log lines, context writes) is recorded in
//! the run's [`RunState`] and applied when the run ends. That lets the runner
//! abandon a run that turned out slow on a tokio worker and redo it on the
//! blocking pool without doing anything twice (see `sandbox`).

use std::sync::Arc;

use flowgate_runtime::context::Store;
use flowgate_runtime::events::Events;
use flowgate_runtime::flow_env::NodeEnv;
use parking_lot::Mutex;
use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, INT};
use serde_json::{json, Map, Value};

use crate::convert::{self, Mode};
use crate::jslib::values::{as_array, as_object, JsObject};
use crate::timers::{TimerOp, Timers};
use flowgate_runtime::exchange::Exchange;

mod context;
pub mod on;
pub use context::ContextApi;

/// What a script may know about its node; shared by all its runs.
pub struct NodeInfo {
    pub id: String,
    pub name: String,
    /// The tab.
    pub z: String,
    pub outputs: usize,
    /// What the node sees of the environment (`env.get`).
    pub env: NodeEnv,
    pub events: Events,
    /// Timers set by `setTimeout`/`setInterval`.
    pub timers: Timers,
    /// Handlers added with `node.on("close", ...)`.
    pub listeners: on::Listeners,
    /// What bodies put on the sandbox's objects, kept between runs.
    pub sandbox: Sandbox,
}

/// The node's own script objects that Node-RED's sandbox (one per node)
/// keeps between messages: the global object (`this` at the top of a body)
/// and the `context`, `flow` and `global` objects, on which a body may put
/// its own properties (`global.cache = {}` in `initialize`, read by every
/// later message). Distinct from the context stores, which their
/// `get`/`set` methods reach.
#[derive(Default)]
pub struct Sandbox {
    pub this: JsObject,
    pub context: JsObject,
    pub flow: JsObject,
    pub global: JsObject,
}

/// Which of the node's scripts is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `func`, for one message.
    Input,
    /// `initialize`, when the flows start.
    Initialize,
    /// `finalize`, when they stop (sending is an error there).
    Finalize,
}

/// An error a script raised with `node.error(text, msg)`.
#[derive(Debug)]
pub struct RaisedError {
    pub message: String,
    pub body: Map<String, Value>,
    /// How many messages the run had sent before (the error goes to `catch`
    /// nodes between those and the later ones).
    pub after: usize,
}

/// A native Rhai `node.send` or `node.error(text, msg)` awaiting conversion.
pub enum Deferred {
    Send(Dynamic),
    Raise(String, Dynamic),
}

/// A context call's store argument: `()` (undefined) is the default store.
fn store_name(store: &Dynamic) -> Option<String> {
    (!store.is_unit()).then(|| crate::jslib::ops::to_string(store).to_string())
}

/// One buffered context write.
struct ContextWrite {
    store: Arc<Store>,
    key: String,
    value: Option<Value>,
}

/// The effects of one run, applied by [`RunState::commit`].
pub struct RunState {
    pub phase: Phase,
    pub mode: Mode,
    /// `_msgid` given to every message the run sends.
    pub msgid: String,
    /// `msg.topic` of the input (for debug events).
    pub topic: String,
    pub sends: Vec<(usize, Map<String, Value>)>,
    pub errors: Vec<RaisedError>,
    /// Native Rhai sends and raised errors, converted when the run ends so
    /// their maps can follow the input message's key order (Rhai maps are
    /// values, so nothing can change them in between).
    pub deferred: Vec<Deferred>,
    /// Whether the run called `node.status`.
    pub status_used: bool,
    /// Timers the run set or cleared, applied when it completes.
    pub timers: Vec<TimerOp>,
    /// The HTTP request of the input message, which timer sends carry.
    pub origin: Option<Arc<Exchange>>,
    /// Close handlers the run added, kept when it completes.
    pub closing: Vec<on::CloseHandler>,
    events: Vec<(String, Value)>,
    logs: Vec<(tracing::Level, String)>,
    writes: Vec<ContextWrite>,
    /// Context objects the run holds as its own values (JavaScript).
    live: Vec<context::Live>,
}

/// A run's shared state, reachable from every host object of that run.
pub type Run = Arc<Mutex<RunState>>;

impl RunState {
    pub fn new(phase: Phase, mode: Mode, msgid: String) -> Self {
        RunState {
            phase,
            mode,
            msgid,
            topic: String::new(),
            sends: Vec::new(),
            deferred: Vec::new(),
            errors: Vec::new(),
            status_used: false,
            timers: Vec::new(),
            origin: None,
            closing: Vec::new(),
            events: Vec::new(),
            logs: Vec::new(),
            writes: Vec::new(),
            live: Vec::new(),
        }
    }

    /// Apply the run's context writes, publish its events and write its log
    /// lines. Sends and raised errors are taken by the caller.
    pub fn commit(&mut self, info: &NodeInfo) {
        for w in self.writes.drain(..) {
            w.store.set(&w.key, w.value);
        }
        for live in self.live.drain(..) {
            live.flush();
        }
        for (level, text) in self.logs.drain(..) {
            match level {
                tracing::Level::ERROR => {
                    tracing::error!(node = %info.id, name = %info.name, "{text}")
                }
                tracing::Level::WARN => {
                    tracing::warn!(node = %info.id, name = %info.name, "{text}")
                }
                _ => tracing::info!(node = %info.id, name = %info.name, "{text}"),
            }
        }
        for (topic, data) in self.events.drain(..) {
            info.events.publish(topic, data);
        }
        if !self.closing.is_empty() {
            info.listeners.add(std::mem::take(&mut self.closing));
        }
        if !self.timers.is_empty() {
            info.timers
                .apply(std::mem::take(&mut self.timers), self.origin.clone());
        }
    }

    /// A context value as this run sees it: its own writes first. A store
    /// that fails (Redis not answering) is an error the script can catch,
    /// not `undefined`, so that a counter is not restarted from nothing.
    fn read(&self, store: &Arc<Store>, key: &str) -> Result<Option<Value>, String> {
        match self
            .writes
            .iter()
            .rev()
            .find(|w| Arc::ptr_eq(&w.store, store) && w.key == key)
        {
            Some(w) => Ok(w.value.clone()),
            None => store.try_get(key).map_err(|e| e.to_string()),
        }
    }
}

fn err(text: impl Into<String>) -> Box<EvalAltResult> {
    text.into().into()
}

/// How a host method failed: a JavaScript `Error` in translated code, a plain
/// runtime error in Rhai.
fn fail(mode: Mode, message: &str) -> Box<EvalAltResult> {
    match mode {
        Mode::Js => crate::jslib::ops::throw("Error", message),
        Mode::Rhai => err(message),
    }
}

/// Node-RED's debug-sidebar `format` of a value.
pub fn debug_format(v: Option<&Value>) -> String {
    match v {
        None => "undefined".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::Bool(_)) => "boolean".into(),
        Some(Value::Number(_)) => "number".into(),
        Some(Value::String(s)) => format!("string[{}]", crate::jslib::ops::utf16_len(s)),
        Some(Value::Array(a)) => format!("array[{}]", a.len()),
        Some(Value::Object(_)) => "Object".into(),
    }
}

/// `node` in a script.
#[derive(Clone)]
pub struct NodeApi {
    pub info: Arc<NodeInfo>,
    pub run: Run,
}

impl NodeApi {
    fn mode(&self) -> Mode {
        self.run.lock().mode
    }

    /// `node.send(msgs)`: every message is copied as it is now.
    pub fn send(&self, v: &Dynamic) -> Result<(), Box<EvalAltResult>> {
        let (phase, mode, msgid) = {
            let r = self.run.lock();
            (r.phase, r.mode, r.msgid.clone())
        };
        if phase == Phase::Input && mode == Mode::Rhai {
            self.run.lock().deferred.push(Deferred::Send(v.clone()));
            return Ok(());
        }
        if phase == Phase::Finalize {
            self.log(
                tracing::Level::ERROR,
                &Dynamic::from("Cannot send from close function"),
            );
            return Ok(());
        }
        let msgid = if phase == Phase::Initialize {
            flowgate_runtime::message::new_msgid()
        } else {
            msgid
        };
        let (sends, bad) = collect_sends(v, mode, None, &msgid).map_err(|e| fail(mode, &e))?;
        for t in bad {
            self.log(
                tracing::Level::ERROR,
                &Dynamic::from(format!("Function tried to send a message of type {t}")),
            );
        }
        self.run.lock().sends.extend(sends);
        Ok(())
    }

    /// `node.log/warn/error(value)`: a log line, and for warn/error a debug
    /// event in the editor's shape.
    pub fn log(&self, level: tracing::Level, v: &Dynamic) {
        let mode = self.mode();
        let value = convert::to_json(v, mode, None).unwrap_or(None);
        let text = match &value {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => "undefined".into(),
        };
        let mut run = self.run.lock();
        if level != tracing::Level::INFO {
            let data = json!({
                "id": self.info.id,
                "z": self.info.z,
                "name": self.info.name,
                "topic": run.topic,
                "property": "msg",
                "msg": value.clone().unwrap_or(Value::Null),
                "format": debug_format(value.as_ref()),
                "level": if level == tracing::Level::ERROR { "error" } else { "warn" },
                "timestamp": crate::jslib::date::now_ms() as i64,
            });
            run.events.push(("debug".into(), data));
        }
        run.logs.push((level, text));
    }

    /// `node.error(text, msg)`: a catchable error for that message.
    pub fn raise(&self, text: &Dynamic, msg: &Dynamic) -> Result<(), Box<EvalAltResult>> {
        let (mode, phase) = {
            let r = self.run.lock();
            (r.mode, r.phase)
        };
        if phase == Phase::Input && mode == Mode::Rhai && (msg.is::<rhai::Map>()) {
            let message = error_text(text);
            self.log(tracing::Level::ERROR, &Dynamic::from(message.clone()));
            self.run
                .lock()
                .deferred
                .push(Deferred::Raise(message, msg.clone()));
            return Ok(());
        }
        let body = match convert::to_body(msg, mode, None) {
            Ok(Some(b)) => b,
            _ => {
                // Not a message: Node-RED only logs it.
                self.log(tracing::Level::ERROR, text);
                return Ok(());
            }
        };
        let message = error_text(text);
        self.log(tracing::Level::ERROR, &Dynamic::from(message.clone()));
        let mut run = self.run.lock();
        let after = run.sends.len();
        run.errors.push(RaisedError {
            message,
            body,
            after,
        });
        Ok(())
    }

    /// `node.status({fill, shape, text})` or `node.status("text")`.
    pub fn status(&self, v: &Dynamic) {
        let mode = self.mode();
        let data = match convert::to_json(v, mode, None).unwrap_or(None) {
            Some(Value::Object(o)) => Value::Object(o),
            Some(Value::String(s)) => json!({ "text": s }),
            Some(Value::Null) | None => json!({}),
            Some(other) => json!({ "text": other.to_string() }),
        };
        let topic = format!("status/{}", self.info.id);
        let mut run = self.run.lock();
        run.status_used = true;
        run.events.push((topic, data));
    }
}

/// The text of an error value: `Error` objects print as `Name: message`.
pub fn error_text(v: &Dynamic) -> String {
    crate::jslib::ops::to_string(v).to_string()
}

/// Messages to send as `(output, body)`, and the types of returned values
/// that were not messages.
pub type Sends = (Vec<(usize, Map<String, Value>)>, Vec<&'static str>);

/// Node-RED's `sendResults`: a message, an array with one entry per output
/// (each a message, an array of messages, or null). Returns the sends and the
/// types of entries that were not messages.
pub fn collect_sends(
    v: &Dynamic,
    mode: Mode,
    template: Option<&Map<String, Value>>,
    msgid: &str,
) -> Result<Sends, String> {
    let mut sends = Vec::new();
    let mut bad = Vec::new();
    if crate::jslib::values::is_nullish(v) {
        return Ok((sends, bad));
    }
    let ports: Vec<Dynamic> = match list_items(v) {
        Some(items) => items,
        None => vec![v.clone()],
    };
    for (port, entry) in ports.iter().enumerate() {
        if crate::jslib::values::is_nullish(entry) {
            continue;
        }
        let msgs = list_items(entry).unwrap_or_else(|| vec![entry.clone()]);
        for m in &msgs {
            if crate::jslib::values::is_nullish(m) {
                continue;
            }
            if !is_object(m) {
                bad.push(message_type(m));
                continue;
            }
            let body = convert::to_body(m, mode, template).map_err(|e| e.to_string())?;
            if let Some(mut body) = body {
                body.insert("_msgid".into(), Value::String(msgid.to_owned()));
                sends.push((port, body));
            }
        }
    }
    Ok((sends, bad))
}

pub(crate) fn list_items(v: &Dynamic) -> Option<Vec<Dynamic>> {
    if let Some(a) = as_array(v) {
        return Some(a.items());
    }
    v.read_lock::<rhai::Array>().map(|a| a.clone())
}

pub(crate) fn is_object(v: &Dynamic) -> bool {
    v.is::<rhai::Map>() || (as_object(v).is_some() && !crate::jslib::buffer::is_buffer(v))
}

pub(crate) fn message_type(v: &Dynamic) -> &'static str {
    if list_items(v).is_some() {
        "Array"
    } else if crate::jslib::buffer::is_buffer(v) {
        "Buffer"
    } else if v.is::<crate::jslib::values::JsDate>() {
        "Date"
    } else {
        crate::jslib::ops::type_of(v)
    }
}

/// `env` in a script.
#[derive(Clone)]
pub struct EnvApi {
    pub info: Arc<NodeInfo>,
    pub mode: Mode,
}

impl EnvApi {
    /// `env.get(name)`: Node-RED's `getSetting` (the node's `NR_NODE_*`
    /// names, its groups', subflow instances' and tab's `env` lists and
    /// `NR_*` names, the `global-config` variables, then the process
    /// environment less the runtime's own variables, see
    /// `flowgate_runtime::env`), typed as the variable is; `undefined` when
    /// unset or hidden.
    pub fn get(&self, name: &str) -> Dynamic {
        match self.info.env.get(name) {
            Some(v) => convert::from_json(&v, self.mode),
            None => convert::undefined(),
        }
    }
}

/// `JSON` in native Rhai scripts.
#[derive(Clone, Copy)]
pub struct JsonApi;

/// `Date` in native Rhai scripts.
#[derive(Clone, Copy)]
pub struct DateApi;

/// A fresh v4 UUID (`uuid()`).
pub fn uuid() -> ImmutableString {
    uuid::Uuid::new_v4().to_string().into()
}

/// `JSON.parse` with V8's error messages.
pub fn json_parse(text: &str, mode: Mode) -> Result<Dynamic, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Ok(convert::from_json(&v, mode)),
        Err(_) => Err(crate::jslib::v8json::error_message(text)),
    }
}

/// Register the host objects for native Rhai scripts.
pub fn register_native(engine: &mut Engine) {
    use tracing::Level;
    engine
        .register_type_with_name::<NodeApi>("Node")
        .register_get("id", |n: &mut NodeApi| {
            ImmutableString::from(n.info.id.as_str())
        })
        .register_get("name", |n: &mut NodeApi| {
            ImmutableString::from(n.info.name.as_str())
        })
        .register_get("outputCount", |n: &mut NodeApi| n.info.outputs as INT)
        .register_fn("send", |n: &mut NodeApi, v: Dynamic| n.send(&v))
        .register_fn("send", |n: &mut NodeApi, v: Dynamic, _clone: bool| {
            n.send(&v)
        })
        .register_fn("done", |_: &mut NodeApi| ())
        .register_fn("log", |n: &mut NodeApi, v: Dynamic| n.log(Level::INFO, &v))
        .register_fn("warn", |n: &mut NodeApi, v: Dynamic| n.log(Level::WARN, &v))
        .register_fn("error", |n: &mut NodeApi, v: Dynamic| {
            n.log(Level::ERROR, &v)
        })
        .register_fn("error", |n: &mut NodeApi, v: Dynamic, m: Dynamic| {
            n.raise(&v, &m)
        })
        .register_fn("status", |n: &mut NodeApi, v: Dynamic| n.status(&v));
    engine
        .register_type_with_name::<ContextApi>("Context")
        .register_fn("get", |c: &mut ContextApi, k: Dynamic| c.get(&k, None))
        .register_fn("get", |c: &mut ContextApi, k: Dynamic, store: Dynamic| {
            c.get(&k, store_name(&store).as_deref())
        })
        .register_fn("set", |c: &mut ContextApi, k: Dynamic, v: Dynamic| {
            c.set(&k, &v, None)
        })
        .register_fn(
            "set",
            |c: &mut ContextApi, k: Dynamic, v: Dynamic, store: Dynamic| {
                c.set(&k, &v, store_name(&store).as_deref())
            },
        )
        .register_fn("keys", |c: &mut ContextApi| c.keys(None))
        .register_fn("keys", |c: &mut ContextApi, store: Dynamic| {
            c.keys(store_name(&store).as_deref())
        })
        .register_get("flow", |c: &mut ContextApi| {
            c.flow_api().map(Dynamic::from).unwrap_or(Dynamic::UNIT)
        })
        .register_get("global", |c: &mut ContextApi| {
            c.global_api().map(Dynamic::from).unwrap_or(Dynamic::UNIT)
        });
    engine
        .register_type_with_name::<EnvApi>("Env")
        .register_fn("get", |e: &mut EnvApi, name: &str| e.get(name));
    engine
        .register_type_with_name::<JsonApi>("JSON")
        .register_fn("stringify", |_: &mut JsonApi, v: Dynamic| {
            native_stringify(&v, "")
        })
        .register_fn(
            "stringify",
            |_: &mut JsonApi, v: Dynamic, _r: Dynamic, space: Dynamic| {
                native_stringify(&v, &crate::jslib::builtins::indent_of(&space))
            },
        )
        .register_fn("parse", |_: &mut JsonApi, s: &str| {
            json_parse(s, Mode::Rhai).map_err(err)
        });
    engine
        .register_type_with_name::<DateApi>("Date")
        .register_fn("now", |_: &mut DateApi| crate::jslib::date::now_ms() as INT);
    engine.register_fn("uuid", uuid);
}

fn native_stringify(v: &Dynamic, indent: &str) -> Result<Dynamic, Box<EvalAltResult>> {
    let value = convert::to_json(v, Mode::Rhai, None).map_err(|e| err(e.to_string()))?;
    let Some(value) = value else {
        return Ok(Dynamic::UNIT);
    };
    let js = convert::from_json(&value, Mode::Js);
    let text = convert::stringify(&js, None, indent).map_err(|e| err(e.to_string()))?;
    Ok(text.map(Dynamic::from).unwrap_or(Dynamic::UNIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_parse_errors_read_like_v8() {
        assert_eq!(
            json_parse("{\"a\":", Mode::Js).err().unwrap(),
            "Unexpected end of JSON input"
        );
        assert_eq!(
            json_parse("abc", Mode::Js).err().unwrap(),
            "Unexpected token 'a', \"abc\" is not valid JSON"
        );
    }
}
