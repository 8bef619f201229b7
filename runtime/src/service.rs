//! The running service: the current deployment, swapped atomically on deploy,
//! and the state that outlives deployments (contexts, credentials, events).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use parking_lot::Mutex;

use crate::admin::journal;
use crate::admin::persist::{self, FileWrite};
use crate::cluster::Cluster;
use crate::context::ContextRegistry;
use crate::credential_fields;
use crate::credentials::{self, CredentialKey, Credentials};
use crate::engine::Flows;
use crate::error::LoadError;
use crate::events::Events;
use crate::loader::{self, LoadEnv, Loaded, Reuse};
use crate::model::{self, FlowFile};
use crate::registry::Registry;
use crate::settings::Settings;

/// A flowgate runtime: what `flowgate run` starts and the admin API changes.
pub struct Runtime {
    pub env: LoadEnv,
    current: ArcSwap<Flows>,
    credentials: Mutex<Credentials>,
    /// Deploys are serialized: concurrent deploys cannot interleave.
    pub deploy_lock: tokio::sync::Mutex<()>,
    /// The cluster this replica belongs to (`--cluster`), if any.
    cluster: Option<Arc<Cluster>>,
}

impl Runtime {
    /// A runtime with no flows deployed.
    pub fn new(registry: Registry, settings: Settings) -> Arc<Self> {
        Self::with_cluster(registry, settings, None)
    }

    /// A runtime with no flows deployed, a replica of `cluster` when given
    /// (its flows then come from and go to the cluster's store).
    pub fn with_cluster(
        registry: Registry,
        settings: Settings,
        cluster: Option<Arc<Cluster>>,
    ) -> Arc<Self> {
        // Before any flows load: their per-node counters must record.
        crate::metrics::init();
        let settings = Arc::new(settings);
        let contexts = Arc::new(ContextRegistry::with_stores(
            settings.context_stores.clone(),
        ));
        Arc::new(Runtime {
            current: ArcSwap::from_pointee(Flows::empty(settings.clone())),
            env: LoadEnv {
                registry: Arc::new(registry),
                settings,
                contexts,
                events: Events::new(),
                history: Default::default(),
            },
            credentials: Mutex::new(Credentials::new()),
            deploy_lock: tokio::sync::Mutex::new(()),
            cluster,
        })
    }

    /// The cluster this replica belongs to, if any.
    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.cluster.as_ref()
    }

    /// The deployment serving requests now.
    pub fn current(&self) -> Arc<Flows> {
        self.current.load_full()
    }

    /// The settings.
    pub fn settings(&self) -> &Arc<Settings> {
        &self.env.settings
    }

    /// The event bus (debug, status).
    pub fn events(&self) -> &Events {
        &self.env.events
    }

    /// The credentials now in force.
    pub fn credentials(&self) -> Credentials {
        self.credentials.lock().clone()
    }

    /// The credentials file path in use, if any.
    pub fn credentials_path(&self) -> Option<PathBuf> {
        self.env.settings.credentials_path.clone().or_else(|| {
            self.env
                .settings
                .flows_path
                .as_deref()
                .map(credentials::default_path)
        })
    }

    /// The key the credentials file is encrypted with, if any.
    pub fn credential_key(&self) -> Option<&CredentialKey> {
        self.env.settings.credential_key.as_ref()
    }

    /// Validate and build `file` with `creds`, without touching what runs.
    pub fn prepare(&self, file: FlowFile, creds: Credentials) -> Result<Loaded, LoadError> {
        loader::load(file, &self.env, creds)
    }

    /// [`prepare`](Self::prepare), carrying the running nodes named in `keep`
    /// over from `previous` (a `nodes`/`flows` deploy) instead of restarting
    /// them.
    pub fn prepare_reusing(
        &self,
        file: FlowFile,
        creds: Credentials,
        previous: &Flows,
        keep: &std::collections::HashSet<String>,
    ) -> Result<Loaded, LoadError> {
        loader::load_reusing(file, &self.env, creds, Some(Reuse { previous, keep }))
    }

    /// Make a prepared deployment the live one: new requests go to it at once,
    /// requests already inside the old one finish there; then the old one's
    /// nodes are stopped.
    pub fn install(&self, loaded: Loaded) -> Arc<Flows> {
        let flows = loaded.flows.clone();
        self.env
            .history
            .write()
            .record(&loaded.credentials, "an earlier deployment");
        *self.credentials.lock() = loaded.credentials;
        // Tabs count as live when a node sits on them, even if the file has
        // no `tab` node for them (Ignite exports), so their flow context survives.
        let live_ids: std::collections::HashSet<String> = flows
            .source
            .iter()
            .flat_map(|n| std::iter::once(n.id.clone()).chain(n.z.clone()))
            // Nodes inside subflow instances and the instances' own flows.
            .chain(
                flows
                    .nodes
                    .iter()
                    .flat_map(|n| std::iter::once(n.id.clone()).chain(n.tab.clone())),
            )
            .collect();
        flows.start();
        crate::metrics::deployed(flows.node_count());
        let old = self.current.swap(flows.clone());
        old.stop_replaced_by(&flows);
        self.env
            .contexts
            .retain(&|id| live_ids.contains(id), &|id| live_ids.contains(id));
        flows
    }

    /// Save deployed flows (credentials stripped) to the flows file and,
    /// when given, `creds` to the credentials file, as one step through the
    /// journal: what a deploy saves, and what a cluster replica keeps as its
    /// last good flows.
    pub fn save_local(
        &self,
        creds: Option<&Credentials>,
        nodes: Vec<serde_json::Value>,
    ) -> Result<(), persist::PersistError> {
        let mut files = Vec::new();
        if let (Some(path), Some(creds)) = (self.credentials_path(), creds) {
            files.push(FileWrite {
                path,
                data: creds.to_file_bytes(self.credential_key()),
                private: true,
            });
        }
        if let Some(path) = self.settings().flows_path.clone() {
            files.push(FileWrite {
                private: persist::is_private(&path),
                path,
                data: credentials::pretty_json(&serde_json::Value::Array(nodes)),
            });
        }
        match self.journal_path().filter(|_| !files.is_empty()) {
            Some(journal) => persist::save_all(&journal, &files),
            None => Ok(()),
        }
    }

    /// Where saves journal their commit: beside the flows file.
    pub fn journal_path(&self) -> Option<PathBuf> {
        let flows = self.env.settings.flows_path.clone();
        flows
            .or_else(|| self.credentials_path())
            .map(|p| journal::journal_path(&p))
    }

    /// Load a flows file (and its credentials) from disk, report every problem,
    /// and install it. A save a crash interrupted is finished first; generated
    /// credentials, and credential fields moved out of the flows, are saved
    /// before anything starts.
    pub fn load_file(&self, path: &Path) -> Result<Arc<Flows>, StartError> {
        let loaded = self.open_file(path)?;
        Ok(self.install(loaded))
    }

    /// What [`load_file`](Self::load_file) does short of installing: finish
    /// an interrupted save, read and validate the files, save what loading
    /// changed. For tools that use the flows without serving them
    /// (`flowgate token`).
    pub fn open_file(&self, path: &Path) -> Result<Loaded, StartError> {
        let cred_path = self.credentials_path();
        let journal = journal::journal_path(path);
        let mut files = vec![path];
        files.extend(cred_path.as_deref());
        journal::recover(&journal, &files).map_err(StartError::Recover)?;
        let (loaded, moved) = self.prepare_file(path)?;
        let mut writes = Vec::new();
        if let Some(p) = cred_path.filter(|_| loaded.credentials_changed || moved) {
            writes.push(FileWrite {
                path: p,
                data: loaded.credentials.to_file_bytes(self.credential_key()),
                private: true,
            });
        }
        if moved {
            writes.push(FileWrite {
                path: path.to_owned(),
                data: credentials::pretty_json(&model::to_json_array(&loaded.flows.source)),
                private: persist::is_private(path),
            });
        }
        persist::save_all(&journal, &writes).map_err(StartError::Save)?;
        Ok(loaded)
    }

    /// Read, parse and validate a flows file with its credentials, starting
    /// and saving nothing. Also says whether credential fields were moved
    /// out of the flows' properties (so the flows file must be rewritten).
    fn prepare_file(&self, path: &Path) -> Result<(Loaded, bool), StartError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            StartError::Load(LoadError::Io {
                path: path.display().to_string(),
                source,
            })
        })?;
        let mut file =
            model::parse_flow_text(&text).map_err(|p| StartError::Load(LoadError::Invalid(p)))?;
        let mut creds = match self.credentials_path() {
            Some(p) => {
                self.remember_backup(&p);
                Credentials::load_with(&p, self.credential_key())
                    .map_err(StartError::Credentials)?
            }
            None => Credentials::new(),
        };
        let mut moved = false;
        for n in &mut file.nodes {
            moved |=
                !credential_fields::move_to_credentials(&self.env.registry, &mut n.raw, &mut creds)
                    .is_empty();
        }
        let loaded = self.prepare(file, creds).map_err(StartError::Load)?;
        Ok((loaded, moved))
    }

    /// Note the credentials the backup of the credentials file holds, so a
    /// node that lost one is not silently given a new one.
    fn remember_backup(&self, cred_path: &Path) {
        let backup = persist::backup_path(cred_path);
        match Credentials::load_with(&backup, self.credential_key()) {
            Ok(c) => self.env.history.write().record(
                &c,
                &format!("the credentials file's backup {}", backup.display()),
            ),
            Err(e) => tracing::warn!("{e}; not consulted for credentials nodes held before"),
        }
    }

    /// Stop every node (shutdown), giving up the cluster's timer lease.
    pub async fn shutdown(&self) {
        self.stop();
        if let Some(c) = &self.cluster {
            c.leave().await;
        }
    }

    /// Stop every node (shutdown).
    pub fn stop(&self) {
        self.current.load().stop();
        // A file store writes what it holds, as Node-RED's does on close.
        self.env.contexts.flush();
    }
}

/// Why the runtime could not start its flows.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Load(LoadError),
    #[error(transparent)]
    Credentials(crate::credentials::CredentialsError),
    #[error(transparent)]
    Recover(journal::RecoverError),
    /// Credentials generated, or credential fields moved out of the flows,
    /// at start could not be saved; starting anyway would lose them.
    #[error(
        "{0}: the credentials generated or moved out of the flows file at start must be saved \
         before the flows run"
    )]
    Save(persist::PersistError),
    /// Cluster mode could not start (no credential secret, a stored
    /// document this replica cannot read).
    #[error("{0}")]
    Cluster(String),
}

impl Runtime {
    /// Validate a flows file without installing or starting it: the
    /// deployment it would be (its nodes, endpoints, loops and warnings).
    pub fn check_file(&self, path: &Path) -> Result<Arc<Flows>, StartError> {
        let (loaded, _) = self.prepare_file(path)?;
        Ok(loaded.flows)
    }
}
