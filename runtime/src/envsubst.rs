//! Node-RED's load-time environment substitution: a string property whose whole
//! value is `${NAME}` (or the older `$(NAME)`) becomes that variable's value.

use serde_json::{Map, Value};

use crate::flow_env::EnvChain;

/// Where variable values come from: a node's scopes (tabs, groups, subflow
/// instances, `global-config`), then the process environment, as Node-RED's
/// `getSetting` looks them up ([`EnvChain`]).
pub trait EnvLookup {
    fn lookup(&self, name: &str) -> Option<Value>;
}

/// The process environment, less the variables hidden from flows
/// ([`crate::env`]).
pub struct ProcessEnv;

impl EnvLookup for ProcessEnv {
    fn lookup(&self, name: &str) -> Option<Value> {
        crate::env::var(name).map(Value::String)
    }
}

impl EnvLookup for EnvChain {
    fn lookup(&self, name: &str) -> Option<Value> {
        self.get(name)
    }
}

/// The variable a whole-string reference names, if `s` is one.
pub fn reference(s: &str) -> Option<&str> {
    let inner = s
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| s.strip_prefix("$(").and_then(|r| r.strip_suffix(')')))?;
    if inner.is_empty() || inner.chars().any(char::is_whitespace) {
        None
    } else {
        Some(inner)
    }
}

/// Replace references in every property of a node (recursively), leaving the
/// structural fields alone. The property takes the variable's value as it is
/// (a `num` variable makes it a number), and a variable that is not set
/// leaves the text as is, which is Node-RED's behaviour.
pub fn substitute_node(raw: &mut Map<String, Value>, env: &dyn EnvLookup) {
    for (key, value) in raw.iter_mut() {
        if matches!(key.as_str(), "id" | "type" | "z" | "wires" | "g") {
            continue;
        }
        substitute_value(value, env);
    }
}

fn substitute_value(value: &mut Value, env: &dyn EnvLookup) {
    match value {
        Value::String(s) => {
            if let Some(v) = reference(s).and_then(|name| env.lookup(name)) {
                *value = v;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute_value(v, env)),
        Value::Object(map) => map.values_mut().for_each(|v| substitute_value(v, env)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_string_references_are_replaced() {
        assert_eq!(reference("${HOME}"), Some("HOME"));
        assert_eq!(reference("$(HOME)"), Some("HOME"));
        assert_eq!(reference("x${HOME}"), None);
        assert_eq!(reference("${A B}"), None);
        assert_eq!(reference("${}"), None);
    }

    #[test]
    fn scoped_vars_win_and_missing_vars_stay() {
        let env = crate::flow_env::EnvChain::default().child(crate::flow_env::Level {
            kind: crate::flow_env::LevelKind::Global,
            vars: vec![("ISSUER".to_string(), Some(Value::from("me")))],
        });
        let mut raw: Map<String, Value> = serde_json::from_str(
            r#"{"id":"${ISSUER}","a":"${ISSUER}","b":["${FLOWGATE_SURELY_UNSET}"],"c":{"d":"$(ISSUER)"}}"#,
        )
        .unwrap();
        substitute_node(&mut raw, &env);
        assert_eq!(raw["id"], "${ISSUER}");
        assert_eq!(raw["a"], "me");
        assert_eq!(raw["b"][0], "${FLOWGATE_SURELY_UNSET}");
        assert_eq!(raw["c"]["d"], "me");
    }
}
