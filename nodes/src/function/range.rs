//! `range`: maps a numeric property from one range onto another, with
//! Node-RED's four ways of treating values outside the input range (scale
//! past the ends, clamp, roll around, or drop the message).

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::support::js;
use crate::support::msgpath::PropPath;
use crate::support::settings::{self, de, Choices, Field, Initial, Kind, NodeSettings};

/// What the editor and `docs/nodes.md` say about the node.
pub const HELP: &str = "Maps a numeric message property from one range onto another, e.g. a sensor's 0–1023 onto 0–100.\n\
     Outside the input range the value is scaled past the ends, clamped, rolled around within the range, or the message is dropped.\n\
     Round turns the result into a whole number. A value that is not a number is dropped; a message without the property passes unchanged.";

pub fn node_type() -> NodeType {
    NodeType::runnable("range", build)
        .help(HELP)
        .category("function")
        .color("#E2D96E")
        .editor(settings::editor_json::<RangeSettings>())
}

crate::choices! {
    /// What happens to values outside the input range.
    pub enum Action ("action") {
        Scale = "scale" ("Scale the message property"),
        Clamp = "clamp" ("Scale and limit to the target range"),
        Roll = "roll" ("Scale and wrap within the target range"),
        Drop = "drop" ("Scale, but drop msg if outside input range"),
    } else Scale
}

/// A `range` node's settings. The bounds stay as written: Node-RED reads
/// them with `Number(...)`, so empty text is 0.
#[derive(Debug, Serialize, Deserialize)]
pub struct RangeSettings {
    pub action: Action,
    #[serde(deserialize_with = "de::flag")]
    pub round: bool,
    pub minin: Value,
    pub maxin: Value,
    pub minout: Value,
    pub maxout: Value,
    #[serde(deserialize_with = "de::text")]
    pub property: String,
}

impl NodeSettings for RangeSettings {
    const FIELDS: &'static [Field] = &[
        Field::text("property", "payload").label("Property"),
        Field::select("action", Action::CHOICES, "scale").label("Action"),
        Field::new("minin", Kind::Number, Initial::Str(""))
            .required()
            .label("Map the input range: from"),
        Field::new("maxin", Kind::Number, Initial::Str(""))
            .required()
            .label("input to"),
        Field::new("minout", Kind::Number, Initial::Str(""))
            .required()
            .label("to the target range: from"),
        Field::new("maxout", Kind::Number, Initial::Str(""))
            .required()
            .label("target to"),
        Field::checkbox("round", false).label("Round result to the nearest integer?"),
        Field::name(),
    ];
}

struct Range {
    id: String,
    action: Action,
    round: bool,
    min_in: f64,
    max_in: f64,
    min_out: f64,
    max_out: f64,
    property: PropPath,
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: RangeSettings = settings::load(config, cx)?;
    let num = |v: &Value| js::to_number(Some(v));
    let (mut min_in, mut max_in) = (num(&s.minin), num(&s.maxin));
    let (mut min_out, mut max_out) = (num(&s.minout), num(&s.maxout));
    // Node-RED swaps both pairs when the input range is given backwards.
    if min_in > max_in {
        std::mem::swap(&mut min_in, &mut max_in);
        std::mem::swap(&mut min_out, &mut max_out);
    }
    if s.round {
        max_out = max_out.floor();
        min_out = min_out.ceil();
    }
    let property = settings::msg_property(config, "property", &s.property, "payload")?;
    Ok(Built::new(
        Range {
            id: config.id.clone(),
            action: s.action,
            round: s.round,
            min_in,
            max_in,
            min_out,
            max_out,
            property,
        },
        1,
    ))
}

impl Range {
    /// The mapped value, or `None` when the message is dropped.
    fn map(&self, mut n: f64) -> Option<f64> {
        match self.action {
            Action::Drop if n < self.min_in || n > self.max_in => return None,
            Action::Clamp => n = n.max(self.min_in).min(self.max_in),
            Action::Roll => {
                let divisor = self.max_in - self.min_in;
                n = ((n - self.min_in) % divisor + divisor) % divisor + self.min_in;
            }
            _ => {}
        }
        let value = (n - self.min_in) / (self.max_in - self.min_in) * (self.max_out - self.min_out)
            + self.min_out;
        Some(if self.round { js_round(value) } else { value })
    }
}

/// JavaScript's `Math.round`: halves round up, towards +∞.
fn js_round(v: f64) -> f64 {
    if !v.is_finite() || v.fract() == 0.0 {
        return v;
    }
    (v + 0.5).floor()
}

impl Node for Range {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let value = match self.property.get(&msg.body) {
            Ok(Some(v)) => js::to_number(Some(&v)),
            // No value: pass the message on.
            Ok(None) | Err(_) => {
                out.send(0, msg);
                return Outcome::Ready(Ok(()));
            }
        };
        if value.is_nan() {
            tracing::info!(node = %self.id, "range: Payload is not a number");
            return Outcome::Ready(Ok(()));
        }
        if let Some(mapped) = self.map(value) {
            let _ = self.property.set(&mut msg.body, js::number(mapped));
            out.send(0, msg);
        }
        Outcome::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::{self, Sink};
    use serde_json::{json, Value};

    /// What a `range` node with these settings sends for each payload.
    async fn run(node: Value, inputs: &[Value]) -> Vec<Value> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let sink_id = format!(
            "range-out-{}",
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut node = node;
        node["id"] = json!("r");
        node["type"] = json!("range");
        node["z"] = json!("t");
        node["wires"] = json!([[sink_id]]);
        let rt = testkit::start(
            json!([node, {"id": sink_id, "type": "test sink", "z": "t", "wires": []}]),
        );
        let mut sink = Sink::new(&sink_id);
        let mut got = Vec::new();
        for input in inputs {
            testkit::inject(&rt, "r", json!({ "payload": input })).await;
        }
        while let Some(m) = sink.try_next() {
            got.push(m.body["payload"].clone());
        }
        got
    }

    #[tokio::test]
    async fn scales_clamps_rolls_and_drops_as_node_red() {
        let base = json!({"minin": "0", "maxin": "10", "minout": "0", "maxout": "100"});
        let with = |action: &str| {
            let mut n = base.clone();
            n["action"] = json!(action);
            n
        };
        let inputs = [json!(5), json!(12), json!(-3), json!("7")];
        assert_eq!(
            run(with("scale"), &inputs).await,
            vec![json!(50), json!(120), json!(-30), json!(70)]
        );
        assert_eq!(
            run(with("clamp"), &inputs).await,
            vec![json!(50), json!(100), json!(0), json!(70)]
        );
        assert_eq!(
            run(with("roll"), &inputs).await,
            vec![json!(50), json!(20), json!(70), json!(70)]
        );
        assert_eq!(run(with("drop"), &inputs).await, vec![json!(50), json!(70)]);
    }

    #[tokio::test]
    async fn rounds_half_up_and_passes_non_numbers_and_missing_values() {
        let node = json!({"minin": 0, "maxin": 10, "minout": 0, "maxout": 1, "round": true});
        assert_eq!(
            run(node, &[json!(5), json!(4), json!(-5)]).await,
            vec![json!(1), json!(0), json!(0)]
        );
        // A value that is not a number is dropped (logged), as in Node-RED.
        let node = json!({"minin": 0, "maxin": 10, "minout": 0, "maxout": 100});
        assert_eq!(run(node, &[json!("abc"), json!(1)]).await, vec![json!(10)]);
    }
}
