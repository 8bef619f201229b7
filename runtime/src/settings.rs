//! Runtime settings: limits and defaults a user can change from the command line.

use std::path::PathBuf;
use std::time::Duration;

use crate::credentials::CredentialKey;

/// Default of [`Settings::max_hops`]: far more than any finite retry or
/// polling loop makes in one dispatch, and a fraction of a second of an
/// endless synchronous one.
pub const DEFAULT_MAX_HOPS: u64 = 20_000;

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
    /// Most hops (one node handling one message) one dispatch may make
    /// before the message that makes the next hop fails with a catchable
    /// error: a wiring loop that never ends then stops instead of holding a
    /// worker for ever. A dispatch starts where a message enters the flows
    /// (an `http in` request, an `inject`, a timer's send), so a loop
    /// through a `delay` starts afresh at each release.
    pub max_hops: u64,
    /// The flow is only being validated (`flowgate check`): nothing is
    /// started or saved, so node types should not announce side effects.
    pub validate_only: bool,
    /// Whether `exec` nodes may run commands (`--allow-exec`): off by
    /// default, so a flow deployed through the admin API cannot start
    /// programs on the host unless whoever started the runtime said so.
    pub allow_exec: bool,
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
            max_hops: DEFAULT_MAX_HOPS,
            validate_only: false,
            allow_exec: false,
        }
    }
}
