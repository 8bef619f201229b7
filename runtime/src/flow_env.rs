//! Node-RED's `getSetting` chain: what `env.get(name)`, `${NAME}` properties
//! and `env` typed inputs see. A node asks its own `NR_NODE_*` names first,
//! then each scope it sits in from the innermost out (nested groups, a subflow
//! instance, the groups and flow around that instance…, its tab), then the
//! `global-config` node's variables, then the process environment less the
//! variables hidden from flows ([`crate::env`]).
//!
//! Each scope answers its own `NR_*` names (`NR_GROUP_*`, `NR_SUBFLOW_*`,
//! `NR_FLOW_*`) before its variables; a name starting `$parent.` skips the
//! scope it is asked of, as each of Node-RED's `getSetting` does.

use std::sync::Arc;

use serde_json::{Map, Value};

/// Which scope a [`Level`] is, with what its `NR_*` names answer.
#[derive(Debug, Clone)]
pub enum LevelKind {
    /// The `global-config` node's variables.
    Global,
    /// A tab: `NR_FLOW_ID`, `NR_FLOW_NAME` (its label).
    Tab { id: String, label: Option<String> },
    /// A group: `NR_GROUP_ID`, `NR_GROUP_NAME`.
    Group { id: String, name: Option<String> },
    /// A subflow instance: `NR_SUBFLOW_ID`/`NR_SUBFLOW_NAME`/`NR_SUBFLOW_PATH`
    /// (the instance node's id, name and path).
    Subflow {
        id: String,
        name: Option<String>,
        path: String,
    },
}

/// One scope's variables. A variable that evaluated to `undefined` (a `cred`
/// with no stored value) is present as `None`: it hides outer ones, as in
/// Node-RED.
#[derive(Debug, Clone)]
pub struct Level {
    pub kind: LevelKind,
    pub vars: Vec<(String, Option<Value>)>,
}

impl Level {
    /// The answer to one of this scope's own `NR_*` names, if `name` is one.
    fn own(&self, name: &str) -> Option<Option<Value>> {
        let s = |v: &Option<String>| v.clone().map(Value::String);
        match (&self.kind, name) {
            (LevelKind::Tab { id, .. }, "NR_FLOW_ID") => Some(Some(Value::String(id.clone()))),
            (LevelKind::Tab { label, .. }, "NR_FLOW_NAME") => Some(s(label)),
            (LevelKind::Group { id, .. }, "NR_GROUP_ID") => Some(Some(Value::String(id.clone()))),
            (LevelKind::Group { name, .. }, "NR_GROUP_NAME") => Some(s(name)),
            (LevelKind::Subflow { id, .. }, "NR_SUBFLOW_ID" | "NR_NODE_ID") => {
                Some(Some(Value::String(id.clone())))
            }
            (LevelKind::Subflow { name, .. }, "NR_SUBFLOW_NAME" | "NR_NODE_NAME") => Some(s(name)),
            (LevelKind::Subflow { path, .. }, "NR_SUBFLOW_PATH" | "NR_NODE_PATH") => {
                Some(Some(Value::String(path.clone())))
            }
            _ => None,
        }
    }

    fn var(&self, name: &str) -> Option<Option<Value>> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

/// The scopes around a node, outermost first; cheap to clone and share.
#[derive(Debug, Clone, Default)]
pub struct EnvChain {
    levels: Vec<Arc<Level>>,
}

impl EnvChain {
    /// This chain with `level` inside it.
    pub fn child(&self, level: Level) -> EnvChain {
        let mut levels = self.levels.clone();
        levels.push(Arc::new(level));
        EnvChain { levels }
    }

    /// The value of `name` as a node in these scopes sees it (after its own
    /// `NR_NODE_*` names, see [`NodeEnv`]); `None` is `undefined`.
    pub fn get(&self, name: &str) -> Option<Value> {
        let mut name = name;
        for level in self.levels.iter().rev() {
            if let Some(v) = level.own(name) {
                return v;
            }
            if let Some(rest) = name.strip_prefix(crate::context::PARENT_PREFIX) {
                name = rest;
                continue;
            }
            if let Some(v) = level.var(name) {
                return v;
            }
        }
        crate::env::var(name).map(Value::String)
    }

    /// [`get`](Self::get) as text, for settings that are strings.
    pub fn get_string(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| js_string(&v))
    }

    /// The innermost scope, while its variables are being evaluated.
    fn last_mut(&mut self) -> &mut Level {
        Arc::make_mut(self.levels.last_mut().expect("a level"))
    }
}

/// A value as JavaScript's `String(v)` writes it (for settings read as text).
pub fn js_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Object(_) => "[object Object]".into(),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::Null => String::new(),
                other => js_string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

/// What one node sees: its chain plus its own `NR_NODE_ID`, `NR_NODE_NAME`
/// and `NR_NODE_PATH` (Node-RED's `RED.util.getSetting(node, name)`).
#[derive(Debug, Clone, Default)]
pub struct NodeEnv {
    pub chain: EnvChain,
    pub id: String,
    pub name: Option<String>,
    /// The node's path: its flow's path (the tab id, or the instance's path
    /// inside subflows) and its id as written in its definition.
    pub path: String,
}

impl NodeEnv {
    /// `env.get(name)`; `None` is `undefined`.
    pub fn get(&self, name: &str) -> Option<Value> {
        match name {
            "NR_NODE_ID" => Some(Value::String(self.id.clone())),
            "NR_NODE_NAME" => self.name.clone().map(Value::String),
            "NR_NODE_PATH" => Some(Value::String(self.path.clone())),
            _ => self.chain.get(name),
        }
    }

    /// [`get`](Self::get) as text.
    pub fn get_string(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| js_string(&v))
    }
}

/// Why an `env` entry could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    #[error("env property \"{name}\" is not valid JSON: {reason}")]
    Json { name: String, reason: String },
    #[error("env property \"{name}\" has type \"{kind}\", which flowgate does not evaluate")]
    Unsupported { name: String, kind: String },
}

/// Evaluate an `env` list (a tab's, group's, subflow instance's or the
/// `global-config` node's) into a scope inside `parent`, as Node-RED's
/// `evaluateEnvProperties` does: `str`, `num`, `bool`, `json`, `cred` (from
/// `credentials`), `date`, then the `env` types, which may name variables of
/// the same list. The subflow UI's inputs save one of these types.
pub fn evaluate(
    parent: &EnvChain,
    kind: LevelKind,
    entries: &[Value],
    credentials: Option<&Map<String, Value>>,
) -> (EnvChain, Vec<EnvError>) {
    let mut chain = parent.child(Level {
        kind,
        vars: Vec::new(),
    });
    let mut errors = Vec::new();
    let mut env_typed = Vec::new();
    for e in entries {
        let Some(name) = e.get("name").and_then(Value::as_str) else {
            continue;
        };
        let value = e.get("value").cloned().unwrap_or(Value::Null);
        let kind = e.get("type").and_then(Value::as_str).unwrap_or("str");
        let evaluated = match kind {
            "env" => {
                env_typed.push((name, value));
                continue;
            }
            "str" => Some(value),
            "num" => Some(js_number(&value)),
            "bool" => Some(Value::Bool(
                value == Value::Bool(true) || value.as_str() == Some("true"),
            )),
            "json" => match &value {
                Value::String(s) => match serde_json::from_str(s) {
                    Ok(v) => Some(v),
                    Err(err) => {
                        errors.push(EnvError::Json {
                            name: name.into(),
                            reason: err.to_string(),
                        });
                        None
                    }
                },
                other => Some(other.clone()),
            },
            "cred" => match credentials.and_then(|c| c.get(name)) {
                Some(v) => Some(v.clone()),
                None => (!value.is_null()).then_some(value),
            },
            "date" => Some(Value::from(chrono_millis())),
            "conf-type" => Some(value),
            other => {
                errors.push(EnvError::Unsupported {
                    name: name.into(),
                    kind: other.into(),
                });
                None
            }
        };
        chain.last_mut().vars.push((name.to_owned(), evaluated));
    }
    for (name, value) in env_typed {
        let text = match &value {
            Value::String(s) => s.clone(),
            other => js_string(other),
        };
        // A variable naming itself means the one of the same name outside.
        let v = if text == name {
            evaluate_env_property(&format!("{}{name}", crate::context::PARENT_PREFIX), &chain)
        } else {
            evaluate_env_property(&text, &chain)
        };
        chain.last_mut().vars.push((name.to_owned(), Some(v)));
    }
    (chain, errors)
}

/// Node-RED's `evaluateEnvProperty`: `${NAME}` or a bare `NAME` is that
/// variable's value, text with `${NAME}` references has them replaced; an
/// unset variable is the empty string.
pub fn evaluate_env_property(value: &str, chain: &EnvChain) -> Value {
    evaluate_env_property_with(value, &|name| chain.get(name))
}

/// [`evaluate_env_property`] with `get` reading a variable (a node's own
/// view, [`NodeEnv::get`], adds its `NR_NODE_*` names); the value keeps its
/// type (`num` variables are numbers) unless it is spliced into text.
pub fn evaluate_env_property_with(value: &str, get: &dyn Fn(&str) -> Option<Value>) -> Value {
    let whole = value
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .filter(|inner| !inner.is_empty() && !inner.contains('}'));
    let has_ref = value.match_indices("${").any(|(i, _)| {
        let rest = &value[i + 2..];
        rest.find('}')
            .is_some_and(|end| end > 0 && !rest[..end].chars().any(char::is_whitespace))
    });
    let name = match whole {
        Some(inner) => inner,
        None if !has_ref => value,
        None => {
            let mut out = String::with_capacity(value.len());
            let mut rest = value;
            while let Some(start) = rest.find("${") {
                let after = &rest[start + 2..];
                match after.find('}') {
                    Some(end) if end > 0 => {
                        out.push_str(&rest[..start]);
                        out.push_str(
                            &get(&after[..end])
                                .map(|v| js_string(&v))
                                .unwrap_or_default(),
                        );
                        rest = &after[end + 1..];
                    }
                    _ => {
                        out.push_str(&rest[..start + 2]);
                        rest = after;
                    }
                }
            }
            out.push_str(rest);
            return Value::String(out);
        }
    };
    get(name).unwrap_or_else(|| Value::String(String::new()))
}

/// JavaScript's `Number(v)` for an env value; NaN (which JSON cannot hold)
/// is `null`, as `JSON.stringify` writes it.
fn js_number(v: &Value) -> Value {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Null => Some(0.0),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                Some(0.0)
            } else if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                i64::from_str_radix(hex, 16).ok().map(|n| n as f64)
            } else if t.ends_with(|c: char| c.is_ascii_digit() || c == '.') || t == "Infinity" {
                t.parse::<f64>().ok()
            } else {
                None
            }
        }
        _ => None,
    };
    match n {
        Some(n) if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 => {
            Value::from(n as i64)
        }
        Some(n) => serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
        None => Value::Null,
    }
}

fn chrono_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tab() -> LevelKind {
        LevelKind::Tab {
            id: "t".into(),
            label: Some("Flow 1".into()),
        }
    }

    #[test]
    fn types_evaluate_and_inner_scopes_win() {
        let (outer, errors) = evaluate(
            &EnvChain::default(),
            tab(),
            &[json!({"name": "A", "value": "tab", "type": "str"})],
            None,
        );
        assert!(errors.is_empty());
        let entries = [
            json!({"name": "N", "value": "42", "type": "num"}),
            json!({"name": "B", "value": "true", "type": "bool"}),
            json!({"name": "J", "value": "{\"k\":[1]}", "type": "json"}),
            json!({"name": "E", "value": "A", "type": "env"}),
            json!({"name": "A", "value": "A", "type": "env"}),
        ];
        let kind = LevelKind::Subflow {
            id: "i".into(),
            name: None,
            path: "t/i".into(),
        };
        let (inner, errors) = evaluate(&outer, kind, &entries, None);
        assert!(errors.is_empty());
        assert_eq!(inner.get("N"), Some(json!(42)));
        assert_eq!(inner.get("B"), Some(json!(true)));
        assert_eq!(inner.get("J"), Some(json!({"k": [1]})));
        assert_eq!(inner.get("E"), Some(json!("tab")));
        assert_eq!(inner.get("A"), Some(json!("tab")));
        assert_eq!(inner.get("NR_FLOW_NAME"), Some(json!("Flow 1")));
        assert_eq!(inner.get("NR_SUBFLOW_PATH"), Some(json!("t/i")));
        assert_eq!(inner.get("$parent.NR_SUBFLOW_ID"), None);
    }

    #[test]
    fn unsupported_types_and_bad_json_are_errors() {
        let (_, errors) = evaluate(
            &EnvChain::default(),
            tab(),
            &[
                json!({"name": "X", "value": "$now()", "type": "jsonata"}),
                json!({"name": "Y", "value": "{", "type": "json"}),
            ],
            None,
        );
        assert_eq!(errors.len(), 2);
    }
}
