//! Cluster mode (`flowgate run --cluster redis://…`): identical replicas
//! behind a load balancer, sharing one Redis.
//!
//! - **Flows**: the flows, their revision and the credentials (encrypted
//!   with the credential secret, as on disk) are one document in Redis
//!   ([`store`]). A replica starts from it, or seeds it from its flows file
//!   when there is none (only one seed wins, race-free); a deploy through
//!   any replica replaces it with compare-and-set on the revision and
//!   announces it; every replica then runs it through its own deploy path.
//!   The local flows file stays a cache of the last good flows.
//! - **Failure**: a replica that loses Redis keeps serving its flows,
//!   answers `/ready` with 503 and the reason, refuses deploys with 503, and
//!   catches up when Redis returns ([`Cluster::start`]'s watch).
//! - **Timers**: a lease elects the replica that fires the timers meant to
//!   fire once per cluster ([`leader`]).
//! - **Events**: debug messages and node status are relayed to every
//!   replica's editor connections ([`relay`]).

mod leader;
mod relay;
pub mod store;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::StreamExt;
use parking_lot::Mutex;
use serde_json::Value;

pub use leader::TimerGate;
pub use store::{Document, StoreError, Swap};

use crate::credentials::{CredentialKey, Credentials};
use crate::engine::Flows;
use crate::events::Events;
use crate::model::{self, FlowFile};
use crate::service::{Runtime, StartError};
use store::Store;

/// How often a replica compares its revision with the stored one (and so
/// notices Redis leaving and returning); announcements make deploys reach
/// it sooner.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// Why cluster mode cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("--cluster {url}: {source}")]
    Url {
        url: String,
        #[source]
        source: redis::RedisError,
    },
    #[error(
        "--cluster needs a credential secret (FLOWGATE_CREDENTIAL_SECRET): the credentials \
         are kept in Redis encrypted with it, the same secret on every replica"
    )]
    NoSecret,
}

/// What a replica does when the stored revision is not the one it runs.
pub trait Follower: Send + Sync + 'static {
    /// The revision this replica runs.
    fn local_rev(&self) -> String;
    /// Load and run the stored revision (or store this replica's flows when
    /// Redis holds none, as after a restart of a Redis without persistence).
    fn sync(&self) -> BoxFuture<'static, ()>;
}

/// This replica's membership of the cluster.
pub struct Cluster {
    store: Store,
    replica: String,
    gate: TimerGate,
    /// Why Redis is unreachable, while it is.
    lost: Mutex<Option<String>>,
}

impl Cluster {
    /// Join the cluster at `url` as `replica`; nothing is connected yet.
    pub fn new(url: &str, replica: String) -> Result<Arc<Cluster>, ClusterError> {
        let store = Store::new(url).map_err(|source| ClusterError::Url {
            url: redact(url),
            source,
        })?;
        Ok(Arc::new(Cluster {
            store,
            replica,
            gate: TimerGate::default(),
            lost: Mutex::new(None),
        }))
    }

    /// This replica's name (`--replica-name`).
    pub fn replica(&self) -> &str {
        &self.replica
    }

    /// The gate the once-per-cluster timers consult.
    pub fn timer_gate(&self) -> TimerGate {
        self.gate.clone()
    }

    /// The shared store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Why Redis is unreachable, if it is (for `/ready` and refusals).
    pub fn unavailable(&self) -> Option<String> {
        self.lost.lock().clone()
    }

    /// Record a failed Redis call: logged once, when Redis goes away.
    pub fn mark_lost(&self, e: &StoreError) {
        let mut lost = self.lost.lock();
        if lost.is_none() {
            tracing::warn!(
                replica = %self.replica,
                "the cluster's Redis is unreachable ({e}): serving the last good flows, \
                 refusing deploys until it is back"
            );
        }
        *lost = Some(format!("the cluster's Redis is unreachable: {e}"));
    }

    /// Record a successful Redis call: logged once, when Redis returns.
    pub fn mark_reachable(&self) {
        if self.lost.lock().take().is_some() {
            tracing::info!(replica = %self.replica, "the cluster's Redis is reachable again");
        }
    }

    /// Run the replica's background work: the revision watch, the
    /// announcements, the timer lease and the event relay.
    pub fn start(self: &Arc<Self>, follower: Arc<dyn Follower>, events: Events) {
        crate::metrics::cluster_leader(false);
        tokio::spawn(leader::run(self.clone()));
        tokio::spawn(watch(self.clone(), follower.clone()));
        tokio::spawn(listen(self.clone(), follower, events.clone()));
        tokio::spawn(relay::send(self.clone(), events));
    }

    /// Leave the cluster at shutdown: give the timer lease up.
    pub async fn leave(&self) {
        leader::release(self).await;
    }

    /// The document for running `flows` with `credentials`.
    pub fn document(
        &self,
        flows: &Flows,
        credentials: &Credentials,
        key: &CredentialKey,
        kind: &str,
    ) -> Document {
        Document {
            rev: flows.rev.clone(),
            flows: flows
                .source
                .iter()
                .map(|n| Value::Object(n.raw.clone()))
                .collect(),
            credentials: serde_json::from_slice(&credentials.to_file_bytes(Some(key)))
                .unwrap_or_default(),
            kind: kind.to_owned(),
            replica: self.replica.clone(),
        }
    }
}

/// Compare the stored revision with the running one every
/// [`WATCH_EVERY`]: catches deploys whose announcement was missed and
/// notices Redis leaving and returning.
async fn watch(cluster: Arc<Cluster>, follower: Arc<dyn Follower>) {
    let mut ticks = tokio::time::interval(WATCH_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match cluster.store.rev().await {
            Ok(rev) => {
                cluster.mark_reachable();
                if rev.as_deref() != Some(follower.local_rev().as_str()) {
                    follower.sync().await;
                }
            }
            Err(e) => cluster.mark_lost(&e),
        }
    }
}

/// Follow deploy announcements and relayed events, resubscribing whenever
/// the connection drops.
async fn listen(cluster: Arc<Cluster>, follower: Arc<dyn Follower>, events: Events) {
    loop {
        if let Ok(pubsub) = cluster.store.subscribe().await {
            let mut messages = pubsub.into_on_message();
            while let Some(msg) = messages.next().await {
                if msg.get_channel_name() == cluster.store.deploys_channel() {
                    tokio::spawn(follower.sync());
                } else {
                    relay::receive(&cluster, &events, msg.get_payload_bytes());
                }
            }
        }
        tokio::time::sleep(WATCH_EVERY).await;
    }
}

impl Runtime {
    /// Start a cluster replica's flows: the stored revision; or, when Redis
    /// holds none, the flows file, stored for the others (if another
    /// replica stored its own first, that one); or, when Redis cannot be
    /// reached, the flows file as the last good flows.
    pub async fn start_clustered(&self, path: &Path) -> Result<Arc<Flows>, StartError> {
        let cluster = self.cluster().expect("a cluster runtime").clone();
        let key = self
            .credential_key()
            .ok_or(StartError::Cluster(ClusterError::NoSecret.to_string()))?;
        let stored = match cluster.store.document().await {
            Ok(stored) => stored,
            Err(e) => return self.start_unclustered(&cluster, &e, path),
        };
        let doc = match stored {
            Some(doc) => doc,
            None => {
                let loaded = self.open_file(path)?;
                let ours = cluster.document(&loaded.flows, &loaded.credentials, key, "full");
                match cluster.store.seed(&ours).await {
                    Ok((true, _)) => {
                        tracing::info!(rev = %ours.rev, "stored the flows of {} as the cluster's", path.display());
                        return Ok(self.install(loaded));
                    }
                    Ok((false, theirs)) => theirs,
                    Err(e) => return self.start_unclustered(&cluster, &e, path),
                }
            }
        };
        tracing::info!(rev = %doc.rev, from = %doc.replica, "running the cluster's flows");
        let loaded = self.prepare_document(&doc, key)?;
        self.save_local(Some(&loaded.credentials), doc.flows)
            .map_err(StartError::Save)?;
        Ok(self.install(loaded))
    }

    /// Redis is unreachable at start: serve the flows file.
    fn start_unclustered(
        &self,
        cluster: &Cluster,
        e: &StoreError,
        path: &Path,
    ) -> Result<Arc<Flows>, StartError> {
        cluster.mark_lost(e);
        tracing::warn!("starting from {} until Redis is reachable", path.display());
        self.load_file(path)
    }

    /// Validate and build a stored document, running its revision.
    fn prepare_document(
        &self,
        doc: &Document,
        key: &CredentialKey,
    ) -> Result<crate::loader::Loaded, StartError> {
        let nodes = model::parse_flow_value(Value::Array(doc.flows.clone()))
            .map_err(|p| StartError::Load(crate::error::LoadError::Invalid(p)))?
            .nodes;
        let creds = Credentials::from_document(doc.credentials.clone(), Some(key))
            .map_err(|e| StartError::Cluster(format!("the cluster's credentials: {e}")))?;
        let file = FlowFile {
            rev: Some(doc.rev.clone()),
            nodes,
        };
        self.prepare(file, creds).map_err(StartError::Load)
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password_in_messages() {
        assert_eq!(
            redact("redis://:hunter2@10.0.0.1:6379/0"),
            "redis://***@10.0.0.1:6379/0"
        );
        assert_eq!(redact("redis://127.0.0.1/1"), "redis://127.0.0.1/1");
    }
}
