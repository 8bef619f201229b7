//! The cluster's shared state in Redis: the flows document, its revision,
//! the deploy announcements, the timer lease and the relayed events.
//!
//! Every change that must be atomic is one Lua script (Redis runs a script
//! without interleaving anything else): seeding the document only when none
//! exists, replacing it only when its revision is the one the deploy was
//! built on (and announcing it in the same step), and taking or renewing the
//! lease only for its holder. Each call is bounded by [`CALL_TIMEOUT`], so a
//! Redis that stops answering (paused, partitioned) reads as unavailable
//! instead of hanging a deploy or a probe.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSub};
use redis::{AsyncCommands, Client, Script};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Mutex;

/// How long one Redis call may take before Redis counts as unavailable.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(1);

/// The cluster's flows as stored: what every replica runs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Document {
    /// The revision (Node-RED's `rev`): the SHA-256 of the flows as deployed.
    pub rev: String,
    /// The flows, credentials stripped, as the flows file holds them.
    pub flows: Vec<Value>,
    /// The credentials, encrypted with the credential secret exactly as the
    /// credentials file holds them (`{"$": "..."}`).
    pub credentials: Value,
    /// The deployment type the deploy used (`full`, `nodes`, `flows`), so
    /// every replica restarts the same nodes.
    #[serde(default)]
    pub kind: String,
    /// The replica that stored it.
    #[serde(default)]
    pub replica: String,
}

/// Why a Redis call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("Redis did not answer within {} ms", CALL_TIMEOUT.as_millis())]
    Timeout,
    #[error("the flows document in Redis is not valid: {0}")]
    Corrupt(serde_json::Error),
}

/// What a compare-and-set found.
pub enum Swap {
    /// The document was stored and announced.
    Stored,
    /// The stored revision was not the expected one: this one is current.
    Stale(String),
}

/// Replace the document when the stored revision is `ARGV[1]` (an empty
/// string: none stored yet), then announce the new revision.
const COMPARE_AND_SET: &str = r#"
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return {0, current} end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return {1, ARGV[2]}
"#;

/// Store the document only when there is none; answer the stored one (and
/// whether it is ours) either way.
const SEED: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SET', KEYS[2], ARGV[2])
  return {1, ARGV[2]}
end
return {0, redis.call('GET', KEYS[2])}
"#;

/// Take the lease when it is free, or renew it when this replica holds it.
const HOLD_LEASE: &str = r#"
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"#;

/// Give the lease up if this replica holds it (shutdown), so another takes
/// over at once instead of after the lease runs out.
const RELEASE_LEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

/// The key names, all under one prefix.
struct Keys {
    rev: String,
    document: String,
    deploys: String,
    lease: String,
    events: String,
}

/// The connection to the cluster's Redis.
pub struct Store {
    client: Client,
    /// Made on first use and kept: it reconnects by itself when Redis
    /// comes back.
    manager: Mutex<Option<ConnectionManager>>,
    keys: Keys,
}

impl Store {
    /// A store for `url` (`redis://host:port/db`, `rediss://` for TLS); no
    /// connection is made yet.
    pub fn new(url: &str) -> Result<Store, redis::RedisError> {
        let prefix = "flowgate";
        Ok(Store {
            client: Client::open(url)?,
            manager: Mutex::new(None),
            keys: Keys {
                rev: format!("{prefix}:rev"),
                document: format!("{prefix}:flows"),
                deploys: format!("{prefix}:deploys"),
                lease: format!("{prefix}:timer-leader"),
                events: format!("{prefix}:events"),
            },
        })
    }

    /// The channel deploys are announced on.
    pub fn deploys_channel(&self) -> &str {
        &self.keys.deploys
    }

    /// The channel debug and status events are relayed on.
    pub fn events_channel(&self) -> &str {
        &self.keys.events
    }

    /// Run `call` on the shared connection; when the connection had
    /// dropped (Redis restarted), once more on the connection the manager
    /// makes in its place, so one restart does not fail a deploy.
    async fn call<T, F, Fut>(&self, call: F) -> Result<T, StoreError>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        match bounded(call(self.conn().await?)).await {
            Err(StoreError::Redis(e)) if e.is_connection_dropped() || e.is_io_error() => {
                bounded(call(self.conn().await?)).await
            }
            other => other,
        }
    }

    async fn conn(&self) -> Result<ConnectionManager, StoreError> {
        let mut slot = self.manager.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CALL_TIMEOUT)
            .set_response_timeout(CALL_TIMEOUT)
            .set_number_of_retries(1);
        let c = bounded(self.client.get_connection_manager_with_config(config)).await?;
        *slot = Some(c.clone());
        Ok(c)
    }

    /// The stored revision, if any.
    pub async fn rev(&self) -> Result<Option<String>, StoreError> {
        self.call(|mut c| async move { c.get(&self.keys.rev).await })
            .await
    }

    /// The stored document, if any.
    pub async fn document(&self) -> Result<Option<Document>, StoreError> {
        let text: Option<String> = self
            .call(|mut c| async move { c.get(&self.keys.document).await })
            .await?;
        text.map(|t| serde_json::from_str(&t).map_err(StoreError::Corrupt))
            .transpose()
    }

    /// Store `doc` unless a document exists: `(true, doc)` when it was
    /// stored, else `(false, the stored one)`.
    pub async fn seed(&self, doc: &Document) -> Result<(bool, Document), StoreError> {
        let text = serde_json::to_string(doc).map_err(StoreError::Corrupt)?;
        let script = Script::new(SEED);
        let (stored, current): (i64, String) = self
            .call(|mut c| {
                let mut invocation = script.key(&self.keys.rev);
                invocation.key(&self.keys.document).arg(&doc.rev).arg(&text);
                async move { invocation.invoke_async(&mut c).await }
            })
            .await?;
        if stored == 1 {
            return Ok((true, doc.clone()));
        }
        Ok((
            false,
            serde_json::from_str(&current).map_err(StoreError::Corrupt)?,
        ))
    }

    /// Store `doc` if the stored revision is still `expected`, announcing it
    /// on the deploys channel in the same step.
    pub async fn compare_and_set(
        &self,
        expected: &str,
        doc: &Document,
    ) -> Result<Swap, StoreError> {
        let text = serde_json::to_string(doc).map_err(StoreError::Corrupt)?;
        let announcement = serde_json::json!({ "rev": doc.rev, "replica": doc.replica });
        let announcement = announcement.to_string();
        let script = Script::new(COMPARE_AND_SET);
        let (stored, current): (i64, String) = self
            .call(|mut c| {
                let mut invocation = script.key(&self.keys.rev);
                invocation
                    .key(&self.keys.document)
                    .arg(expected)
                    .arg(&doc.rev)
                    .arg(&text)
                    .arg(&self.keys.deploys)
                    .arg(&announcement);
                async move { invocation.invoke_async(&mut c).await }
            })
            .await?;
        Ok(if stored == 1 {
            Swap::Stored
        } else {
            Swap::Stale(current)
        })
    }

    /// Take or renew the timer lease for `replica` for `ttl`; `true` when
    /// this replica holds it now.
    pub async fn hold_lease(&self, replica: &str, ttl: Duration) -> Result<bool, StoreError> {
        let script = Script::new(HOLD_LEASE);
        let held: i64 = self
            .call(|mut c| {
                let mut invocation = script.key(&self.keys.lease);
                invocation.arg(replica).arg(ttl.as_millis() as u64);
                async move { invocation.invoke_async(&mut c).await }
            })
            .await?;
        Ok(held == 1)
    }

    /// Release the lease if `replica` holds it.
    pub async fn release_lease(&self, replica: &str) -> Result<(), StoreError> {
        let script = Script::new(RELEASE_LEASE);
        let _: i64 = self
            .call(|mut c| {
                let mut invocation = script.key(&self.keys.lease);
                invocation.arg(replica);
                async move { invocation.invoke_async(&mut c).await }
            })
            .await?;
        Ok(())
    }

    /// Publish `message` on `channel`.
    pub async fn publish(&self, channel: &str, message: String) -> Result<(), StoreError> {
        let _: i64 = self
            .call(|mut c| {
                let message = message.clone();
                async move { c.publish(channel, message).await }
            })
            .await?;
        Ok(())
    }

    /// A pub/sub connection subscribed to the deploys and events channels.
    pub async fn subscribe(&self) -> Result<PubSub, StoreError> {
        let mut p = bounded(self.client.get_async_pubsub()).await?;
        bounded(p.subscribe(&[&self.keys.deploys, &self.keys.events])).await?;
        Ok(p)
    }
}

/// Run a Redis call within [`CALL_TIMEOUT`].
async fn bounded<T>(
    call: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(r) => Ok(r?),
        Err(_) => Err(StoreError::Timeout),
    }
}
