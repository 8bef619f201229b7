//! `inject`: starts a flow with a message built from typed properties, once
//! after deploy, on an interval, on a cron schedule, or when the editor's
//! button is pressed (`POST /inject/:id`).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use croner::Cron;
use flowgate_runtime::cluster::TimerGate;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::service::Runtime;
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::support::msgpath::PropPath;
use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings};
use crate::support::typed_value::{Contexts, TypedValue};

/// Node-RED refuses intervals longer than `setInterval` can hold.
const MAX_REPEAT_SECS: f64 = 2_147_483.0;

pub fn node_type() -> NodeType {
    NodeType::runnable("inject", build)
        .category("common")
        .ports(0, 1)
        .color("#a6bbcf")
        .admin_route("/inject/{id}", |rt| post(inject_endpoint).with_state(rt))
        .editor(settings::editor_json::<InjectSettings>())
}

/// An `inject` node's settings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InjectSettings {
    /// The properties set; absent in old exports, which keep only
    /// `payload` and `topic`.
    pub props: Option<Vec<InjectProp>>,
    /// Seconds between messages; none or 0 is no interval.
    #[serde(deserialize_with = "de::number")]
    pub repeat: Option<f64>,
    #[serde(deserialize_with = "de::text")]
    pub crontab: String,
    #[serde(deserialize_with = "de::flag")]
    pub once: bool,
    #[serde(deserialize_with = "de::number")]
    pub once_delay: Option<f64>,
    pub topic: Option<Value>,
    pub payload: Option<Value>,
    #[serde(deserialize_with = "de::text")]
    pub payload_type: String,
    /// Where the repeat or crontab fires when flowgate runs as a cluster
    /// (a flowgate setting; Node-RED has no clusters and ignores it).
    #[serde(default)]
    pub cluster: Option<ClusterFiring>,
}

crate::choices! {
    /// Which replicas of a cluster fire an inject's repeat or crontab.
    pub enum ClusterFiring ("cluster firing") {
        /// Once per period for the whole cluster: on the replica holding the
        /// timer lease.
        One = "one" ("once per cluster"),
        /// On every replica, as separate Node-RED instances would.
        All = "all" ("on every replica"),
    } else One
}

/// One property an inject sets: `msg.<p>` = `v` of type `vt`.
#[derive(Debug, Serialize, Deserialize)]
pub struct InjectProp {
    /// The property; empty entries are skipped.
    #[serde(default, deserialize_with = "de::text")]
    pub p: String,
    /// The value; absent (not `null`) for `payload` and `topic` in exports
    /// that keep them outside `props`.
    #[serde(default, deserialize_with = "de::present")]
    pub v: Option<Value>,
    /// The value's type; absent is `str`.
    #[serde(default, deserialize_with = "de::text")]
    pub vt: String,
}

impl NodeSettings for InjectSettings {
    const FIELDS: &'static [Field] = &[
        Field::new(
            "props",
            Kind::List("props"),
            Initial::Json(r#"[{"p":"payload"},{"p":"topic","vt":"str"}]"#),
        )
        .label("Properties")
        .absent(Initial::Null),
        Field::text("repeat", "").label("Repeat every (seconds)"),
        Field::text("crontab", "").label("Repeat at (crontab)"),
        Field::checkbox("once", false).label("Inject once at start"),
        Field::new("onceDelay", Kind::Number, Initial::Num(0.1))
            .label("Inject once after (seconds)"),
        Field::name(),
        Field::text("topic", "").hidden().absent(Initial::Null),
        Field::text("payload", "").hidden().absent(Initial::Null),
        // A new node injects a timestamp; an old one without the field
        // injects its payload as text.
        Field::text("payloadType", "date")
            .hidden()
            .absent(Initial::Str("str")),
        Field::select("cluster", ClusterFiring::CHOICES, "one")
            .label("In a cluster, repeat")
            .absent(Initial::Str("one")),
    ];
}

/// One property the inject sets.
struct Prop {
    path: PropPath,
    value: TypedValue,
}

/// How the node fires on its own.
#[derive(Clone)]
enum Schedule {
    None,
    Every(Duration),
    Cron(Box<Cron>),
}

pub struct Inject {
    id: String,
    props: Vec<Prop>,
    once: Option<Duration>,
    schedule: Schedule,
    contexts: Contexts,
    /// The cluster's timer lease, when the repeat fires once per cluster.
    gate: Option<TimerGate>,
    timer: Mutex<Option<tokio::task::AbortHandle>>,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: InjectSettings = settings::load(config, cx)?;
    let mut props = Vec::new();
    let payload_type = if s.payload_type.is_empty() {
        "str"
    } else {
        &s.payload_type
    };
    match &s.props {
        Some(list) => {
            for (i, p) in list.iter().enumerate() {
                let field = format!("props[{i}]");
                if p.p.is_empty() {
                    continue;
                }
                let vt = if p.vt.is_empty() { "str" } else { &p.vt };
                // Older exports keep payload and topic values outside `props`.
                let (v, vt) = match (p.p.as_str(), &p.v) {
                    ("payload", None) => (s.payload.as_ref(), payload_type),
                    ("topic", None) if p.vt == "str" => (s.topic.as_ref(), "str"),
                    (_, v) => (v.as_ref(), vt),
                };
                props.push(prop(config, cx, &field, &p.p, v, vt)?);
            }
        }
        None => {
            props.push(prop(
                config,
                cx,
                "payload",
                "payload",
                s.payload.as_ref(),
                payload_type,
            )?);
            props.push(prop(config, cx, "topic", "topic", s.topic.as_ref(), "str")?);
        }
    }
    let repeat = s.repeat.filter(|r| *r > 0.0);
    let schedule = match (repeat, s.crontab.trim()) {
        (Some(r), _) if r > MAX_REPEAT_SECS => {
            return Err(config.problem(
                Some("repeat"),
                format!("interval too large: {r} s (at most {MAX_REPEAT_SECS} s)"),
            ))
        }
        (Some(r), _) => Schedule::Every(Duration::from_secs_f64(r)),
        (None, c) if !c.is_empty() => Schedule::Cron(Box::new(Cron::from_str(c).map_err(|e| {
            config.problem(
                Some("crontab"),
                format!("invalid cron expression \"{c}\": {e}"),
            )
        })?)),
        _ => Schedule::None,
    };
    let once = s.once.then(|| {
        let d = s
            .once_delay
            .filter(|d| *d > 0.0)
            .unwrap_or_else(|| settings::default_number::<InjectSettings>("onceDelay"));
        Duration::from_secs_f64(d)
    });
    Ok(Built::new(
        Inject {
            id: config.id.clone(),
            props,
            once,
            schedule,
            contexts: Contexts::from_cx(cx),
            gate: match s.cluster {
                Some(ClusterFiring::All) => None,
                _ => cx.settings.timer_gate.clone(),
            },
            timer: Mutex::new(None),
        },
        1,
    ))
}

fn prop(
    config: &NodeConfig,
    cx: &BuildCx<'_>,
    field: &str,
    name: &str,
    v: Option<&Value>,
    vt: &str,
) -> Result<Prop, Problem> {
    Ok(Prop {
        path: PropPath::parse_msg(name).map_err(|e| config.problem(Some(field), e.to_string()))?,
        value: TypedValue::build(config, cx, field, v, vt)?,
    })
}

impl Inject {
    /// Set every property on `msg`, collecting failures as Node-RED does.
    fn fill(&self, mut msg: Message, props: Option<&[Prop]>) -> Result<Message, NodeError> {
        let mut errors = Vec::new();
        for p in props.unwrap_or(&self.props) {
            match p.value.evaluate(&msg.body, &self.contexts) {
                Ok(Some(v)) => {
                    if let Err(e) = p.path.set(&mut msg.body, v) {
                        errors.push(e.to_string());
                    }
                }
                Ok(None) => {
                    let _ = p.path.delete(&mut msg.body);
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        if errors.is_empty() {
            Ok(msg)
        } else {
            Err(NodeError::new(errors.join("; ")).with_msg(msg))
        }
    }

    /// `__user_inject_props__` sent by the editor: properties for this one
    /// message.
    fn user_props(&self, list: &[Value]) -> Result<Vec<Prop>, NodeError> {
        let mut out = Vec::new();
        for p in list {
            let name = p.get("p").and_then(Value::as_str).unwrap_or("");
            if name.is_empty() {
                continue;
            }
            let path = PropPath::parse_msg(name).map_err(|e| NodeError::new(e.to_string()))?;
            let vt = p.get("vt").and_then(Value::as_str).unwrap_or("str");
            let value = TypedValue::runtime(p.get("v"), vt).map_err(NodeError::new)?;
            out.push(Prop { path, value });
        }
        Ok(out)
    }
}

impl Node for Inject {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let user = match msg.body.shift_remove("__user_inject_props__") {
            Some(Value::Array(list)) => match self.user_props(&list) {
                Ok(p) => Some(p),
                Err(e) => return Outcome::Ready(Err(e.with_msg(msg))),
            },
            _ => None,
        };
        Outcome::Ready(self.fill(msg, user.as_deref()).map(|m| out.send(0, m)))
    }

    fn start(&self, handle: NodeHandle) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.once.is_none() && matches!(self.schedule, Schedule::None) {
            return;
        }
        let once = self.once;
        let schedule = self.schedule.clone();
        let fire = Firing {
            handle,
            node: self.id.clone(),
            gate: self.gate.clone(),
        };
        let task = rt.spawn(async move {
            if let Some(delay) = once {
                tokio::time::sleep(delay).await;
                // "Once after deploy" fires on every replica: each replica
                // starts its own flows (and sets up its own state).
                fire.fire();
            }
            match schedule {
                Schedule::None => {}
                Schedule::Every(period) => {
                    let mut ticks =
                        tokio::time::interval_at(tokio::time::Instant::now() + period, period);
                    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        ticks.tick().await;
                        if !fire.fire_scheduled() {
                            break;
                        }
                    }
                }
                Schedule::Cron(cron) => loop {
                    let Some(wait) = until_next(&cron, chrono::Local::now()) else {
                        tracing::warn!(node = %fire.node, "cron expression never fires again");
                        break;
                    };
                    tokio::time::sleep(wait).await;
                    if !fire.fire_scheduled() {
                        break;
                    }
                },
            }
        });
        *self.timer.lock() = Some(task.abort_handle());
    }

    fn stop(&self) {
        if let Some(t) = self.timer.lock().take() {
            t.abort();
        }
    }
}

/// The timer's way to trigger the node: a fresh message to its own input.
struct Firing {
    handle: NodeHandle,
    node: String,
    gate: Option<TimerGate>,
}

impl Firing {
    /// Trigger once; `false` when the deployment is gone.
    fn fire(&self) -> bool {
        if !self.handle.is_live() {
            return false;
        }
        self.handle.deliver_to_self(Message::new());
        true
    }

    /// A repeat or crontab firing: skipped on a cluster replica that does
    /// not hold the timer lease; `false` when the deployment is gone.
    fn fire_scheduled(&self) -> bool {
        if self.gate.as_ref().is_some_and(|g| !g.fires_here()) {
            return self.handle.is_live();
        }
        self.fire()
    }
}

/// How long from `now` until the schedule's next firing.
pub fn until_next<Tz: chrono::TimeZone>(cron: &Cron, now: chrono::DateTime<Tz>) -> Option<Duration>
where
    chrono::DateTime<Tz>: croner::CronDateTime,
{
    let next = cron.find_next_occurrence(&now, false).ok()?;
    (next - now).to_std().ok()
}

/// `POST /inject/:id`: Node-RED's admin endpoint behind the editor's inject
/// button (an admin route: behind the admin API's authentication). Any node
/// can be poked this way (it receives an empty message, or the posted body
/// when it carries `__user_inject_props__`).
async fn inject_endpoint(
    State(runtime): State<Arc<Runtime>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let flows = runtime.current();
    let Some(index) = flows.index_of(&id) else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let mut msg = Message::new();
    if let Ok(Value::Object(b)) = serde_json::from_slice::<Value>(&body) {
        if b.contains_key("__user_inject_props__") {
            let mut m: Map<String, Value> = b;
            m.entry("_msgid")
                .or_insert_with(|| Value::String(flowgate_runtime::message::new_msgid()));
            msg = Message::from_body(m);
        }
    }
    tokio::spawn(async move { flows.deliver(index, msg).await });
    (StatusCode::OK, "OK").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, Sink};
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn cron_next_firing() {
        let cron = Cron::from_str("*/5 * * * *").unwrap();
        let now = chrono::Utc.with_ymd_and_hms(2024, 1, 1, 10, 2, 30).unwrap();
        assert_eq!(until_next(&cron, now), Some(Duration::from_secs(150)));
        let cron = Cron::from_str("0 0 12 * * 1").unwrap(); // six fields: seconds first
        let monday = chrono::Utc.with_ymd_and_hms(2024, 1, 1, 11, 0, 0).unwrap();
        assert_eq!(until_next(&cron, monday), Some(Duration::from_secs(3600)));
    }

    #[test]
    fn bad_cron_is_a_load_error() {
        let e = testkit::load_error(json!([
            {"id": "i", "type": "inject", "z": "t", "crontab": "61 * * * *", "wires": [[]]}
        ]));
        assert!(
            e.contains("node i (inject) field `crontab`: invalid cron expression"),
            "{e}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn once_then_repeat_on_the_paused_clock() {
        let rt = testkit::start(json!([
            {"id": "rep1", "type": "inject", "z": "t", "props": [{"p": "payload"}, {"p": "topic", "vt": "str"}],
             "payload": "42", "payloadType": "num", "topic": "tick", "repeat": "2", "once": true, "onceDelay": "0.5",
             "wires": [["sink-rep1"]]},
            {"id": "sink-rep1", "type": "test sink", "z": "t", "wires": []}
        ]));
        let mut sink = Sink::new("sink-rep1");
        let start = tokio::time::Instant::now();
        let first = sink.next().await;
        assert_eq!(first.body["payload"], json!(42));
        assert_eq!(first.body["topic"], json!("tick"));
        assert_eq!(start.elapsed(), Duration::from_millis(500));
        sink.next().await;
        assert_eq!(start.elapsed(), Duration::from_millis(2500));
        sink.next().await;
        assert_eq!(start.elapsed(), Duration::from_millis(4500));
        // A redeploy stops the timer.
        rt.current().stop();
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(sink.try_next().is_none());
    }

    #[tokio::test]
    async fn props_of_every_type() {
        std::env::set_var("FG_TEST_INJECT_ENV", "from-env");
        let rt = testkit::start(json!([
            {"id": "props1", "type": "inject", "z": "t", "props": [
                {"p": "payload", "v": "{\"a\":[1,2]}", "vt": "json"},
                {"p": "n", "v": "1.5", "vt": "num"},
                {"p": "b", "v": "TRUE", "vt": "bool"},
                {"p": "s", "v": "x", "vt": "str"},
                {"p": "e", "v": "FG_TEST_INJECT_ENV", "vt": "env"},
                {"p": "buf", "v": "[1,2]", "vt": "bin"},
                {"p": "g", "v": "counter", "vt": "global"},
                {"p": "nested.deep[1]", "v": "y", "vt": "str"},
                {"p": "t", "v": "", "vt": "date"}
             ], "wires": [["sink-props1"]]},
            {"id": "sink-props1", "type": "test sink", "z": "t", "wires": []}
        ]));
        rt.env.contexts.global().set("counter", Some(json!(7)));
        let mut sink = Sink::new("sink-props1");
        testkit::inject(&rt, "props1", json!({})).await;
        let m = sink.next().await.body;
        assert_eq!(m["payload"], json!({"a": [1, 2]}));
        assert_eq!(m["n"], json!(1.5));
        assert_eq!(m["b"], json!(true));
        assert_eq!(m["s"], json!("x"));
        assert_eq!(m["e"], json!("from-env"));
        assert_eq!(m["buf"], json!({"type": "Buffer", "data": [1, 2]}));
        assert_eq!(m["g"], json!(7));
        assert_eq!(m["nested"], json!({"deep": [null, "y"]}));
        assert!(m["t"].as_i64().unwrap() > 1_600_000_000_000);
    }

    #[tokio::test]
    async fn inject_endpoint_triggers_and_404s() {
        use tower::ServiceExt;
        let rt = testkit::start(json!([
            {"id": "btn1", "type": "inject", "z": "t", "props": [{"p": "payload", "v": "hi", "vt": "str"}],
             "wires": [["sink-btn1"]]},
            {"id": "sink-btn1", "type": "test sink", "z": "t", "wires": []}
        ]));
        let mut sink = Sink::new("sink-btn1");
        let app = flowgate_runtime::app::app(
            rt.clone(),
            flowgate_runtime::app::AppOptions {
                admin: Some(Default::default()),
                site: None,
            },
        );
        let req = |uri: &str| {
            axum::http::Request::post(uri)
                .header("host", "127.0.0.1")
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let r = app.clone().oneshot(req("/inject/btn1")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(sink.next().await.body["payload"], json!("hi"));
        let r = app.oneshot(req("/inject/nope")).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
}
