//! `switch`: routes a message to the outputs whose rule matches a property,
//! with JavaScript's comparison semantics (`==`, `<`, `String(v)`), every
//! Node-RED operator, "stop after first match" and sequence-aware rules
//! (`head`, `tail`, `index`).

use std::collections::HashMap;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use parking_lot::Mutex;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::support::js;
use crate::support::jsregex::{self, Regex};
use crate::support::settings::{self, de, Choice, Field, Initial, Kind, NodeSettings};
use crate::support::typed_value::{Contexts, TypedValue};

pub fn node_type() -> NodeType {
    NodeType::runnable("switch", build)
        .category("function")
        .color("#e2d96e")
        .editor(settings::editor_json::<SwitchSettings>())
}

/// A `switch` node's settings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SwitchSettings {
    #[serde(deserialize_with = "de::text")]
    pub property: String,
    /// Empty is `msg`.
    #[serde(deserialize_with = "de::text")]
    pub property_type: String,
    pub rules: Vec<SwitchRule>,
    /// Stop after the first matching rule.
    #[serde(deserialize_with = "stop_on_first")]
    pub checkall: bool,
    #[serde(deserialize_with = "de::flag")]
    pub repair: bool,
    #[serde(deserialize_with = "de::number")]
    pub outputs: Option<f64>,
}

/// One `switch` rule: operator `t` with operands `v` (of type `vt`) and,
/// for `btwn`, `v2` (`v2t`); `case` makes `regex` case-insensitive. An
/// operand that is absent differs from one that is `null`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SwitchRule {
    #[serde(deserialize_with = "de::text")]
    pub t: String,
    #[serde(deserialize_with = "de::present")]
    pub v: Option<Value>,
    pub vt: Option<String>,
    #[serde(deserialize_with = "de::present")]
    pub v2: Option<Value>,
    pub v2t: Option<String>,
    pub case: Option<Value>,
}

impl NodeSettings for SwitchSettings {
    const FIELDS: &'static [Field] = &[
        Field::new("property", Kind::Typed, Initial::Str("payload")).label("Property"),
        Field::new(
            "rules",
            Kind::List("switch-rules"),
            Initial::Json(r#"[{"t":"eq","v":"","vt":"str"}]"#),
        )
        .label("Rules")
        // Absent: no rules, as Node-RED's `n.rules || []`.
        .absent(Initial::Json("[]")),
        Field::select(
            "checkall",
            &[
                Choice {
                    value: "true",
                    label: Some("checking all rules"),
                },
                Choice {
                    value: "false",
                    label: Some("stopping after first match"),
                },
            ],
            "true",
        )
        .label("Check"),
        Field::name(),
        Field::text("propertyType", "msg").hidden(),
        Field::checkbox("repair", false).label("recreate message sequences"),
        Field::new("outputs", Kind::Number, Initial::Int(1)).hidden(),
    ];
}

/// `checkall`: Node-RED's `n.checkall || "true"`, so only the text
/// `"false"` stops after the first match (read as `true` here).
fn stop_on_first<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Value::deserialize(d)? == Value::String("false".into()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Btwn,
    Cont,
    Regex,
    True,
    False,
    Null,
    NNull,
    Empty,
    NEmpty,
    IsType,
    HasKey,
    Head,
    Tail,
    Index,
    Else,
    /// `jsonata_exp`: the rule's expression is `true` (with `$I`, `$N` the
    /// message's `parts.index` and `parts.count` in a sequence).
    JsonataExp,
}

/// A rule operand.
#[derive(Debug)]
enum Operand {
    Value(TypedValue),
    /// `prev`: the property's value for the previous message.
    Previous,
    /// Not given.
    Undefined,
}

#[derive(Debug)]
struct Rule {
    op: Op,
    v: Operand,
    v2: Operand,
    /// `regex` with a constant pattern, compiled once.
    regex: Option<Regex>,
    case_insensitive: bool,
}

/// Messages of one `parts.id` sequence held back until its length is known
/// (`tail` needs `parts.count`).
#[derive(Default)]
struct Pending {
    groups: HashMap<String, (Option<u64>, Vec<Message>)>,
}

struct Switch {
    id: String,
    property: TypedValue,
    rules: Vec<Rule>,
    stop_on_first: bool,
    needs_count: bool,
    /// Each output gets its own sequence (new `parts.id`, `index`, `count`)
    /// of the messages routed to it, as Node-RED's "recreate message
    /// sequences" does.
    repair: bool,
    contexts: Contexts,
    previous: Mutex<Value>,
    pending: Mutex<Pending>,
}

fn op_of(t: &str) -> Option<Op> {
    Some(match t {
        "eq" => Op::Eq,
        "neq" => Op::Neq,
        "lt" => Op::Lt,
        "lte" => Op::Lte,
        "gt" => Op::Gt,
        "gte" => Op::Gte,
        "btwn" => Op::Btwn,
        "cont" => Op::Cont,
        "regex" => Op::Regex,
        "true" => Op::True,
        "false" => Op::False,
        "null" => Op::Null,
        "nnull" => Op::NNull,
        "empty" => Op::Empty,
        "nempty" => Op::NEmpty,
        "istype" => Op::IsType,
        "hask" => Op::HasKey,
        "head" => Op::Head,
        "tail" => Op::Tail,
        "index" => Op::Index,
        "else" => Op::Else,
        "jsonata_exp" => Op::JsonataExp,
        _ => return None,
    })
}

/// An operand as Node-RED prepares it: untyped values are numbers when they
/// look like one, `num` values are converted once, `json`/`null` types stand
/// for themselves, unknown types (`istype`'s `string`, `array`…) keep the raw text.
fn operand(
    config: &NodeConfig,
    cx: &BuildCx<'_>,
    field: &str,
    v: Option<&Value>,
    vt: Option<&str>,
) -> Result<Operand, Problem> {
    let Some(v) = v else {
        return Ok(match vt {
            Some("prev") => Operand::Previous,
            Some("json") => Operand::Value(TypedValue::Const(Value::String("json".into()))),
            Some("null") => Operand::Value(TypedValue::Const(Value::String("null".into()))),
            Some(t @ ("str" | "num" | "bool" | "msg" | "flow" | "global" | "env" | "date")) => {
                Operand::Value(TypedValue::build(config, cx, field, None, t)?)
            }
            _ => Operand::Undefined,
        });
    };
    let vt = match vt {
        Some(t) if !t.is_empty() => t,
        _ => {
            if js::to_number(Some(v)).is_nan() {
                "str"
            } else {
                "num"
            }
        }
    };
    Ok(match vt {
        "prev" => Operand::Previous,
        "json" => Operand::Value(TypedValue::Const(Value::String("json".into()))),
        "null" => Operand::Value(TypedValue::Const(Value::String("null".into()))),
        "num" => {
            let n = js::to_number(Some(v));
            Operand::Value(TypedValue::Const(if n.is_nan() {
                Value::Null
            } else {
                js::number(n)
            }))
        }
        "str" | "bool" | "msg" | "flow" | "global" | "env" | "date" | "bin" | "jsonata" => {
            Operand::Value(TypedValue::build(config, cx, field, Some(v), vt)?)
        }
        _ => Operand::Value(TypedValue::Const(v.clone())),
    })
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: SwitchSettings = settings::load(config, cx)?;
    let property_type = match s.property_type.as_str() {
        "" => "msg",
        t => t,
    };
    let property = TypedValue::build(
        config,
        cx,
        "property",
        Some(&Value::String(s.property)),
        property_type,
    )?;
    let mut rules = Vec::new();
    let list = s.rules.as_slice();
    for (i, r) in list.iter().enumerate() {
        let field = format!("rules[{i}]");
        let t = r.t.as_str();
        let op = op_of(t)
            .ok_or_else(|| config.problem(Some(&field), format!("unknown rule type \"{t}\"")))?;
        let v = operand(config, cx, &field, r.v.as_ref(), r.vt.as_deref())?;
        let v2 = match &r.v2 {
            Some(v2) => operand(config, cx, &field, Some(v2), r.v2t.as_deref())?,
            None => Operand::Undefined,
        };
        let case_insensitive = js::truthy(r.case.as_ref());
        let regex = match (&op, &v) {
            (Op::Regex, Operand::Value(TypedValue::Const(p))) => Some(
                jsregex::compile(&js::to_js_string(Some(p)), case_insensitive)
                    .map_err(|e| config.problem(Some(&field), e))?,
            ),
            _ => None,
        };
        rules.push(Rule {
            op,
            v,
            v2,
            regex,
            case_insensitive,
        });
    }
    let outputs = s.outputs.map(|n| n as usize).unwrap_or(0).max(rules.len());
    let needs_count = s.repair || rules.iter().any(|r| r.op == Op::Tail);
    Ok(Built::new(
        Switch {
            id: config.id.clone(),
            property,
            rules,
            stop_on_first: s.checkall,
            needs_count,
            repair: s.repair,
            contexts: Contexts::from_cx(cx),
            previous: Mutex::new(Value::Null),
            pending: Mutex::new(Pending::default()),
        },
        outputs,
    ))
}

/// `msg.parts` with `index` and `count` when present.
struct Parts {
    index: Option<f64>,
    count: Option<f64>,
}

fn parts_of(msg: &Map<String, Value>) -> Option<Parts> {
    let p = msg.get("parts")?.as_object()?;
    Some(Parts {
        index: p.get("index").map(|v| js::to_number(Some(v))),
        count: p.get("count").map(|v| js::to_number(Some(v))),
    })
}

fn has_sequence(msg: &Map<String, Value>) -> bool {
    msg.get("parts")
        .and_then(Value::as_object)
        .is_some_and(|p| p.contains_key("id") && p.contains_key("index"))
}

fn is_buffer(v: &Value) -> bool {
    flowgate_runtime::request::as_buffer(v).is_some()
}

fn length_of(a: &Value) -> Option<usize> {
    match a {
        Value::String(s) => Some(s.encode_utf16().count()),
        Value::Array(l) => Some(l.len()),
        v if is_buffer(v) => v["data"].as_array().map(Vec::len),
        Value::Object(m) => Some(m.len()),
        _ => None,
    }
}

fn parts_error() -> String {
    "Cannot read properties of undefined (reading 'index')".into()
}

impl Switch {
    /// An operand's value; a JSONata error fails the message with the
    /// node's error, as Node-RED's `invalid-expr`.
    fn operand(
        &self,
        o: &Operand,
        msg: &Map<String, Value>,
        prev: &Value,
    ) -> Result<Option<Value>, String> {
        match o {
            Operand::Value(tv) => tv.evaluate_lenient(msg, &self.contexts),
            Operand::Previous => Ok(Some(prev.clone())),
            Operand::Undefined => Ok(None),
        }
    }

    /// `jsonata_exp`'s value: its expression with `$I` and `$N` bound when
    /// the message is part of a sequence.
    fn expression_rule(&self, rule: &Rule, msg: &Map<String, Value>) -> Result<bool, String> {
        let Operand::Value(TypedValue::Jsonata(e)) = &rule.v else {
            return Ok(false);
        };
        let mut extra: Vec<(&str, Value)> = Vec::new();
        if has_sequence(msg) {
            let parts = &msg["parts"];
            for (name, key) in [("I", "index"), ("N", "count")] {
                if let Some(v) = parts.get(key) {
                    extra.push((name, v.clone()));
                }
            }
        }
        let v = e
            .evaluate(msg, &self.contexts, &extra)
            .map_err(|e| e.to_string())?;
        Ok(v == Some(Value::Bool(true)))
    }

    /// Whether `rule` matches property value `a`.
    fn test(
        &self,
        rule: &Rule,
        a: Option<&Value>,
        msg: &Map<String, Value>,
        prev: &Value,
        else_flag: bool,
    ) -> Result<bool, String> {
        if rule.op == Op::JsonataExp {
            return self.expression_rule(rule, msg);
        }
        let b = self.operand(&rule.v, msg, prev)?;
        let b = b.as_ref();
        Ok(match rule.op {
            Op::Eq => js::loose_eq(a, b),
            Op::Neq => !js::loose_eq(a, b),
            Op::Lt => js::lt(a, b),
            Op::Lte => js::lte(a, b),
            Op::Gt => js::gt(a, b),
            Op::Gte => js::gte(a, b),
            Op::Btwn => {
                let c = self.operand(&rule.v2, msg, prev)?;
                let c = c.as_ref();
                (js::gte(a, b) && js::lte(a, c)) || (js::lte(a, b) && js::gte(a, c))
            }
            Op::Cont => js::to_js_string(a).contains(&js::to_js_string(b)),
            Op::Regex => {
                let text = js::to_js_string(a);
                let compiled;
                let re = match &rule.regex {
                    Some(re) => re,
                    None => {
                        compiled = jsregex::compile(&js::to_js_string(b), rule.case_insensitive)?;
                        &compiled
                    }
                };
                jsregex::within_limit(|| re.find(&text).is_some()).map_err(|e| e.to_string())?
            }
            Op::True => a == Some(&Value::Bool(true)),
            Op::False => a == Some(&Value::Bool(false)),
            Op::Null => matches!(a, None | Some(Value::Null)),
            Op::NNull => !matches!(a, None | Some(Value::Null)),
            Op::Empty => a.and_then(length_of).is_some_and(|l| l == 0),
            Op::NEmpty => a.and_then(length_of).is_some_and(|l| l != 0),
            Op::IsType => {
                let t = js::to_js_string(b);
                match t.as_str() {
                    "array" => matches!(a, Some(Value::Array(_))),
                    "buffer" => a.is_some_and(is_buffer),
                    "json" => match a {
                        Some(Value::String(s)) => serde_json::from_str::<Value>(s).is_ok(),
                        // JSON.parse(String(v)) for non-strings.
                        Some(v) => {
                            serde_json::from_str::<Value>(&js::to_js_string(Some(v))).is_ok()
                        }
                        None => false,
                    },
                    "null" => a == Some(&Value::Null),
                    "number" => a.is_some_and(|v| v.is_number()),
                    "object" => matches!(a, Some(Value::Object(_))) && !a.is_some_and(is_buffer),
                    other => js::type_of(a) == other && !matches!(a, Some(Value::Null)),
                }
            }
            Op::HasKey => match (a, b) {
                (None | Some(Value::Null), _) => false,
                (_, Some(Value::Object(_)) | Some(Value::Array(_)) | Some(Value::Null)) => false,
                (Some(Value::Object(m)), key) => m.contains_key(&js::to_js_string(key)),
                (Some(Value::Array(l)), key) => {
                    let k = js::to_js_string(key);
                    k == "length"
                        || k.parse::<usize>()
                            .is_ok_and(|i| i < l.len() && i.to_string() == k)
                }
                (Some(Value::String(s)), key) => {
                    let k = js::to_js_string(key);
                    k == "length"
                        || k.parse::<usize>()
                            .is_ok_and(|i| i < s.encode_utf16().count() && i.to_string() == k)
                }
                _ => false,
            },
            Op::Head => {
                let p = parts_of(msg).ok_or_else(parts_error)?;
                p.index.unwrap_or(f64::NAN) < js::to_number(b)
            }
            Op::Tail => {
                let p = parts_of(msg).ok_or_else(parts_error)?;
                p.count.unwrap_or(f64::NAN) - js::to_number(b) <= p.index.unwrap_or(f64::NAN)
            }
            Op::Index => {
                let p = parts_of(msg).ok_or_else(parts_error)?;
                let c = self.operand(&rule.v2, msg, prev)?;
                let i = p.index.unwrap_or(f64::NAN);
                js::to_number(b) <= i && i <= js::to_number(c.as_ref())
            }
            Op::Else => else_flag,
            Op::JsonataExp => self.expression_rule(rule, msg)?,
        })
    }

    /// Route one message: the ports it goes to, in rule order.
    fn route(
        &self,
        msg: &Map<String, Value>,
        property: Option<Value>,
    ) -> Result<Vec<usize>, String> {
        let mut previous = self.previous.lock();
        let mut ports = Vec::new();
        let mut else_flag = true;
        for (i, rule) in self.rules.iter().enumerate() {
            let matched = self.test(rule, property.as_ref(), msg, &previous, else_flag)?;
            if rule.op == Op::Else {
                else_flag = true;
            }
            if matched {
                ports.push(i);
                else_flag = false;
                if self.stop_on_first {
                    break;
                }
            }
        }
        *previous = property.unwrap_or(Value::Null);
        Ok(ports)
    }

    /// The ports `msg` goes to; `None` when its property cannot be read
    /// (Node-RED warns and drops the message: not an error a catch node
    /// sees).
    fn ports_of(&self, msg: Message) -> Result<Option<(Message, Vec<usize>)>, NodeError> {
        let property = match self.property.evaluate_lenient(&msg.body, &self.contexts) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(node = %self.id, "{e}");
                return Ok(None);
            }
        };
        match self.route(&msg.body, property) {
            Ok(p) => Ok(Some((msg, p))),
            Err(e) => Err(NodeError::new(e).with_msg(msg)),
        }
    }

    fn dispatch(&self, msg: Message, out: &mut Outputs) -> Result<(), NodeError> {
        let Some((msg, ports)) = self.ports_of(msg)? else {
            return Ok(());
        };
        if let Some((last, rest)) = ports.split_last() {
            let mut sends: Vec<(usize, Message)> = rest.iter().map(|&p| (p, msg.clone())).collect();
            sends.push((*last, msg));
            // The original goes to the first port, copies to the others.
            let n = sends.len();
            sends.swap(0, n - 1);
            sends[1..].sort_by_key(|(p, _)| *p);
            for (p, m) in sends {
                out.send(p, m);
            }
        }
        Ok(())
    }
}

impl Switch {
    /// Route a whole sequence, then send each output the messages routed
    /// to it as a sequence of its own: a new `parts.id` per output, `index`
    /// counting that output's messages and `count` their number, in the
    /// order the messages came (Node-RED's `sendGroup`).
    fn send_repaired(&self, msgs: Vec<Message>, out: &mut Outputs) -> Result<(), NodeError> {
        let mut routed = Vec::with_capacity(msgs.len());
        for m in msgs {
            if let Some(r) = self.ports_of(m)? {
                routed.push(r);
            }
        }
        let outputs = self.rules.len();
        let mut counts = vec![0u64; outputs];
        for (_, ports) in &routed {
            for &p in ports {
                counts[p] += 1;
            }
        }
        let ids: Vec<String> = (0..outputs)
            .map(|_| crate::sequence::parts::group_id())
            .collect();
        let mut indexes = vec![0u64; outputs];
        for (msg, ports) in routed {
            for &p in &ports {
                let mut m = msg.clone();
                if let Some(Value::Object(parts)) = m.body.get_mut("parts") {
                    parts.insert("id".into(), Value::String(ids[p].clone()));
                    parts.insert("index".into(), Value::from(indexes[p]));
                    parts.insert("count".into(), Value::from(counts[p]));
                }
                indexes[p] += 1;
                out.send(p, m);
            }
        }
        Ok(())
    }
}

impl Node for Switch {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        if self.needs_count && has_sequence(&msg.body) {
            // Hold the sequence until its length is known, then route it all.
            let parts = &msg.body["parts"];
            let id = js::to_js_string(parts.get("id"));
            let count = parts.get("count").map(|c| js::to_number(Some(c)) as u64);
            let ready = {
                let mut pending = self.pending.lock();
                let group = pending.groups.entry(id.clone()).or_default();
                group.1.push(msg);
                if count.is_some() {
                    group.0 = count;
                }
                if group.0 == Some(group.1.len() as u64) {
                    pending.groups.remove(&id)
                } else {
                    None
                }
            };
            if let Some((Some(count), mut msgs)) = ready {
                for m in &mut msgs {
                    if let Some(Value::Object(p)) = m.body.get_mut("parts") {
                        p.insert("count".into(), Value::from(count));
                    }
                }
                let sent = if self.repair {
                    self.send_repaired(msgs, out)
                } else {
                    msgs.into_iter().try_for_each(|m| self.dispatch(m, out))
                };
                return Outcome::Ready(sent);
            }
            return Outcome::Ready(Ok(()));
        }
        Outcome::Ready(self.dispatch(msg, out))
    }

    fn stop(&self) {
        self.pending.lock().groups.clear();
    }
}
