//! Node-RED's context: per node (`context`), per tab (`flow`) and
//! runtime-wide (`global`), each kept in one or more named stores
//! (Node-RED's `contextStorage`: `memory`, `localfilesystem`, Redis).
//! Contexts outlive deployments, as in Node-RED, so a redeploy does not
//! wipe a counter a flow keeps.
//!
//! A [`Store`] is one scope (a node's, a flow's or the global context) seen
//! through one named store; [`Store::in_store`] gives the same scope in
//! another store.

mod backend;
mod config;
mod localfs;
mod memory;
pub mod path;
mod redis_store;
#[cfg(test)]
mod tests;
mod timed;

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};
use serde_json::Value;

pub use backend::{Backend, ContextError};
pub use config::{ConfigError, ContextStores, StoreKind, StoreSpec};
pub use localfs::{LocalFileSystem, DEFAULT_FLUSH_INTERVAL};
pub use memory::Memory;
pub use redis_store::{RedisStore, DEFAULT_PREFIX};

/// One scope in one named store. Each `set` is atomic, so concurrent
/// updates to distinct keys are never lost.
#[derive(Debug)]
pub struct Store {
    /// Node-RED's context id: `global`, a flow id, or `<node>:<flow>`.
    scope: String,
    stores: Arc<ContextStores>,
    /// Which of `stores` this view reads and writes.
    index: usize,
    /// The scope's view in the default store, for a view in another store
    /// (it holds the `$parent` link and the other views).
    root: Weak<Store>,
    /// The flow context of the flow a subflow instance sits in, which keys
    /// starting `$parent.` address (Node-RED's `followParentContext`); unset
    /// for a tab, whose parent (Node-RED's root context) holds nothing.
    parent: RwLock<Option<Arc<Store>>>,
    /// This scope's views in the other stores, made on first use, so that
    /// one scope and store is always the same `Store`.
    views: Mutex<HashMap<usize, Arc<Store>>>,
}

impl Default for Store {
    /// A scope alone in a fresh memory store (for tests and tools).
    fn default() -> Self {
        Store::root("", Arc::new(ContextStores::default()))
    }
}

/// The prefix of a context key that addresses the parent flow's context.
pub const PARENT_PREFIX: &str = "$parent.";

/// Split Node-RED's `#:(store)::key` form into the store name and the key
/// (`util.parseContextStore`); a key without it names no store.
pub fn parse_context_store(key: &str) -> (Option<&str>, &str) {
    if let Some(rest) = key.strip_prefix("#:(") {
        if let Some((store, k)) = rest.split_once(")::") {
            return (Some(store), k);
        }
    }
    (None, key)
}

impl Store {
    fn root(scope: &str, stores: Arc<ContextStores>) -> Self {
        Store {
            scope: scope.to_owned(),
            index: stores.default_index(),
            stores,
            root: Weak::new(),
            parent: RwLock::new(None),
            views: Mutex::new(HashMap::new()),
        }
    }

    /// Node-RED's context id of this scope.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The name of the store this view uses.
    pub fn store_name(&self) -> &str {
        self.stores.name(self.index)
    }

    /// The configured stores.
    pub fn stores(&self) -> &Arc<ContextStores> {
        &self.stores
    }

    /// This scope in the store `name` (the default store for `None` or, with
    /// a warning, for a name that is not configured, as Node-RED does).
    pub fn in_store(self: &Arc<Self>, name: Option<&str>) -> Arc<Store> {
        let index = self.stores.resolve(name);
        self.view(index)
    }

    fn view(self: &Arc<Self>, index: usize) -> Arc<Store> {
        if index == self.index {
            return self.clone();
        }
        let root = self.root.upgrade().unwrap_or_else(|| self.clone());
        if index == root.index {
            return root;
        }
        let mut views = root.views.lock();
        views
            .entry(index)
            .or_insert_with(|| {
                Arc::new(Store {
                    scope: root.scope.clone(),
                    stores: root.stores.clone(),
                    index,
                    root: Arc::downgrade(&root),
                    parent: RwLock::new(None),
                    views: Mutex::new(HashMap::new()),
                })
            })
            .clone()
    }

    /// The store `hops` levels up the `$parent` chain (`self` for 0); `None`
    /// when the chain ends before, where Node-RED reads `undefined` and
    /// ignores writes.
    pub fn ancestor(self: &Arc<Self>, hops: usize) -> Option<Arc<Store>> {
        if hops == 0 {
            return Some(self.clone());
        }
        self.parent_at(hops)
    }

    /// The store `hops` (at least 1) levels up the `$parent` chain, in the
    /// same named store as this view.
    pub fn parent_at(&self, hops: usize) -> Option<Arc<Store>> {
        let root = self.root.upgrade();
        let start = root.as_deref().unwrap_or(self);
        let mut store = start.parent.read().clone()?;
        for _ in 1..hops {
            let parent = store.parent.read().clone()?;
            store = parent;
        }
        Some(store.view(self.index))
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

    fn backend(&self) -> &Arc<dyn Backend> {
        self.stores.backend(self.index)
    }

    /// Report a store failure without the value (context content is never
    /// logged: it may hold secrets).
    fn report(&self, op: &str, key: &str, e: &ContextError) {
        tracing::error!(scope = %self.scope, key, "context {op} failed: {e}");
    }

    /// The value under `key`, or the store's failure.
    pub fn try_get(&self, key: &str) -> Result<Option<Value>, ContextError> {
        self.backend().get(&self.scope, key)
    }

    /// Set `key` (`None` deletes it), or the store's failure.
    pub fn try_set(&self, key: &str, value: Option<Value>) -> Result<(), ContextError> {
        self.backend().set(&self.scope, key, value)
    }

    /// The keys, or the store's failure.
    pub fn try_keys(&self) -> Result<Vec<String>, ContextError> {
        self.backend().keys(&self.scope)
    }

    /// The value under `key` (top-level key; nested paths are resolved by the
    /// caller on the returned copy); a store failure is logged and reads as
    /// undefined.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.try_get(key).unwrap_or_else(|e| {
            self.report("read", key, &e);
            None
        })
    }

    /// Set `key`; `None` (JavaScript `undefined`) deletes it. A store
    /// failure is logged.
    pub fn set(&self, key: &str, value: Option<Value>) {
        if let Err(e) = self.try_set(key, value) {
            self.report("write", key, &e);
        }
    }

    /// Read-modify-write of one key (an atomic update in a store held in
    /// this process); `None` when the store failed (logged).
    pub fn update<R>(&self, key: &str, f: impl FnOnce(Option<&mut Value>) -> R) -> Option<R> {
        let mut f = Some(f);
        let mut out = None;
        let result = self.backend().update(&self.scope, key, &mut |slot| {
            if let Some(f) = f.take() {
                out = Some(f(slot.as_mut()));
            }
        });
        if let Err(e) = result {
            self.report("update", key, &e);
        }
        out
    }

    /// All keys, in the store's order; a store failure is logged and reads
    /// as no keys.
    pub fn keys(&self) -> Vec<String> {
        self.try_keys().unwrap_or_else(|e| {
            self.report("keys", "", &e);
            Vec::new()
        })
    }

    /// Remove every key.
    pub fn clear(&self) {
        for k in self.keys() {
            self.set(&k, None);
        }
    }
}

/// Every context scope of a runtime, created on first use.
#[derive(Debug)]
pub struct ContextRegistry {
    stores: Arc<ContextStores>,
    global: Arc<Store>,
    flows: Mutex<HashMap<String, Arc<Store>>>,
    nodes: Mutex<HashMap<String, Arc<Store>>>,
}

impl Default for ContextRegistry {
    fn default() -> Self {
        ContextRegistry::with_stores(Arc::new(ContextStores::default()))
    }
}

impl ContextRegistry {
    /// Contexts in Node-RED's default `memory` store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Contexts in the configured stores.
    pub fn with_stores(stores: Arc<ContextStores>) -> Self {
        ContextRegistry {
            global: Arc::new(Store::root("global", stores.clone())),
            stores,
            flows: Mutex::new(HashMap::new()),
            nodes: Mutex::new(HashMap::new()),
        }
    }

    /// The configured stores.
    pub fn stores(&self) -> &Arc<ContextStores> {
        &self.stores
    }

    pub fn global(&self) -> Arc<Store> {
        self.global.clone()
    }

    /// The store of a tab (`flow` context).
    pub fn flow(&self, tab: &str) -> Arc<Store> {
        self.flows
            .lock()
            .entry(tab.to_owned())
            .or_insert_with(|| Arc::new(Store::root(tab, self.stores.clone())))
            .clone()
    }

    /// The store of one node (`context`) on tab `tab` (Node-RED's context
    /// id `<node>:<flow>`, which names its file in a file store).
    pub fn node(&self, id: &str, tab: &str) -> Arc<Store> {
        self.nodes
            .lock()
            .entry(id.to_owned())
            .or_insert_with(|| Arc::new(Store::root(&format!("{id}:{tab}"), self.stores.clone())))
            .clone()
    }

    /// A context by Node-RED's context id, for reading and deleting from
    /// outside the flows (the admin API): the registered one if a node uses
    /// it, else a view of what the stores hold, not registered, so requests
    /// for ids that are not deployed leave nothing behind.
    pub fn lookup(&self, scope: &str) -> Arc<Store> {
        if scope == "global" {
            return self.global();
        }
        let registered = match scope.split_once(':') {
            Some((node, _)) => self.nodes.lock().get(node).cloned(),
            None => self.flows.lock().get(scope).cloned(),
        };
        registered
            .filter(|s| s.scope == scope)
            .unwrap_or_else(|| Arc::new(Store::root(scope, self.stores.clone())))
    }

    /// The flow context of subflow instance `instance`, whose `$parent` is
    /// the flow context of `parent` (the tab or instance it sits in).
    pub fn subflow(&self, instance: &str, parent: &str) -> Arc<Store> {
        let parent = self.flow(parent);
        let store = self.flow(instance);
        *store.parent.write() = Some(parent);
        store
    }

    /// Drop the contexts of nodes and tabs no longer deployed, in every
    /// store (Node-RED's `clean` after a deploy).
    pub fn retain(&self, live_nodes: &dyn Fn(&str) -> bool, live_tabs: &dyn Fn(&str) -> bool) {
        self.nodes.lock().retain(|k, _| live_nodes(k));
        self.flows
            .lock()
            .retain(|k, _| k.is_empty() || live_tabs(k));
        let keep = |scope: &str| backend::scope_is_live(scope, live_nodes, live_tabs);
        for (i, b) in self.stores.backends().iter().enumerate() {
            if let Err(e) = b.retain(&keep) {
                tracing::error!(store = %self.stores.name(i), "context clean-up failed: {e}");
            }
        }
    }

    /// Write every store's pending values (on shutdown).
    pub fn flush(&self) {
        self.stores.flush();
    }
}
