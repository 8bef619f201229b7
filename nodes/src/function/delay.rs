//! `delay`: delays each message (fixed, `msg.delay` or random), or limits the
//! rate of messages (all, dropping or queueing the excess; or per
//! `msg.topic`). Waiting messages never hold up other messages: each delay is
//! its own timer task that sends through the node's handle.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use flowgate_runtime::events::Events;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::support::js;
use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings};
use crate::support::util::{publish_status, status};

pub fn node_type() -> NodeType {
    NodeType::runnable("delay", build)
        .reports_empty_name()
        .category("function")
        .color("#E6E0F8")
        .editor(settings::editor_json::<DelaySettings>())
}

crate::choices! {
    /// What the node does.
    pub enum PauseType ("pauseType") {
        Delay = "delay",
        DelayFromMsg = "delayv",
        Random = "random",
        Rate = "rate",
        Queue = "queue",
        Timed = "timed",
    }
}

crate::choices! {
    /// The unit of a delay.
    pub enum DelayUnit ("unit") {
        Milliseconds = "milliseconds",
        Seconds = "seconds",
        Minutes = "minutes",
        Hours = "hours",
        Days = "days",
    } else Seconds
}

impl DelayUnit {
    /// Milliseconds per unit.
    fn factor(self) -> f64 {
        match self {
            DelayUnit::Milliseconds => 1.0,
            DelayUnit::Seconds => 1000.0,
            DelayUnit::Minutes => 60_000.0,
            DelayUnit::Hours => 3_600_000.0,
            DelayUnit::Days => 86_400_000.0,
        }
    }
}

crate::choices! {
    /// The period a rate counts messages in.
    pub enum RateUnit ("rateUnits") {
        Second = "second",
        Minute = "minute",
        Hour = "hour",
        Day = "day",
    } else Second
}

/// A `delay` node's settings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DelaySettings {
    pub pause_type: PauseType,
    #[serde(deserialize_with = "de::number")]
    pub timeout: Option<f64>,
    pub timeout_units: DelayUnit,
    #[serde(deserialize_with = "de::number")]
    pub rate: Option<f64>,
    #[serde(deserialize_with = "de::number")]
    pub nb_rate_units: Option<f64>,
    pub rate_units: RateUnit,
    #[serde(deserialize_with = "de::number")]
    pub random_first: Option<f64>,
    #[serde(deserialize_with = "de::number")]
    pub random_last: Option<f64>,
    pub random_units: DelayUnit,
    #[serde(deserialize_with = "de::flag")]
    pub drop: bool,
    #[serde(deserialize_with = "de::flag")]
    pub allowrate: bool,
    /// 2: dropped messages go to a second output.
    #[serde(deserialize_with = "de::number")]
    pub outputs: Option<f64>,
}

impl NodeSettings for DelaySettings {
    const FIELDS: &'static [Field] = &[
        Field::select("pauseType", PauseType::CHOICES, "delay").label("Action"),
        Field::new("timeout", Kind::Number, Initial::Str("5")).label("For"),
        Field::select("timeoutUnits", DelayUnit::CHOICES, "seconds").label("For (units)"),
        Field::new("rate", Kind::Number, Initial::Str("1")).label("Rate"),
        Field::select("rateUnits", RateUnit::CHOICES, "second").label("msg(s) per"),
        Field::checkbox("drop", false).label("Drop intermediate messages"),
        Field::name(),
        Field::new("nbRateUnits", Kind::Number, Initial::Str("1")).hidden(),
        Field::new("randomFirst", Kind::Number, Initial::Str("1")).hidden(),
        Field::new("randomLast", Kind::Number, Initial::Str("5")).hidden(),
        Field::select("randomUnits", DelayUnit::CHOICES, "seconds").hidden(),
        Field::checkbox("allowrate", false).hidden(),
        Field::new("outputs", Kind::Number, Initial::Int(1)).hidden(),
    ];
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// A fixed delay.
    Fixed(Duration),
    /// `msg.delay` milliseconds, else the configured delay.
    FromMsg(Duration),
    /// A random delay between two bounds.
    Random(Duration, Duration),
    /// At most one message per period; the rest dropped (or sent on output 2).
    RateDrop(Duration),
    /// At most one message per period; the rest queued.
    RateQueue(Duration),
    /// Per topic: the newest message of each topic, one topic per period.
    TopicQueue(Duration),
    /// Per topic: the newest message of each topic, all topics every period.
    TopicTimed(Duration),
}

/// A delayed message and the timer that will send it.
struct Delayed {
    id: u64,
    msg: Message,
    timer: Option<AbortHandle>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    delayed: VecDeque<Delayed>,
    buffer: VecDeque<Message>,
    ticker: Option<AbortHandle>,
    last_sent: Option<Instant>,
    /// `msg.rate` override (with `allowrate`).
    rate: Option<Duration>,
}

struct Delay {
    id: String,
    mode: Mode,
    second_output: bool,
    allow_rate: bool,
    state: Arc<Mutex<State>>,
    handle: Mutex<Option<NodeHandle>>,
    events: Events,
}

/// `value` `unit`s as a duration; a value that is no number is the
/// field's default.
fn millis(
    config: &NodeConfig,
    field: &str,
    value: Option<f64>,
    unit: DelayUnit,
) -> Result<Duration, Problem> {
    let v = value.unwrap_or_else(|| settings::default_number::<DelaySettings>(field));
    let ms = v * unit.factor();
    if !ms.is_finite() || ms < 0.0 {
        return Err(config.problem(Some(field), "Invalid delay value"));
    }
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: DelaySettings = settings::load(config, cx)?;
    let rate = || -> Result<Duration, Problem> {
        let per = s
            .rate
            .unwrap_or_else(|| settings::default_number::<DelaySettings>("rate"));
        if !(per.is_finite() && per > 0.0) {
            return Err(config.problem(Some("rate"), "Invalid rate value"));
        }
        let unit = match s.rate_units {
            RateUnit::Second => 1000.0,
            RateUnit::Minute => 60_000.0,
            RateUnit::Hour => 3_600_000.0,
            RateUnit::Day => 86_400_000.0,
        };
        let n = s.nb_rate_units.filter(|n| *n > 0.0).unwrap_or(1.0);
        Ok(Duration::from_secs_f64(unit / per * n / 1000.0))
    };
    let delay = || millis(config, "timeout", s.timeout, s.timeout_units);
    let mode = match s.pause_type {
        PauseType::Delay => Mode::Fixed(delay()?),
        PauseType::DelayFromMsg => Mode::FromMsg(delay()?),
        PauseType::Random => {
            let a = millis(config, "randomFirst", s.random_first, s.random_units)?;
            let b = millis(config, "randomLast", s.random_last, s.random_units)?;
            Mode::Random(a, b)
        }
        PauseType::Rate if s.drop => Mode::RateDrop(rate()?),
        PauseType::Rate => Mode::RateQueue(rate()?),
        PauseType::Queue => Mode::TopicQueue(rate()?),
        PauseType::Timed => Mode::TopicTimed(rate()?),
    };
    let second_output = s.outputs == Some(2.0);
    Ok(Built::new(
        Delay {
            id: config.id.clone(),
            mode,
            second_output,
            allow_rate: s.allowrate,
            state: Arc::new(Mutex::new(State::default())),
            handle: Mutex::new(None),
            events: cx.events.clone(),
        },
        if second_output { 2 } else { 1 },
    ))
}

/// Whether the message is only a control message (`{_msgid, flush}`).
fn only_flush(msg: &Message) -> bool {
    msg.body.len() == 2 && msg.body.contains_key("flush")
}

fn flush_count(msg: &Message, len: usize) -> usize {
    match msg.body.get("flush") {
        Some(Value::Number(n)) => (n.as_f64().unwrap_or(0.0).floor().max(0.0) as usize).min(len),
        _ => len,
    }
}

impl Delay {
    fn handle(&self) -> Option<NodeHandle> {
        self.handle.lock().clone()
    }

    fn status(&self, text: usize) {
        publish_status(&self.events, &self.id, status("blue", "dot", text));
    }

    /// Hold `msg` for `wait`, then send it.
    fn hold(&self, msg: Message, wait: Duration) {
        let Some(handle) = self.handle() else { return };
        let mut st = self.state.lock();
        let id = st.next_id;
        st.next_id += 1;
        let state = self.state.clone();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            let due = {
                let mut st = state.lock();
                st.delayed
                    .iter()
                    .position(|d| d.id == id)
                    .and_then(|i| st.delayed.remove(i))
            };
            if let Some(d) = due {
                handle.release(0, d.msg);
            }
        });
        st.delayed.push_back(Delayed {
            id,
            msg,
            timer: Some(timer.abort_handle()),
        });
    }

    fn on_delay(&self, msg: Message, wait: Duration, out: &mut Outputs) {
        let reset = msg.body.contains_key("reset");
        let flush = msg.body.contains_key("flush");
        let count_msg = msg.clone();
        if !only_flush(&msg) {
            self.hold(msg, wait);
            out.hold();
        }
        let mut st = self.state.lock();
        if reset {
            for d in st.delayed.drain(..) {
                if let Some(t) = d.timer {
                    t.abort();
                }
            }
        } else if flush {
            let n = flush_count(&count_msg, st.delayed.len());
            for d in st.delayed.drain(..n) {
                if let Some(t) = d.timer {
                    t.abort();
                }
                out.send(0, d.msg);
            }
        }
        let pending = st.delayed.len();
        drop(st);
        if wait >= Duration::from_secs(1) || reset || flush {
            self.status(pending);
        }
    }

    fn rate(&self, base: Duration) -> Duration {
        self.state.lock().rate.unwrap_or(base)
    }

    fn take_rate(&self, msg: &Message) {
        if self.allow_rate {
            if let Some(r) = msg.body.get("rate") {
                let ms = js::parse_float(Some(r));
                if ms.is_finite() && ms > 0.0 {
                    self.state.lock().rate = Some(Duration::from_secs_f64(ms / 1000.0));
                }
            }
        }
    }

    /// Start releasing the buffer one message per period.
    fn start_ticker(&self, period: Duration) {
        let Some(handle) = self.handle() else { return };
        let state = self.state.clone();
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(Instant::now() + period, period);
            loop {
                ticks.tick().await;
                let next = {
                    let mut st = state.lock();
                    match st.buffer.pop_front() {
                        Some(m) => Some(m),
                        None => {
                            st.ticker = None;
                            None
                        }
                    }
                };
                match next {
                    Some(m) => handle.release(0, m),
                    None => break,
                }
            }
        });
        self.state.lock().ticker = Some(task.abort_handle());
    }

    fn on_rate_queue(&self, msg: Message, base: Duration, out: &mut Outputs) {
        self.take_rate(&msg);
        if msg.body.contains_key("reset") {
            let mut st = self.state.lock();
            st.buffer.clear();
            if !msg.body.contains_key("flush") {
                if let Some(t) = st.ticker.take() {
                    t.abort();
                }
            }
            st.rate = None;
            return;
        }
        let flush = msg.body.contains_key("flush");
        let mut m = msg.clone();
        m.body.shift_remove("flush");
        let ticking = self.state.lock().ticker.is_some();
        if m.body.len() > 1 {
            if ticking {
                let mut st = self.state.lock();
                if msg.body.get("toFront") == Some(&Value::Bool(true)) {
                    st.buffer.push_front(m);
                } else {
                    st.buffer.push_back(m);
                }
                out.hold();
            } else {
                out.send(0, m);
                self.start_ticker(self.rate(base));
            }
        }
        if flush {
            let mut st = self.state.lock();
            let n = flush_count(&msg, st.buffer.len());
            for mut b in st.buffer.drain(..n) {
                b.body.shift_remove("flush");
                b.body.shift_remove("reset");
                out.send(0, b);
            }
        }
    }

    fn on_rate_drop(&self, msg: Message, base: Duration, out: &mut Outputs) {
        if msg.body.contains_key("reset") {
            let mut st = self.state.lock();
            st.last_sent = None;
            st.rate = None;
            return;
        }
        self.take_rate(&msg);
        let period = self.rate(base);
        let mut st = self.state.lock();
        let now = Instant::now();
        let send = match st.last_sent {
            None => true,
            Some(t) => now.duration_since(t) > period,
        };
        if send {
            st.last_sent = Some(now);
            drop(st);
            out.send(0, msg);
        } else if self.second_output {
            drop(st);
            out.send(1, msg);
        }
    }

    fn on_topic(&self, mut msg: Message, out: &mut Outputs) {
        if !msg.body.contains_key("topic") {
            msg.body
                .insert("topic".into(), Value::String("_none_".into()));
        }
        let reset = msg.body.contains_key("reset");
        let flush = msg.body.get("flush").cloned();
        let topic = msg.body["topic"].clone();
        let mut st = self.state.lock();
        match st
            .buffer
            .iter()
            .position(|m| m.body.get("topic") == Some(&topic))
        {
            Some(i) => {
                let old = std::mem::replace(&mut st.buffer[i], msg);
                if self.second_output {
                    out.send(1, old);
                }
            }
            None => st.buffer.push_back(msg),
        }
        out.hold();
        if let Some(f) = flush {
            let len = st.buffer.len();
            let n = match f {
                Value::Number(n) => (n.as_f64().unwrap_or(0.0).floor().max(0.0) as usize).min(len),
                _ => len,
            };
            for mut b in st.buffer.drain(..n) {
                b.body.shift_remove("flush");
                b.body.shift_remove("reset");
                if b.body.len() > 2 {
                    out.send(0, b);
                }
            }
        }
        if reset {
            st.buffer.clear();
            st.rate = None;
        }
    }
}

impl Node for Delay {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        match self.mode {
            Mode::Fixed(d) => self.on_delay(msg, d, out),
            Mode::FromMsg(d) => {
                let wait = match msg.body.get("delay") {
                    Some(v) => {
                        let ms = js::parse_float(Some(v));
                        if ms.is_nan() {
                            d
                        } else {
                            Duration::from_secs_f64(ms.max(0.0) / 1000.0)
                        }
                    }
                    None => d,
                };
                self.on_delay(msg, wait, out);
            }
            Mode::Random(a, b) => {
                let (lo, hi) = (a.as_secs_f64(), b.as_secs_f64());
                let wait = lo + (hi - lo) * rand::random::<f64>();
                self.on_delay(msg, Duration::from_secs_f64(wait.max(0.0)), out);
            }
            Mode::RateDrop(p) => self.on_rate_drop(msg, p, out),
            Mode::RateQueue(p) => self.on_rate_queue(msg, p, out),
            Mode::TopicQueue(_) | Mode::TopicTimed(_) => self.on_topic(msg, out),
        }
        Outcome::Ready(Ok(()))
    }

    fn start(&self, handle: NodeHandle) {
        *self.handle.lock() = Some(handle.clone());
        let (period, all) = match self.mode {
            Mode::TopicQueue(p) => (p, false),
            Mode::TopicTimed(p) => (p, true),
            _ => return,
        };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let state = self.state.clone();
        let task = rt.spawn(async move {
            let mut ticks = tokio::time::interval_at(Instant::now() + period, period);
            loop {
                ticks.tick().await;
                if !handle.is_live() {
                    break;
                }
                let due: Vec<Message> = {
                    let mut st = state.lock();
                    if all {
                        st.buffer.drain(..).collect()
                    } else {
                        st.buffer.pop_front().into_iter().collect()
                    }
                };
                for m in due {
                    handle.release(0, m);
                }
            }
        });
        self.state.lock().ticker = Some(task.abort_handle());
    }

    fn stop(&self) {
        let mut st = self.state.lock();
        for d in st.delayed.drain(..) {
            if let Some(t) = d.timer {
                t.abort();
            }
        }
        st.buffer.clear();
        if let Some(t) = st.ticker.take() {
            t.abort();
        }
        self.handle.lock().take();
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::{self, Sink};
    use serde_json::json;
    use std::time::Duration;
    use tokio::time::Instant;

    fn flow(id: &str, delay: serde_json::Value) -> serde_json::Value {
        let mut node = delay;
        node["id"] = json!(id);
        node["type"] = json!("delay");
        node["z"] = json!("t");
        node["wires"] = if node["outputs"] == json!(2) {
            json!([[format!("{id}-out")], [format!("{id}-drop")]])
        } else {
            json!([[format!("{id}-out")]])
        };
        json!([node,
            {"id": format!("{id}-out"), "type": "test sink", "z": "t", "wires": []},
            {"id": format!("{id}-drop"), "type": "test sink", "z": "t", "wires": []}])
    }

    #[tokio::test(start_paused = true)]
    async fn fixed_delay_does_not_block_other_messages() {
        let rt = testkit::start(flow(
            "dl1",
            json!({"pauseType": "delay", "timeout": "2", "timeoutUnits": "seconds", "outputs": 1}),
        ));
        let mut out = Sink::new("dl1-out");
        let start = Instant::now();
        testkit::inject(&rt, "dl1", json!({"payload": 1})).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        testkit::inject(&rt, "dl1", json!({"payload": 2})).await;
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(500),
            "inject returned at once"
        );
        assert_eq!(out.next().await.body["payload"], json!(1));
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert_eq!(out.next().await.body["payload"], json!(2));
        assert_eq!(start.elapsed(), Duration::from_millis(2500));
    }

    #[tokio::test(start_paused = true)]
    async fn delay_from_msg_and_flush() {
        let rt = testkit::start(flow(
            "dl2",
            json!({"pauseType": "delayv", "timeout": "1", "timeoutUnits": "seconds"}),
        ));
        let mut out = Sink::new("dl2-out");
        let start = Instant::now();
        testkit::inject(&rt, "dl2", json!({"payload": "a", "delay": 300})).await;
        assert_eq!(out.next().await.body["payload"], json!("a"));
        assert_eq!(start.elapsed(), Duration::from_millis(300));
        testkit::inject(&rt, "dl2", json!({"payload": "b", "delay": 10_000})).await;
        testkit::inject(&rt, "dl2", json!({"flush": true})).await;
        assert_eq!(out.next().await.body["payload"], json!("b"));
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(300),
            "flushed without waiting"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limit_queues_one_per_period() {
        let rt = testkit::start(flow(
            "dl3",
            json!({"pauseType": "rate", "rate": "2", "rateUnits": "second", "nbRateUnits": "1", "drop": false}),
        ));
        let mut out = Sink::new("dl3-out");
        let start = Instant::now();
        for i in 0..3 {
            testkit::inject(&rt, "dl3", json!({"payload": i})).await;
        }
        let mut times = Vec::new();
        for i in 0..3 {
            assert_eq!(out.next().await.body["payload"], json!(i));
            times.push(start.elapsed());
        }
        assert_eq!(
            times,
            [
                Duration::ZERO,
                Duration::from_millis(500),
                Duration::from_millis(1000)
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limit_drops_to_the_second_output() {
        let rt = testkit::start(flow(
            "dl4",
            json!({"pauseType": "rate", "rate": "1", "rateUnits": "second", "drop": true, "outputs": 2}),
        ));
        let mut out = Sink::new("dl4-out");
        let mut dropped = Sink::new("dl4-drop");
        testkit::inject(&rt, "dl4", json!({"payload": 1})).await;
        testkit::inject(&rt, "dl4", json!({"payload": 2})).await;
        tokio::time::sleep(Duration::from_millis(1001)).await;
        testkit::inject(&rt, "dl4", json!({"payload": 3})).await;
        assert_eq!(out.next().await.body["payload"], json!(1));
        assert_eq!(dropped.next().await.body["payload"], json!(2));
        assert_eq!(out.next().await.body["payload"], json!(3));
    }

    #[tokio::test(start_paused = true)]
    async fn per_topic_keeps_the_newest_of_each_topic() {
        let rt = testkit::start(flow(
            "dl5",
            json!({"pauseType": "timed", "rate": "1", "rateUnits": "second"}),
        ));
        let mut out = Sink::new("dl5-out");
        testkit::inject(&rt, "dl5", json!({"payload": 1, "topic": "a"})).await;
        testkit::inject(&rt, "dl5", json!({"payload": 2, "topic": "b"})).await;
        testkit::inject(&rt, "dl5", json!({"payload": 3, "topic": "a"})).await;
        let start = Instant::now();
        assert_eq!(out.next().await.body["payload"], json!(3));
        assert_eq!(out.next().await.body["payload"], json!(2));
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
