//! A cluster replica's side of deploying: store a deploy in the cluster's
//! Redis (compare-and-set on the revision) and run the revision another
//! replica stored, through the same deploy path as a local deploy (validate,
//! save the local cache, swap), under the same lock.

use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::FutureExt;
use parking_lot::Mutex;

use super::deploy::{self, Change, DeployError, DeployKind};
use super::Admin;
use crate::cluster::{Cluster, Document, StoreError, Swap};
use crate::loader::Loaded;

/// Run a Redis call from the deploy's blocking task.
fn wait<F: Future>(call: F) -> F::Output {
    tokio::runtime::Handle::current().block_on(call)
}

/// A Redis failure as a deploy refusal (and a note for `/ready`).
fn unavailable(cluster: &Cluster, e: StoreError) -> DeployError {
    cluster.mark_lost(&e);
    DeployError::ClusterUnavailable(format!("the cluster's Redis is unreachable: {e}"))
}

/// The key every replica shares; its absence stops cluster mode at start.
fn key_of(admin: &Admin) -> Result<&crate::credentials::CredentialKey, DeployError> {
    admin
        .runtime
        .credential_key()
        .ok_or_else(|| DeployError::Internal("cluster mode without a credential secret".into()))
}

/// The deployment type a stored document was deployed with.
pub(super) fn kind_of(doc: &Document) -> DeployKind {
    match doc.kind.as_str() {
        "" => DeployKind::Full,
        kind => DeployKind::from_header(Some(kind)),
    }
}

fn kind_name(kind: DeployKind) -> &'static str {
    match kind {
        DeployKind::Full | DeployKind::Reload => "full",
        DeployKind::Nodes => "nodes",
        DeployKind::Flows => "flows",
    }
}

/// Store a validated deploy built on revision `base`: the deploy's one
/// commit point in the cluster. A deploy built on a revision that is no
/// longer the stored one is refused as Node-RED refuses a stale `rev`.
pub(super) fn store(
    admin: &Admin,
    cluster: &Cluster,
    base: &str,
    loaded: &Loaded,
    kind: DeployKind,
) -> Result<(), DeployError> {
    let key = key_of(admin)?;
    let doc = cluster.document(&loaded.flows, &loaded.credentials, key, kind_name(kind));
    match wait(cluster.store().compare_and_set(base, &doc)) {
        Ok(Swap::Stored) => {
            cluster.mark_reachable();
            Ok(())
        }
        Ok(Swap::Stale(current)) => Err(DeployError::VersionMismatch {
            expected: base.to_owned(),
            current,
        }),
        Err(e) => Err(unavailable(cluster, e)),
    }
}

/// Bring this replica to the stored revision before a local change is
/// built on it; store this replica's flows when Redis holds none.
pub(super) fn catch_up(admin: &Admin, cluster: &Cluster) -> Result<(), DeployError> {
    let stored = wait(cluster.store().document()).map_err(|e| unavailable(cluster, e))?;
    cluster.mark_reachable();
    let current = admin.runtime.current();
    match stored {
        Some(doc) if doc.rev == current.rev => Ok(()),
        Some(doc) => deploy::apply(admin, DeployKind::Full, None, Change::Cluster(doc)).map(drop),
        None => reseed(admin, cluster),
    }
}

/// Redis holds no flows (it restarted without persistence, or was
/// flushed): store the ones this replica runs, unless another replica
/// already did.
fn reseed(admin: &Admin, cluster: &Cluster) -> Result<(), DeployError> {
    let rt = &admin.runtime;
    let current = rt.current();
    let doc = cluster.document(&current, &rt.credentials(), key_of(admin)?, "full");
    let (ours, stored) = wait(cluster.store().seed(&doc)).map_err(|e| unavailable(cluster, e))?;
    if ours {
        tracing::info!(rev = %doc.rev, "Redis held no flows: stored the ones this replica runs");
        return Ok(());
    }
    if stored.rev != current.rev {
        deploy::apply(admin, DeployKind::Full, None, Change::Cluster(stored))?;
    }
    Ok(())
}

/// A `reload` deploy in a cluster: run the stored flows again, restarting
/// every node.
pub(super) fn reload(admin: &Admin, cluster: &Cluster) -> Result<String, DeployError> {
    let mut doc = wait(cluster.store().document())
        .map_err(|e| unavailable(cluster, e))?
        .ok_or_else(|| DeployError::Internal("the cluster's Redis holds no flows".into()))?;
    doc.kind = "full".into();
    admin
        .stopped
        .store(false, std::sync::atomic::Ordering::Release);
    deploy::apply(admin, DeployKind::Full, None, Change::Cluster(doc))
}

/// Follows the cluster for one replica.
pub(super) struct Follower {
    admin: Arc<Admin>,
    /// The stored revision that last failed to run here, so it is reported
    /// once and not rebuilt on every check.
    failed: Arc<Mutex<Option<String>>>,
}

impl Follower {
    pub(super) fn new(admin: Arc<Admin>) -> Self {
        Follower {
            admin,
            failed: Arc::default(),
        }
    }
}

impl crate::cluster::Follower for Follower {
    fn local_rev(&self) -> String {
        self.admin.runtime.current().rev.clone()
    }

    fn sync(&self) -> BoxFuture<'static, ()> {
        let admin = self.admin.clone();
        let failed = self.failed.clone();
        async move {
            let Some(cluster) = admin.runtime.cluster().cloned() else {
                return;
            };
            let Ok(stored) = cluster.store().rev().await else {
                return;
            };
            if stored.is_some() && *failed.lock() == stored {
                return;
            }
            let result = deploy::exclusive(admin, move |a| catch_up(a, &cluster)).await;
            match result {
                Ok(()) => *failed.lock() = None,
                // Logged where Redis was marked unreachable.
                Err(DeployError::ClusterUnavailable(_)) => {}
                Err(e) => {
                    let rev = stored.unwrap_or_default();
                    tracing::error!(rev = %rev, "cannot run the cluster's current flows: {e}");
                    *failed.lock() = Some(rev);
                }
            }
        }
        .boxed()
    }
}
