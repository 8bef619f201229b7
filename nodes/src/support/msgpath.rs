//! Node-RED's property expressions (`payload`, `a.b[0].c`, `a["x y"]`,
//! `a[msg.key]`) and get/set/delete on JSON values with the exact rules of
//! `RED.util.getMessageProperty` / `setMessageProperty`, so `change`,
//! `switch`, `debug` and friends read and write the same places Node-RED does.

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

/// Why a property expression is invalid (Node-RED's wording).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid property expression: {0}")]
pub struct PathSyntaxError(pub String);

/// Why a property could not be read or written at run time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// A parent along the path is `undefined`/`null` (JavaScript throws a
    /// TypeError there).
    #[error("Cannot read properties of {parent} (reading '{key}')")]
    MissingParent { parent: &'static str, key: String },
    /// A `[msg.x]` cross-reference is undefined.
    #[error("Invalid expression: undefined reference {0}")]
    UndefinedReference(String),
}

/// One step of a parsed path.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// A property name.
    Key(String),
    /// A numeric step (`[0]` or `.0`): an array index, or the key `"0"` on an object.
    Index(usize),
    /// `[msg.x]`: the value of another message property.
    MsgRef(Box<PropPath>),
}

/// A resolved step, after `[msg.x]` references have been looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Str(String),
    Num(usize),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Str(s) => f.write_str(s),
            Key::Num(n) => write!(f, "{n}"),
        }
    }
}

/// A parsed property expression.
#[derive(Debug, Clone, PartialEq)]
pub struct PropPath {
    pub segments: Vec<Segment>,
    text: String,
}

impl fmt::Display for PropPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn err(msg: impl Into<String>) -> PathSyntaxError {
    PathSyntaxError(msg.into())
}

fn number_or_key(s: &str) -> Segment {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = s.parse::<usize>() {
            return Segment::Index(n);
        }
    }
    Segment::Key(s.to_owned())
}

/// The nested `[msg.x]` reference whose `[` is at `open`: the parsed inner
/// path and the index of its closing `]`. Brackets inside quotes still count,
/// as in Node-RED's scanner.
fn nested_msg_ref(chars: &[char], open: usize) -> Result<(Segment, usize), PathSyntaxError> {
    let mut depth = 1;
    let mut in_local = false;
    let mut local_quote = '"';
    for (j, &cj) in chars.iter().enumerate().skip(open + 1) {
        if cj == '"' || cj == '\'' {
            if in_local {
                if cj == local_quote {
                    in_local = false;
                }
            } else {
                in_local = true;
                local_quote = cj;
            }
        }
        if cj == '[' {
            depth += 1;
        } else if cj == ']' {
            depth -= 1;
        }
        if depth == 0 {
            let text: String = chars[open + 1..j].iter().collect();
            let inner = PropPath::parse_msg(&text).map_err(|_| {
                err(format!(
                    "Invalid expression started at position {}",
                    open + 1
                ))
            })?;
            return Ok((Segment::MsgRef(Box::new(inner)), j));
        }
    }
    Err(err(format!("unmatched '[' at position {open}")))
}

/// After a quoted key closing at `close` (opened at `start`): inside brackets
/// only `]` may follow; outside, only `[`, `.` or the end.
fn check_after_quote(
    chars: &[char],
    close: usize,
    start: usize,
    in_box: bool,
) -> Result<(), PathSyntaxError> {
    let next = chars.get(close + 1).copied();
    if in_box && next != Some(']') {
        Err(err(format!(
            "unexpected array expression at position {start}"
        )))
    } else if !in_box && close + 1 != chars.len() && !matches!(next, Some('[') | Some('.')) {
        Err(err(format!(
            "unexpected {} expression at position {}",
            next.unwrap_or(' '),
            close + 1
        )))
    } else {
        Ok(())
    }
}

impl PropPath {
    /// Parse a message property expression; a leading `msg.` is dropped as
    /// `getMessageProperty` does.
    pub fn parse_msg(expr: &str) -> Result<Self, PathSyntaxError> {
        Self::parse(expr.strip_prefix("msg.").unwrap_or(expr))
    }

    /// Parse an object property expression (`normalisePropertyExpression`).
    pub fn parse(expr: &str) -> Result<Self, PathSyntaxError> {
        let chars: Vec<char> = expr.chars().collect();
        let length = chars.len();
        if length == 0 {
            return Err(err("zero-length"));
        }
        let sub = |a: usize, b: usize| -> String { chars[a..b].iter().collect() };
        let mut parts = Vec::new();
        let mut start = 0usize;
        let mut in_string = false;
        let mut in_box = false;
        let mut quote = '"';
        let mut i = 0usize;
        while i < length {
            let c = chars[i];
            if !in_string {
                if c == '\'' || c == '"' {
                    if i != start {
                        return Err(err(format!("unexpected {c} at position {i}")));
                    }
                    in_string = true;
                    quote = c;
                    start = i + 1;
                } else if c == '.' {
                    if i == 0 {
                        return Err(err("unexpected . at position 0"));
                    }
                    if start != i {
                        parts.push(number_or_key(&sub(start, i)));
                    }
                    if i == length - 1 {
                        return Err(err("unterminated expression"));
                    }
                    let next = chars[i + 1];
                    if !(next.is_ascii_alphanumeric() || next == '$' || next == '_') {
                        return Err(err(format!("unexpected {next} at position {}", i + 1)));
                    }
                    start = i + 1;
                } else if c == '[' {
                    if i == 0 {
                        return Err(err(format!("unexpected {c} at position {i}")));
                    }
                    if start != i {
                        parts.push(Segment::Key(sub(start, i)));
                    }
                    if i == length - 1 {
                        return Err(err("unterminated expression"));
                    }
                    let rest = sub(i + 1, length);
                    if rest.starts_with("msg.") || rest.starts_with("msg[") {
                        let (inner, close) = nested_msg_ref(&chars, i)?;
                        parts.push(inner);
                        in_box = false;
                        i = close + 1;
                        start = close + 1;
                        continue;
                    }
                    let next = chars[i + 1];
                    if !(next == '"' || next == '\'' || next.is_ascii_digit()) {
                        return Err(err(format!("unexpected {next} at position {}", i + 1)));
                    }
                    start = i + 1;
                    in_box = true;
                } else if c == ']' {
                    if !in_box {
                        return Err(err(format!("unexpected {c} at position {i}")));
                    }
                    if start != i {
                        let v = sub(start, i);
                        match number_or_key(&v) {
                            s @ Segment::Index(_) => parts.push(s),
                            _ => {
                                return Err(err(format!(
                                    "unexpected array expression at position {start}"
                                )))
                            }
                        }
                    }
                    start = i + 1;
                    in_box = false;
                } else if c == ' ' {
                    return Err(err(format!("unexpected ' ' at position {i}")));
                }
            } else if c == quote {
                if i == start {
                    return Err(err(format!("zero-length string at position {start}")));
                }
                parts.push(Segment::Key(sub(start, i)));
                check_after_quote(&chars, i, start, in_box)?;
                start = i + 1;
                in_string = false;
            }
            i += 1;
        }
        if in_box || in_string {
            return Err(err("unterminated expression"));
        }
        if start < length {
            parts.push(number_or_key(&sub(start, length)));
        }
        Ok(PropPath {
            segments: parts,
            text: expr.to_owned(),
        })
    }

    /// The first segment when it is a plain name (a context store key).
    pub fn is_single_key(&self) -> bool {
        self.segments.len() == 1 && !matches!(self.segments[0], Segment::MsgRef(_))
    }

    /// Resolve `[msg.x]` references against `msg`.
    pub fn resolve(&self, msg: &Map<String, Value>) -> Result<Vec<Key>, PathError> {
        let mut keys = Vec::with_capacity(self.segments.len());
        for s in &self.segments {
            keys.push(match s {
                Segment::Key(k) => Key::Str(k.clone()),
                Segment::Index(n) => Key::Num(*n),
                Segment::MsgRef(inner) => match inner.get(msg) {
                    Ok(Some(v)) => match v.as_ref() {
                        Value::Number(n) if n.as_u64().is_some() => {
                            Key::Num(n.as_u64().unwrap_or_default() as usize)
                        }
                        Value::String(s) => Key::Str(s.clone()),
                        other => Key::Str(crate::support::js::to_js_string(Some(other))),
                    },
                    _ => return Err(PathError::UndefinedReference(inner.to_string())),
                },
            });
        }
        Ok(keys)
    }

    /// Read the property from a message; `Ok(None)` is JavaScript `undefined`.
    pub fn get<'a>(
        &self,
        msg: &'a Map<String, Value>,
    ) -> Result<Option<Cow<'a, Value>>, PathError> {
        let keys = self.resolve(msg)?;
        get_in_map(msg, &keys)
    }

    /// Write the property (creating missing parents); `false` when a parent is
    /// a primitive and the value cannot be placed (Node-RED's `no-override`).
    pub fn set(&self, msg: &mut Map<String, Value>, value: Value) -> Result<bool, PathError> {
        let keys = self.resolve(msg)?;
        Ok(set_in_map(msg, &keys, Some(value)))
    }

    /// Delete the property (array elements are spliced out).
    pub fn delete(&self, msg: &mut Map<String, Value>) -> Result<bool, PathError> {
        let keys = self.resolve(msg)?;
        Ok(set_in_map(msg, &keys, None))
    }
}

/// An array index from a JavaScript property key (`"0"` indexes, `"01"` does not).
fn array_index(k: &Key) -> Option<usize> {
    match k {
        Key::Num(n) => Some(*n),
        Key::Str(s) => {
            let n: usize = s.parse().ok()?;
            (n.to_string() == *s).then_some(n)
        }
    }
}

fn key_string(k: &Key) -> Cow<'_, str> {
    match k {
        Key::Str(s) => Cow::Borrowed(s),
        Key::Num(n) => Cow::Owned(n.to_string()),
    }
}

/// `value[key]` as JavaScript evaluates it, `None` for `undefined`.
fn child<'a>(value: &'a Value, key: &Key) -> Option<Cow<'a, Value>> {
    match value {
        Value::Object(m) => m.get(key_string(key).as_ref()).map(Cow::Borrowed),
        Value::Array(a) => match array_index(key) {
            Some(i) => a.get(i).map(Cow::Borrowed),
            None if matches!(key, Key::Str(s) if s == "length") => {
                Some(Cow::Owned(Value::from(a.len())))
            }
            None => None,
        },
        Value::String(s) => {
            let units: Vec<u16> = s.encode_utf16().collect();
            match array_index(key) {
                Some(i) => units
                    .get(i)
                    .map(|u| Cow::Owned(Value::String(String::from_utf16_lossy(&[*u])))),
                None if matches!(key, Key::Str(k) if k == "length") => {
                    Some(Cow::Owned(Value::from(units.len())))
                }
                None => None,
            }
        }
        _ => None,
    }
}

fn undefined_parent(parent: Option<&Value>, key: &Key) -> PathError {
    PathError::MissingParent {
        parent: if parent.is_some() {
            "null"
        } else {
            "undefined"
        },
        key: key.to_string(),
    }
}

/// Read along resolved keys from a root object.
pub fn get_in_map<'a>(
    root: &'a Map<String, Value>,
    keys: &[Key],
) -> Result<Option<Cow<'a, Value>>, PathError> {
    let Some((first, rest)) = keys.split_first() else {
        return Ok(None);
    };
    let mut current: Option<Cow<'a, Value>> =
        root.get(key_string(first).as_ref()).map(Cow::Borrowed);
    for k in rest {
        current = match current {
            None => return Err(undefined_parent(None, k)),
            Some(Cow::Borrowed(Value::Null)) | Some(Cow::Owned(Value::Null)) => {
                return Err(undefined_parent(Some(&Value::Null), k))
            }
            Some(Cow::Borrowed(v)) => child(v, k),
            Some(Cow::Owned(v)) => child(&v, k).map(|c| Cow::Owned(c.into_owned())),
        };
    }
    Ok(current)
}

/// Read along resolved keys from any value.
pub fn get_in_value<'a>(
    root: &'a Value,
    keys: &[Key],
) -> Result<Option<Cow<'a, Value>>, PathError> {
    match root {
        Value::Object(m) => get_in_map(m, keys),
        other => {
            let Some((first, rest)) = keys.split_first() else {
                return Ok(Some(Cow::Borrowed(other)));
            };
            let mut current = child(other, first);
            for k in rest {
                current = match current {
                    None => return Err(undefined_parent(None, k)),
                    Some(c) if c.is_null() => return Err(undefined_parent(Some(&Value::Null), k)),
                    Some(Cow::Borrowed(v)) => child(v, k),
                    Some(Cow::Owned(v)) => child(&v, k).map(|c| Cow::Owned(c.into_owned())),
                };
            }
            Ok(current)
        }
    }
}

/// A fresh container for a missing parent: an array when the next key is numeric.
fn container_for(next: &Key) -> Value {
    match next {
        Key::Num(_) => Value::Array(Vec::new()),
        Key::Str(_) => Value::Object(Map::new()),
    }
}

/// `setObjectProperty` on a root object; `None` deletes. Missing parents are
/// created only when setting.
pub fn set_in_map(root: &mut Map<String, Value>, keys: &[Key], value: Option<Value>) -> bool {
    let Some((last, parents)) = keys.split_last() else {
        return false;
    };
    if parents.is_empty() {
        let k = key_string(last);
        match value {
            Some(v) => {
                root.insert(k.into_owned(), v);
            }
            None => {
                root.shift_remove(k.as_ref());
            }
        }
        return true;
    }
    let create = value.is_some();
    let first = key_string(&parents[0]).into_owned();
    if !root.contains_key(&first) {
        if !create {
            return false;
        }
        root.insert(first.clone(), container_for(&keys[1]));
    }
    let mut obj = root.get_mut(&first).expect("just ensured");
    if !(obj.is_object() || obj.is_array()) {
        return false;
    }
    for (i, k) in parents.iter().enumerate().skip(1) {
        let next = &keys[i + 1];
        obj = match obj {
            Value::Object(m) => {
                let ks = key_string(k).into_owned();
                if !m.contains_key(&ks) {
                    if !create {
                        return false;
                    }
                    m.insert(ks.clone(), container_for(next));
                }
                let c = m.get_mut(&ks).expect("just ensured");
                if !(c.is_object() || c.is_array()) {
                    return false;
                }
                c
            }
            Value::Array(a) => {
                let Some(idx) = array_index(k) else {
                    // A named property on an array is invisible in JSON.
                    return false;
                };
                if a.get(idx).is_none() {
                    if !create {
                        return false;
                    }
                    if a.len() <= idx {
                        a.resize(idx + 1, Value::Null);
                    }
                    a[idx] = container_for(next);
                } else if a[idx].is_null() {
                    return false;
                }
                let c = &mut a[idx];
                if !(c.is_object() || c.is_array()) {
                    return false;
                }
                c
            }
            _ => return false,
        };
    }
    match (obj, value) {
        (Value::Object(m), Some(v)) => {
            m.insert(key_string(last).into_owned(), v);
            true
        }
        (Value::Object(m), None) => {
            m.shift_remove(key_string(last).as_ref());
            true
        }
        (Value::Array(a), Some(v)) => match array_index(last) {
            Some(idx) => {
                if a.len() <= idx {
                    a.resize(idx + 1, Value::Null);
                }
                a[idx] = v;
                true
            }
            None => true,
        },
        (Value::Array(a), None) => {
            if let Some(idx) = array_index(last) {
                if idx < a.len() {
                    a.remove(idx);
                }
            }
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(p: &str) -> Vec<Segment> {
        PropPath::parse(p).unwrap().segments
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn parses_dots_brackets_and_quotes() {
        assert_eq!(
            keys("a.b[0].c"),
            vec![
                Segment::Key("a".into()),
                Segment::Key("b".into()),
                Segment::Index(0),
                Segment::Key("c".into())
            ]
        );
        assert_eq!(
            keys(r#"a["x y"]"#),
            vec![Segment::Key("a".into()), Segment::Key("x y".into())]
        );
        assert_eq!(
            keys("a['b.c'].d"),
            vec![
                Segment::Key("a".into()),
                Segment::Key("b.c".into()),
                Segment::Key("d".into())
            ]
        );
        assert_eq!(
            keys("a.0"),
            vec![Segment::Key("a".into()), Segment::Index(0)]
        );
        assert_eq!(
            PropPath::parse_msg("msg.payload").unwrap().segments,
            keys("payload")
        );
    }

    #[test]
    fn rejects_what_node_red_rejects() {
        for bad in [
            "", ".a", "a.", "a..b", "a[", "a[b]", "a b", "a[\"\"]", "[0]", "a]", "a[\"b\"c",
        ] {
            assert!(PropPath::parse(bad).is_err(), "{bad:?} should be invalid");
        }
        assert_eq!(
            PropPath::parse("a b").unwrap_err().to_string(),
            "Invalid property expression: unexpected ' ' at position 1"
        );
    }

    #[test]
    fn get_follows_javascript() {
        let m = obj(json!({"a": {"b": [10, {"c": "x"}]}, "s": "héllo", "n": null}));
        let get = |p: &str| {
            PropPath::parse(p)
                .unwrap()
                .get(&m)
                .map(|o| o.map(Cow::into_owned))
        };
        assert_eq!(get("a.b[1].c"), Ok(Some(json!("x"))));
        assert_eq!(get("a.b.length"), Ok(Some(json!(2))));
        assert_eq!(get("s.length"), Ok(Some(json!(5))));
        assert_eq!(get("s[1]"), Ok(Some(json!("é"))));
        assert_eq!(get("a.missing"), Ok(None));
        assert!(get("a.missing.deeper").is_err());
        assert!(get("n.x").is_err());
        assert_eq!(get(r#"a["b"]["0"]"#), Ok(Some(json!(10))));
    }

    #[test]
    fn msg_references_are_resolved() {
        let m = obj(json!({"k": "b", "i": 1, "a": {"b": [1, 2]}}));
        let p = PropPath::parse("a[msg.k][msg.i]").unwrap();
        assert_eq!(p.get(&m).unwrap().unwrap().into_owned(), json!(2));
        let p = PropPath::parse("a[msg.nope]").unwrap();
        assert!(p.get(&m).is_err());
    }

    #[test]
    fn set_creates_parents_by_key_kind() {
        let mut m = Map::new();
        let p = PropPath::parse("a.b[2].c").unwrap();
        assert_eq!(p.set(&mut m, json!(1)), Ok(true));
        assert_eq!(
            Value::Object(m),
            json!({"a": {"b": [null, null, {"c": 1}]}})
        );
    }

    #[test]
    fn set_below_a_primitive_fails() {
        let mut m = obj(json!({"a": 5}));
        assert_eq!(
            PropPath::parse("a.b").unwrap().set(&mut m, json!(1)),
            Ok(false)
        );
        assert_eq!(Value::Object(m), json!({"a": 5}));
    }

    #[test]
    fn delete_removes_keys_and_splices_arrays() {
        let mut m = obj(json!({"a": {"b": 1, "c": 2}, "l": [1, 2, 3]}));
        PropPath::parse("a.b").unwrap().delete(&mut m).unwrap();
        PropPath::parse("l[1]").unwrap().delete(&mut m).unwrap();
        assert_eq!(
            PropPath::parse("x.y").unwrap().delete(&mut m),
            Ok(false),
            "missing parents are not created by a delete"
        );
        assert_eq!(Value::Object(m), json!({"a": {"c": 2}, "l": [1, 3]}));
    }
}
