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
use serde_json::Value;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::js;
use crate::util::{publish_status, status};

pub fn node_type() -> NodeType {
    NodeType::runnable("delay", build)
        .category("function")
        .color("#E6E0F8")
        .editor(
            r#"{"defaults":{"name":"","pauseType":"delay","timeout":"5","timeoutUnits":"seconds","rate":"1","nbRateUnits":"1","rateUnits":"second","randomFirst":"1","randomLast":"5","randomUnits":"seconds","drop":false,"allowrate":false,"outputs":1},
                "fields":[{"name":"pauseType","type":"select","options":["delay","delayv","random","rate","queue","timed"]},{"name":"timeout","type":"number"},{"name":"timeoutUnits","type":"select","options":["milliseconds","seconds","minutes","hours","days"]},{"name":"rate","type":"number"},{"name":"rateUnits","type":"select","options":["second","minute","hour","day"]},{"name":"drop","type":"checkbox"},{"name":"name","type":"text"}]}"#,
        )
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

fn millis(config: &NodeConfig, field: &str, units_field: &str, default: f64) -> Result<Duration, Problem> {
    let v = config.number(field).unwrap_or(default);
    let factor = match config.str(units_field).unwrap_or("seconds") {
        "milliseconds" => 1.0,
        "minutes" => 60_000.0,
        "hours" => 3_600_000.0,
        "days" => 86_400_000.0,
        _ => 1000.0,
    };
    let ms = v * factor;
    if !ms.is_finite() || ms < 0.0 {
        return Err(config.problem(Some(field), "Invalid delay value"));
    }
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let rate = || -> Result<Duration, Problem> {
        let per = config.number("rate").unwrap_or(1.0);
        if !(per.is_finite() && per > 0.0) {
            return Err(config.problem(Some("rate"), "Invalid rate value"));
        }
        let unit = match config.str("rateUnits").unwrap_or("second") {
            "minute" => 60_000.0,
            "hour" => 3_600_000.0,
            "day" => 86_400_000.0,
            _ => 1000.0,
        };
        let n = config.number("nbRateUnits").filter(|n| *n > 0.0).unwrap_or(1.0);
        Ok(Duration::from_secs_f64(unit / per * n / 1000.0))
    };
    let mode = match config.str("pauseType").unwrap_or("delay") {
        "delay" => Mode::Fixed(millis(config, "timeout", "timeoutUnits", 5.0)?),
        "delayv" => Mode::FromMsg(millis(config, "timeout", "timeoutUnits", 5.0)?),
        "random" => {
            let a = millis(config, "randomFirst", "randomUnits", 1.0)?;
            let b = millis(config, "randomLast", "randomUnits", 5.0)?;
            Mode::Random(a, b)
        }
        "rate" if config.flag("drop") => Mode::RateDrop(rate()?),
        "rate" => Mode::RateQueue(rate()?),
        "queue" => Mode::TopicQueue(rate()?),
        "timed" => Mode::TopicTimed(rate()?),
        other => {
            return Err(config.problem(
                Some("pauseType"),
                format!("unknown pauseType \"{other}\""),
            ))
        }
    };
    let second_output = config.number("outputs") == Some(2.0);
    Ok(Built::new(
        Delay {
            id: config.id.clone(),
            mode,
            second_output,
            allow_rate: config.flag("allowrate"),
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
                st.delayed.iter().position(|d| d.id == id).and_then(|i| st.delayed.remove(i))
            };
            if let Some(d) = due {
                handle.send(0, d.msg);
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
                    Some(m) => handle.send(0, m),
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
        m.body.remove("flush");
        let ticking = self.state.lock().ticker.is_some();
        if m.body.len() > 1 {
            if ticking {
                let mut st = self.state.lock();
                if msg.body.get("toFront") == Some(&Value::Bool(true)) {
                    st.buffer.push_front(m);
                } else {
                    st.buffer.push_back(m);
                }
            } else {
                out.send(0, m);
                self.start_ticker(self.rate(base));
            }
        }
        if flush {
            let mut st = self.state.lock();
            let n = flush_count(&msg, st.buffer.len());
            for mut b in st.buffer.drain(..n) {
                b.body.remove("flush");
                b.body.remove("reset");
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
            msg.body.insert("topic".into(), Value::String("_none_".into()));
        }
        let reset = msg.body.contains_key("reset");
        let flush = msg.body.get("flush").cloned();
        let topic = msg.body["topic"].clone();
        let mut st = self.state.lock();
        match st.buffer.iter().position(|m| m.body.get("topic") == Some(&topic)) {
            Some(i) => {
                let old = std::mem::replace(&mut st.buffer[i], msg);
                if self.second_output {
                    out.send(1, old);
                }
            }
            None => st.buffer.push_back(msg),
        }
        if let Some(f) = flush {
            let len = st.buffer.len();
            let n = match f {
                Value::Number(n) => (n.as_f64().unwrap_or(0.0).floor().max(0.0) as usize).min(len),
                _ => len,
            };
            for mut b in st.buffer.drain(..n) {
                b.body.remove("flush");
                b.body.remove("reset");
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
                    handle.send(0, m);
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
        let rt = testkit::start(flow("dl1", json!({"pauseType": "delay", "timeout": "2", "timeoutUnits": "seconds", "outputs": 1})));
        let mut out = Sink::new("dl1-out");
        let start = Instant::now();
        testkit::inject(&rt, "dl1", json!({"payload": 1})).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        testkit::inject(&rt, "dl1", json!({"payload": 2})).await;
        assert_eq!(start.elapsed(), Duration::from_millis(500), "inject returned at once");
        assert_eq!(out.next().await.body["payload"], json!(1));
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert_eq!(out.next().await.body["payload"], json!(2));
        assert_eq!(start.elapsed(), Duration::from_millis(2500));
    }

    #[tokio::test(start_paused = true)]
    async fn delay_from_msg_and_flush() {
        let rt = testkit::start(flow("dl2", json!({"pauseType": "delayv", "timeout": "1", "timeoutUnits": "seconds"})));
        let mut out = Sink::new("dl2-out");
        let start = Instant::now();
        testkit::inject(&rt, "dl2", json!({"payload": "a", "delay": 300})).await;
        assert_eq!(out.next().await.body["payload"], json!("a"));
        assert_eq!(start.elapsed(), Duration::from_millis(300));
        testkit::inject(&rt, "dl2", json!({"payload": "b", "delay": 10_000})).await;
        testkit::inject(&rt, "dl2", json!({"flush": true})).await;
        assert_eq!(out.next().await.body["payload"], json!("b"));
        assert_eq!(start.elapsed(), Duration::from_millis(300), "flushed without waiting");
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limit_queues_one_per_period() {
        let rt = testkit::start(flow("dl3", json!({"pauseType": "rate", "rate": "2", "rateUnits": "second", "nbRateUnits": "1", "drop": false})));
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
        assert_eq!(times, [Duration::ZERO, Duration::from_millis(500), Duration::from_millis(1000)]);
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limit_drops_to_the_second_output() {
        let rt = testkit::start(flow("dl4", json!({"pauseType": "rate", "rate": "1", "rateUnits": "second", "drop": true, "outputs": 2})));
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
        let rt = testkit::start(flow("dl5", json!({"pauseType": "timed", "rate": "1", "rateUnits": "second"})));
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
