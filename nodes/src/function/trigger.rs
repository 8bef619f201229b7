//! `trigger`: sends a message, then after a time (or when reset) a second
//! one, per topic or for all; can extend its timer on new messages, resend
//! on an interval, or wait until reset. Node-RED's state machine is kept
//! as its `89-trigger.js` runs it, including which values are evaluated
//! when the timer fires rather than when the first message arrives.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use flowgate_runtime::events::Events;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::task::AbortHandle;

use crate::support::js;
use crate::support::msgpath::PropPath;
use crate::support::mustache::{self, Template};
use crate::support::settings::{self, de, Choice, Choices, Field, Initial, Kind, NodeSettings};
use crate::support::typed_value::{Contexts, TypedValue};
use crate::support::util::publish_status;

/// What the editor and `docs/nodes.md` say about the node.
pub const HELP: &str = "Sends a message when one arrives, then a second one after a time, unless reset first.\n\
     While waiting it ignores further messages, or restarts its timer (extend); a duration of 0 waits for a reset, a negative one resends the first message on that interval.\n\
     msg.reset, or a payload equal to the reset value, stops it. It can work per msg.topic and send the second message on a second output.";

pub fn node_type() -> NodeType {
    NodeType::runnable("trigger", build)
        .help(HELP)
        .category("function")
        .color("#E6E0F8")
        .editor(settings::editor_json::<TriggerSettings>())
}

crate::choices! {
    pub enum Units ("units") {
        Milliseconds = "ms" ("Milliseconds"),
        Seconds = "s" ("Seconds"),
        Minutes = "min" ("Minutes"),
        Hours = "hr" ("Hours"),
    } else Milliseconds
}

crate::choices! {
    /// Whether topics are handled separately.
    pub enum ByTopic ("bytopic") {
        All = "all" ("all messages"),
        Topic = "topic" ("each msg.topic"),
    } else All
}

/// A `trigger` node's settings. `extend` and `overrideDelay` stay as
/// written: Node-RED tests them for JavaScript truthiness, so the text
/// `"false"` its editor writes for `overrideDelay` turns the override on.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerSettings {
    pub op1: Value,
    pub op2: Value,
    #[serde(rename = "op1type", deserialize_with = "de::text")]
    pub op1_type: String,
    #[serde(rename = "op2type", deserialize_with = "de::text")]
    pub op2_type: String,
    /// Negative: resend `op1` on this interval; 0: wait to be reset.
    pub duration: Value,
    pub extend: Value,
    pub override_delay: Value,
    pub units: Units,
    #[serde(deserialize_with = "de::text")]
    pub reset: String,
    pub bytopic: ByTopic,
    #[serde(deserialize_with = "de::text")]
    pub topic: String,
    #[serde(deserialize_with = "de::number")]
    pub outputs: Option<f64>,
}

/// The value types Node-RED's editor offers for `op1`; `val` is what it
/// writes into a new node (text, or a boolean or null by its text).
const OP1_TYPES: &[Choice] = &[
    Choice::plain("val"),
    Choice::plain("str"),
    Choice::plain("num"),
    Choice::plain("bool"),
    Choice::plain("json"),
    Choice::plain("bin"),
    Choice::plain("date"),
    Choice::plain("env"),
    Choice::plain("flow"),
    Choice::plain("global"),
    Choice {
        value: "pay",
        label: Some("the existing msg object"),
    },
    Choice {
        value: "nul",
        label: Some("nothing"),
    },
];

/// `op2`'s types: `op1`'s plus the latest message.
const OP2_TYPES: &[Choice] = &[
    Choice::plain("val"),
    Choice::plain("str"),
    Choice::plain("num"),
    Choice::plain("bool"),
    Choice::plain("json"),
    Choice::plain("bin"),
    Choice::plain("date"),
    Choice::plain("env"),
    Choice::plain("flow"),
    Choice::plain("global"),
    Choice {
        value: "pay",
        label: Some("the original msg object"),
    },
    Choice {
        value: "payl",
        label: Some("the latest msg object"),
    },
    Choice {
        value: "nul",
        label: Some("nothing"),
    },
];

impl NodeSettings for TriggerSettings {
    const FIELDS: &'static [Field] = &[
        Field::new("op1", Kind::Typed, Initial::Str("1")).label("Send"),
        Field::new("op1type", Kind::Select(OP1_TYPES), Initial::Str("val")).label("Send type"),
        Field::new("duration", Kind::Number, Initial::Str("250"))
            .required()
            .label("then wait for (0: wait to be reset, negative: resend it every)"),
        Field::select("units", Units::CHOICES, "ms").label("duration units"),
        Field::new("extend", Kind::Checkbox, Initial::Str("false"))
            .label("extend delay if new message arrives"),
        Field::new("overrideDelay", Kind::Checkbox, Initial::Str("false"))
            .label("override delay with msg.delay"),
        Field::new("op2", Kind::Typed, Initial::Str("0")).label("then send"),
        Field::new("op2type", Kind::Select(OP2_TYPES), Initial::Str("val")).label("then send type"),
        Field::text("reset", "")
            .label("Reset the trigger if msg.reset is set or msg.payload equals"),
        Field::select("bytopic", ByTopic::CHOICES, "all").label("Handling"),
        Field::text("topic", "topic")
            .required()
            .label("Handling each msg."),
        Field::new("outputs", Kind::Number, Initial::Int(1))
            .label("send second message to separate output"),
        Field::name(),
    ];
}

/// What the node sends first (`op1`) or when the time is up (`op2`).
enum Op {
    /// `nul`: nothing.
    Nothing,
    /// `pay`: the message's own payload (for `op2`, the first message's).
    Payload,
    /// `payl`: the latest message received, whole.
    Latest,
    /// A `str` value holding `{{...}}`: rendered against the message.
    Template(Template),
    /// Any other typed value; `vtype` says when it is evaluated again.
    Value { value: TypedValue, vtype: String },
}

impl Op {
    fn build(
        config: &NodeConfig,
        cx: &BuildCx<'_>,
        field: &'static str,
        raw: &Value,
        vtype: &str,
        default: &str,
    ) -> Result<Op, Problem> {
        let mut text = typed_text(raw, default);
        let mut vtype = if vtype.is_empty() { "str" } else { vtype };
        if vtype == "date" && text == default {
            text = String::new();
        }
        // `val` is what old editors saved: booleans and null by their text.
        if vtype == "val" {
            vtype = match text.as_str() {
                "true" | "false" => "bool",
                "null" => {
                    return Ok(Op::Value {
                        value: TypedValue::Const(Value::Null),
                        vtype: "null".into(),
                    })
                }
                _ => "str",
            };
        }
        Ok(match vtype {
            "nul" => Op::Nothing,
            "pay" => Op::Payload,
            "payl" => Op::Latest,
            "str" if text.contains("{{") => Op::Template(
                mustache::parse(&text).map_err(|e| config.problem(Some(field), e.to_string()))?,
            ),
            _ => Op::Value {
                value: TypedValue::build(config, cx, field, Some(&Value::String(text)), vtype)?,
                vtype: vtype.to_owned(),
            },
        })
    }

    /// The value for `msg`; `Ok(None)` is `undefined`.
    fn value(&self, msg: &Message, contexts: &Contexts) -> Result<Option<Value>, String> {
        match self {
            Op::Template(t) => Ok(Some(Value::String(mustache::render_plain(
                t,
                &Value::Object(msg.body.clone()),
            )))),
            Op::Value { value, .. } => value
                .evaluate(&msg.body, contexts)
                .map_err(|e| e.to_string()),
            Op::Payload => Ok(msg.body.get("payload").cloned()),
            Op::Nothing | Op::Latest => Ok(None),
        }
    }

    /// Whether the value is read again when the timer fires (`flow`,
    /// `global`, and for the first timer `date`).
    fn fresh_at_fire(&self, with_date: bool) -> bool {
        matches!(self, Op::Value { vtype, .. }
            if vtype == "flow" || vtype == "global" || (with_date && vtype == "date"))
    }
}

/// `n.op1 || "1"`: the text of a typed value, or the default for a falsy one.
fn typed_text(raw: &Value, default: &str) -> String {
    if js::truthy(Some(raw)) {
        js::to_js_string(Some(raw))
    } else {
        default.to_owned()
    }
}

struct Config {
    id: String,
    events: Events,
    op1: Op,
    op2: Op,
    /// Milliseconds; 0 waits for a reset.
    duration: f64,
    looping: bool,
    extend: bool,
    override_delay: bool,
    reset: String,
    by_topic: bool,
    topic: PropPath,
    second: bool,
    contexts: Contexts,
}

#[derive(Default)]
enum Timer {
    #[default]
    Unset,
    /// A zero duration: blocked until reset.
    Blocked,
    Running {
        id: u64,
        task: AbortHandle,
    },
}

#[derive(Default)]
struct Topic {
    timer: Timer,
    /// What `op2` sends (`None`: undefined).
    m2: Option<Value>,
}

#[derive(Default)]
struct State {
    topics: HashMap<String, Topic>,
    /// The latest message per topic, for `op2` `payl`.
    latest: HashMap<String, Message>,
    next_timer: u64,
}

impl State {
    fn cancel(&mut self, key: &str) {
        if let Some(Topic {
            timer: Timer::Running { task, .. },
            ..
        }) = self.topics.remove(key)
        {
            task.abort();
        }
    }

    /// Whether timer `id` still belongs to topic `key`.
    fn owns(&self, key: &str, id: u64) -> bool {
        matches!(self.topics.get(key), Some(Topic { timer: Timer::Running { id: i, .. }, .. }) if *i == id)
    }
}

struct Trigger {
    cfg: Arc<Config>,
    state: Arc<Mutex<State>>,
    handle: Mutex<Option<NodeHandle>>,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: TriggerSettings = settings::load(config, cx)?;
    let op1 = Op::build(config, cx, "op1", &s.op1, &s.op1_type, "1")?;
    let op2 = Op::build(config, cx, "op2", &s.op2, &s.op2_type, "0")?;
    let mut duration = js::parse_float(Some(&s.duration));
    if duration.is_nan() {
        duration = 250.0;
    }
    let looping = duration < 0.0;
    duration = duration.abs()
        * match s.units {
            Units::Milliseconds => 1.0,
            Units::Seconds => 1000.0,
            Units::Minutes => 60_000.0,
            Units::Hours => 3_600_000.0,
        };
    let extend = !looping && (s.extend == Value::Bool(true) || s.extend == json!("true"));
    let topic = settings::msg_property(config, "topic", &s.topic, "topic")?;
    let second = s.outputs == Some(2.0);
    let cfg = Config {
        id: config.id.clone(),
        events: cx.events.clone(),
        op1,
        op2,
        duration,
        looping,
        extend,
        override_delay: js::truthy(Some(&s.override_delay)),
        reset: s.reset,
        by_topic: s.bytopic == ByTopic::Topic,
        topic,
        second,
        contexts: Contexts::from_cx(cx),
    };
    Ok(Built::new(
        Trigger {
            cfg: Arc::new(cfg),
            state: Arc::new(Mutex::new(State::default())),
            handle: Mutex::new(None),
        },
        if second { 2 } else { 1 },
    ))
}

impl Config {
    /// Node-RED's status: nothing, a dot, or a dot with the topic count.
    fn status(&self, st: &State) {
        let status = match st.topics.len() {
            0 => json!({}),
            1 => json!({"fill": "blue", "shape": "dot"}),
            n => json!({"fill": "blue", "shape": "dot", "text": n}),
        };
        publish_status(&self.events, &self.id, status);
    }

    fn second_port(&self) -> usize {
        usize::from(self.second)
    }

    fn is_reset(&self, msg: &Message) -> bool {
        if msg.body.contains_key("reset") {
            return true;
        }
        !self.reset.is_empty()
            && matches!(msg.body.get("payload"), Some(p) if !p.is_null() && js::to_js_string(Some(p)) == self.reset)
    }
}

fn set_payload(msg: &mut Message, value: Option<Value>) {
    match value {
        Some(v) => {
            msg.body.insert("payload".into(), v);
        }
        None => {
            msg.body.shift_remove("payload");
        }
    }
}

impl Trigger {
    fn key(&self, msg: &Message) -> String {
        if !self.cfg.by_topic {
            return "_none".into();
        }
        match self.cfg.topic.get(&msg.body) {
            Ok(Some(v)) if js::truthy(Some(&v)) => js::to_js_string(Some(&v)),
            _ => "_none".into(),
        }
    }

    /// Start `task` as topic `key`'s timer once `wait` has passed.
    fn spawn<F>(&self, st: &mut State, key: &str, wait: f64, fire: F)
    where
        F: FnOnce(Arc<Config>, Arc<Mutex<State>>, NodeHandle, u64) + Send + 'static,
    {
        let Some(handle) = self.handle.lock().clone() else {
            return;
        };
        let id = st.next_timer;
        st.next_timer += 1;
        let (cfg, state) = (self.cfg.clone(), self.state.clone());
        let wait = Duration::from_secs_f64(wait / 1000.0);
        let task = tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            fire(cfg, state, handle, id);
        });
        if let Some(t) = st.topics.get_mut(key) {
            t.timer = Timer::Running {
                id,
                task: task.abort_handle(),
            };
        }
    }

    /// `setInterval`: resend the first message every `wait` ms.
    fn spawn_loop(&self, st: &mut State, key: &str, wait: f64, msg: Message) {
        let Some(handle) = self.handle.lock().clone() else {
            return;
        };
        let id = st.next_timer;
        st.next_timer += 1;
        let now_payload = matches!(&self.cfg.op1, Op::Value { vtype, .. } if vtype == "date");
        let period = Duration::from_secs_f64(wait / 1000.0);
        let task = tokio::spawn(async move {
            let mut msg = msg;
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            loop {
                ticks.tick().await;
                if !handle.is_live() {
                    break;
                }
                if now_payload {
                    msg.body.insert(
                        "payload".into(),
                        json!(chrono::Utc::now().timestamp_millis()),
                    );
                }
                handle.send(0, msg.clone());
            }
        });
        if let Some(t) = st.topics.get_mut(key) {
            t.timer = Timer::Running {
                id,
                task: task.abort_handle(),
            };
        }
    }

    /// A message for an idle topic (or any message in loop mode): send
    /// `op1` now and arm the timer for `op2`.
    fn start_topic(
        &self,
        st: &mut State,
        key: &str,
        mut msg: Message,
        delay: f64,
        out: &mut Outputs,
    ) -> Result<(), NodeError> {
        let cfg = &self.cfg;
        let fail = |m: &Message, e: String| NodeError::new(e).with_msg(m.clone());
        if !matches!(cfg.op2, Op::Nothing) {
            let m2 = cfg
                .op2
                .value(&msg, &cfg.contexts)
                .map_err(|e| fail(&msg, e))?;
            st.topics.entry(key.to_owned()).or_default().m2 = m2;
        }
        if !matches!(cfg.op1, Op::Payload | Op::Nothing) {
            let v = cfg
                .op1
                .value(&msg, &cfg.contexts)
                .map_err(|e| fail(&msg, e))?;
            set_payload(&mut msg, v);
        }
        if delay == 0.0 {
            st.topics.entry(key.to_owned()).or_default().timer = Timer::Blocked;
        } else if cfg.looping {
            if let Some(Topic {
                timer: Timer::Running { task, .. },
                ..
            }) = st.topics.get(key)
            {
                task.abort();
            }
            if !matches!(cfg.op1, Op::Nothing) {
                self.spawn_loop(st, key, delay, msg.clone());
            }
        } else if matches!(st.topics.get(key).map(|t| &t.timer), Some(Timer::Unset)) {
            let first = msg.clone();
            let key_owned = key.to_owned();
            self.spawn(st, key, delay, move |cfg, state, handle, id| {
                fire_timeout(&cfg, &state, &handle, id, &key_owned, first)
            });
        }
        cfg.status(st);
        if !matches!(cfg.op1, Op::Nothing) {
            out.send(0, msg);
        }
        Ok(())
    }
}

/// The first timer ran out: send `op2` (evaluated now where Node-RED does).
fn fire_timeout(
    cfg: &Config,
    state: &Mutex<State>,
    handle: &NodeHandle,
    id: u64,
    key: &str,
    msg: Message,
) {
    let mut st = state.lock();
    if !st.owns(key, id) {
        return;
    }
    let mut send = None;
    if !matches!(cfg.op2, Op::Nothing) {
        if cfg.op2.fresh_at_fire(true) {
            match cfg.op2.value(&msg, &cfg.contexts) {
                Ok(v) => st.topics.entry(key.to_owned()).or_default().m2 = v,
                Err(e) => {
                    drop(st);
                    handle.error(NodeError::new(e));
                    return;
                }
            }
        }
        send = if matches!(cfg.op2, Op::Latest) {
            st.latest.remove(key)
        } else {
            let mut m2 = msg;
            set_payload(&mut m2, st.topics.get(key).and_then(|t| t.m2.clone()));
            Some(m2)
        };
    }
    st.topics.remove(key);
    cfg.status(&st);
    drop(st);
    if let Some(m) = send {
        handle.send(cfg.second_port(), m);
    }
}

/// An extended timer ran out: send `op2` with the last message.
fn fire_extended(
    cfg: &Config,
    state: &Mutex<State>,
    handle: &NodeHandle,
    id: u64,
    key: &str,
    msg: Message,
) {
    let mut st = state.lock();
    if !st.owns(key, id) {
        return;
    }
    if !matches!(cfg.op2, Op::Nothing) && cfg.op2.fresh_at_fire(false) {
        match cfg.op2.value(&msg, &cfg.contexts) {
            Ok(v) => st.topics.entry(key.to_owned()).or_default().m2 = v,
            Err(e) => {
                drop(st);
                handle.error(NodeError::new(e));
                return;
            }
        }
    }
    let send = (!matches!(cfg.op2, Op::Nothing)).then(|| {
        let mut m2 = msg;
        set_payload(&mut m2, st.topics.get(key).and_then(|t| t.m2.clone()));
        m2
    });
    st.topics.remove(key);
    cfg.status(&st);
    drop(st);
    if let Some(m) = send {
        handle.send(cfg.second_port(), m);
    }
}

impl Node for Trigger {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let cfg = &self.cfg;
        let key = self.key(&msg);
        let mut delay = cfg.duration;
        if cfg.override_delay {
            if let Some(d) = msg.body.get("delay").map(|d| js::parse_float(Some(d))) {
                if !d.is_nan() {
                    delay = d;
                }
            }
        }
        let mut st = self.state.lock();
        st.topics.entry(key.clone()).or_default();
        if cfg.is_reset(&msg) {
            st.cancel(&key);
            cfg.status(&st);
            return Outcome::Ready(Ok(()));
        }
        if matches!(cfg.op2, Op::Latest) {
            st.latest.insert(key.clone(), msg.clone());
        }
        let idle = matches!(st.topics.get(&key).map(|t| &t.timer), Some(Timer::Unset));
        if idle || cfg.looping {
            return Outcome::Ready(self.start_topic(&mut st, &key, msg, delay, out));
        }
        if cfg.extend && delay > 0.0 {
            if matches!(cfg.op2, Op::Latest) {
                st.topics.entry(key.clone()).or_default().m2 = msg.body.get("payload").cloned();
            }
            if let Some(Topic {
                timer: Timer::Running { task, .. },
                ..
            }) = st.topics.get(&key)
            {
                task.abort();
            }
            let key_owned = key.clone();
            self.spawn(&mut st, &key, delay, move |cfg, state, handle, id| {
                fire_extended(&cfg, &state, &handle, id, &key_owned, msg)
            });
        }
        Outcome::Ready(Ok(()))
    }

    fn start(&self, handle: NodeHandle) {
        *self.handle.lock() = Some(handle);
    }

    fn stop(&self) {
        let mut st = self.state.lock();
        let keys: Vec<String> = st.topics.keys().cloned().collect();
        for k in keys {
            st.cancel(&k);
        }
        st.latest.clear();
        self.handle.lock().take();
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::{self, Sink};
    use serde_json::{json, Value};
    use std::time::Duration;
    use tokio::time::Instant;

    fn flow(id: &str, settings: Value) -> Value {
        let mut node = settings;
        node["id"] = json!(id);
        node["type"] = json!("trigger");
        node["z"] = json!("t");
        node["wires"] = if node["outputs"] == json!(2) {
            json!([[format!("{id}-out")], [format!("{id}-second")]])
        } else {
            json!([[format!("{id}-out")]])
        };
        json!([node,
            {"id": format!("{id}-out"), "type": "test sink", "z": "t", "wires": []},
            {"id": format!("{id}-second"), "type": "test sink", "z": "t", "wires": []}])
    }

    #[tokio::test(start_paused = true)]
    async fn sends_then_sends_again_after_the_duration() {
        let rt = testkit::start(flow("tg1", json!({"duration": "2", "units": "s"})));
        let mut out = Sink::new("tg1-out");
        let start = Instant::now();
        testkit::inject(&rt, "tg1", json!({"payload": "x"})).await;
        assert_eq!(out.next().await.body["payload"], json!("1"));
        // Held while the timer runs: a second message sends nothing.
        testkit::inject(&rt, "tg1", json!({"payload": "y"})).await;
        assert_eq!(out.next().await.body["payload"], json!("0"));
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert!(out.try_next().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn extend_restarts_the_timer_and_reset_cancels_it() {
        let rt = testkit::start(flow(
            "tg2",
            json!({"duration": "100", "extend": true, "outputs": 2}),
        ));
        let (mut out, mut second) = (Sink::new("tg2-out"), Sink::new("tg2-second"));
        let start = Instant::now();
        testkit::inject(&rt, "tg2", json!({"payload": 1})).await;
        assert_eq!(out.next().await.body["payload"], json!("1"));
        tokio::time::sleep(Duration::from_millis(80)).await;
        testkit::inject(&rt, "tg2", json!({"payload": 2})).await;
        assert_eq!(second.next().await.body["payload"], json!("0"));
        assert_eq!(start.elapsed(), Duration::from_millis(180));
        testkit::inject(&rt, "tg2", json!({"payload": 3})).await;
        assert_eq!(out.next().await.body["payload"], json!("1"));
        testkit::inject(&rt, "tg2", json!({"reset": true})).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(second.try_next().is_none(), "a reset cancels the timer");
    }

    #[tokio::test(start_paused = true)]
    async fn a_negative_duration_resends_until_reset() {
        let rt = testkit::start(flow(
            "tg3",
            json!({"duration": "-1", "units": "s", "op1": "tick", "op1type": "str"}),
        ));
        let mut out = Sink::new("tg3-out");
        let start = Instant::now();
        testkit::inject(&rt, "tg3", json!({"payload": 0})).await;
        for n in 0..3 {
            assert_eq!(out.next().await.body["payload"], json!("tick"));
            assert_eq!(start.elapsed(), Duration::from_secs(n));
        }
        testkit::inject(&rt, "tg3", json!({"reset": 1})).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(out.try_next().is_none(), "the loop stops on reset");
    }
}
