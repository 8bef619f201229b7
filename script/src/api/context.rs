//! `context`, `flow` and `global`: Node-RED's context API on the node's,
//! tab's and process's stores, with `get`/`set`/`keys` on nested property
//! paths (`a.b[2]["c d"]`). Writes are buffered in the run's state, and reads
//! see the run's own writes first.

use std::sync::Arc;

use flowgate_runtime::context::path::{parse_path, put, walk, Seg};
use flowgate_runtime::context::{parse_context_store, Store};
use rhai::{Dynamic, EvalAltResult, NativeCallContext};
use serde_json::{Map, Value};

use super::{fail, list_items, ContextWrite, Run, RunState};
use crate::convert::{self, Mode};

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

    /// `get(key)` / `get([k1, k2])` in the store `store` (the default for
    /// `None`; a `#:(store)::` prefix on the key names one too).
    pub fn get(&self, key: &Dynamic, store: Option<&str>) -> Result<Dynamic, Box<EvalAltResult>> {
        let run = self.run.lock();
        let mode = run.mode;
        if let Some(keys) = list_items(key) {
            let mut out = Vec::with_capacity(keys.len());
            for k in &keys {
                out.push(
                    self.get_one(&run, &crate::jslib::ops::to_string(k), store)
                        .map_err(|e| fail(mode, &e))?,
                );
            }
            return Ok(convert::list(out, mode));
        }
        let key = crate::jslib::ops::to_string(key);
        self.get_one(&run, &key, store).map_err(|e| fail(mode, &e))
    }

    /// The scope's view in the store a call names: the explicit argument,
    /// else the key's `#:(store)::` prefix, else the default.
    fn resolve<'k>(&self, key: &'k str, store: Option<&str>) -> (Arc<Store>, &'k str) {
        let (in_key, key) = parse_context_store(key);
        (self.store.in_store(store.or(in_key)), key)
    }

    fn get_one(&self, run: &RunState, key: &str, store: Option<&str>) -> Result<Dynamic, String> {
        let (view, key) = self.resolve(key, store);
        let Some((store, key)) = view.follow(key) else {
            return Ok(convert::undefined());
        };
        let segs = parse_path(key)?;
        let Seg::Key(root) = &segs[0] else {
            unreachable!("parse_path starts with a key")
        };
        let value = run.read(&store, root)?;
        Ok(match value.as_ref().and_then(|v| walk(v, &segs[1..])) {
            Some(v) => convert::from_json(v, run.mode),
            None => convert::undefined(),
        })
    }

    /// `set(key, value)` in the store `store`; `undefined` deletes.
    pub fn set(
        &self,
        key: &Dynamic,
        value: &Dynamic,
        store: Option<&str>,
    ) -> Result<(), Box<EvalAltResult>> {
        let mut run = self.run.lock();
        let mode = run.mode;
        if let Some(keys) = list_items(key) {
            let values = list_items(value).unwrap_or_default();
            for (i, k) in keys.iter().enumerate() {
                let v = values.get(i).cloned().unwrap_or(Dynamic::UNIT);
                self.set_one(&mut run, &crate::jslib::ops::to_string(k), &v, store)
                    .map_err(|e| fail(mode, &e))?;
            }
            return Ok(());
        }
        let key = crate::jslib::ops::to_string(key);
        self.set_one(&mut run, &key, value, store)
            .map_err(|e| fail(mode, &e))
    }

    fn set_one(
        &self,
        run: &mut RunState,
        key: &str,
        value: &Dynamic,
        store: Option<&str>,
    ) -> Result<(), String> {
        let (view, key) = self.resolve(key, store);
        // Node-RED ignores a write up a `$parent` chain that ends.
        let Some((store, key)) = view.follow(key) else {
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
            let mut root_value = run.read(&store, root)?.unwrap_or(Value::Object(Map::new()));
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

    /// `keys()` / `keys(store)`.
    pub fn keys(&self, store: Option<&str>) -> Result<Dynamic, Box<EvalAltResult>> {
        let run = self.run.lock();
        let view = self.store.in_store(store);
        let mut keys = view
            .try_keys()
            .map_err(|e| fail(run.mode, &e.to_string()))?;
        for w in run.writes.iter().filter(|w| Arc::ptr_eq(&w.store, &view)) {
            match (&w.value, keys.iter().position(|k| *k == w.key)) {
                (Some(_), None) => keys.push(w.key.clone()),
                (None, Some(i)) => {
                    keys.remove(i);
                }
                _ => {}
            }
        }
        Ok(convert::list(
            keys.into_iter().map(Dynamic::from).collect(),
            run.mode,
        ))
    }

    /// A JavaScript call of `get`, `set` or `keys` with Node-RED's optional
    /// trailing arguments: a store name, then a callback
    /// (`flow.get("k", "disk", (err, v) => …)`), which is called at once
    /// with `undefined` as its error and the result.
    pub fn call(
        &self,
        ctx: &NativeCallContext,
        name: &str,
        args: &[Dynamic],
    ) -> Option<Result<Dynamic, Box<EvalAltResult>>> {
        let arg = |i: usize| args.get(i).cloned().unwrap_or(Dynamic::UNIT);
        let fixed = match name {
            "get" => 1,
            "set" => 2,
            "keys" => 0,
            _ => return None,
        };
        let (store, callback) = trailing(&args[fixed.min(args.len())..]);
        let store = store.as_deref();
        let result = match name {
            "get" => self.get(&arg(0), store),
            "set" => self.set(&arg(0), &arg(1), store).map(|_| Dynamic::UNIT),
            _ => self.keys(store),
        };
        let Some(cb) = callback else {
            return Some(result);
        };
        Some(result.and_then(|value| {
            // Node-RED's memory store calls back with `undefined` as the
            // error of `get` and `set`, and `null` as that of `keys`.
            let no_error = match (name, run_mode(&self.run)) {
                ("keys", Mode::Js) => crate::jslib::values::null(),
                _ => convert::undefined(),
            };
            let mut cb_args = vec![no_error];
            if name != "set" {
                match list_items(&value).filter(|_| name == "get" && list_items(&arg(0)).is_some())
                {
                    // `get([k1, k2], cb)` calls back with (err, v1, v2).
                    Some(values) => cb_args.extend(values),
                    None => cb_args.push(value),
                }
            }
            crate::jslib::callback::call_function(ctx, &cb, cb_args).map(|_| Dynamic::UNIT)
        }))
    }
}

fn run_mode(run: &Run) -> Mode {
    run.lock().mode
}

/// Node-RED's optional `(store, callback)` after a context call's fixed
/// arguments: a function first is the callback; `undefined` or `null` is no
/// store.
fn trailing(rest: &[Dynamic]) -> (Option<String>, Option<Dynamic>) {
    use crate::jslib::callback::is_callable;
    let mut store = None;
    let mut callback = None;
    for (i, a) in rest.iter().take(2).enumerate() {
        if is_callable(a) {
            callback = Some(a.clone());
            break;
        }
        if i == 0 && !crate::jslib::values::is_nullish(a) && !a.is_unit() {
            store = Some(crate::jslib::ops::to_string(a).to_string());
        }
    }
    (store, callback)
}
