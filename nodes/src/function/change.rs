//! `change`: set, change (search and replace), delete and move message and
//! context properties, rule by rule, with Node-RED's rules for missing
//! values (`undefined` deletes), types and regular expressions.

use std::sync::Arc;

use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::support::js;
use crate::support::jsregex::{self, Regex};
use crate::support::msgpath::PropPath;
use crate::support::settings::{self, de, Field, Initial, Kind, NodeSettings};
use crate::support::typed_value::{ContextKind, ContextPath, Contexts, TypedValue};

pub fn node_type() -> NodeType {
    NodeType::runnable("change", build)
        .category("function")
        .color("#e2d96e")
        .editor(settings::editor_json::<ChangeSettings>())
}

/// A `change` node's settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChangeSettings {
    /// The rules, each `{t, p, pt, to, tot, from, fromt}`, checked one by
    /// one (`rules[i]` in problems); absent in very old exports, which
    /// keep one rule in `action`, `property`, `from`, `to` and `reg`.
    pub rules: Option<Vec<ChangeRule>>,
}

/// One `change` rule: `t` (set, change, delete, move) on property `p` of
/// type `pt`, with `to`/`tot` and, for change, `from`/`fromt` (`re`: the
/// old form of `fromt: "re"`).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ChangeRule {
    #[serde(deserialize_with = "de::text")]
    pub t: String,
    #[serde(deserialize_with = "de::text")]
    pub p: String,
    #[serde(deserialize_with = "de::text")]
    pub pt: String,
    pub to: Option<Value>,
    #[serde(deserialize_with = "de::text")]
    pub tot: String,
    pub from: Option<Value>,
    #[serde(deserialize_with = "de::text")]
    pub fromt: String,
    #[serde(deserialize_with = "de::flag")]
    pub re: bool,
}

/// Very old exports keep their one rule in `action`, `property`, `from`,
/// `to` and `reg` (a regular expression unless `reg` is false).
fn legacy_rule(config: &NodeConfig) -> ChangeRule {
    let text = |k: &str| config.str(k).unwrap_or("").to_owned();
    let action = config.str("action").unwrap_or("set");
    let change = action == "change";
    ChangeRule {
        t: if action == "replace" { "set" } else { action }.to_owned(),
        p: text("property"),
        to: Some(Value::String(text("to"))),
        from: change.then(|| Value::String(text("from"))),
        re: change
            && (matches!(config.raw.get("reg"), None | Some(Value::Null)) || config.flag("reg")),
        ..ChangeRule::default()
    }
}

impl NodeSettings for ChangeSettings {
    const FIELDS: &'static [Field] = &[
        Field::new(
            "rules",
            Kind::List("change-rules"),
            Initial::Json(r#"[{"t":"set","p":"payload","pt":"msg","to":"","tot":"str"}]"#),
        )
        .label("Rules")
        .absent(Initial::Null),
        Field::name(),
    ];
}

/// A property a rule addresses.
#[derive(Debug, Clone)]
enum Target {
    Msg(PropPath),
    Context(ContextKind, ContextPath),
}

/// What a `change` rule searches for.
#[derive(Debug)]
enum From {
    /// A constant (`str`, `num`, `bool`) or a regular expression (`re`):
    /// the text as written and the expression that finds it.
    Static {
        kind: FromKind,
        text: String,
        re: Arc<Regex>,
    },
    /// Read per message (`msg`, `flow`, `global`).
    Dynamic(Target),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FromKind {
    Str,
    Num,
    Bool,
    Re,
}

#[derive(Debug)]
enum Rule {
    Set {
        target: Target,
        to: To,
    },
    Change {
        target: Target,
        from: From,
        to: To,
        to_is_bool: bool,
    },
    Delete(Target),
    Move {
        from: Target,
        to: Target,
        two_step: bool,
    },
}

/// The value a rule writes.
#[derive(Debug)]
struct To(TypedValue);

struct Change {
    rules: Vec<Rule>,
    contexts: Contexts,
}

fn target(config: &NodeConfig, field: &str, kind: &str, p: &str) -> Result<Target, Problem> {
    let bad = |e: String| config.problem(Some(field), e);
    Ok(match kind {
        "flow" | "global" => Target::Context(
            if kind == "flow" {
                ContextKind::Flow
            } else {
                ContextKind::Global
            },
            ContextPath::parse(p).map_err(|e| bad(e.to_string()))?,
        ),
        "msg" | "" => Target::Msg(PropPath::parse_msg(p).map_err(|e| bad(e.to_string()))?),
        other => return Err(bad(format!("unsupported property type \"{other}\""))),
    })
}

fn build(config: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
    let s: ChangeSettings = settings::load(config, cx)?;
    let legacy;
    let rules_in: &[ChangeRule] = match &s.rules {
        Some(r) => r,
        None => {
            legacy = [legacy_rule(config)];
            &legacy
        }
    };
    let mut rules = Vec::with_capacity(rules_in.len());
    for (i, r) in rules_in.iter().enumerate() {
        let field = format!("rules[{i}]");
        let t = r.t.as_str();
        let pt = match r.pt.as_str() {
            "" => "msg",
            other => other,
        };
        let p = r.p.as_str();
        let mut to_text = crate::support::typed_value::raw_text(r.to.as_ref());
        let mut tot = r.tot.clone();
        if t == "set" && tot.is_empty() && to_text.starts_with("msg.") {
            to_text = to_text[4..].to_owned();
            tot = "msg".into();
        }
        if tot.is_empty() {
            tot = "str".into();
        }
        let target_t = target(config, &field, pt, p)?;
        let to = || -> Result<To, Problem> {
            if tot == "json" {
                let raw = r.to.as_ref().and_then(Value::as_str).unwrap_or("");
                if serde_json::from_str::<Value>(raw).is_err() {
                    return Err(config.problem(Some(&field), "Invalid 'to' JSON property"));
                }
            }
            Ok(To(TypedValue::build(
                config,
                cx,
                &field,
                Some(&Value::String(to_text.clone())),
                &tot,
            )?))
        };
        rules.push(match t {
            "set" => Rule::Set {
                target: target_t,
                to: to()?,
            },
            "delete" => Rule::Delete(target_t),
            "move" => {
                let dest = target(config, &field, &tot, &to_text)?;
                let two_step = !(tot != pt || (p.contains(to_text.as_str()) && p != to_text));
                Rule::Move {
                    from: target_t,
                    to: dest,
                    two_step,
                }
            }
            "change" => {
                let fromt = if r.re { "re" } else { r.fromt.as_str() };
                let from_text = crate::support::typed_value::raw_text(r.from.as_ref());
                let from = match fromt {
                    "msg" | "flow" | "global" => {
                        From::Dynamic(target(config, &field, fromt, &from_text)?)
                    }
                    other => {
                        let kind = match other {
                            "re" => FromKind::Re,
                            "num" => FromKind::Num,
                            "bool" => FromKind::Bool,
                            _ => FromKind::Str,
                        };
                        let re = if kind == FromKind::Re {
                            jsregex::compile(&from_text, false)
                        } else {
                            Ok(jsregex::literal(&from_text))
                        }
                        .map_err(|e| {
                            config.problem(Some(&field), format!("Invalid 'from' property: {e}"))
                        })?;
                        From::Static {
                            kind,
                            text: from_text,
                            re: Arc::new(re),
                        }
                    }
                };
                Rule::Change {
                    target: target_t,
                    from,
                    to: to()?,
                    to_is_bool: tot == "bool",
                }
            }
            other => {
                return Err(config.problem(Some(&field), format!("unknown rule type \"{other}\"")))
            }
        });
    }
    Ok(Built::new(
        Change {
            rules,
            contexts: Contexts::from_cx(cx),
        },
        1,
    ))
}

/// The type of a `from` value read at run time, with its search expression.
struct FromValue {
    kind: FromKind,
    value: Value,
    re: Arc<Regex>,
}

impl Change {
    fn read(&self, t: &Target, msg: &Map<String, Value>) -> Result<Option<Value>, ()> {
        match t {
            Target::Msg(p) => p
                .get(msg)
                .map(|v| v.map(|c| c.into_owned()))
                .map_err(|_| ()),
            Target::Context(k, p) => p.get(self.contexts.store(*k), msg).map_err(|_| ()),
        }
    }

    /// Write (or with `None`, delete) a property; `false` when it cannot be set.
    fn write(&self, t: &Target, msg: &mut Map<String, Value>, v: Option<Value>) -> bool {
        match t {
            Target::Msg(p) => match v {
                Some(v) => p.set(msg, v).unwrap_or(false),
                None => p.delete(msg).unwrap_or(false),
            },
            Target::Context(k, p) => p.set(self.contexts.store(*k), msg, v).is_ok(),
        }
    }

    /// The rule's value: `Ok(None)` skips the rule, `Err` fails the message.
    fn to_value(&self, to: &To, msg: &Map<String, Value>) -> Result<Option<Option<Value>>, String> {
        match &to.0 {
            // A missing message property skips the rule (Node-RED's try/catch).
            TypedValue::Msg(p) => Ok(p.get(msg).ok().map(|v| v.map(|c| c.into_owned()))),
            other => other.evaluate_lenient(msg, &self.contexts).map(Some),
        }
    }

    fn search_value(&self, from: &From, msg: &Map<String, Value>) -> Result<FromValue, String> {
        match from {
            From::Static { kind, text, re } => Ok(FromValue {
                kind: *kind,
                value: Value::String(text.clone()),
                re: re.clone(),
            }),
            From::Dynamic(t) => {
                let v = self.read(t, msg).ok().flatten();
                let (kind, re) = match &v {
                    Some(Value::Number(n)) => {
                        (FromKind::Num, jsregex::literal(&js::number_to_string(n)))
                    }
                    Some(Value::Bool(b)) => (FromKind::Bool, jsregex::literal(&b.to_string())),
                    Some(Value::String(s)) => (FromKind::Str, jsregex::literal(s)),
                    other => {
                        return Err(format!(
                            "Invalid 'from' property: unsupported type: {}",
                            js::type_of(other.as_ref())
                        ))
                    }
                };
                Ok(FromValue {
                    kind,
                    value: v.unwrap_or(Value::Null),
                    re: Arc::new(re),
                })
            }
        }
    }

    /// Apply one rule; `Err` drops the message with a node error.
    fn apply(&self, rule: &Rule, msg: &mut Map<String, Value>) -> Result<(), String> {
        match rule {
            Rule::Set { target, to } => {
                let Some(value) = self.to_value(to, msg)? else {
                    return Ok(());
                };
                let is_value = value.is_some();
                if !self.write(target, msg, value) && is_value {
                    if let Target::Msg(p) = target {
                        tracing::warn!("change: Cannot set property of non-object type: {p}");
                    }
                }
            }
            Rule::Delete(target) => {
                self.write(target, msg, None);
            }
            Rule::Move { from, to, two_step } => {
                if *two_step {
                    let temp = match to {
                        Target::Msg(_) => {
                            Target::Msg(PropPath::parse("_temp_move").expect("valid"))
                        }
                        Target::Context(k, _) => {
                            Target::Context(*k, ContextPath::parse("_temp_move").expect("valid"))
                        }
                    };
                    self.move_value(from, &temp, msg);
                    self.move_value(&temp, to, msg);
                } else {
                    self.move_value(from, to, msg);
                }
            }
            Rule::Change {
                target,
                from,
                to,
                to_is_bool,
            } => {
                let Some(value) = self.to_value(to, msg)? else {
                    return Ok(());
                };
                let from = self.search_value(from, msg)?;
                let Ok(current) = self.read(target, msg) else {
                    return Ok(());
                };
                let replaced = match current {
                    Some(Value::String(cur)) => {
                        let same = match (&from.kind, &from.value) {
                            (FromKind::Re, _) => false,
                            (_, Value::String(f)) => *f == cur,
                            _ => false,
                        };
                        if same {
                            Some(value)
                        } else {
                            let replacement = js::to_js_string(value.as_ref());
                            let out = jsregex::within_limit(|| {
                                jsregex::replace_all(&from.re, &cur, &replacement)
                            })
                            .map_err(|e| e.to_string())?;
                            if *to_is_bool && out == replacement {
                                Some(value)
                            } else {
                                Some(Some(Value::String(out)))
                            }
                        }
                    }
                    Some(Value::Number(n)) if from.kind == FromKind::Num => {
                        let cur = n.as_f64().unwrap_or(f64::NAN);
                        (cur == js::to_number(Some(&from.value))).then_some(value)
                    }
                    Some(Value::Bool(b)) if from.kind == FromKind::Bool => {
                        (from.value == Value::String(b.to_string())).then_some(value)
                    }
                    _ => None,
                };
                if let Some(v) = replaced {
                    self.write(target, msg, v);
                }
            }
        }
        Ok(())
    }

    /// `set to ← from` then `delete from`, as Node-RED's move does.
    fn move_value(&self, from: &Target, to: &Target, msg: &mut Map<String, Value>) {
        if let Ok(v) = self.read(from, msg) {
            self.write(to, msg, v);
        }
        self.write(from, msg, None);
    }
}

impl Node for Change {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        for rule in &self.rules {
            if let Err(e) = self.apply(rule, &mut msg.body) {
                return Outcome::Ready(Err(NodeError::new(e).with_msg(msg)));
            }
        }
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, Sink};
    use serde_json::json;

    async fn run(id: &str, rules: Value, input: Value) -> Value {
        let sink_id = format!("sink-{id}");
        let rt = testkit::start(json!([
            {"id": id, "type": "change", "z": "t", "rules": rules, "wires": [[sink_id]]},
            {"id": sink_id, "type": "test sink", "z": "t", "wires": []}
        ]));
        let mut sink = Sink::new(&sink_id);
        testkit::inject(&rt, id, input).await;
        let mut body = sink.next().await.body;
        body.shift_remove("_msgid");
        Value::Object(body)
    }

    #[tokio::test]
    async fn set_nested_and_from_msg() {
        let out = run(
            "c1",
            json!([
                {"t": "set", "p": "a.b[1]", "pt": "msg", "to": "5", "tot": "num"},
                {"t": "set", "p": "copy", "pt": "msg", "to": "payload.x", "tot": "msg"},
                {"t": "set", "p": "gone", "pt": "msg", "to": "nothing", "tot": "msg"},
                {"t": "set", "p": "skipped", "pt": "msg", "to": "no.such.path", "tot": "msg"}
            ]),
            json!({"payload": {"x": 1}, "gone": true}),
        )
        .await;
        assert_eq!(
            out,
            json!({"payload": {"x": 1}, "a": {"b": [null, 5]}, "copy": 1})
        );
    }

    #[tokio::test]
    async fn change_strings_and_types() {
        let out = run(
            "c2",
            json!([
                {"t": "change", "p": "payload", "pt": "msg", "from": "o", "fromt": "str", "to": "0", "tot": "str"},
                {"t": "change", "p": "r", "pt": "msg", "from": "(\\w+)@(\\w+)", "fromt": "re", "to": "$2 at $1 [$&] $$", "tot": "str"},
                {"t": "change", "p": "whole", "pt": "msg", "from": "yes", "fromt": "str", "to": "true", "tot": "bool"},
                {"t": "change", "p": "n", "pt": "msg", "from": "3", "fromt": "num", "to": "4", "tot": "num"}
            ]),
            json!({"payload": "foo boo", "r": "me@host", "whole": "yes", "n": 3}),
        )
        .await;
        assert_eq!(
            out,
            json!({"payload": "f00 b00", "r": "host at me [me@host] $", "whole": true, "n": 4})
        );
    }

    #[tokio::test]
    async fn delete_and_move() {
        let out = run(
            "c3",
            json!([
                {"t": "delete", "p": "topic", "pt": "msg"},
                {"t": "move", "p": "payload", "pt": "msg", "to": "data.value", "tot": "msg"},
                {"t": "move", "p": "a.b", "pt": "msg", "to": "a", "tot": "msg"}
            ]),
            json!({"payload": 1, "topic": "t", "a": {"b": {"c": 2}}}),
        )
        .await;
        assert_eq!(out, json!({"data": {"value": 1}, "a": {"c": 2}}));
    }

    #[tokio::test]
    async fn flow_and_global_context() {
        let rt = testkit::start(json!([
            {"id": "c4", "type": "change", "z": "t", "rules": [
                {"t": "set", "p": "count", "pt": "flow", "to": "payload", "tot": "msg"},
                {"t": "set", "p": "cfg.name", "pt": "global", "to": "x", "tot": "str"},
                {"t": "set", "p": "back", "pt": "msg", "to": "cfg", "tot": "global"}
            ], "wires": [["sink-c4"]]},
            {"id": "sink-c4", "type": "test sink", "z": "t", "wires": []}
        ]));
        let mut sink = Sink::new("sink-c4");
        testkit::inject(&rt, "c4", json!({"payload": 9})).await;
        assert_eq!(sink.next().await.body["back"], json!({"name": "x"}));
        assert_eq!(rt.env.contexts.flow("t").get("count"), Some(json!(9)));
    }

    #[test]
    fn unsupported_jsonata_is_a_load_error_naming_the_node() {
        let e = testkit::load_error(json!([
            {"id": "cj", "type": "change", "z": "t", "name": "calc", "rules": [
                {"t": "set", "p": "payload", "pt": "msg", "to": "$uuid()", "tot": "jsonata"}
            ], "wires": [[]]}
        ]));
        assert!(
            e.contains("node cj (change \"calc\") field `rules[0]`: JSONata function $uuid"),
            "{e}"
        );
    }

    #[test]
    fn invalid_regex_is_a_load_error() {
        let e = testkit::load_error(json!([
            {"id": "cr", "type": "change", "z": "t", "rules": [
                {"t": "change", "p": "payload", "pt": "msg", "from": "(", "fromt": "re", "to": "", "tot": "str"}
            ], "wires": [[]]}
        ]));
        assert!(e.contains("Invalid 'from' property"), "{e}");
    }
}
