//! Node-RED's `contextStorage` setting: named stores, one of them the
//! default (the one named `default`, else the first), each `memory`,
//! `localfilesystem` or a Redis URL. Given as `--context name=spec`:
//!
//! ```text
//! --context default=memory
//! --context disk=localfilesystem            (flushInterval 30 s, in the user directory)
//! --context disk=localfilesystem?flushInterval=5&dir=/var/lib/flowgate
//! --context shared=redis://127.0.0.1:6379/0 (optionally ?prefix=app:ctx:)
//! --context default=disk                    (the default is the store `disk`)
//! ```

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::backend::{Backend, ContextError};
use super::localfs::{LocalFileSystem, DEFAULT_FLUSH_INTERVAL};
use super::memory::Memory;
use super::redis_store::{RedisStore, DEFAULT_PREFIX};

/// Why a `--context` entry is not usable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("--context {0}: expected NAME=SPEC (memory, localfilesystem or redis://…)")]
    Syntax(String),
    #[error("--context {name}: store name must be letters, digits or '_' (and not '_')")]
    Name { name: String },
    #[error("--context default={target}: there is no store named '{target}'")]
    NoAliasTarget { target: String },
    #[error("--context {name}: the store is named twice")]
    Duplicate { name: String },
    #[error("--context {name}={spec}: unknown store type (memory, localfilesystem or redis://…)")]
    Kind { name: String, spec: String },
    #[error("--context {name}: option '{option}' is not valid here")]
    Option { name: String, option: String },
    #[error("--context {name}: localfilesystem needs a directory: give dir= or a flows file")]
    NoDir { name: String },
    #[error(transparent)]
    Store(#[from] ContextError),
}

/// One configured store, as parsed from `NAME=SPEC`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreSpec {
    pub name: String,
    pub kind: StoreKind,
}

/// What kind of store a spec names.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreKind {
    Memory,
    LocalFileSystem {
        dir: Option<PathBuf>,
        flush_interval: Duration,
    },
    Redis {
        url: String,
        prefix: String,
    },
    /// `default=NAME`: the default is the store `NAME` (Node-RED's
    /// `default: "name"`).
    Alias(String),
}

impl StoreSpec {
    /// Parse `NAME=SPEC`.
    pub fn parse(text: &str) -> Result<StoreSpec, ConfigError> {
        let (name, spec) = text
            .split_once('=')
            .ok_or_else(|| ConfigError::Syntax(text.to_owned()))?;
        let name = name.trim().to_owned();
        // Node-RED's rule for store names; `_` is its internal default.
        if name.is_empty()
            || name == "_"
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(ConfigError::Name { name });
        }
        let spec = spec.trim();
        let (base, query) = spec.split_once('?').unwrap_or((spec, ""));
        let options = || query.split('&').filter(|o| !o.is_empty());
        let bad = |option: &str| ConfigError::Option {
            name: name.clone(),
            option: option.to_owned(),
        };
        let kind = if base == "memory" {
            if let Some(o) = options().next() {
                return Err(bad(o));
            }
            StoreKind::Memory
        } else if base == "localfilesystem" {
            let mut dir = None;
            let mut flush_interval = DEFAULT_FLUSH_INTERVAL;
            for o in options() {
                match o.split_once('=') {
                    Some(("dir", d)) if !d.is_empty() => dir = Some(PathBuf::from(d)),
                    Some(("flushInterval", s)) => {
                        let secs: f64 = s.parse().map_err(|_| bad(o))?;
                        if !secs.is_finite() || secs < 0.0 {
                            return Err(bad(o));
                        }
                        flush_interval = Duration::from_secs_f64(secs);
                    }
                    _ => return Err(bad(o)),
                }
            }
            StoreKind::LocalFileSystem {
                dir,
                flush_interval,
            }
        } else if base.starts_with("redis://") || base.starts_with("rediss://") {
            let mut prefix = DEFAULT_PREFIX.to_owned();
            for o in options() {
                match o.split_once('=') {
                    Some(("prefix", p)) => prefix = p.to_owned(),
                    _ => return Err(bad(o)),
                }
            }
            StoreKind::Redis {
                url: base.to_owned(),
                prefix,
            }
        } else if name == "default"
            && !spec.is_empty()
            && spec.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            StoreKind::Alias(spec.to_owned())
        } else {
            return Err(ConfigError::Kind {
                name,
                spec: spec.to_owned(),
            });
        };
        Ok(StoreSpec { name, kind })
    }
}

/// The configured stores of a runtime.
#[derive(Debug)]
pub struct ContextStores {
    names: Vec<String>,
    backends: Vec<Arc<dyn Backend>>,
    default: usize,
    /// Unknown store names already warned about (Node-RED warns once each).
    warned: Mutex<HashSet<String>>,
}

impl Default for ContextStores {
    /// Node-RED without `contextStorage`: one store, `memory`.
    fn default() -> Self {
        ContextStores::from_backends(vec![("memory".into(), Arc::new(Memory::new()))], None)
    }
}

impl ContextStores {
    /// Stores from their backends; the default is `default_name`, else the
    /// one named `default`, else the first. `list` must not be empty.
    pub fn from_backends(
        list: Vec<(String, Arc<dyn Backend>)>,
        default_name: Option<&str>,
    ) -> Self {
        assert!(!list.is_empty(), "at least one context store");
        let default = list
            .iter()
            .position(|(n, _)| Some(n.as_str()) == default_name)
            .or_else(|| list.iter().position(|(n, _)| n == "default"))
            .unwrap_or(0);
        let (names, backends) = list
            .into_iter()
            .map(|(name, backend)| {
                let backend = super::timed::Timed::wrap(&name, backend);
                (name, backend)
            })
            .unzip();
        ContextStores {
            names,
            backends,
            default,
            warned: Mutex::new(HashSet::new()),
        }
    }

    /// Open every store of `specs` (Node-RED's default `memory` store when
    /// there are none). A file store without `dir=` lives in `user_dir`.
    pub fn open(specs: &[StoreSpec], user_dir: Option<&Path>) -> Result<Self, ConfigError> {
        if specs.is_empty() {
            return Ok(ContextStores::default());
        }
        let mut list: Vec<(String, Arc<dyn Backend>)> = Vec::new();
        let alias = specs.iter().find_map(|s| match &s.kind {
            StoreKind::Alias(target) => Some(target.as_str()),
            _ => None,
        });
        if let Some(target) = alias {
            if !specs
                .iter()
                .any(|s| s.name == target && !matches!(s.kind, StoreKind::Alias(_)))
            {
                return Err(ConfigError::NoAliasTarget {
                    target: target.to_owned(),
                });
            }
        }
        for spec in specs {
            if list.iter().any(|(n, _)| *n == spec.name) {
                return Err(ConfigError::Duplicate {
                    name: spec.name.clone(),
                });
            }
            let backend: Arc<dyn Backend> = match &spec.kind {
                StoreKind::Memory => Arc::new(Memory::new()),
                StoreKind::LocalFileSystem {
                    dir,
                    flush_interval,
                } => {
                    let dir = dir.as_deref().or(user_dir).ok_or(ConfigError::NoDir {
                        name: spec.name.clone(),
                    })?;
                    LocalFileSystem::open(&spec.name, dir, *flush_interval)?
                }
                StoreKind::Redis { url, prefix } => {
                    Arc::new(RedisStore::open(&spec.name, url, prefix)?)
                }
                StoreKind::Alias(_) => continue,
            };
            tracing::info!(store = %spec.name, kind = spec.kind.label(), "context store");
            list.push((spec.name.clone(), backend));
        }
        Ok(ContextStores::from_backends(list, alias))
    }

    /// The store names, in configuration order (Node-RED's `stores`).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The default store's name.
    pub fn default_name(&self) -> &str {
        &self.names[self.default]
    }

    /// The index of a store by name, if configured.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The index of the store `name` addresses: the default for `None`,
    /// and, as in Node-RED, for an unknown name (warned once per name).
    pub fn resolve(&self, name: Option<&str>) -> usize {
        match name {
            None => self.default,
            Some(n) => self.find(n).unwrap_or_else(|| {
                if self.warned.lock().insert(n.to_owned()) {
                    tracing::warn!("Unknown context store '{n}' specified. Using default store.");
                }
                self.default
            }),
        }
    }

    pub(crate) fn default_index(&self) -> usize {
        self.default
    }

    pub(crate) fn backend(&self, index: usize) -> &Arc<dyn Backend> {
        &self.backends[index]
    }

    pub(crate) fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    /// Every store's backend.
    pub(crate) fn backends(&self) -> &[Arc<dyn Backend>] {
        &self.backends
    }

    /// Write every store's pending values (on shutdown).
    pub fn flush(&self) {
        for (name, backend) in self.names.iter().zip(&self.backends) {
            if let Err(e) = backend.flush() {
                tracing::error!(store = %name, "{e}");
            }
        }
    }
}

impl StoreKind {
    fn label(&self) -> &'static str {
        match self {
            StoreKind::Memory => "memory",
            StoreKind::LocalFileSystem { .. } => "localfilesystem",
            StoreKind::Redis { .. } => "redis",
            StoreKind::Alias(_) => "alias",
        }
    }
}
