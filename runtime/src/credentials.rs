//! Node credentials (secrets, private keys), kept out of the flows file as
//! Node-RED does: `flows_cred.json` beside `flows.json`, an object keyed by
//! node id.
//!
//! The file may be encrypted. flowgate reads both Node-RED's format
//! (`{"$": "<32 hex IV><base64>"}`, AES-256-CTR, key = SHA-256 of the secret)
//! so users can bring their files over, and its own, which it writes:
//! `{"$": "gcm:<base64 nonce ‖ ciphertext ‖ tag>"}`, AES-256-GCM with a random
//! 96-bit nonce, so a wrong secret or a damaged file is detected instead of
//! decrypting to garbage. Both keep Node-RED's single `"$"` key, so Node-RED
//! itself reports our file as "failed to decrypt" rather than reading it as an
//! empty set.

use std::collections::HashMap;
use std::fmt;
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
    #[error(
        "credentials file {path} cannot be decrypted with FLOWGATE_CREDENTIAL_SECRET: {reason}; \
         is it the secret the file was written with? (nothing was changed)"
    )]
    Decrypt { path: String, reason: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Why an encrypted credentials document could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("the document is encrypted and no secret is set")]
    NoKey,
    #[error("{0}")]
    Malformed(String),
    #[error("wrong secret or damaged file (authentication failed)")]
    Authentication,
    #[error("wrong secret or damaged file (decrypted data is not a JSON object)")]
    NotJson,
}

/// The key credentials are encrypted with: SHA-256 of the user's secret, as
/// Node-RED derives it, so one secret opens both formats.
#[derive(Clone, PartialEq, Eq)]
pub struct CredentialKey([u8; 32]);

impl CredentialKey {
    /// Derive the key from a secret (`FLOWGATE_CREDENTIAL_SECRET`,
    /// Node-RED's `credentialSecret`).
    pub fn from_secret(secret: &str) -> Self {
        use sha2::Digest;
        CredentialKey(sha2::Sha256::digest(secret.as_bytes()).into())
    }
}

impl fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialKey(<redacted>)")
    }
}

/// Credentials of every node, by node id.
#[derive(Clone, Default, PartialEq)]
pub struct Credentials {
    by_node: HashMap<String, Map<String, Value>>,
}

/// Secrets never reach a log through `{:?}`: only node ids and key names.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (id, creds) in &self.by_node {
            m.entry(id, &creds.keys().collect::<Vec<_>>());
        }
        m.finish()
    }
}

impl Credentials {
    pub fn new() -> Self {
        Self::default()
    }

    /// Read a plain credentials file; a missing file is an empty set.
    pub fn load(path: &Path) -> Result<Self, CredentialsError> {
        Self::load_with(path, None)
    }

    /// Read a credentials file, plain or encrypted (Node-RED's format or
    /// flowgate's); a missing file is an empty set. An encrypted file without
    /// `key`, or with the wrong one, is an error, never an empty set.
    pub fn load_with(path: &Path, key: Option<&CredentialKey>) -> Result<Self, CredentialsError> {
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
        let shown = || path.display().to_string();
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        if text.trim().is_empty() {
            return Ok(Self::new());
        }
        let value: Value = serde_json::from_str(text).map_err(|e| CredentialsError::Parse {
            path: shown(),
            message: e.to_string(),
        })?;
        Self::from_document(value, key).map_err(|e| match e {
            DocumentError::Shape(message) => CredentialsError::Parse {
                path: shown(),
                message,
            },
            DocumentError::Decrypt(DecryptError::NoKey) => {
                CredentialsError::Encrypted { path: shown() }
            }
            DocumentError::Decrypt(reason) => CredentialsError::Decrypt {
                path: shown(),
                reason: reason.to_string(),
            },
        })
    }

    /// Parse a plain (unencrypted) credentials document.
    pub fn from_json_text(text: &str) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Ok(Self::new());
        }
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Self::from_document(value, None).map_err(|e| match e {
            DocumentError::Decrypt(DecryptError::NoKey) => "encrypted".to_owned(),
            other => other.to_string(),
        })
    }

    /// A credentials document as JSON: either the plain object keyed by node
    /// id, or an encrypted `{"$": ...}` (opened with `key`).
    pub fn from_document(value: Value, key: Option<&CredentialKey>) -> Result<Self, DocumentError> {
        let Value::Object(obj) = value else {
            return Err(DocumentError::Shape(
                "expected a JSON object keyed by node id".into(),
            ));
        };
        if let Some(sealed) = encrypted_payload(&obj) {
            let key = key.ok_or(DocumentError::Decrypt(DecryptError::NoKey))?;
            let plain = cipher::open(key, sealed).map_err(DocumentError::Decrypt)?;
            return match serde_json::from_slice::<Value>(&plain) {
                Ok(Value::Object(inner)) => Ok(Self::from_plain_map(inner)),
                _ => Err(DocumentError::Decrypt(DecryptError::NotJson)),
            };
        }
        Ok(Self::from_plain_map(obj))
    }

    fn from_plain_map(obj: Map<String, Value>) -> Self {
        let mut by_node = HashMap::new();
        for (id, v) in obj {
            if let Value::Object(m) = v {
                by_node.insert(id, m);
            }
        }
        Credentials { by_node }
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

    /// Forget one node's credentials.
    pub fn remove(&mut self, id: &str) {
        self.by_node.remove(id);
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

    /// The file's bytes: pretty JSON (4-space indent, like Node-RED's
    /// `flowFilePretty`), encrypted with AES-256-GCM when `key` is given.
    pub fn to_file_bytes(&self, key: Option<&CredentialKey>) -> Vec<u8> {
        let plain = self.to_json();
        let doc = match key {
            Some(key) => {
                let bytes = serde_json::to_vec(&plain).expect("credentials serialize");
                let mut obj = Map::new();
                obj.insert("$".into(), Value::String(cipher::seal(key, &bytes)));
                Value::Object(obj)
            }
            None => plain,
        };
        pretty_json(&doc)
    }

    /// Write the file atomically with mode 0600.
    pub fn save(&self, path: &Path) -> Result<(), CredentialsError> {
        self.save_with(path, None)
    }

    /// Write the file atomically with mode 0600, encrypted when `key` is given.
    pub fn save_with(
        &self,
        path: &Path,
        key: Option<&CredentialKey>,
    ) -> Result<(), CredentialsError> {
        write_atomic(path, &self.to_file_bytes(key), true).map_err(|source| {
            CredentialsError::Write {
                path: path.display().to_string(),
                source,
            }
        })
    }
}

/// Which credentials each node has held, and where that was seen: the
/// credentials file's backup at start, and every deployment since. A node
/// type that would generate a credential (a `jwt-config` without a secret)
/// is refused when the node held one before, since a new key silently makes
/// everything signed with the old one fail to verify: that happens when the
/// credentials file was lost or replaced by an older one, which must be
/// fixed rather than papered over.
#[derive(Debug, Default)]
pub struct History {
    held: HashMap<String, HashMap<String, String>>,
}

impl History {
    /// Note every credential with a value in `creds`, seen in `origin`
    /// (the first origin recorded for a credential is kept).
    pub fn record(&mut self, creds: &Credentials, origin: &str) {
        for (id, keys) in &creds.by_node {
            for (key, value) in keys {
                if !(value.is_null() || value.as_str() == Some("")) {
                    self.held
                        .entry(id.clone())
                        .or_default()
                        .entry(key.clone())
                        .or_insert_with(|| origin.to_owned());
                }
            }
        }
    }

    /// Where node `id` was seen holding credential `key`, if it was.
    pub fn held(&self, id: &str, key: &str) -> Option<&str> {
        self.held.get(id)?.get(key).map(String::as_str)
    }
}

/// Why a credentials document could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("{0}")]
    Shape(String),
    #[error(transparent)]
    Decrypt(DecryptError),
}

/// The sealed string of an encrypted document: Node-RED's rule, an object
/// whose only key is `"$"`.
fn encrypted_payload(obj: &Map<String, Value>) -> Option<&str> {
    if obj.len() == 1 {
        obj.get("$").and_then(Value::as_str)
    } else {
        None
    }
}

/// JSON with Node-RED's 4-space indentation and a stable layout.
pub fn pretty_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    serde::Serialize::serialize(value, &mut ser).expect("JSON serializes");
    out
}

mod cipher {
    //! The two encrypted formats. Reading accepts both; writing uses GCM.
    use aes::cipher::{KeyIvInit, StreamCipher};
    use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;

    use super::{CredentialKey, DecryptError};

    const GCM_PREFIX: &str = "gcm:";
    const NONCE_LEN: usize = 12;

    type NodeRedCtr = ctr::Ctr128BE<aes::Aes256>;

    /// Encrypt with AES-256-GCM and a fresh random nonce.
    pub fn seal(key: &CredentialKey, plain: &[u8]) -> String {
        let aead = aes_gcm::Aes256Gcm::new((&key.0).into());
        let nonce = aes_gcm::Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = aead.encrypt(&nonce, plain).expect("AES-GCM encrypts");
        let mut buf = Vec::with_capacity(NONCE_LEN + sealed.len());
        buf.extend_from_slice(&nonce);
        buf.extend_from_slice(&sealed);
        format!("{GCM_PREFIX}{}", STANDARD.encode(buf))
    }

    /// Decrypt either format.
    pub fn open(key: &CredentialKey, sealed: &str) -> Result<Vec<u8>, DecryptError> {
        match sealed.strip_prefix(GCM_PREFIX) {
            Some(b64) => open_gcm(key, b64),
            None => open_node_red(key, sealed),
        }
    }

    fn open_gcm(key: &CredentialKey, b64: &str) -> Result<Vec<u8>, DecryptError> {
        let raw = STANDARD
            .decode(b64.trim())
            .map_err(|e| DecryptError::Malformed(format!("invalid base64: {e}")))?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(DecryptError::Malformed(
                "encrypted data is truncated".into(),
            ));
        }
        let (nonce, body) = raw.split_at(NONCE_LEN);
        let aead = aes_gcm::Aes256Gcm::new((&key.0).into());
        aead.decrypt(nonce.into(), body)
            .map_err(|_| DecryptError::Authentication)
    }

    /// Node-RED: 32 hex characters of IV, then base64 of AES-256-CTR output.
    fn open_node_red(key: &CredentialKey, sealed: &str) -> Result<Vec<u8>, DecryptError> {
        let (iv_hex, b64) = sealed
            .split_at_checked(32)
            .ok_or_else(|| DecryptError::Malformed("encrypted data is truncated".into()))?;
        let iv: [u8; 16] = hex::decode(iv_hex)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| DecryptError::Malformed("the IV is not 32 hex characters".into()))?;
        let mut data = STANDARD
            .decode(b64.trim())
            .map_err(|e| DecryptError::Malformed(format!("invalid base64: {e}")))?;
        let mut ctr = NodeRedCtr::new((&key.0).into(), (&iv).into());
        ctr.apply_keystream(&mut data);
        Ok(data)
    }

    /// Node-RED's own encryption, for tests that need a file as Node-RED
    /// writes it.
    pub fn seal_node_red(key: &CredentialKey, iv: [u8; 16], plain: &[u8]) -> String {
        let mut data = plain.to_vec();
        let mut ctr = NodeRedCtr::new((&key.0).into(), (&iv).into());
        ctr.apply_keystream(&mut data);
        format!("{}{}", hex::encode(iv), STANDARD.encode(data))
    }
}

/// Encrypt a credentials JSON text the way Node-RED does (AES-256-CTR), as
/// the `"$"` value of its file. For migration tests and tooling; flowgate
/// itself writes the authenticated GCM format.
pub fn node_red_seal(secret: &str, iv: [u8; 16], plain_json: &str) -> String {
    cipher::seal_node_red(
        &CredentialKey::from_secret(secret),
        iv,
        plain_json.as_bytes(),
    )
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
    let tmp = stage(path, data, private)?;
    commit(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// The directory a file lives in (`.` for a bare name).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Where [`stage`] writes `path`'s next content: `.<name>.<pid>.tmp` beside
/// it. [`is_temp_of`] recognises these names when cleaning up after a crash.
pub fn temp_path(path: &Path) -> PathBuf {
    parent_dir(path).join(format!(".{}.{}.tmp", file_name(path), std::process::id()))
}

/// Whether `candidate` (a file name) is a temp file [`temp_path`] makes for
/// `path`, by this or any earlier process.
pub fn is_temp_of(path: &Path, candidate: &str) -> bool {
    candidate
        .strip_prefix(&format!(".{}.", file_name(path)))
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into())
}

/// The first half of [`write_atomic`]: write `data` to `path`'s temp file
/// and fsync it, leaving `path` untouched. Returns the temp file's path; on
/// error nothing is left behind.
pub fn stage(path: &Path, data: &[u8], private: bool) -> std::io::Result<PathBuf> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(if private { 0o600 } else { 0o644 });
        }
        let mut f = opts.open(&tmp)?;
        // A leftover temp file from a crash keeps its old mode: force it.
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(data)?;
        f.sync_all()
    })();
    match result {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// The second half of [`write_atomic`]: rename a staged temp file over
/// `path` and fsync the directory so the rename itself is durable.
pub fn commit(tmp: &Path, path: &Path) -> std::io::Result<()> {
    std::fs::rename(tmp, path)?;
    sync_dir(parent_dir(path));
    Ok(())
}

/// Make a directory's entries (renames, removals) durable. Best effort: not
/// every file system lets a directory be opened for syncing.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    /// Written by Node-RED 4.1 with `credentialSecret: "s3cret"` for
    /// `{"q1":{"user":"bob","password":"pw"}}`.
    const NODE_RED_FILE: &str = r#"{"$":"467de15b68dbe6617a4857eed809c7bfpUjPDzP+AE3s2TsttWmjeAS3CpKTwNdUEhTUwy+gMcqWcfi+Pg=="}"#;

    #[test]
    fn reads_node_red_encrypted_file() {
        let key = CredentialKey::from_secret("s3cret");
        let doc: Value = serde_json::from_str(NODE_RED_FILE).unwrap();
        let c = Credentials::from_document(doc, Some(&key)).unwrap();
        assert_eq!(
            c.to_json(),
            json!({"q1": {"user": "bob", "password": "pw"}})
        );
    }

    #[test]
    fn wrong_secret_on_node_red_file_is_an_error() {
        let key = CredentialKey::from_secret("not-it");
        let doc: Value = serde_json::from_str(NODE_RED_FILE).unwrap();
        assert_eq!(
            Credentials::from_document(doc, Some(&key)).unwrap_err(),
            DocumentError::Decrypt(DecryptError::NotJson)
        );
    }

    #[test]
    fn gcm_round_trip_and_wrong_secret() {
        let mut c = Credentials::new();
        c.set("n1", "secret", json!("hunter2"));
        let key = CredentialKey::from_secret("k1");
        let bytes = c.to_file_bytes(Some(&key));
        let text = String::from_utf8(bytes).unwrap();
        assert!(!text.contains("hunter2"));
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert!(doc["$"].as_str().unwrap().starts_with("gcm:"));
        assert_eq!(
            Credentials::from_document(doc.clone(), Some(&key)).unwrap(),
            c
        );
        assert_eq!(
            Credentials::from_document(doc.clone(), Some(&CredentialKey::from_secret("k2")))
                .unwrap_err(),
            DocumentError::Decrypt(DecryptError::Authentication)
        );
        assert_eq!(
            Credentials::from_document(doc, None).unwrap_err(),
            DocumentError::Decrypt(DecryptError::NoKey)
        );
    }

    #[test]
    fn nonces_differ_between_writes() {
        let mut c = Credentials::new();
        c.set("n1", "secret", json!("x"));
        let key = CredentialKey::from_secret("k");
        assert_ne!(c.to_file_bytes(Some(&key)), c.to_file_bytes(Some(&key)));
    }

    #[test]
    fn node_red_seal_matches_node_red() {
        let doc: Value = serde_json::from_str(NODE_RED_FILE).unwrap();
        let sealed = doc["$"].as_str().unwrap();
        let iv: [u8; 16] = hex::decode(&sealed[..32]).unwrap().try_into().unwrap();
        assert_eq!(
            node_red_seal("s3cret", iv, r#"{"q1":{"user":"bob","password":"pw"}}"#),
            sealed
        );
    }

    #[test]
    fn debug_output_hides_values() {
        let mut c = Credentials::new();
        c.set("n1", "secret", json!("hunter2"));
        let shown = format!("{c:?}");
        assert!(shown.contains("n1") && !shown.contains("hunter2"));
    }
}
