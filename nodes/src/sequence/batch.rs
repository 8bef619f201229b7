//! `batch`: makes sequences out of a stream of messages: every `count`
//! messages (consecutive sequences sharing `overlap` messages), every
//! `interval` seconds, or by concatenating one complete sequence of each of
//! several topics. Each batch is sent with `msg.parts` as Node-RED sets it:
//! the id is the batch's first message's `_msgid`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::parts::{self, Limit};
use crate::support::js;
use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings};

/// What the editor and `docs/nodes.md` say about the node.
pub const HELP: &str = "Groups messages into sequences: every N messages (optionally overlapping), every interval of time, or by concatenating sequences of the given topics.\n\
     Each output message carries msg.parts for a join node. msg.reset drops what is held.";

pub fn node_type() -> NodeType {
    NodeType::runnable("batch", build)
        .help(HELP)
        .category("sequence")
        .color("#E2D96E")
        .editor(settings::editor_json::<BatchSettings>())
}

crate::choices! {
    /// How sequences are made.
    pub enum Mode ("mode") {
        Count = "count" ("Group by number of messages"),
        Interval = "interval" ("Group by time interval"),
        Concat = "concat" ("Concatenate sequences"),
    }
}

/// A `batch` node's settings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchSettings {
    pub mode: Mode,
    #[serde(deserialize_with = "de::number")]
    pub count: Option<f64>,
    #[serde(deserialize_with = "de::number")]
    pub overlap: Option<f64>,
    /// Seconds.
    #[serde(deserialize_with = "de::number")]
    pub interval: Option<f64>,
    #[serde(deserialize_with = "de::flag")]
    pub allow_empty_sequence: bool,
    #[serde(deserialize_with = "de::flag")]
    pub honour_parts: bool,
    /// `[{"topic": "a"}, …]`: the topics whose sequences are concatenated.
    #[serde(deserialize_with = "de::list")]
    pub topics: Vec<Value>,
}

impl NodeSettings for BatchSettings {
    const FIELDS: &'static [Field] = &[
        Field::select("mode", Mode::CHOICES, "count").label("Mode"),
        Field::new("count", Kind::Number, Initial::Int(10)).label("Number of messages"),
        Field::new("overlap", Kind::Number, Initial::Int(0)).label("Overlap"),
        Field::checkbox("honourParts", false)
            .label("Allow msg.parts to also complete batch operation."),
        Field::new("interval", Kind::Number, Initial::Int(10)).label("Interval (seconds)"),
        Field::checkbox("allowEmptySequence", false)
            .label("send empty message when no message arrives"),
        Field::new("topics", Kind::Json, Initial::Json(r#"[{"topic":""}]"#)).label("Topics"),
        Field::name(),
    ];
}

enum How {
    Count {
        count: f64,
        overlap: usize,
    },
    Interval {
        every: Option<Duration>,
        allow_empty: bool,
    },
    Concat {
        topics: Vec<Value>,
    },
}

/// One topic's sequences in concatenate mode, oldest first.
#[derive(Default)]
struct TopicGroups {
    order: Vec<String>,
    groups: HashMap<String, (Option<Value>, Vec<Message>)>,
}

#[derive(Default)]
struct State {
    queue: Vec<Message>,
    /// Messages received since the last batch (count mode's bound).
    held: usize,
    eof: bool,
    topics: HashMap<String, TopicGroups>,
    ticker: Option<AbortHandle>,
}

struct Batch {
    how: How,
    honour_parts: bool,
    limit: Limit,
    state: Arc<Mutex<State>>,
    handle: Mutex<Option<NodeHandle>>,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: BatchSettings = settings::load(config, cx)?;
    let how = match s.mode {
        Mode::Count => {
            let count = s.count.filter(|c| *c != 0.0).unwrap_or(1.0);
            let overlap = s.overlap.unwrap_or(0.0);
            if count <= overlap || count.is_nan() || overlap < 0.0 {
                return Err(config.problem(Some("overlap"), "Invalid count and overlap"));
            }
            How::Count {
                count,
                overlap: overlap as usize,
            }
        }
        Mode::Interval => {
            let secs = s.interval.unwrap_or(0.0);
            How::Interval {
                every: (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f64(secs)),
                allow_empty: s.allow_empty_sequence,
            }
        }
        Mode::Concat => How::Concat {
            topics: s
                .topics
                .iter()
                .map(|t| t.get("topic").cloned().unwrap_or(Value::Null))
                .collect(),
        },
    };
    Ok(Built::new(
        Batch {
            how,
            honour_parts: s.honour_parts,
            limit: Limit {
                max: cx.settings.max_pending_messages,
                node: "batch",
            },
            state: Arc::new(Mutex::new(State::default())),
            handle: Mutex::new(None),
        },
        1,
    ))
}

/// Node-RED's `send_msgs`: number the batch, its id the first message's
/// `_msgid` (an existing `msg.parts` object keeps its other keys).
fn number(msgs: Vec<Message>) -> Vec<Message> {
    let count = msgs.len();
    let id = msgs
        .first()
        .and_then(|m| m.body.get("_msgid").cloned())
        .unwrap_or(Value::Null);
    msgs.into_iter()
        .enumerate()
        .map(|(i, mut m)| {
            let mut p = match m.body.shift_remove("parts") {
                Some(Value::Object(p)) => p,
                _ => Map::new(),
            };
            p.insert("id".into(), id.clone());
            p.insert("index".into(), json!(i));
            p.insert("count".into(), json!(count));
            m.body.insert("parts".into(), Value::Object(p));
            m
        })
        .collect()
}

/// An interval with nothing in it, when empty sequences are allowed.
fn empty_sequence() -> Message {
    Message::from_body(
        json!({"payload": null, "parts": {"id": parts::group_id(), "index": 0, "count": 1}})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    )
}

/// One interval's batch (or the empty sequence).
fn interval_batch(st: &mut State, allow_empty: bool) -> Vec<Message> {
    st.held = 0;
    let queue = std::mem::take(&mut st.queue);
    if queue.is_empty() {
        return if allow_empty {
            vec![empty_sequence()]
        } else {
            Vec::new()
        };
    }
    number(queue)
}

impl Batch {
    /// Drop what is held and report the message that went over the bound.
    fn overflow(&self, st: &mut State, msg: Message) -> NodeError {
        st.queue.clear();
        st.topics.clear();
        st.held = 0;
        self.limit.error(msg)
    }

    fn by_count(
        &self,
        st: &mut State,
        msg: Message,
        count: f64,
        overlap: usize,
        out: &mut Outputs,
    ) -> Result<(), NodeError> {
        if self.honour_parts {
            if let Some(Value::Object(p)) = msg.body.get("parts") {
                let index = js::to_number(p.get("index"));
                if index + 1.0 == js::to_number(p.get("count")) {
                    st.eof = true;
                }
            }
        }
        st.queue.push(msg);
        st.held += 1;
        if st.queue.len() as f64 == count || st.eof {
            let keep = st.queue.len().saturating_sub(overlap);
            let kept = st.queue.split_off(keep);
            let mut batch = std::mem::take(&mut st.queue);
            batch.extend(kept.iter().cloned());
            for m in number(batch) {
                out.send(0, m);
            }
            st.queue = kept;
            st.held = 0;
            st.eof = false;
        }
        if self.limit.exceeded(st.held) {
            let last = st.queue.pop().expect("just queued");
            return Err(self.overflow(st, last));
        }
        Ok(())
    }

    fn concat(
        &self,
        st: &mut State,
        msg: Message,
        topics: &[Value],
        out: &mut Outputs,
    ) -> Result<(), NodeError> {
        let topic = msg.body.get("topic").cloned();
        if !topics
            .iter()
            .any(|t| js::strict_eq(Some(t), topic.as_ref()))
        {
            return Ok(());
        }
        let p = match msg.body.get("parts") {
            Some(Value::Object(p))
                if p.contains_key("id") && p.contains_key("index") && p.contains_key("count") =>
            {
                p
            }
            _ => return Err(NodeError::new("no parts property in message").with_msg(msg)),
        };
        let gid = js::to_js_string(p.get("id"));
        let count = p.get("count").cloned();
        let t = st
            .topics
            .entry(js::to_js_string(topic.as_ref()))
            .or_default();
        if !t.groups.contains_key(&gid) {
            t.order.push(gid.clone());
        }
        let group = t.groups.entry(gid).or_insert((None, Vec::new()));
        if group.0.is_none() {
            group.0 = count;
        }
        group.1.push(msg);
        st.held += 1;
        if self.limit.exceeded(st.held) {
            let m = st
                .topics
                .values_mut()
                .flat_map(|t| t.groups.values_mut())
                .find_map(|g| g.1.pop());
            return Err(self.overflow(st, m.unwrap_or_default()));
        }
        let keys: Vec<String> = topics.iter().map(|t| js::to_js_string(Some(t))).collect();
        let first = |st: &State, k: &str| -> Option<(Option<Value>, usize)> {
            let t = st.topics.get(k)?;
            let g = &t.groups[t.order.first()?];
            Some((g.0.clone(), g.1.len()))
        };
        let complete = keys
            .iter()
            .all(|k| first(st, k).is_some_and(|(c, n)| js::to_number(c.as_ref()) == n as f64));
        if !complete {
            return Ok(());
        }
        let mut batch = Vec::new();
        for k in &keys {
            let t = &st.topics[k];
            batch.extend(t.groups[&t.order[0]].1.iter().cloned());
        }
        for k in &keys {
            if let Some(t) = st.topics.get_mut(k) {
                if !t.order.is_empty() {
                    let gid = t.order.remove(0);
                    t.groups.remove(&gid);
                }
            }
        }
        st.held = st.held.saturating_sub(batch.len());
        for m in number(batch) {
            out.send(0, m);
        }
        Ok(())
    }

    /// Start (or restart) the interval timer.
    fn tick(&self, st: &mut State) {
        let How::Interval {
            every: Some(every),
            allow_empty,
        } = self.how
        else {
            return;
        };
        let Some(handle) = self.handle.lock().clone() else {
            return;
        };
        if let Some(t) = st.ticker.take() {
            t.abort();
        }
        let state = self.state.clone();
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
            loop {
                ticks.tick().await;
                if !handle.is_live() {
                    break;
                }
                let batch = interval_batch(&mut state.lock(), allow_empty);
                for m in batch {
                    handle.send(0, m);
                }
            }
        });
        st.ticker = Some(task.abort_handle());
    }

    fn on_message(&self, msg: Message, out: &mut Outputs) -> Result<(), NodeError> {
        let mut st = self.state.lock();
        if msg.body.contains_key("reset") {
            st.queue.clear();
            st.topics.clear();
            st.held = 0;
            st.eof = false;
            self.tick(&mut st);
            return Ok(());
        }
        match &self.how {
            How::Count { count, overlap } => self.by_count(&mut st, msg, *count, *overlap, out),
            How::Interval { .. } => {
                st.queue.push(msg);
                st.held += 1;
                if self.limit.exceeded(st.held) {
                    let last = st.queue.pop().expect("just queued");
                    return Err(self.overflow(&mut st, last));
                }
                Ok(())
            }
            How::Concat { topics } => self.concat(&mut st, msg, topics, out),
        }
    }
}

impl Node for Batch {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        Outcome::Ready(self.on_message(msg, out))
    }

    fn start(&self, handle: NodeHandle) {
        *self.handle.lock() = Some(handle);
        if tokio::runtime::Handle::try_current().is_ok() {
            self.tick(&mut self.state.lock());
        }
    }

    fn stop(&self) {
        let mut st = self.state.lock();
        if let Some(t) = st.ticker.take() {
            t.abort();
        }
        st.queue.clear();
        st.topics.clear();
        st.held = 0;
        self.handle.lock().take();
    }
}
