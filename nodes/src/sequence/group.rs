//! A `join` group: the pieces collected so far and how they combine, as
//! Node-RED's join node keeps them (sparse arrays by `parts.index`, objects
//! by key, merged objects) and its `completeSend` puts them together.

use std::collections::HashSet;

use flowgate_runtime::Message;
use serde_json::{Map, Value};
use tokio::task::AbortHandle;

use super::join::BuildType;
use super::parts;
use crate::support::js;
use crate::support::msgpath::PropPath;

/// What a group builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    String,
    Buffer,
    Array,
    Object,
    Merged,
    /// A `parts.type` Node-RED does not know: collected as an array.
    Other,
}

impl Build {
    /// From `msg.parts.type` (automatic mode).
    pub fn from_parts(v: Option<&Value>) -> Build {
        match v.and_then(Value::as_str) {
            Some("string") => Build::String,
            Some("buffer") => Build::Buffer,
            Some("array") => Build::Array,
            Some("object") => Build::Object,
            Some("merged") => Build::Merged,
            _ => Build::Other,
        }
    }

    /// From the node's `build` setting (manual mode).
    pub fn from_setting(b: BuildType) -> Build {
        match b {
            BuildType::String => Build::String,
            BuildType::Buffer => Build::Buffer,
            BuildType::Array => Build::Array,
            BuildType::Object => Build::Object,
            BuildType::Merged => Build::Merged,
        }
    }
}

/// What one message says about the group it belongs to.
pub struct Placement {
    pub id: String,
    pub build: Build,
    pub target: Option<Value>,
    pub join_char: Option<Value>,
    pub key: Option<Value>,
    pub array_len: Option<Value>,
    pub index: Option<Value>,
    /// The value to add (`None`: the property is undefined).
    pub value: Option<Value>,
    pub prop: PropPath,
}

/// A group being collected.
pub struct Group {
    pub build: Build,
    /// Array pieces by index; `None` is a hole (or `undefined`).
    list: Vec<Option<Value>>,
    /// Object pieces by key, and keys set to `undefined`.
    keys: Map<String, Value>,
    undefined_keys: HashSet<String>,
    pub current: usize,
    pub target: Option<Value>,
    join_char: Option<Value>,
    array_len: Option<Value>,
    /// The message the result is sent in (later messages merged over it).
    pub msg: Message,
    prop: PropPath,
    pub timer: Option<AbortHandle>,
    /// Messages in this group.
    pub held: usize,
    pub serial: u64,
}

/// A value as `Buffer.from(v)` reads it (text as UTF-8, arrays of bytes).
fn as_bytes(v: &Value) -> Vec<u8> {
    if let Some(b) = parts::bytes(v) {
        return b;
    }
    match v {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Array(items) => items
            .iter()
            .map(|i| (js::to_number(Some(i)) as i64).rem_euclid(256) as u8)
            .collect(),
        _ => Vec::new(),
    }
}

impl Group {
    pub fn new(msg: &Message, place: &Placement, serial: u64) -> Group {
        let list_only = |v: &Option<Value>, b: bool| if b { v.clone() } else { None };
        Group {
            build: place.build,
            list: Vec::new(),
            keys: Map::new(),
            undefined_keys: HashSet::new(),
            current: 0,
            target: place.target.clone(),
            join_char: list_only(
                &place.join_char,
                matches!(place.build, Build::String | Build::Buffer),
            ),
            array_len: list_only(&place.array_len, place.build == Build::Array),
            msg: msg.clone(),
            prop: place.prop.clone(),
            timer: None,
            held: 0,
            serial,
        }
    }

    pub fn stop_timer(&mut self) {
        if let Some(t) = self.timer.take() {
            t.abort();
        }
    }

    /// Add a message's value; `Err` is a warning to log. Array indexes at
    /// or past `bound` are refused (a group never legitimately has more
    /// pieces than the node may hold messages).
    pub fn put(&mut self, place: &Placement, complete: bool, bound: usize) -> Result<(), String> {
        match self.build {
            Build::Object => {
                let key = js::to_js_string(place.key.as_ref());
                match &place.value {
                    Some(v) => {
                        self.undefined_keys.remove(&key);
                        self.keys.insert(key, v.clone());
                    }
                    None => {
                        self.keys.shift_remove(&key);
                        self.undefined_keys.insert(key);
                    }
                }
                self.current = self.keys.len() + self.undefined_keys.len();
            }
            Build::Merged => match &place.value {
                Some(Value::Object(o)) if parts::bytes(&Value::Object(o.clone())).is_none() => {
                    for (k, v) in o {
                        if k != "_msgid" {
                            self.keys.insert(k.clone(), v.clone());
                        }
                    }
                    self.current = self.keys.len();
                }
                Some(Value::Null) => self.current = self.keys.len(),
                _ if complete => {}
                _ => return Err("Cannot merge non-object types".into()),
            },
            _ => {
                let index = js::to_number(place.index.as_ref());
                if !index.is_nan() {
                    if !(index >= 0.0 && index.fract() == 0.0 && index < bound as f64) {
                        return Err(format!("msg.parts.index {index} is out of range"));
                    }
                    let i = index as usize;
                    if self.list.len() <= i {
                        self.list.resize(i + 1, None);
                    }
                    if matches!(self.list[i], None | Some(Value::Null)) {
                        self.current += 1;
                    }
                    self.list[i] = place.value.clone();
                } else if let Some(v) = &place.value {
                    self.list.push(Some(v.clone()));
                    self.current += 1;
                }
            }
        }
        Ok(())
    }

    /// The combined value.
    fn combined(&self) -> Value {
        let items = || self.list.iter().map(|v| v.clone().unwrap_or(Value::Null));
        match self.build {
            Build::Object | Build::Merged => Value::Object(self.keys.clone()),
            Build::Array if js::to_number(self.array_len.as_ref()) > 1.0 => {
                let mut flat = Vec::new();
                for item in items() {
                    match item {
                        Value::Array(inner) => flat.extend(inner),
                        other => flat.push(other),
                    }
                }
                Value::Array(flat)
            }
            Build::Array | Build::Other => Value::Array(items().collect()),
            Build::Buffer => {
                let joiner = self.join_char.as_ref().map(as_bytes);
                let mut out = Vec::new();
                for (i, item) in self.list.iter().enumerate() {
                    if let (true, Some(j)) = (i > 0, &joiner) {
                        out.extend_from_slice(j);
                    }
                    if let Some(v) = item {
                        out.extend(as_bytes(v));
                    }
                }
                parts::buffer(&out)
            }
            Build::String => {
                let joiner = match &self.join_char {
                    Some(Value::String(s)) => s.clone(),
                    None => ",".to_owned(),
                    Some(other) => parts::join_text(Some(other)),
                };
                let pieces: Vec<String> = self
                    .list
                    .iter()
                    .map(|v| parts::join_text(v.as_ref()))
                    .collect();
                Value::String(pieces.join(&joiner))
            }
        }
    }

    /// Node-RED's `completeSend` on the group's message: the combined value
    /// at the property, the outer `msg.parts` restored (or removed), no
    /// `msg.complete`. For whole messages the group's message is left as is.
    pub fn joined(&mut self, full: bool) -> Message {
        let value = self.combined();
        let mut copy;
        let msg = if full {
            copy = self.msg.clone();
            &mut copy
        } else {
            &mut self.msg
        };
        let _ = self.prop.set(&mut msg.body, value);
        let inner = msg.body.get("parts").and_then(|p| p.get("parts")).cloned();
        match inner {
            Some(p) => {
                msg.body.insert("parts".into(), p);
            }
            None => {
                msg.body.shift_remove("parts");
            }
        }
        msg.body.shift_remove("complete");
        msg.clone()
    }
}
