//! Node-RED's `memory` context store: values held in this process only.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use serde_json::{Map, Value};

use super::backend::{Backend, ContextError};

/// The keys of one scope, in the order they were first set.
type Scope = Arc<RwLock<Map<String, Value>>>;

/// Values per scope, each scope behind its own lock so that requests
/// touching different nodes' contexts do not wait for each other.
#[derive(Debug, Default)]
pub struct Memory {
    scopes: RwLock<HashMap<String, Scope>>,
}

impl Memory {
    pub fn new() -> Self {
        Self::default()
    }

    fn scope(&self, id: &str) -> Option<Scope> {
        self.scopes.read().get(id).cloned()
    }

    fn scope_or_new(&self, id: &str) -> Scope {
        if let Some(s) = self.scope(id) {
            return s;
        }
        self.scopes
            .write()
            .entry(id.to_owned())
            .or_default()
            .clone()
    }

    /// Every scope with its values (what a file store writes out).
    pub fn export(&self, id: &str) -> Map<String, Value> {
        self.scope(id).map(|s| s.read().clone()).unwrap_or_default()
    }

    /// Replace a scope's values (what a file store read at start).
    pub fn import(&self, id: &str, values: Map<String, Value>) {
        *self.scope_or_new(id).write() = values;
    }

    /// The ids of every scope held.
    pub fn scope_ids(&self) -> Vec<String> {
        self.scopes.read().keys().cloned().collect()
    }

    fn set_in(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
        match value {
            Some(v) => {
                map.insert(key.to_owned(), v);
            }
            None => {
                map.shift_remove(key);
            }
        }
    }
}

impl Backend for Memory {
    fn get(&self, scope: &str, key: &str) -> Result<Option<Value>, ContextError> {
        Ok(self.scope(scope).and_then(|s| s.read().get(key).cloned()))
    }

    fn set(&self, scope: &str, key: &str, value: Option<Value>) -> Result<(), ContextError> {
        if value.is_none() && self.scope(scope).is_none() {
            return Ok(());
        }
        Self::set_in(&mut self.scope_or_new(scope).write(), key, value);
        Ok(())
    }

    fn update(
        &self,
        scope: &str,
        key: &str,
        f: &mut dyn FnMut(&mut Option<Value>),
    ) -> Result<(), ContextError> {
        let scope = self.scope_or_new(scope);
        let mut map = scope.write();
        let mut slot = map.get(key).cloned();
        f(&mut slot);
        Self::set_in(&mut map, key, slot);
        Ok(())
    }

    fn keys(&self, scope: &str) -> Result<Vec<String>, ContextError> {
        Ok(self
            .scope(scope)
            .map(|s| s.read().keys().cloned().collect())
            .unwrap_or_default())
    }

    fn retain(&self, keep: &dyn Fn(&str) -> bool) -> Result<(), ContextError> {
        self.scopes.write().retain(|id, _| keep(id));
        Ok(())
    }
}
