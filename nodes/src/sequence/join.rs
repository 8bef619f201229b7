//! `join`: a sequence back into one message. Automatic mode reverses a
//! `split` from `msg.parts` (nested parts restored); manual mode builds a
//! string, Buffer, array, key/value object or merged object from a count of
//! messages, a timeout after the first, or a message with `msg.complete`.
//! Reduce mode folds a sequence with a JSONata expression
//! ([`reduce::ReduceMode`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::group::{Build, Group, Placement};
use super::parts::{self, Limit};
use crate::support::js;
use crate::support::msgpath::PropPath;
use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings};
use crate::support::typed_value::{Contexts, TypedValue};

pub mod reduce;

/// What the editor and `docs/nodes.md` say about the node.
pub const HELP: &str = "Joins a sequence of messages into one.\n\
     Automatic mode reverses a split using msg.parts. Manual mode builds a string, Buffer, array, key/value object or merged object after a number of messages, a timeout, or a message with msg.complete.\n\
     Reduce mode folds the sequence with a JSONata expression ($A the accumulated value, $I the index, $N the count).";

pub fn node_type() -> NodeType {
    NodeType::runnable("join", build)
        .help(HELP)
        .category("sequence")
        .color("#E2D96E")
        .editor(settings::editor_json::<JoinSettings>())
}

crate::choices! {
    /// How groups are found.
    pub enum Mode ("mode") {
        Auto = "auto" ("automatic"),
        Custom = "custom" ("manual"),
        Reduce = "reduce" ("reduce sequence"),
    } else Custom
}

crate::choices! {
    /// What manual mode builds.
    pub enum BuildType ("build") {
        String = "string" ("a String"),
        Buffer = "buffer" ("a Buffer"),
        Array = "array" ("an Array"),
        Object = "object" ("a key/value Object"),
        Merged = "merged" ("a merged Object"),
    } else Array
}

crate::choices! {
    /// What is combined: a message property, or whole messages.
    pub enum PropertyType ("property type") {
        Msg = "msg" ("msg."),
        Full = "full" ("complete message"),
    } else Msg
}

crate::choices! {
    /// How the joiner is written.
    pub enum JoinerType ("joiner type") {
        Str = "str" ("string"),
        Bin = "bin" ("buffer"),
    } else Str
}

/// A `join` node's settings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinSettings {
    pub mode: Mode,
    pub build: BuildType,
    #[serde(deserialize_with = "de::text")]
    pub property: String,
    pub property_type: PropertyType,
    #[serde(deserialize_with = "de::text")]
    pub key: String,
    #[serde(deserialize_with = "de::text")]
    pub joiner: String,
    pub joiner_type: JoinerType,
    #[serde(deserialize_with = "de::flag")]
    pub useparts: bool,
    #[serde(deserialize_with = "de::flag")]
    pub accumulate: bool,
    /// Seconds after the first message.
    #[serde(deserialize_with = "de::number")]
    pub timeout: Option<f64>,
    /// Kept as written: empty text means "take the count from `msg.parts`".
    pub count: Value,
    #[serde(deserialize_with = "de::flag")]
    pub reduce_right: bool,
    #[serde(deserialize_with = "de::text")]
    pub reduce_exp: String,
    #[serde(deserialize_with = "de::text")]
    pub reduce_init: String,
    #[serde(deserialize_with = "de::text")]
    pub reduce_init_type: String,
    #[serde(deserialize_with = "de::text")]
    pub reduce_fixup: String,
}

impl NodeSettings for JoinSettings {
    const FIELDS: &'static [Field] = &[
        Field::select("mode", Mode::CHOICES, "auto").label("Mode"),
        Field::select("build", BuildType::CHOICES, "object")
            .absent(Initial::Str("array"))
            .label("Combine each ... to create"),
        Field::text("property", "payload").label("message property"),
        Field::select("propertyType", PropertyType::CHOICES, "msg").label("Combine each"),
        Field::text("key", "topic").label("using the value of msg. ... as the key"),
        Field::text("joiner", "\\n").label("joined using"),
        Field::select("joinerType", JoinerType::CHOICES, "str").label("joined using (type)"),
        Field::checkbox("useparts", false)
            .absent(Initial::Bool(true))
            .label("Use existing msg.parts property"),
        Field::new("count", Kind::Text, Initial::Str(""))
            .label("After a number of message parts: count"),
        Field::checkbox("accumulate", false).label("and every subsequent message"),
        Field::new("timeout", Kind::Number, Initial::Str(""))
            .label("After a timeout following the first message (seconds)"),
        Field::new("reduceExp", Kind::Text, Initial::Null).label("Reduce exp"),
        Field::new("reduceInit", Kind::Text, Initial::Null).label("Initial value"),
        Field::new("reduceInitType", Kind::Text, Initial::Null).hidden(),
        Field::checkbox("reduceRight", false).label("Evaluate in reverse order (last to first)"),
        Field::new("reduceFixup", Kind::Text, Initial::Null).label("Fix-up exp"),
        Field::name(),
    ];
}

#[derive(Default)]
struct State {
    groups: HashMap<String, Group>,
    /// Messages held in `groups`.
    held: usize,
    /// Numbers groups, so a timer never completes a later group of the same id.
    serial: u64,
}

struct Join {
    id: String,
    auto: bool,
    build: BuildType,
    full: bool,
    property: PropPath,
    property_text: String,
    key: PropPath,
    key_text: String,
    joiner: Value,
    useparts: bool,
    accumulate: bool,
    timeout: Option<Duration>,
    count: f64,
    count_from_parts: bool,
    limit: Limit,
    state: Arc<Mutex<State>>,
    handle: Mutex<Option<NodeHandle>>,
    /// Set in reduce mode, which keeps its own groups.
    reduce: Option<reduce::ReduceMode>,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: JoinSettings = settings::load(config, cx)?;
    let reduce = if s.mode == Mode::Reduce {
        Some(reduce_mode(config, cx, &s)?)
    } else {
        None
    };
    let full = s.property_type == PropertyType::Full;
    let property_text = if s.property.is_empty() || full {
        "payload".to_owned()
    } else {
        s.property
    };
    let key_text = if s.key.is_empty() {
        "topic".to_owned()
    } else {
        s.key
    };
    let path = |field: &'static str, text: &str| {
        PropPath::parse_msg(text).map_err(|e| config.problem(Some(field), e.to_string()))
    };
    let joiner = match s.joiner_type {
        JoinerType::Str => Value::String(parts::unescape(&s.joiner)),
        JoinerType::Bin => {
            let text = if s.joiner.is_empty() { "[]" } else { &s.joiner };
            let (bytes, _) = parts::parse_bytes(text)
                .map_err(|e| config.problem(Some("joiner"), e.to_string()))?;
            parts::buffer(&bytes)
        }
    };
    let auto = s.mode == Mode::Auto;
    let seconds = s.timeout.unwrap_or(0.0);
    let timeout =
        (!auto && seconds.is_finite() && seconds > 0.0).then(|| Duration::from_secs_f64(seconds));
    Ok(Built::new(
        Join {
            id: config.id.clone(),
            auto,
            build: s.build,
            full,
            property: path("property", &property_text)?,
            property_text,
            key: path("key", &key_text)?,
            key_text,
            joiner,
            useparts: s.useparts,
            accumulate: s.accumulate,
            timeout,
            count: js::to_number(Some(&s.count)),
            count_from_parts: s.count == Value::String(String::new()),
            limit: Limit {
                max: cx.settings.max_pending_messages,
                node: "join",
            },
            state: Arc::new(Mutex::new(State::default())),
            handle: Mutex::new(None),
            reduce,
        },
        1,
    ))
}

/// Reduce mode's expressions, compiled at load (a JSONata error there is a
/// load error naming the field), and its initial value.
fn reduce_mode(
    config: &NodeConfig,
    cx: &BuildCx<'_>,
    s: &JoinSettings,
) -> Result<reduce::ReduceMode, Problem> {
    let expression = |field: &str, text: &str| match TypedValue::build(
        config,
        cx,
        field,
        Some(&Value::String(text.into())),
        "jsonata",
    )? {
        TypedValue::Jsonata(e) => Ok(e),
        _ => unreachable!("a jsonata value compiles to an expression"),
    };
    let fixup = if s.reduce_fixup.trim().is_empty() {
        None
    } else {
        Some(expression("reduceFixup", &s.reduce_fixup)?)
    };
    let init_type = if s.reduce_init_type.is_empty() {
        "str"
    } else {
        &s.reduce_init_type
    };
    Ok(reduce::ReduceMode {
        eval: reduce::JsonataReduce {
            reduce: expression("reduceExp", &s.reduce_exp)?,
            fixup,
            contexts: Contexts::from_cx(cx),
        },
        spec: reduce::Reduce {
            fixup: !s.reduce_fixup.trim().is_empty(),
            right: s.reduce_right,
        },
        init: TypedValue::build(
            config,
            cx,
            "reduceInit",
            Some(&Value::String(s.reduce_init.clone())),
            init_type,
        )?,
        limit: Limit {
            max: cx.settings.max_pending_messages,
            node: "join",
        },
        pending: Mutex::new(reduce::Pending::default()),
    })
}

fn parts_field(msg: &Message, name: &str) -> Option<Value> {
    msg.body.get("parts")?.get(name).cloned()
}

impl Join {
    fn warn(&self, text: &str) {
        tracing::warn!(node = %self.id, "join: {text}");
    }

    /// Where `msg` goes, read from `msg.parts` (automatic mode) or the
    /// node's settings (manual mode).
    fn place(&self, msg: &Message, value: Option<Value>) -> Placement {
        if self.auto {
            let prop_text = parts_field(msg, "property")
                .filter(|p| js::truthy(Some(p)))
                .map(|p| js::to_js_string(Some(&p)));
            let prop = prop_text
                .and_then(|t| PropPath::parse_msg(&t).ok())
                .unwrap_or_else(|| PropPath::parse_msg("payload").expect("a valid path"));
            let value = prop.get(&msg.body).ok().flatten().map(|v| v.into_owned());
            return Placement {
                id: js::to_js_string(parts_field(msg, "id").as_ref()),
                build: Build::from_parts(parts_field(msg, "type").as_ref()),
                target: parts_field(msg, "count"),
                join_char: parts_field(msg, "ch"),
                key: parts_field(msg, "key"),
                array_len: parts_field(msg, "len"),
                index: parts_field(msg, "index"),
                value,
                prop,
            };
        }
        let mut id = "_".to_owned();
        let mut target = Some(js::number(self.count));
        if self.count_from_parts && msg.body.contains_key("parts") {
            target = Some(parts_field(msg, "count").unwrap_or(Value::from(0)));
            if let Some(pid) = parts_field(msg, "id") {
                id = js::to_js_string(Some(&pid));
            }
        }
        let key = (self.build == BuildType::Object)
            .then(|| {
                self.key
                    .get(&msg.body)
                    .ok()
                    .flatten()
                    .map(|v| v.into_owned())
            })
            .flatten();
        Placement {
            id,
            build: Build::from_setting(self.build),
            target,
            join_char: Some(self.joiner.clone()),
            key,
            array_len: None,
            index: None,
            value,
            prop: self.property.clone(),
        }
    }

    /// Start a group's timeout (manual mode with a timeout).
    fn arm(&self, st: &mut State, id: &str) {
        let (Some(wait), Some(handle)) = (self.timeout, self.handle.lock().clone()) else {
            return;
        };
        let Some(group) = st.groups.get_mut(id) else {
            return;
        };
        if let Some(t) = group.timer.take() {
            t.abort();
        }
        let serial = group.serial;
        let state = self.state.clone();
        let id = id.to_owned();
        let (accumulate, full) = (self.accumulate, self.full);
        let task = tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            let sent = {
                let mut st = state.lock();
                match st.groups.get(&id) {
                    Some(g) if g.serial == serial => complete(&mut st, &id, accumulate, full),
                    _ => None,
                }
            };
            if let Some(m) = sent {
                handle.send(0, m);
            }
        });
        group.timer = Some(task.abort_handle());
    }

    fn drop_group(st: &mut State, id: &str) {
        if let Some(mut g) = st.groups.remove(id) {
            g.stop_timer();
            st.held -= g.held;
        }
    }

    /// A manual-mode message with no key for an object: `msg.complete`
    /// still sends the group.
    fn keyless(&self, st: &mut State, msg: &Message, id: &str, out: &mut Outputs) {
        if self.auto {
            self.warn("Message missing 'msg.parts.key' property - cannot add to object");
        } else if let Some(c) = msg.body.get("complete") {
            if let Some(g) = st.groups.get_mut(id) {
                g.msg.body.insert("complete".into(), c.clone());
                if let Some(m) = complete(st, id, self.accumulate && !self.auto, self.full) {
                    out.send(0, m);
                }
            }
        } else {
            self.warn(&format!(
                "Message missing key property 'msg.{}' - cannot add to object",
                self.key_text
            ));
        }
    }

    fn on_message(&self, mut msg: Message, out: &mut Outputs) -> Result<(), NodeError> {
        if let Some(reduce) = &self.reduce {
            return reduce.on_message(msg, out);
        }
        let has_id = msg.body.get("parts").is_some_and(|p| p.get("id").is_some());
        let mut st = self.state.lock();
        if self.auto && !has_id {
            if msg.body.contains_key("reset") {
                for (_, mut g) in st.groups.drain() {
                    g.stop_timer();
                }
                st.held = 0;
            } else {
                self.warn("Message missing msg.parts property - cannot join in 'auto' mode");
            }
            return Ok(());
        }
        if !self.auto && !self.useparts {
            if let Some(p) = msg.body.shift_remove("parts") {
                if let Some(inner) = p.get("parts") {
                    let mut wrapped = Map::new();
                    wrapped.insert("parts".into(), inner.clone());
                    msg.body.insert("parts".into(), Value::Object(wrapped));
                }
            }
        }
        let value = if self.full {
            Some(Value::Object(msg.body.clone()))
        } else {
            match self.property.get(&msg.body) {
                Ok(v) => v.map(|v| v.into_owned()),
                Err(_) => {
                    self.warn(&format!(
                        "Message property {} not found",
                        self.property_text
                    ));
                    return Ok(());
                }
            }
        };
        let place = self.place(&msg, value);
        let id = place.id.clone();
        if msg.body.contains_key("restartTimeout") && st.groups.contains_key(&id) {
            self.arm(&mut st, &id);
        }
        if msg.body.contains_key("reset") {
            Self::drop_group(&mut st, &id);
            return Ok(());
        }
        if place.build == Build::Object
            && place
                .key
                .as_ref()
                .is_none_or(|k| k.is_null() || k == &Value::String(String::new()))
        {
            self.keyless(&mut st, &msg, &id, out);
            return Ok(());
        }
        self.add(&mut st, msg, place, out)
    }

    /// Add a message to its group; send the group when it is complete.
    fn add(
        &self,
        st: &mut State,
        msg: Message,
        place: Placement,
        out: &mut Outputs,
    ) -> Result<(), NodeError> {
        let id = place.id.clone();
        if !st.groups.contains_key(&id) {
            st.serial += 1;
            let group = Group::new(&msg, &place, st.serial);
            st.groups.insert(id.clone(), group);
            self.arm(st, &id);
        }
        st.held += 1;
        if self.limit.exceeded(st.held) {
            for (_, mut g) in st.groups.drain() {
                g.stop_timer();
            }
            st.held = 0;
            return Err(self.limit.error(msg));
        }
        let group = st.groups.get_mut(&id).expect("group just ensured");
        group.held += 1;
        if group.build == Build::Buffer {
            if let Some(v) = &place.value {
                let joinable =
                    matches!(v, Value::String(_) | Value::Array(_)) || parts::bytes(v).is_some();
                if !joinable {
                    let text = format!("Cannot join {} to buffer", js::type_of(Some(v)));
                    return Err(NodeError::new(text).with_msg(msg));
                }
            }
        }
        let bound = if self.limit.max > 0 {
            self.limit.max
        } else {
            usize::MAX
        };
        if let Err(e) = group.put(&place, msg.body.contains_key("complete"), bound) {
            self.warn(&e);
        }
        for (k, v) in &msg.body {
            group.msg.body.insert(k.clone(), v.clone());
        }
        if let Some(x) = msg.exchange() {
            group.msg.set_exchange(Some(x.clone()));
        }
        if msg.body.contains_key("parts") && !js::truthy(group.target.as_ref()) {
            group.target = parts_field(&msg, "count");
        }
        let target = js::to_number(group.target.as_ref());
        let done =
            (target > 0.0 && group.current as f64 >= target) || msg.body.contains_key("complete");
        if done {
            if let Some(m) = complete(st, &id, self.accumulate && !self.auto, self.full) {
                out.send(0, m);
            }
        }
        Ok(())
    }
}

/// Node-RED's `completeSend`: the joined message for group `id`. The group
/// is forgotten unless it accumulates (and the message is no
/// `msg.complete`).
fn complete(st: &mut State, id: &str, accumulate: bool, full: bool) -> Option<Message> {
    let group = st.groups.get_mut(id)?;
    group.stop_timer();
    let keep = accumulate && !group.msg.body.contains_key("complete");
    let msg = group.joined(full);
    if !keep {
        let g = st.groups.remove(id)?;
        st.held -= g.held;
    }
    Some(msg)
}

impl Node for Join {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        Outcome::Ready(self.on_message(msg, out))
    }

    fn start(&self, handle: NodeHandle) {
        *self.handle.lock() = Some(handle);
    }

    fn stop(&self) {
        let mut st = self.state.lock();
        for (_, mut g) in st.groups.drain() {
            g.stop_timer();
        }
        st.held = 0;
        if let Some(reduce) = &self.reduce {
            reduce.clear();
        }
        self.handle.lock().take();
    }
}
