//! Node-RED's `localfilesystem` context store: values held in memory and
//! written to JSON files under `<dir>/context/` at most every
//! `flushInterval` and on shutdown, in Node-RED's layout, so that Node-RED
//! and flowgate read each other's files:
//!
//! ```text
//! context/global/global.json          global context
//! context/<flow id>/flow.json         a flow's context
//! context/<flow id>/<node id>.json    a node's context
//! ```

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Map, Value};

use super::backend::{Backend, ContextError};
use super::memory::Memory;

/// Node-RED's default `flushInterval`.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(30);

/// A file-backed store.
#[derive(Debug)]
pub struct LocalFileSystem {
    name: String,
    base: PathBuf,
    cache: Memory,
    /// Scopes changed since the last flush.
    dirty: Mutex<HashSet<String>>,
    /// Held while files are written, so two flushes never interleave.
    writing: Mutex<()>,
}

impl LocalFileSystem {
    /// Open the store under `dir` (Node-RED's `userDir`), reading every
    /// context file already there, and start flushing every `interval`.
    pub fn open(name: &str, dir: &Path, interval: Duration) -> Result<Arc<Self>, ContextError> {
        let store = Arc::new(LocalFileSystem {
            name: name.to_owned(),
            base: dir.join("context"),
            cache: Memory::new(),
            dirty: Mutex::new(HashSet::new()),
            writing: Mutex::new(()),
        });
        store.load()?;
        let weak = Arc::downgrade(&store);
        std::thread::Builder::new()
            .name(format!("context-flush-{name}"))
            .spawn(move || flush_loop(weak, interval))
            .map_err(|e| store.io_error(&store.base, e))?;
        Ok(store)
    }

    fn io_error(&self, path: &Path, source: std::io::Error) -> ContextError {
        ContextError::Io {
            store: self.name.clone(),
            path: path.display().to_string(),
            source,
        }
    }

    /// The file of a scope, as Node-RED's `getStoragePath` names it.
    fn file_of(&self, scope: &str) -> PathBuf {
        let stem = match scope.split_once(':') {
            Some((node, flow)) => self.base.join(flow).join(node),
            None if scope == "global" => self.base.join("global").join("global"),
            None => self.base.join(scope).join("flow"),
        };
        stem.with_extension("json")
    }

    /// The scope a file holds (the inverse of [`Self::file_of`]).
    fn scope_of(dir: &str, file_stem: &str) -> String {
        if dir == "global" {
            "global".to_owned()
        } else if file_stem == "flow" {
            dir.to_owned()
        } else {
            format!("{file_stem}:{dir}")
        }
    }

    fn load(&self) -> Result<(), ContextError> {
        let dirs = match std::fs::read_dir(&self.base) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(self.io_error(&self.base, e)),
        };
        for dir in dirs.flatten() {
            let dir_name = dir.file_name().to_string_lossy().into_owned();
            if dir_name.starts_with('.') || !dir.path().is_dir() {
                continue;
            }
            let files = std::fs::read_dir(dir.path()).map_err(|e| self.io_error(&dir.path(), e))?;
            for file in files.flatten() {
                let path = file.path();
                if path.extension().and_then(|e| e.to_str()) != Some("json") {
                    continue;
                }
                let stem = path.file_stem().unwrap_or_default().to_string_lossy();
                let text = std::fs::read_to_string(&path).map_err(|e| self.io_error(&path, e))?;
                let values: Map<String, Value> =
                    serde_json::from_str(&text).map_err(|e| ContextError::InvalidFile {
                        store: self.name.clone(),
                        path: path.display().to_string(),
                        message: e.to_string(),
                    })?;
                self.cache.import(&Self::scope_of(&dir_name, &stem), values);
            }
        }
        Ok(())
    }

    fn mark(&self, scope: &str) {
        self.dirty.lock().insert(scope.to_owned());
    }

    /// Write one scope's file atomically (a temporary file renamed over
    /// it), indented with four spaces as Node-RED writes it.
    fn write_scope(&self, scope: &str) -> Result<(), ContextError> {
        let path = self.file_of(scope);
        let values = self.cache.export(scope);
        let text = crate::js_json::to_string_pretty(&values, b"    ");
        let parent = path.parent().unwrap_or(&self.base);
        std::fs::create_dir_all(parent).map_err(|e| self.io_error(parent, e))?;
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        std::fs::write(&tmp, &text).map_err(|e| self.io_error(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| self.io_error(&path, e))
    }
}

/// Flush every `interval` until the store is dropped.
fn flush_loop(store: Weak<LocalFileSystem>, interval: Duration) {
    let step = interval.clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut waited = Duration::ZERO;
    loop {
        std::thread::sleep(step);
        waited += step;
        let Some(store) = store.upgrade() else {
            return;
        };
        if waited >= interval {
            waited = Duration::ZERO;
            if let Err(e) = store.flush() {
                tracing::error!("{e}");
            }
        }
    }
}

impl Backend for LocalFileSystem {
    fn get(&self, scope: &str, key: &str) -> Result<Option<Value>, ContextError> {
        self.cache.get(scope, key)
    }

    fn set(&self, scope: &str, key: &str, value: Option<Value>) -> Result<(), ContextError> {
        self.cache.set(scope, key, value)?;
        self.mark(scope);
        Ok(())
    }

    fn update(
        &self,
        scope: &str,
        key: &str,
        f: &mut dyn FnMut(&mut Option<Value>),
    ) -> Result<(), ContextError> {
        self.cache.update(scope, key, f)?;
        self.mark(scope);
        Ok(())
    }

    fn keys(&self, scope: &str) -> Result<Vec<String>, ContextError> {
        self.cache.keys(scope)
    }

    fn retain(&self, keep: &dyn Fn(&str) -> bool) -> Result<(), ContextError> {
        let gone: Vec<String> = self
            .cache
            .scope_ids()
            .into_iter()
            .filter(|s| !keep(s))
            .collect();
        self.cache.retain(keep)?;
        let _writing = self.writing.lock();
        let mut dirty = self.dirty.lock();
        for scope in gone {
            dirty.remove(&scope);
            let path = self.file_of(&scope);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(self.io_error(&path, e)),
            }
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), ContextError> {
        let _writing = self.writing.lock();
        let scopes: Vec<String> = self.dirty.lock().drain().collect();
        for (i, scope) in scopes.iter().enumerate() {
            if let Err(e) = self.write_scope(scope) {
                // Keep what was not written for the next flush.
                self.dirty.lock().extend(scopes[i..].iter().cloned());
                return Err(e);
            }
        }
        Ok(())
    }
}
