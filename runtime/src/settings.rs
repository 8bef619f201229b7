//! Runtime settings: limits and defaults a user can change from the command line.

use std::path::PathBuf;
use std::time::Duration;

use crate::credentials::CredentialKey;

/// Default of [`Settings::max_hops`]: far more than any finite retry or
/// polling loop makes in one dispatch, and a fraction of a second of an
/// endless synchronous one.
pub const DEFAULT_MAX_HOPS: u64 = 20_000;

/// Default of [`Settings::max_file_bytes`]: 100 MiB, far above what a
/// flow reads into one message in practice.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

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
    /// Messages one sequence node (`join`, `sort`, `batch`) may hold while
    /// it waits for the rest of a group; 0 is unlimited (Node-RED's
    /// `nodeMessageBufferMaxLength`, unlimited there by default). A group
    /// that never completes would otherwise grow until memory runs out.
    pub max_pending_messages: usize,
    /// The directory every path the storage nodes (`file`, `file in`,
    /// `watch`) use must resolve inside, after `..` and symlinks
    /// (`--file-root`); `None` is Node-RED's behaviour, any path the
    /// process may open.
    pub file_root: Option<PathBuf>,
    /// Largest file a `file in` node reads into one message (as one string,
    /// or one buffer), so a flow cannot read a file larger than memory;
    /// line and chunk output are streamed and not limited (`--max-file-bytes`).
    pub max_file_bytes: u64,
    /// The named context stores (`--context`), Node-RED's `contextStorage`:
    /// by default one `memory` store.
    pub context_stores: std::sync::Arc<crate::context::ContextStores>,
    /// In cluster mode, whether this replica fires the timers meant to fire
    /// once per cluster (an `inject`'s repeat or crontab); `None` outside a
    /// cluster, where every timer fires.
    pub timer_gate: Option<crate::cluster::TimerGate>,
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
            max_pending_messages: 100_000,
            file_root: None,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            context_stores: Default::default(),
            timer_gate: None,
        }
    }
}
