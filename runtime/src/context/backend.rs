//! What one named context store (Node-RED's `contextStorage` entry) does:
//! keep values per scope. A scope is Node-RED's context id: `global`, a
//! flow's id, or `<node id>:<flow id>` for a node's own context.

use serde_json::Value;

/// Why a context store could not read or write.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("context store '{store}': {message}")]
    Unavailable { store: String, message: String },
    #[error("context store '{store}': cannot write {path}: {source}")]
    Io {
        store: String,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("context store '{store}': invalid JSON in context file '{path}': {message}")]
    InvalidFile {
        store: String,
        path: String,
        message: String,
    },
}

/// One named context store. Every call is atomic for its key: concurrent
/// writes to distinct keys are all kept, and a read sees a whole value.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// The value under `key` in `scope`.
    fn get(&self, scope: &str, key: &str) -> Result<Option<Value>, ContextError>;
    /// Set `key` in `scope`; `None` (JavaScript `undefined`) deletes it.
    fn set(&self, scope: &str, key: &str, value: Option<Value>) -> Result<(), ContextError>;
    /// Read-modify-write of one key: atomic in a store held in this process;
    /// a shared store reads and writes it as two steps (Node-RED's context
    /// API has no atomic update either).
    fn update(
        &self,
        scope: &str,
        key: &str,
        f: &mut dyn FnMut(&mut Option<Value>),
    ) -> Result<(), ContextError>;
    /// The scope's keys, in the order they were first set.
    fn keys(&self, scope: &str) -> Result<Vec<String>, ContextError>;
    /// Forget the scopes `keep` refuses (nodes and flows no longer deployed),
    /// as Node-RED's `clean` does after a deploy.
    fn retain(&self, keep: &dyn Fn(&str) -> bool) -> Result<(), ContextError>;
    /// Write what is held in memory to where it persists (on shutdown).
    fn flush(&self) -> Result<(), ContextError> {
        Ok(())
    }
}

/// Whether a scope is still deployed: `global` always; a flow's scope when
/// its flow is; a node's (`<node>:<flow>`) when its node is.
pub fn scope_is_live(
    scope: &str,
    live_nodes: &dyn Fn(&str) -> bool,
    live_tabs: &dyn Fn(&str) -> bool,
) -> bool {
    if scope == "global" {
        return true;
    }
    match scope.split_once(':') {
        Some((node, _)) => live_nodes(node),
        None => scope.is_empty() || live_tabs(scope),
    }
}
