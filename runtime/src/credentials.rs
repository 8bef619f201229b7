//! Node credentials (secrets, private keys), kept out of the flows file as
//! Node-RED does: `flows_cred.json` beside `flows.json`, an object keyed by
//! node id.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// Why a credentials file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read credentials file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("credentials file {path} is not valid JSON: {message}")]
    Parse { path: String, message: String },
    #[error("credentials file {path} is encrypted; set FLOWGATE_CREDENTIAL_SECRET to read it")]
    Encrypted { path: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Credentials of every node, by node id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Credentials {
    by_node: HashMap<String, Map<String, Value>>,
}

impl Credentials {
    pub fn new() -> Self {
        Self::default()
    }

    /// Read a credentials file; a missing file is an empty set.
    pub fn load(path: &Path) -> Result<Self, CredentialsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::new()),
            Err(source) => {
                return Err(CredentialsError::Read {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        Self::from_json_text(&text).map_err(|message| {
            if message == "encrypted" {
                CredentialsError::Encrypted {
                    path: path.display().to_string(),
                }
            } else {
                CredentialsError::Parse {
                    path: path.display().to_string(),
                    message,
                }
            }
        })
    }

    /// Parse a plain (unencrypted) credentials document.
    pub fn from_json_text(text: &str) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Ok(Self::new());
        }
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let Value::Object(obj) = value else {
            return Err("expected a JSON object keyed by node id".into());
        };
        if obj.len() == 1 && obj.contains_key("$") {
            return Err("encrypted".into());
        }
        let mut by_node = HashMap::new();
        for (id, v) in obj {
            if let Value::Object(m) = v {
                by_node.insert(id, m);
            }
        }
        Ok(Credentials { by_node })
    }

    /// The credentials of one node.
    pub fn get(&self, id: &str) -> Option<&Map<String, Value>> {
        self.by_node.get(id)
    }

    /// Set one credential of one node.
    pub fn set(&mut self, id: &str, key: &str, value: Value) {
        self.by_node
            .entry(id.to_owned())
            .or_default()
            .insert(key.to_owned(), value);
    }

    /// Replace all credentials of one node.
    pub fn replace(&mut self, id: &str, creds: Map<String, Value>) {
        self.by_node.insert(id.to_owned(), creds);
    }

    /// Drop credentials of nodes not in `live`.
    pub fn retain(&mut self, live: impl Fn(&str) -> bool) {
        self.by_node.retain(|k, _| live(k));
    }

    /// Node ids with credentials.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.by_node.keys().map(String::as_str)
    }

    /// As a JSON object keyed by node id, ids sorted for stable files.
    pub fn to_json(&self) -> Value {
        let mut ids: Vec<_> = self.by_node.keys().collect();
        ids.sort();
        let mut out = Map::new();
        for id in ids {
            out.insert(id.clone(), Value::Object(self.by_node[id].clone()));
        }
        Value::Object(out)
    }

    /// Write the file atomically with mode 0600.
    pub fn save(&self, path: &Path) -> Result<(), CredentialsError> {
        let text = serde_json::to_string_pretty(&self.to_json()).expect("credentials serialize");
        write_atomic(path, text.as_bytes(), true).map_err(|source| CredentialsError::Write {
            path: path.display().to_string(),
            source,
        })
    }
}

/// The conventional credentials path for a flows file:
/// `flows.json` → `flows_cred.json`.
pub fn default_path(flows: &Path) -> PathBuf {
    let stem = flows
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "flows".into());
    let ext = flows
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    flows.with_file_name(format!("{stem}_cred{ext}"))
}

/// Write a file so that readers (and a crash at any moment) see either the
/// old content or the new, never a mix: temp file in the same directory,
/// fsync, rename, fsync the directory. `private` makes the file mode 0600.
pub fn write_atomic(path: &Path, data: &[u8], private: bool) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(if private { 0o600 } else { 0o644 });
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cred_path_follows_node_red() {
        assert_eq!(
            default_path(Path::new("/a/flows.json")),
            PathBuf::from("/a/flows_cred.json")
        );
        assert_eq!(
            default_path(Path::new("ignite-jwt.json")),
            PathBuf::from("ignite-jwt_cred.json")
        );
    }

    #[test]
    fn encrypted_file_is_recognised() {
        assert_eq!(
            Credentials::from_json_text(r#"{"$":"abcd"}"#).unwrap_err(),
            "encrypted"
        );
    }
}
