//! Runtime settings: limits and defaults a user can change from the command line.

use std::path::PathBuf;
use std::time::Duration;

use crate::credentials::CredentialKey;

/// Settings shared by the server and the node types.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a request may wait for an `http response` before it gets 504.
    pub http_timeout: Duration,
    /// Largest request body accepted by `http in` (413 beyond).
    pub max_body_bytes: usize,
    /// Default wall-clock limit of a function node's script.
    pub function_timeout: Duration,
    /// Operation budget of one script run.
    pub function_max_operations: u64,
    /// Bytes one script run may allocate (net) before it is stopped, so a
    /// runaway script cannot exhaust the process's memory.
    pub function_max_memory: usize,
    /// Where the flows file lives (credentials and backups go beside it).
    pub flows_path: Option<PathBuf>,
    /// The credentials file.
    pub credentials_path: Option<PathBuf>,
    /// Encrypts the credentials file (from `FLOWGATE_CREDENTIAL_SECRET`);
    /// `None` keeps it plain JSON.
    pub credential_key: Option<CredentialKey>,
    /// Path prefixes flows' `http in` nodes may not use because the admin API
    /// (or another built-in route) answers there; a colliding flow is refused
    /// at load and deploy. Lower case, no trailing slash, e.g. `/flows`.
    pub reserved_paths: Vec<String>,
    /// The flow is only being validated (`flowgate check`): nothing is
    /// started or saved, so node types should not announce side effects.
    pub validate_only: bool,
    /// Messages one sequence node (`join`, `sort`, `batch`) may hold while
    /// it waits for the rest of a group; 0 is unlimited (Node-RED's
    /// `nodeMessageBufferMaxLength`, unlimited there by default). A group
    /// that never completes would otherwise grow until memory runs out.
    pub max_pending_messages: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            http_timeout: Duration::from_secs(120),
            max_body_bytes: 5 * 1024 * 1024,
            function_timeout: Duration::from_secs(5),
            function_max_operations: 50_000_000,
            function_max_memory: 256 * 1024 * 1024,
            flows_path: None,
            credentials_path: None,
            credential_key: None,
            reserved_paths: Vec::new(),
            validate_only: false,
            max_pending_messages: 100_000,
        }
    }
}
