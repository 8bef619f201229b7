//! `context`, `flow` and `global`: Node-RED's context API on the node's,
//! tab's and process's stores, with `get`/`set`/`keys` on nested property
//! paths (`a.b[2]["c d"]`). Writes are buffered in the run's state, and reads
//! see the run's own writes first.

use std::sync::Arc;

use flowgate_runtime::context::Store;
use rhai::{Dynamic, EvalAltResult};
use serde_json::{Map, Value};

use super::{fail, list_items, ContextWrite, Run, RunState};
use crate::convert;

/// One context path segment.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `a.b[0]["c"]` → segments; the first is the store key.
fn parse_path(path: &str) -> Result<Vec<Seg>, String> {
    let invalid = || format!("Invalid property expression: {path}");
    let mut segs = Vec::new();
    let mut rest = path;
    let mut cur = String::new();
    while let Some(c) = rest.chars().next() {
        match c {
            '.' => {
                if cur.is_empty() && segs.is_empty() {
                    return Err(invalid());
                }
                if !cur.is_empty() {
                    segs.push(Seg::Key(std::mem::take(&mut cur)));
                }
                rest = &rest[1..];
                if rest.is_empty() || rest.starts_with('.') {
                    return Err(invalid());
                }
            }
            '[' => {
                if !cur.is_empty() {
                    segs.push(Seg::Key(std::mem::take(&mut cur)));
                }
                let close = rest.find(']').ok_or_else(invalid)?;
                let inner = rest[1..close].trim();
                let seg = if let Some(q) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"'))
                {
                    Seg::Key(q.to_owned())
                } else if let Some(q) = inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\''))
                {
                    Seg::Key(q.to_owned())
                } else {
                    Seg::Index(inner.parse().map_err(|_| invalid())?)
                };
                segs.push(seg);
                rest = &rest[close + 1..];
            }
            _ => {
                cur.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if !cur.is_empty() {
        segs.push(Seg::Key(cur));
    }
    match segs.first() {
        Some(Seg::Key(_)) => Ok(segs),
        _ => Err(invalid()),
    }
}

fn walk<'v>(mut v: &'v Value, segs: &[Seg]) -> Option<&'v Value> {
    for s in segs {
        v = match (s, v) {
            (Seg::Key(k), Value::Object(o)) => o.get(k)?,
            (Seg::Index(i), Value::Array(a)) => a.get(*i)?,
            (Seg::Index(i), Value::Object(o)) => o.get(&i.to_string())?,
            (Seg::Key(k), Value::Array(a)) => a.get(k.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

fn put(root: &mut Value, segs: &[Seg], value: Option<Value>) {
    let Some((first, rest)) = segs.split_first() else {
        return;
    };
    if rest.is_empty() {
        match (first, root) {
            (Seg::Index(n), Value::Array(a)) => match value {
                Some(v) => {
                    if a.len() <= *n {
                        a.resize(*n + 1, Value::Null);
                    }
                    a[*n] = v;
                }
                None => {
                    if *n < a.len() {
                        a[*n] = Value::Null;
                    }
                }
            },
            (seg, root) => {
                if !root.is_object() {
                    *root = Value::Object(Map::new());
                }
                let o = root.as_object_mut().expect("object");
                let key = seg_key(seg);
                match value {
                    Some(v) => {
                        o.insert(key, v);
                    }
                    None => {
                        o.shift_remove(&key);
                    }
                }
            }
        }
        return;
    }
    let child_default = || match rest[0] {
        Seg::Index(_) => Value::Array(Vec::new()),
        Seg::Key(_) => Value::Object(Map::new()),
    };
    let child = match (first, &mut *root) {
        (Seg::Index(n), Value::Array(a)) => {
            if a.len() <= *n {
                a.resize(*n + 1, Value::Null);
            }
            &mut a[*n]
        }
        (seg, root) => {
            if !root.is_object() {
                *root = Value::Object(Map::new());
            }
            root.as_object_mut()
                .expect("object")
                .entry(seg_key(seg))
                .or_insert_with(child_default)
        }
    };
    if !matches!(child, Value::Object(_) | Value::Array(_)) {
        *child = child_default();
    }
    put(child, rest, value);
}

fn seg_key(s: &Seg) -> String {
    match s {
        Seg::Key(k) => k.clone(),
        Seg::Index(n) => n.to_string(),
    }
}

/// `context`, `flow` or `global` in a script.
#[derive(Clone)]
pub struct ContextApi {
    pub store: Arc<Store>,
    pub run: Run,
    /// For `context.flow` / `context.global`: the other two stores.
    pub flow: Option<Arc<Store>>,
    pub global: Option<Arc<Store>>,
    /// Properties a body put on this object (see [`super::Sandbox`]); the
    /// stores reached through `context.flow`/`context.global` have none.
    pub props: Option<crate::jslib::values::JsObject>,
}

impl ContextApi {
    pub fn same_store(&self, other: &ContextApi) -> bool {
        Arc::ptr_eq(&self.store, &other.store)
    }

    fn sub(&self, store: &Option<Arc<Store>>) -> Option<ContextApi> {
        store.as_ref().map(|s| ContextApi {
            store: s.clone(),
            run: self.run.clone(),
            flow: None,
            global: None,
            props: None,
        })
    }

    /// `context.flow` (only on the node context).
    pub fn flow_api(&self) -> Option<ContextApi> {
        self.sub(&self.flow)
    }

    /// `context.global` (only on the node context).
    pub fn global_api(&self) -> Option<ContextApi> {
        self.sub(&self.global)
    }

    /// `get(key)` / `get([k1, k2])`.
    pub fn get(&self, key: &Dynamic) -> Result<Dynamic, Box<EvalAltResult>> {
        let run = self.run.lock();
        let mode = run.mode;
        if let Some(keys) = list_items(key) {
            let mut out = Vec::with_capacity(keys.len());
            for k in &keys {
                out.push(
                    self.get_one(&run, &crate::jslib::ops::to_string(k))
                        .map_err(|e| fail(mode, &e))?,
                );
            }
            return Ok(convert::list(out, mode));
        }
        let key = crate::jslib::ops::to_string(key);
        self.get_one(&run, &key).map_err(|e| fail(mode, &e))
    }

    fn get_one(&self, run: &RunState, key: &str) -> Result<Dynamic, String> {
        let Some((store, key)) = self.store.follow(key) else {
            return Ok(convert::undefined());
        };
        let segs = parse_path(key)?;
        let Seg::Key(root) = &segs[0] else {
            unreachable!("parse_path starts with a key")
        };
        let value = run.read(&store, root);
        Ok(match value.as_ref().and_then(|v| walk(v, &segs[1..])) {
            Some(v) => convert::from_json(v, run.mode),
            None => convert::undefined(),
        })
    }

    /// `set(key, value)`; `undefined` deletes.
    pub fn set(&self, key: &Dynamic, value: &Dynamic) -> Result<(), Box<EvalAltResult>> {
        let mut run = self.run.lock();
        let mode = run.mode;
        if let Some(keys) = list_items(key) {
            let values = list_items(value).unwrap_or_default();
            for (i, k) in keys.iter().enumerate() {
                let v = values.get(i).cloned().unwrap_or(Dynamic::UNIT);
                self.set_one(&mut run, &crate::jslib::ops::to_string(k), &v)
                    .map_err(|e| fail(mode, &e))?;
            }
            return Ok(());
        }
        let key = crate::jslib::ops::to_string(key);
        self.set_one(&mut run, &key, value)
            .map_err(|e| fail(mode, &e))
    }

    fn set_one(&self, run: &mut RunState, key: &str, value: &Dynamic) -> Result<(), String> {
        // Node-RED ignores a write up a `$parent` chain that ends.
        let Some((store, key)) = self.store.follow(key) else {
            return Ok(());
        };
        let segs = parse_path(key)?;
        let Seg::Key(root) = &segs[0] else {
            unreachable!("parse_path starts with a key")
        };
        let json = convert::to_json(value, run.mode, None).map_err(|e| e.to_string())?;
        let new_root = if segs.len() == 1 {
            json
        } else {
            let mut root_value = run.read(&store, root).unwrap_or(Value::Object(Map::new()));
            put(&mut root_value, &segs[1..], json);
            Some(root_value)
        };
        run.writes.push(ContextWrite {
            store,
            key: root.clone(),
            value: new_root,
        });
        Ok(())
    }

    /// `keys()`.
    pub fn keys(&self) -> Dynamic {
        let run = self.run.lock();
        let mut keys = self.store.keys();
        for w in run
            .writes
            .iter()
            .filter(|w| Arc::ptr_eq(&w.store, &self.store))
        {
            match (&w.value, keys.iter().position(|k| *k == w.key)) {
                (Some(_), None) => keys.push(w.key.clone()),
                (None, Some(i)) => {
                    keys.remove(i);
                }
                _ => {}
            }
        }
        convert::list(keys.into_iter().map(Dynamic::from).collect(), run.mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn context_paths() {
        assert_eq!(parse_path("a").unwrap(), vec![Seg::Key("a".into())]);
        assert_eq!(
            parse_path("a.b[2][\"c d\"]").unwrap(),
            vec![
                Seg::Key("a".into()),
                Seg::Key("b".into()),
                Seg::Index(2),
                Seg::Key("c d".into())
            ]
        );
        assert!(parse_path("[1]").is_err());
        assert!(parse_path("a..b").is_err());
        let mut v = json!({});
        put(
            &mut v,
            &[Seg::Key("x".into()), Seg::Index(1)],
            Some(json!(5)),
        );
        assert_eq!(v, json!({"x": [null, 5]}));
    }
}
