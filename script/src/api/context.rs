//! `context`, `flow` and `global`: Node-RED's context API on the node's,
//! tab's and process's stores, with `get`/`set`/`keys` on nested property
//! paths (`a.b[2]["c d"]`). Writes are buffered in the run's state, and reads
//! see the run's own writes first.
//!
//! In JavaScript bodies an object or array read or set is the script's own
//! value for the rest of the run ([`Live`]): Node-RED's stores keep the
//! object itself, so `flow.get("list").push(x)` without a `set` changes the
//! stored list, and two reads of a key are the same object. The value is
//! written back when the run ends, if it changed.

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
        let mut run = self.run.lock();
        let mode = run.mode;
        if let Some(keys) = list_items(key) {
            let mut out = Vec::with_capacity(keys.len());
            for k in &keys {
                out.push(
                    self.get_one(&mut run, &crate::jslib::ops::to_string(k), store)
                        .map_err(|e| fail(mode, &e))?,
                );
            }
            return Ok(convert::list(out, mode));
        }
        let key = crate::jslib::ops::to_string(key);
        self.get_one(&mut run, &key, store)
            .map_err(|e| fail(mode, &e))
    }

    /// The scope's view in the store a call names: the explicit argument,
    /// else the key's `#:(store)::` prefix, else the default.
    fn resolve<'k>(&self, key: &'k str, store: Option<&str>) -> (Arc<Store>, &'k str) {
        let (in_key, key) = parse_context_store(key);
        (self.store.in_store(store.or(in_key)), key)
    }

    fn get_one(
        &self,
        run: &mut RunState,
        key: &str,
        store: Option<&str>,
    ) -> Result<Dynamic, String> {
        let (view, key) = self.resolve(key, store);
        let Some((store, key)) = view.follow(key) else {
            return Ok(convert::undefined());
        };
        let segs = parse_path(key)?;
        let Seg::Key(root) = &segs[0] else {
            unreachable!("parse_path starts with a key")
        };
        if run.mode == Mode::Js {
            if let Some(live) = Live::find(run, &store, root) {
                return Ok(walk_script(live, &segs[1..]));
            }
        }
        let value = run.read(&store, root)?;
        if run.mode == Mode::Js {
            if let Some(v @ (Value::Object(_) | Value::Array(_))) = &value {
                let live = convert::from_json(v, Mode::Js);
                run.live.push(Live {
                    store,
                    key: root.clone(),
                    value: live.clone(),
                    was: value.clone(),
                });
                return Ok(walk_script(live, &segs[1..]));
            }
        }
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
        if run.mode == Mode::Js && segs.len() > 1 {
            return set_in_script(run, store, root, &segs[1..], value);
        }
        if run.mode == Mode::Js {
            run.live
                .retain(|l| !(Arc::ptr_eq(&l.store, &store) && l.key == *root));
        }
        let json = convert::to_json(value, run.mode, None).map_err(|e| e.to_string())?;
        if run.mode == Mode::Js && is_container(value) {
            run.live.push(Live {
                store: store.clone(),
                key: root.clone(),
                value: value.clone(),
                was: json.clone(),
            });
        }
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

/// A context value a JavaScript run holds as its own object (see the
/// module's documentation).
pub(super) struct Live {
    store: Arc<Store>,
    key: String,
    value: Dynamic,
    /// Its JSON when read or set: an unchanged value is not written back.
    was: Option<Value>,
}

impl Live {
    fn find(run: &RunState, store: &Arc<Store>, key: &str) -> Option<Dynamic> {
        run.live
            .iter()
            .find(|l| Arc::ptr_eq(&l.store, store) && l.key == key)
            .map(|l| l.value.clone())
    }

    /// Write the value back if the run changed it. A value that no longer
    /// converts (it now holds a function) is left as it was.
    pub(super) fn flush(self) {
        let Ok(now) = convert::to_json(&self.value, Mode::Js, None) else {
            return;
        };
        if now != self.was {
            self.store.set(&self.key, now);
        }
    }
}

fn is_container(v: &Dynamic) -> bool {
    crate::jslib::values::as_object(v).is_some() || crate::jslib::values::as_array(v).is_some()
}

fn seg_key(seg: &Seg) -> Dynamic {
    match seg {
        Seg::Key(k) => Dynamic::from(rhai::ImmutableString::from(k.as_str())),
        Seg::Index(i) => Dynamic::from_int(*i as rhai::INT),
    }
}

/// `get("a.b[0]")` inside a value the run holds: `undefined` past a
/// missing step, as Node-RED's `getObjectProperty` answers.
fn walk_script(mut v: Dynamic, segs: &[Seg]) -> Dynamic {
    for seg in segs {
        if !is_container(&v) {
            return convert::undefined();
        }
        v = crate::jslib::props::get(&v, &seg_key(seg)).unwrap_or(Dynamic::UNIT);
    }
    v
}

fn js<T>(r: crate::jslib::ops::JsResult<T>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

/// `set("a.b[0]", v)` in a JavaScript run: into the run's own root value
/// (made from the stored one, or a new object), creating missing steps as
/// Node-RED does (an array before an index, else an object).
fn set_in_script(
    run: &mut RunState,
    store: Arc<Store>,
    root: &str,
    segs: &[Seg],
    value: &Dynamic,
) -> Result<(), String> {
    let mut node = match Live::find(run, &store, root) {
        Some(v) => v,
        None => {
            let was = run.read(&store, root)?;
            let v = match &was {
                Some(j @ (Value::Object(_) | Value::Array(_))) => convert::from_json(j, Mode::Js),
                _ => {
                    // A new key: written now (as it will be at the end of
                    // the run) so that `keys()` lists it in creation order.
                    run.writes.push(ContextWrite {
                        store: store.clone(),
                        key: root.to_owned(),
                        value: Some(Value::Object(Map::new())),
                    });
                    convert::empty_object(Mode::Js)
                }
            };
            run.live.push(Live {
                store,
                key: root.to_owned(),
                value: v.clone(),
                was: if matches!(was, Some(Value::Object(_) | Value::Array(_))) {
                    was
                } else {
                    None
                },
            });
            v
        }
    };
    let (last, steps) = segs.split_last().expect("a nested path");
    for (i, seg) in steps.iter().enumerate() {
        let child = js(crate::jslib::props::get(&node, &seg_key(seg)))?;
        node = if is_container(&child) {
            child
        } else {
            let made = match segs[i + 1] {
                Seg::Index(_) => crate::jslib::values::array(Vec::new()),
                Seg::Key(_) => convert::empty_object(Mode::Js),
            };
            let _ = js(crate::jslib::props::set(&node, &seg_key(seg), made.clone()))?;
            made
        };
    }
    if value.is_unit() {
        js(crate::jslib::props::delete(&node, &seg_key(last)))?;
    } else {
        let _ = js(crate::jslib::props::set(
            &node,
            &seg_key(last),
            value.clone(),
        ))?;
    }
    Ok(())
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
