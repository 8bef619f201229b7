//! `rbe` (the palette's "filter"): report by exception. Passes a message
//! only when its value changed (or, for numbers, moved by more or less than
//! a band), remembering the last value per topic. Node-RED's rules are kept
//! to the letter, quirks included (an empty object as the first value is
//! "unchanged", a reset clears `msg.topic`'s entry whatever `topi` names).

use std::collections::HashMap;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::support::js;
use crate::support::msgpath::PropPath;
use crate::support::settings::{self, de, Choices, Field, NodeSettings};

/// What the editor and `docs/nodes.md` say about the node.
pub const HELP: &str = "Report by exception: passes a message only when its value changed since the last one (per topic unless told otherwise).\n\
     For numbers it can instead pass only changes bigger than a deadband, or smaller than a narrowband, given as an amount or a percentage, compared with the last value sent or received.\n\
     msg.reset forgets the remembered values (of msg.topic, or all).";

pub fn node_type() -> NodeType {
    NodeType::runnable("rbe", build)
        .help(HELP)
        .category("function")
        .color("#E2D96E")
        .editor(settings::editor_json::<RbeSettings>())
}

crate::choices! {
    /// When a message passes.
    pub enum Func ("mode") {
        Changed = "rbe" ("block unless value changes"),
        ChangedIgnoringFirst = "rbei" ("block unless value changes (ignore initial value)"),
        DeadbandEq = "deadbandEq" ("block unless value change is greater or equal to"),
        Deadband = "deadband" ("block unless value change is greater than"),
        NarrowbandEq = "narrowbandEq" ("block if value change is greater or equal to"),
        Narrowband = "narrowband" ("block if value change is greater than"),
    } else Changed
}

crate::choices! {
    /// What a band is measured from.
    pub enum InOut ("compare to") {
        LastOutput = "out" ("compared to last valid output value"),
        LastInput = "in" ("compared to last input value"),
    } else LastOutput
}

/// An `rbe` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct RbeSettings {
    pub func: Func,
    /// The band: a number, or a percentage of the last value (`"10%"`).
    #[serde(deserialize_with = "de::text")]
    pub gap: String,
    /// The first reference value for the narrowband modes.
    #[serde(deserialize_with = "de::text")]
    pub start: String,
    pub inout: InOut,
    /// Kept as written: only the boolean `false` turns per-topic memory off.
    pub septopics: Value,
    #[serde(deserialize_with = "de::text")]
    pub property: String,
    #[serde(deserialize_with = "de::text")]
    pub topi: String,
}

impl NodeSettings for RbeSettings {
    const FIELDS: &'static [Field] = &[
        Field::select("func", Func::CHOICES, "rbe").label("Mode"),
        Field::text("gap", "").label("value change (e.g. 10 or 5%)"),
        Field::text("start", "").label("Start value"),
        Field::select("inout", InOut::CHOICES, "out").label("compared to"),
        Field::checkbox("septopics", true).label("Apply mode separately for each msg.topic"),
        Field::text("property", "payload")
            .required()
            .label("Property"),
        Field::text("topi", "topic").required().label("topic"),
        Field::name(),
    ];
    const PALETTE_LABEL: Option<&'static str> = Some("filter");
}

struct Rbe {
    id: String,
    func: Func,
    /// `Some(p)` for a percentage band of `p` %, else the fixed band.
    percent: Option<f64>,
    gap: f64,
    start: Option<f64>,
    inout: InOut,
    per_topic: bool,
    property: PropPath,
    topic: PropPath,
    previous: Mutex<HashMap<String, Value>>,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: RbeSettings = settings::load(config, cx)?;
    let gap = if s.gap.is_empty() {
        "0"
    } else {
        s.gap.as_str()
    };
    let percent = gap
        .strip_suffix('%')
        .map(|_| js::parse_float(Some(&Value::String(gap.to_owned()))));
    Ok(Built::new(
        Rbe {
            id: config.id.clone(),
            func: s.func,
            percent,
            gap: js::to_number(Some(&Value::String(gap.to_owned()))),
            start: (!s.start.is_empty()).then(|| js::to_number(Some(&Value::String(s.start)))),
            inout: s.inout,
            per_topic: s.septopics != Value::Bool(false),
            property: settings::msg_property(config, "property", &s.property, "payload")?,
            topic: settings::msg_property(config, "topi", &s.topi, "topic")?,
            previous: Mutex::new(HashMap::new()),
        },
        1,
    ))
}

/// Node-RED's `RED.util.compareObjects`: deep equality, keys in any order.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => js::strict_eq(Some(a), Some(b)),
    }
}

impl Rbe {
    /// Whether a changed-value mode passes `value` for topic key `t`.
    fn changed(&self, previous: &mut HashMap<String, Value>, t: &str, value: &Value) -> bool {
        let send = self.func != Func::ChangedIgnoringFirst || previous.contains_key(t);
        let changed = if matches!(value, Value::Object(_) | Value::Array(_) | Value::Null) {
            // `typeof previous !== "object"` (absent or a primitive): an
            // empty object is remembered first, as Node-RED does.
            let prev = previous
                .entry(t.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !matches!(prev, Value::Object(_) | Value::Array(_) | Value::Null) {
                *prev = Value::Object(Map::new());
            }
            !same(value, prev)
        } else {
            previous
                .get(t)
                .is_none_or(|prev| !js::strict_eq(Some(value), Some(prev)))
        };
        if changed {
            previous.insert(t.to_owned(), value.clone());
        }
        changed && send
    }

    /// Whether a band mode passes number `n` for topic key `t`.
    fn in_band(&self, previous: &mut HashMap<String, Value>, t: &str, n: f64) -> bool {
        let narrow = matches!(self.func, Func::Narrowband | Func::NarrowbandEq);
        let mut prev = previous.get(t).map(|v| js::to_number(Some(v)));
        if prev.is_none() && narrow {
            prev = Some(self.start.unwrap_or(n));
        }
        let gap = match self.percent {
            Some(p) => {
                let g = (prev.unwrap_or(f64::NAN) * p / 100.0).abs();
                if g.is_nan() {
                    0.0
                } else {
                    g
                }
            }
            None => self.gap,
        };
        let prev = prev.unwrap_or(n - gap - 1.0);
        let diff = (n - prev).abs();
        let send = if diff == gap {
            matches!(self.func, Func::DeadbandEq | Func::Narrowband)
        } else if diff > gap {
            matches!(self.func, Func::Deadband | Func::DeadbandEq)
        } else if diff < gap {
            narrow
        } else {
            false
        };
        let keep = if self.inout == InOut::LastInput || send {
            n
        } else {
            prev
        };
        previous.insert(t.to_owned(), js::number(keep));
        send
    }
}

impl Node for Rbe {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let topic = self
            .topic
            .get(&msg.body)
            .ok()
            .flatten()
            .map(|v| v.into_owned());
        let mut previous = self.previous.lock();
        if msg.body.contains_key("reset") {
            match &topic {
                Some(Value::String(s)) if self.per_topic && !s.is_empty() => {
                    let key = js::to_js_string(msg.body.get("topic"));
                    previous.remove(&key);
                }
                _ => previous.clear(),
            }
        }
        let Some(value) = self
            .property
            .get(&msg.body)
            .ok()
            .flatten()
            .map(|v| v.into_owned())
        else {
            return Outcome::Ready(Ok(()));
        };
        let t = match &topic {
            Some(v) if self.per_topic && js::truthy(Some(v)) => js::to_js_string(Some(v)),
            _ => "_no_topic".to_owned(),
        };
        let send = match self.func {
            Func::Changed | Func::ChangedIgnoringFirst => self.changed(&mut previous, &t, &value),
            _ => {
                let n = js::parse_float(Some(&value));
                if n.is_nan() {
                    tracing::warn!(node = %self.id, "rbe: no number found in payload");
                    false
                } else {
                    self.in_band(&mut previous, &t, n)
                }
            }
        };
        drop(previous);
        if send {
            out.send(0, msg);
        }
        Outcome::Ready(Ok(()))
    }
}
