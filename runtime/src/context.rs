//! Node-RED's in-memory context stores: per node (`context`), per tab (`flow`)
//! and runtime-wide (`global`). Stores outlive deployments, as in Node-RED,
//! so a redeploy does not wipe a counter a flow keeps.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use serde_json::Value;

/// One key-value store, safe under concurrent requests: each `set` is atomic,
/// so updates to distinct keys are never lost.
#[derive(Debug, Default)]
pub struct Store {
    values: RwLock<HashMap<String, Value>>,
    /// The flow context of the flow a subflow instance sits in, which keys
    /// starting `$parent.` address (Node-RED's `followParentContext`); unset
    /// for a tab, whose parent (Node-RED's root context) holds nothing.
    parent: RwLock<Option<Arc<Store>>>,
}

/// The prefix of a context key that addresses the parent flow's context.
pub const PARENT_PREFIX: &str = "$parent.";

impl Store {
    /// The store `hops` levels up the `$parent` chain (`self` for 0); `None`
    /// when the chain ends before, where Node-RED reads `undefined` and
    /// ignores writes.
    pub fn ancestor(self: &Arc<Self>, hops: usize) -> Option<Arc<Store>> {
        if hops == 0 {
            return Some(self.clone());
        }
        self.parent_at(hops)
    }

    /// The store `hops` (at least 1) levels up the `$parent` chain.
    pub fn parent_at(&self, hops: usize) -> Option<Arc<Store>> {
        let mut store = self.parent.read().clone()?;
        for _ in 1..hops {
            let parent = store.parent.read().clone()?;
            store = parent;
        }
        Some(store)
    }

    /// How many `$parent.` prefixes `key` starts with, and the rest.
    pub fn split_parent(key: &str) -> (usize, &str) {
        let mut hops = 0;
        let mut rest = key;
        while let Some(r) = rest.strip_prefix(PARENT_PREFIX) {
            hops += 1;
            rest = r;
        }
        (hops, rest)
    }

    /// The store a (possibly `$parent.`-prefixed) key addresses, and the key
    /// within it.
    pub fn follow<'k>(self: &Arc<Self>, key: &'k str) -> Option<(Arc<Store>, &'k str)> {
        let (hops, rest) = Store::split_parent(key);
        Some((self.ancestor(hops)?, rest))
    }

    /// The value under `key` (top-level key; nested paths are resolved by the
    /// caller on the returned copy).
    pub fn get(&self, key: &str) -> Option<Value> {
        self.values.read().get(key).cloned()
    }

    /// Set `key`; `None` (JavaScript `undefined`) deletes it.
    pub fn set(&self, key: &str, value: Option<Value>) {
        let mut map = self.values.write();
        match value {
            Some(v) => {
                map.insert(key.to_owned(), v);
            }
            None => {
                map.remove(key);
            }
        }
    }

    /// Read-modify-write under the store's lock (an atomic counter increment).
    pub fn update<R>(&self, key: &str, f: impl FnOnce(Option<&mut Value>) -> R) -> R {
        let mut map = self.values.write();
        f(map.get_mut(key))
    }

    /// All keys, sorted for stable output.
    pub fn keys(&self) -> Vec<String> {
        let mut k: Vec<_> = self.values.read().keys().cloned().collect();
        k.sort();
        k
    }

    /// Remove everything.
    pub fn clear(&self) {
        self.values.write().clear();
    }
}

/// Every context store of a runtime, created on first use.
#[derive(Debug, Default)]
pub struct ContextRegistry {
    global: Arc<Store>,
    flows: Mutex<HashMap<String, Arc<Store>>>,
    nodes: Mutex<HashMap<String, Arc<Store>>>,
}

impl ContextRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn global(&self) -> Arc<Store> {
        self.global.clone()
    }

    /// The store of a tab (`flow` context).
    pub fn flow(&self, tab: &str) -> Arc<Store> {
        self.flows.lock().entry(tab.to_owned()).or_default().clone()
    }

    /// The store of one node (`context`).
    pub fn node(&self, id: &str) -> Arc<Store> {
        self.nodes.lock().entry(id.to_owned()).or_default().clone()
    }

    /// The flow context of subflow instance `instance`, whose `$parent` is
    /// the flow context of `parent` (the tab or instance it sits in).
    pub fn subflow(&self, instance: &str, parent: &str) -> Arc<Store> {
        let parent = self.flow(parent);
        let store = self.flow(instance);
        *store.parent.write() = Some(parent);
        store
    }

    /// Drop the stores of nodes and tabs no longer deployed.
    pub fn retain(&self, live_nodes: &dyn Fn(&str) -> bool, live_tabs: &dyn Fn(&str) -> bool) {
        self.nodes.lock().retain(|k, _| live_nodes(k));
        self.flows
            .lock()
            .retain(|k, _| k.is_empty() || live_tabs(k));
    }
}
