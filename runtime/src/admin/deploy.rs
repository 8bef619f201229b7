//! Deploying: validate everything, save, then swap — in that order, under the
//! runtime's deploy lock, so a deploy is all-or-nothing and deploys never
//! interleave.
//!
//! 1. The new flows are built completely (`Runtime::prepare`): any problem
//!    rejects the deploy with every problem listed; nothing has changed.
//! 2. The flows file (credentials stripped) and the credentials file are
//!    saved atomically with backups; if saving fails, nothing has changed.
//! 3. The new deployment is installed with one atomic pointer swap: requests
//!    already running finish on the old flows, new ones see the new flows.
//!
//! The work runs on its own task, so a client that disconnects or times out
//! mid-deploy cannot cancel it halfway.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::persist::PersistError;
use super::{diff, follow, Admin};
use crate::cluster::Document;
use crate::credential_fields;
use crate::credentials::{CredentialKey, Credentials, DocumentError};
use crate::engine::Flows;
use crate::error::{LoadError, Problem};
use crate::loader::Loaded;
use crate::model::{self, FlowFile, NodeConfig};
use crate::service::{Runtime, StartError};

/// Node-RED's `Node-RED-Deployment-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployKind {
    /// Restart everything.
    Full,
    /// Restart only changed nodes.
    Nodes,
    /// Restart changed nodes and everything wired to them.
    Flows,
    /// Reload the flows file from disk and restart everything.
    Reload,
}

impl DeployKind {
    /// The header's value; anything unknown deploys in full, as Node-RED does.
    pub fn from_header(value: Option<&str>) -> Self {
        match value.map(str::trim) {
            Some("nodes") => DeployKind::Nodes,
            Some("flows") => DeployKind::Flows,
            Some("reload") => DeployKind::Reload,
            Some("full") | None => DeployKind::Full,
            Some(other) => {
                tracing::warn!(r#type = %other, "unknown deployment type: deploying in full");
                DeployKind::Full
            }
        }
    }
}

/// Computes new flows from the current ones (as JSON node objects).
pub type EditFn = dyn FnOnce(Vec<Value>) -> Result<Vec<Value>, DeployError> + Send;

/// A change to the flows, applied to the current flows under the deploy lock.
pub enum Change {
    /// Replace the flows with these nodes (as sent: credentials still on them).
    Replace {
        nodes: Vec<Value>,
        /// Node-RED's optional full credential set beside the flows.
        credentials: Option<Value>,
    },
    /// Compute the new nodes from the current ones (single-tab operations).
    Edit(Box<EditFn>),
    /// Reload the flows file from disk (in a cluster: the stored flows).
    Reload,
    /// Run the cluster's stored flows (another replica deployed them).
    Cluster(Document),
}

/// Why a deploy was refused or failed. Nothing changed in either case.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("the flows changed since revision {expected} was read (now {current}); reload them and deploy again")]
    VersionMismatch { expected: String, current: String },
    #[error("{}", LoadError::Invalid(.0.clone()))]
    Invalid(Vec<Problem>),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("deploy not saved: {0}")]
    Save(#[from] PersistError),
    #[error("{0}")]
    Internal(String),
    #[error(
        "{0}; deploys are refused until it is back (this replica keeps serving the flows it runs)"
    )]
    ClusterUnavailable(String),
}

impl From<DeployError> for ApiError {
    fn from(e: DeployError) -> Self {
        let message = e.to_string();
        match e {
            DeployError::VersionMismatch { .. } => {
                ApiError::new(StatusCode::CONFLICT, "version_mismatch", message)
            }
            DeployError::Invalid(problems) => ApiError {
                status: StatusCode::BAD_REQUEST,
                code: "invalid_flows",
                message,
                problems,
            },
            DeployError::BadRequest { code, .. } => ApiError::bad_request(code, message),
            DeployError::NotFound(_) => ApiError::not_found(message),
            DeployError::Save(_) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "save_failed", message)
            }
            DeployError::Internal(_) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "unexpected_error",
                message,
            ),
            DeployError::ClusterUnavailable(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "cluster_unavailable",
                message,
            ),
        }
    }
}

/// Apply `change`; returns the new revision.
pub async fn deploy(
    admin: Arc<Admin>,
    kind: DeployKind,
    expected_rev: Option<String>,
    change: Change,
) -> Result<String, DeployError> {
    let result = exclusive(admin, move |admin| apply(admin, kind, expected_rev, change)).await;
    crate::metrics::deploy(if result.is_ok() { "ok" } else { "refused" });
    result
}

/// Stop (`false`) or start (`true`) the flows without changing them.
pub async fn set_running(admin: Arc<Admin>, run: bool) -> Result<(), DeployError> {
    exclusive(admin, move |admin| {
        if run {
            start_flows(admin)
        } else {
            stop_flows(admin);
            Ok(())
        }
    })
    .await
}

/// Run `work` on its own task under the deploy lock.
pub(super) async fn exclusive<T: Send + 'static>(
    admin: Arc<Admin>,
    work: impl FnOnce(&Admin) -> Result<T, DeployError> + Send + 'static,
) -> Result<T, DeployError> {
    let task = tokio::spawn(async move {
        let _serialized = admin.runtime.deploy_lock.lock().await;
        let a = admin.clone();
        tokio::task::spawn_blocking(move || work(&a)).await
    });
    match task.await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) | Err(e) => Err(DeployError::Internal(format!("deploy task failed: {e}"))),
    }
}

pub(super) fn apply(
    admin: &Admin,
    mut kind: DeployKind,
    expected_rev: Option<String>,
    change: Change,
) -> Result<String, DeployError> {
    let rt = &admin.runtime;
    if let Some(cluster) = rt.cluster() {
        match &change {
            Change::Cluster(_) => {}
            // A replica reloads from the cluster's store, not its cache.
            Change::Reload => return follow::reload(admin, cluster),
            // Build on the stored flows, not on what this replica last saw.
            _ => follow::catch_up(admin, cluster)?,
        }
    }
    let current = rt.current();
    if let Some(expected) = expected_rev {
        if expected != current.rev {
            return Err(DeployError::VersionMismatch {
                expected,
                current: current.rev.clone(),
            });
        }
    }
    let mut stored_rev = None;
    let (nodes, full_credentials) = match change {
        Change::Reload => return reload(admin),
        Change::Replace { nodes, credentials } => (nodes, credentials),
        Change::Edit(edit) => (edit(model_values(&current.source))?, None),
        Change::Cluster(doc) => {
            kind = follow::kind_of(&doc);
            stored_rev = Some(doc.rev);
            (doc.flows, Some(doc.credentials))
        }
    };

    let key = rt.credential_key();
    let before = rt.credentials();
    let mut creds = before.clone();
    if let Some(full) = full_credentials {
        apply_full_credentials(&mut creds, full, key)?;
    }
    let mut stripped = Vec::with_capacity(nodes.len());
    for node in nodes {
        stripped.push(match node {
            Value::Object(mut m) => {
                if let Some(sent) = m.shift_remove("credentials") {
                    if let Some(id) = m.get("id").and_then(Value::as_str) {
                        extract_credentials(&mut creds, id, sent);
                    }
                }
                credential_fields::move_to_credentials(&rt.env.registry, &mut m, &mut creds);
                Value::Object(m)
            }
            other => other,
        });
    }
    let mut file =
        model::parse_flow_value(Value::Array(stripped.clone())).map_err(DeployError::Invalid)?;
    let from_cluster = stored_rev.is_some();
    file.rev = stored_rev;
    let live: HashSet<&str> = file.nodes.iter().map(|n| n.id.as_str()).collect();
    creds.retain(|id| live.contains(id));
    let credentials_changed: HashSet<String> = live
        .iter()
        .filter(|id| before.get(id) != creds.get(id))
        .map(|id| (*id).to_owned())
        .collect();

    let keep = {
        let old: Vec<&Map<String, Value>> = current.source.iter().map(|n| &n.raw).collect();
        let new: Vec<&Map<String, Value>> = file.nodes.iter().map(|n| &n.raw).collect();
        diff::nodes_to_keep(kind, &old, &new, &credentials_changed)
    };
    let loaded = if keep.is_empty() {
        rt.prepare(file, creds)
    } else {
        rt.prepare_reusing(file, creds, &current, &keep)
    }
    .map_err(load_error)?;

    if let Some(cluster) = rt.cluster().filter(|_| !from_cluster) {
        follow::store(admin, cluster, &current.rev, &loaded, kind)?;
    }
    let creds_changed = loaded.credentials != before || loaded.credentials_changed;
    rt.save_local(creds_changed.then_some(&loaded.credentials), stripped)?;

    let rev = loaded.flows.rev.clone();
    let carried: HashSet<String> = loaded.flows.carried_ids().map(str::to_owned).collect();
    rt.events().forget_statuses(|id| carried.contains(id));
    let running = !admin.stopped.load(Ordering::Acquire);
    if running {
        rt.install(loaded);
    } else {
        install_idle(
            rt,
            loaded.flows.source.clone(),
            rev.clone(),
            loaded.credentials,
        );
    }
    tracing::info!(
        rev = %rev,
        r#type = ?kind,
        kept = carried.len(),
        "deployed flows{}",
        if running { "" } else { " (stopped: not started)" }
    );
    rt.events()
        .publish("notification/runtime-deploy", json!({ "revision": rev }));
    if running {
        rt.events().publish(
            "notification/runtime-state",
            json!({ "state": "start", "deploy": true }),
        );
    }
    Ok(rev)
}

/// The running flows as JSON objects, as deployed.
fn model_values(source: &[NodeConfig]) -> Vec<Value> {
    source
        .iter()
        .map(|n| Value::Object(n.raw.clone()))
        .collect()
}

/// Node-RED's `reload` deploy: read the flows (and credentials) from disk
/// and restart everything, starting flows that were stopped.
fn reload(admin: &Admin) -> Result<String, DeployError> {
    let rt = &admin.runtime;
    let path = rt
        .settings()
        .flows_path
        .clone()
        .ok_or_else(|| DeployError::BadRequest {
            code: "invalid_request",
            message: "this runtime has no flows file to reload".into(),
        })?;
    rt.events().forget_statuses(|_| false);
    let flows = rt.load_file(&path).map_err(|e| match e {
        StartError::Load(e) => load_error(e),
        other => DeployError::Internal(other.to_string()),
    })?;
    let was_stopped = admin.stopped.swap(false, Ordering::AcqRel);
    tracing::info!(rev = %flows.rev, "reloaded flows from {}", path.display());
    rt.events().publish(
        "notification/runtime-deploy",
        json!({ "revision": flows.rev }),
    );
    rt.events().publish(
        "notification/runtime-state",
        json!({ "state": "start", "deploy": !was_stopped }),
    );
    Ok(flows.rev.clone())
}

pub(super) fn load_error(e: LoadError) -> DeployError {
    match e {
        LoadError::Invalid(p) => DeployError::Invalid(p),
        other => DeployError::Internal(other.to_string()),
    }
}

fn stop_flows(admin: &Admin) {
    if admin.stopped.swap(true, Ordering::AcqRel) {
        return;
    }
    let rt = &admin.runtime;
    let current = rt.current();
    rt.events().forget_statuses(|_| false);
    install_idle(
        rt,
        current.source.clone(),
        current.rev.clone(),
        rt.credentials(),
    );
    tracing::info!("flows stopped");
    rt.events().publish(
        "notification/runtime-state",
        json!({ "state": "stop", "deploy": false }),
    );
}

fn start_flows(admin: &Admin) -> Result<(), DeployError> {
    if !admin.stopped.load(Ordering::Acquire) {
        return Ok(());
    }
    let rt = &admin.runtime;
    let current = rt.current();
    let file = FlowFile {
        rev: Some(current.rev.clone()),
        nodes: current.source.clone(),
    };
    let loaded = rt.prepare(file, rt.credentials()).map_err(load_error)?;
    rt.install(loaded);
    admin.stopped.store(false, Ordering::Release);
    tracing::info!("flows started");
    rt.events().publish(
        "notification/runtime-state",
        json!({ "state": "start", "deploy": false }),
    );
    Ok(())
}

/// Install flows that answer nothing and run nothing but still report
/// their source and revision: the stopped state.
fn install_idle(rt: &Runtime, source: Vec<NodeConfig>, rev: String, credentials: Credentials) {
    let mut idle = Flows::empty(rt.settings().clone());
    idle.source = source;
    idle.rev = rev;
    rt.install(Loaded {
        flows: Arc::new(idle),
        credentials,
        credentials_changed: false,
    });
}

/// Node-RED's top-level `credentials` in a deploy body: a full set, plain
/// (merged over the stored ones by node id) or encrypted (`{"$": ...}`,
/// replacing them).
fn apply_full_credentials(
    creds: &mut Credentials,
    full: Value,
    key: Option<&CredentialKey>,
) -> Result<(), DeployError> {
    let encrypted = full
        .as_object()
        .is_some_and(|o| o.len() == 1 && o.contains_key("$"));
    let set = Credentials::from_document(full, key).map_err(|e| DeployError::BadRequest {
        code: "invalid_credentials",
        message: match e {
            DocumentError::Shape(m) => format!("credentials: {m}"),
            DocumentError::Decrypt(d) => format!("credentials cannot be decrypted: {d}"),
        },
    })?;
    if encrypted {
        *creds = set;
    } else {
        for id in set.ids().map(str::to_owned).collect::<Vec<_>>() {
            if let Some(c) = set.get(&id) {
                creds.replace(&id, c.clone());
            }
        }
    }
    Ok(())
}

/// Node-RED's rule for a node's `credentials` in a deploy body: keys sent
/// replace stored ones, `__PWRD__` (the editor's "unchanged password") keeps
/// the stored value, an empty value deletes it, keys not sent are kept.
/// `has_<key>` flags (what `GET /flows` shows) carry no value and are ignored.
pub fn extract_credentials(creds: &mut Credentials, id: &str, sent: Value) {
    let Value::Object(sent) = sent else { return };
    let mut stored = creds.get(id).cloned().unwrap_or_default();
    for (k, v) in sent {
        if k.starts_with("has_") {
            continue;
        }
        match v {
            Value::String(s) if s == "__PWRD__" => {}
            Value::String(s) if s.trim().is_empty() => {
                stored.shift_remove(&k);
            }
            Value::Null => {
                stored.shift_remove(&k);
            }
            other => {
                stored.insert(k, other);
            }
        }
    }
    if stored.is_empty() {
        creds.remove(id);
    } else {
        creds.replace(id, stored);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_merge_like_node_red() {
        let mut c = Credentials::new();
        c.set("n", "user", json!("bob"));
        c.set("n", "password", json!("old"));
        c.set("n", "token", json!("t"));
        extract_credentials(
            &mut c,
            "n",
            json!({"password": "__PWRD__", "token": "", "has_user": true, "extra": "x"}),
        );
        assert_eq!(
            Value::Object(c.get("n").unwrap().clone()),
            json!({"user": "bob", "password": "old", "extra": "x"})
        );
        extract_credentials(
            &mut c,
            "n",
            json!({"user": " ", "password": null, "extra": ""}),
        );
        assert!(c.get("n").is_none());
    }

    #[test]
    fn deployment_types() {
        assert_eq!(DeployKind::from_header(None), DeployKind::Full);
        assert_eq!(DeployKind::from_header(Some("nodes")), DeployKind::Nodes);
        assert_eq!(DeployKind::from_header(Some("flows")), DeployKind::Flows);
        assert_eq!(DeployKind::from_header(Some("reload")), DeployKind::Reload);
        assert_eq!(DeployKind::from_header(Some("bogus")), DeployKind::Full);
    }
}
