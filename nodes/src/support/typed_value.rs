//! Node-RED's typed inputs (`RED.util.evaluateNodeProperty`): a value and its
//! type (`str`, `num`, `bool`, `json`, `date`, `msg`, `flow`, `global`, `env`,
//! `bin`, `jsonata`) as the editor saves them, checked once at load and
//! evaluated per message.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Local, SecondsFormat, Timelike, Utc};
use flowgate_runtime::context::Store;
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::registry::BuildCx;
use flowgate_runtime::request::buffer_value;
use flowgate_runtime::Problem;
use serde_json::{Map, Value};

use crate::support::js;
use crate::support::jsonata::{EvalError, Expression};
use crate::support::msgpath::{self, Key, PathError, PropPath};

/// The context stores a node reads and writes (`flow`, `global`).
#[derive(Clone)]
pub struct Contexts {
    pub flow: Arc<Store>,
    pub global: Arc<Store>,
}

impl Contexts {
    pub fn from_cx(cx: &BuildCx<'_>) -> Self {
        Contexts {
            flow: cx.flow_context(),
            global: cx.global_context(),
        }
    }

    /// The store for `flow` or `global`.
    pub fn store(&self, kind: ContextKind) -> &Arc<Store> {
        match kind {
            ContextKind::Flow => &self.flow,
            ContextKind::Global => &self.global,
        }
    }
}

/// Which context store a typed value addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextKind {
    Flow,
    Global,
}

/// A context key as the editor writes it: `#:(store)::a.b[0]` or `a.b[0]`.
/// A store that is not configured is the default store, with a warning, as
/// in Node-RED.
#[derive(Debug, Clone)]
pub struct ContextPath {
    pub path: PropPath,
    /// The named store (`#:(store)::`); `None` is the default store.
    pub store: Option<String>,
    /// How many `$parent.` prefixes the key had: which flow context up the
    /// subflow nesting it addresses.
    pub parents: usize,
}

impl ContextPath {
    pub fn parse(key: &str) -> Result<Self, msgpath::PathSyntaxError> {
        let (store, key) = flowgate_runtime::context::parse_context_store(key);
        let (parents, key) = Store::split_parent(key);
        Ok(ContextPath {
            path: PropPath::parse(key)?,
            store: store.map(str::to_owned),
            parents,
        })
    }

    /// The same path in the store `name` (`flow[store].key` in a template).
    pub fn with_store(mut self, name: Option<&str>) -> Self {
        if let Some(n) = name {
            self.store = Some(n.to_owned());
        }
        self
    }

    /// `context.get(key)`: `Ok(None)` when undefined.
    pub fn get(
        &self,
        store: &Arc<Store>,
        msg: &Map<String, Value>,
    ) -> Result<Option<Value>, PathError> {
        let Some(store) = store.in_store(self.store.as_deref()).ancestor(self.parents) else {
            return Ok(None);
        };
        let keys = self.path.resolve(msg)?;
        let Some((first, rest)) = keys.split_first() else {
            return Ok(None);
        };
        let Some(top) = store.get(&first.to_string()) else {
            if rest.is_empty() {
                return Ok(None);
            }
            return Err(PathError::MissingParent {
                parent: "undefined",
                key: rest[0].to_string(),
            });
        };
        if rest.is_empty() {
            return Ok(Some(top));
        }
        Ok(msgpath::get_in_value(&top, rest)?.map(|c| c.into_owned()))
    }

    /// `context.set(key, value)`; `None` deletes.
    pub fn set(
        &self,
        store: &Arc<Store>,
        msg: &Map<String, Value>,
        value: Option<Value>,
    ) -> Result<(), PathError> {
        let keys = self.path.resolve(msg)?;
        // Node-RED ignores a write up a `$parent` chain that ends.
        if let Some(store) = store.in_store(self.store.as_deref()).ancestor(self.parents) {
            set_context(&store, &keys, value);
        }
        Ok(())
    }
}

/// Set a (possibly nested) key in a store under the store's lock.
pub fn set_context(store: &Store, keys: &[Key], value: Option<Value>) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    let top = first.to_string();
    if rest.is_empty() {
        store.set(&top, value);
        return;
    }
    let created = store.update(&top, |slot| {
        let mut root = Map::new();
        let existed = slot.is_some();
        if let Some(v) = slot.as_deref() {
            root.insert(top.clone(), v.clone());
        }
        msgpath::set_in_map(&mut root, keys, value);
        let updated = root.shift_remove(&top);
        match (slot, updated) {
            (Some(s), Some(v)) => {
                *s = v;
                None
            }
            (None, Some(v)) if !existed => Some(v),
            _ => None,
        }
    });
    if let Some(v) = created.flatten() {
        store.set(&top, Some(v));
    }
}

/// How a `date` typed value is formatted.
#[derive(Debug, Clone, PartialEq)]
pub enum DateFormat {
    /// Milliseconds since the epoch (the default).
    Millis,
    /// ISO 8601 in UTC, as `Date.toISOString`.
    Iso,
    /// A `Date` object, which JSON renders as its ISO string.
    Object,
    /// A moment.js format string.
    Custom(String),
}

/// A typed input, checked at load.
#[derive(Debug, Clone)]
pub enum TypedValue {
    /// `str`, `num`, `bool`, `json`, `bin` and `env` (resolved at load).
    Const(Value),
    /// `date`.
    Date(DateFormat),
    /// `msg`: another message property.
    Msg(PropPath),
    /// `flow` / `global`: a context value.
    Context(ContextKind, ContextPath),
    /// `jsonata`: an expression over the message, checked at load.
    Jsonata(Arc<Expression>),
}

/// Why a typed value could not be evaluated for a message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    /// A property path that does not resolve (nodes treat it as `undefined`).
    #[error(transparent)]
    Path(#[from] PathError),
    /// A JSONata evaluation error: the node reports it, as Node-RED does.
    #[error(transparent)]
    Jsonata(#[from] EvalError),
}

/// The raw `v` of a typed input as text (the editor saves strings, but flows
/// written by hand often hold numbers or booleans).
pub fn raw_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => js::to_js_string(Some(other)),
    }
}

impl TypedValue {
    /// Check and prepare a typed input of node `node`, reporting problems
    /// against `field`.
    pub fn build(
        node: &NodeConfig,
        cx: &BuildCx<'_>,
        field: &str,
        value: Option<&Value>,
        vtype: &str,
    ) -> Result<Self, Problem> {
        Self::prepare(value, vtype, &|name| evaluate_env(name, node, cx))
            .map_err(|m| node.problem(Some(field), m))
    }

    /// Prepare a typed value given at run time (the editor's inject button
    /// sends its own properties); `env` reads the process environment as
    /// flows see it (`flowgate_runtime::env`).
    pub fn runtime(value: Option<&Value>, vtype: &str) -> Result<Self, String> {
        Self::prepare(value, vtype, &|name| {
            Value::String(
                flowgate_runtime::env::var(name.trim_start_matches("${").trim_end_matches('}'))
                    .unwrap_or_default(),
            )
        })
    }

    fn prepare(
        value: Option<&Value>,
        vtype: &str,
        env: &dyn Fn(&str) -> Value,
    ) -> Result<Self, String> {
        let text = raw_text(value);
        Ok(match vtype {
            "" | "str" => TypedValue::Const(Value::String(text)),
            "num" => TypedValue::Const(match value {
                Some(Value::Number(n)) => Value::Number(n.clone()),
                _ => js::number(flowgate_script::jslib::number::parse_number(&text)),
            }),
            "bool" => TypedValue::Const(match value {
                Some(Value::Bool(b)) => Value::Bool(*b),
                _ => Value::Bool(text.eq_ignore_ascii_case("true")),
            }),
            "json" => match value {
                Some(Value::String(s)) => TypedValue::Const(
                    serde_json::from_str(s).map_err(|e| format!("invalid JSON: {e}"))?,
                ),
                Some(other) => TypedValue::Const(other.clone()),
                None => return Err("invalid JSON: empty value".into()),
            },
            "bin" => {
                let data: Value = match value {
                    Some(Value::String(s)) => {
                        serde_json::from_str(s).map_err(|e| format!("invalid buffer JSON: {e}"))?
                    }
                    Some(other) => other.clone(),
                    None => Value::Array(Vec::new()),
                };
                TypedValue::Const(buffer_from(&data).ok_or_else(|| {
                    "buffer data must be a JSON array of bytes or a string".to_owned()
                })?)
            }
            "date" => TypedValue::Date(match text.as_str() {
                "" => DateFormat::Millis,
                "iso" => DateFormat::Iso,
                "object" => DateFormat::Object,
                other => DateFormat::Custom(other.to_owned()),
            }),
            "msg" => TypedValue::Msg(PropPath::parse_msg(&text).map_err(|e| e.to_string())?),
            "flow" | "global" => TypedValue::Context(
                if vtype == "flow" {
                    ContextKind::Flow
                } else {
                    ContextKind::Global
                },
                ContextPath::parse(&text).map_err(|e| e.to_string())?,
            ),
            "env" => TypedValue::Const(env(&text)),
            "jsonata" => TypedValue::Jsonata(Arc::new(
                Expression::compile(&text, env).map_err(|e| e.to_string())?,
            )),
            // Node-RED's `evaluateNodeProperty` gives the value as written
            // for a type it does not know (its own examples write `string`).
            _ => TypedValue::Const(value.cloned().unwrap_or(Value::String(text))),
        })
    }

    /// The value for one message; `Ok(None)` is `undefined`.
    pub fn evaluate(
        &self,
        msg: &Map<String, Value>,
        contexts: &Contexts,
    ) -> Result<Option<Value>, ValueError> {
        match self {
            TypedValue::Const(v) => Ok(Some(v.clone())),
            TypedValue::Date(f) => Ok(Some(format_date(f, Utc::now()))),
            TypedValue::Msg(p) => Ok(p.get(msg)?.map(|c| c.into_owned())),
            TypedValue::Context(kind, key) => Ok(key.get(contexts.store(*kind), msg)?),
            TypedValue::Jsonata(e) => Ok(e.evaluate(msg, contexts, &[])?),
        }
    }

    /// The value as `change` and `switch` read it: a path or context key
    /// that does not resolve is `undefined`; a JSONata error is the node's
    /// error (Node-RED's `Invalid JSONata expression: …`).
    pub fn evaluate_lenient(
        &self,
        msg: &Map<String, Value>,
        contexts: &Contexts,
    ) -> Result<Option<Value>, String> {
        match self.evaluate(msg, contexts) {
            Ok(v) => Ok(v),
            Err(ValueError::Jsonata(e)) => Err(e.to_string()),
            Err(ValueError::Path(_)) => Ok(None),
        }
    }
}

/// `Buffer.from(JSON.parse(v))` as Node-RED's JSON Buffer form.
pub fn buffer_from(data: &Value) -> Option<Value> {
    match data {
        Value::String(s) => Some(buffer_value(s.as_bytes())),
        Value::Array(items) => {
            let bytes: Vec<u8> = items
                .iter()
                .map(|i| (js::to_number(Some(i)) as i64 & 0xff) as u8)
                .collect();
            Some(buffer_value(&bytes))
        }
        _ => None,
    }
}

/// `evaluateEnvProperty`: `${NAME}`, a bare `NAME`, or text with `${NAME}`
/// references, as node `_node` sees them; an unset variable is the empty
/// string, and a typed variable keeps its type (`num`, `bool`, `json`).
pub fn evaluate_env(value: &str, _node: &NodeConfig, cx: &BuildCx<'_>) -> Value {
    flowgate_runtime::flow_env::evaluate_env_property_with(value, &|name| cx.setting(name))
}

/// The value of a `date` typed input at `now`.
pub fn format_date(format: &DateFormat, now: DateTime<Utc>) -> Value {
    match format {
        DateFormat::Millis => Value::from(now.timestamp_millis()),
        DateFormat::Iso | DateFormat::Object => {
            Value::String(now.to_rfc3339_opts(SecondsFormat::Millis, true))
        }
        DateFormat::Custom(f) => Value::String(moment_format(f, &now.with_timezone(&Local))),
    }
}

/// The subset of moment.js's `format()` tokens people use in inject/change
/// date values. Text in `[brackets]` is literal.
pub fn moment_format<Tz: chrono::TimeZone>(fmt: &str, t: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const DAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    const TOKENS: [&str; 34] = [
        "YYYY", "YY", "MMMM", "MMM", "MM", "Mo", "M", "DDDD", "DDD", "DD", "Do", "D", "dddd",
        "ddd", "dd", "d", "HH", "H", "hh", "h", "kk", "k", "mm", "m", "ss", "s", "SSS", "SS", "S",
        "A", "a", "ZZ", "Z", "X",
    ];
    let ordinal = |n: u32| {
        let suffix = match (n % 10, n % 100) {
            (_, 11..=13) => "th",
            (1, _) => "st",
            (2, _) => "nd",
            (3, _) => "rd",
            _ => "th",
        };
        format!("{n}{suffix}")
    };
    let offset = t.offset().to_string();
    let offset = if offset == "Z" || offset == "UTC" {
        "+00:00".to_owned()
    } else {
        offset
    };
    let mut out = String::new();
    let mut rest = fmt;
    'outer: while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            if let Some(end) = r.find(']') {
                out.push_str(&r[..end]);
                rest = &r[end + 1..];
                continue;
            }
        }
        if rest.starts_with('x') {
            out.push_str(&t.timestamp_millis().to_string());
            rest = &rest[1..];
            continue;
        }
        for tok in TOKENS {
            if let Some(r) = rest.strip_prefix(tok) {
                let h12 = match t.hour() % 12 {
                    0 => 12,
                    h => h,
                };
                let s = match tok {
                    "YYYY" => format!("{:04}", t.year()),
                    "YY" => format!("{:02}", t.year() % 100),
                    "MMMM" => MONTHS[t.month0() as usize].to_owned(),
                    "MMM" => MONTHS[t.month0() as usize][..3].to_owned(),
                    "MM" => format!("{:02}", t.month()),
                    "Mo" => ordinal(t.month()),
                    "M" => t.month().to_string(),
                    "DDDD" => format!("{:03}", t.ordinal()),
                    "DDD" => t.ordinal().to_string(),
                    "DD" => format!("{:02}", t.day()),
                    "Do" => ordinal(t.day()),
                    "D" => t.day().to_string(),
                    "dddd" => DAYS[t.weekday().num_days_from_sunday() as usize].to_owned(),
                    "ddd" => DAYS[t.weekday().num_days_from_sunday() as usize][..3].to_owned(),
                    "dd" => DAYS[t.weekday().num_days_from_sunday() as usize][..2].to_owned(),
                    "d" => t.weekday().num_days_from_sunday().to_string(),
                    "HH" => format!("{:02}", t.hour()),
                    "H" => t.hour().to_string(),
                    "hh" => format!("{h12:02}"),
                    "h" => h12.to_string(),
                    "kk" => format!("{:02}", if t.hour() == 0 { 24 } else { t.hour() }),
                    "k" => (if t.hour() == 0 { 24 } else { t.hour() }).to_string(),
                    "mm" => format!("{:02}", t.minute()),
                    "m" => t.minute().to_string(),
                    "ss" => format!("{:02}", t.second()),
                    "s" => t.second().to_string(),
                    "SSS" => format!("{:03}", t.timestamp_subsec_millis()),
                    "SS" => format!("{:02}", t.timestamp_subsec_millis() / 10),
                    "S" => (t.timestamp_subsec_millis() / 100).to_string(),
                    "A" => (if t.hour() < 12 { "AM" } else { "PM" }).to_owned(),
                    "a" => (if t.hour() < 12 { "am" } else { "pm" }).to_owned(),
                    "ZZ" => offset.replace(':', ""),
                    "Z" => offset.clone(),
                    "X" => t.timestamp().to_string(),
                    _ => unreachable!("token list"),
                };
                out.push_str(&s);
                rest = r;
                continue 'outer;
            }
        }
        let c = rest.chars().next().expect("non-empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn moment_tokens() {
        let t = Utc.with_ymd_and_hms(2024, 3, 5, 14, 7, 9).unwrap();
        assert_eq!(
            moment_format("YYYY-MM-DD HH:mm:ss", &t),
            "2024-03-05 14:07:09"
        );
        assert_eq!(
            moment_format("D/M/YY h:mm A [at] dddd", &t),
            "5/3/24 2:07 PM at Tuesday"
        );
        assert_eq!(moment_format("Do MMM", &t), "5th Mar");
        assert_eq!(moment_format("Z", &t), "+00:00");
    }

    #[test]
    fn date_formats() {
        let t = Utc.with_ymd_and_hms(2024, 3, 5, 14, 7, 9).unwrap();
        assert_eq!(format_date(&DateFormat::Millis, t), json!(1709647629000i64));
        assert_eq!(
            format_date(&DateFormat::Iso, t),
            json!("2024-03-05T14:07:09.000Z")
        );
    }

    #[test]
    fn context_paths_set_and_get_nested() {
        let store = Arc::new(Store::default());
        let msg = Map::new();
        let p = ContextPath::parse("#:(memory)::a.b[1]").unwrap();
        p.set(&store, &msg, Some(json!(5))).unwrap();
        assert_eq!(store.get("a"), Some(json!({"b": [null, 5]})));
        assert_eq!(p.get(&store, &msg).unwrap(), Some(json!(5)));
        let top = ContextPath::parse("a").unwrap();
        top.set(&store, &msg, None).unwrap();
        assert_eq!(store.get("a"), None);
        assert!(p.get(&store, &msg).is_err());
    }

    #[test]
    fn buffers_from_arrays_and_strings() {
        assert_eq!(
            buffer_from(&json!([1, 256, "2"])),
            Some(json!({"type": "Buffer", "data": [1, 0, 2]}))
        );
        assert_eq!(
            buffer_from(&json!("hi")),
            Some(json!({"type": "Buffer", "data": [104, 105]}))
        );
        assert_eq!(buffer_from(&json!({})), None);
    }
}
