//! A context store in Redis, shared by every process that names the same
//! server: one hash per scope (`<prefix><scope>`), one field per top-level
//! key, each value as its JSON text. `HSET`/`HGET` of one field are atomic,
//! so concurrent writes to distinct keys are all kept and a read never sees
//! half a value. A read-modify-write (a function's `get` then `set`, or a
//! nested-path write) is two steps, as it is in Node-RED: two processes
//! updating the same key can each overwrite the other.
//!
//! Node-RED's context API is synchronous, so each call waits for its
//! answer: the connection (a `redis` connection manager, which reconnects
//! by itself) lives on a dedicated thread with its own tokio runtime, and a
//! caller waits only for its own command's reply.

use std::future::Future;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::AsyncCommands;
use serde_json::Value;

use super::backend::{Backend, ContextError};

/// The key prefix of every scope's hash unless the store names another.
pub const DEFAULT_PREFIX: &str = "flowgate:context:";

/// How long one command may take before the call fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// A Redis-backed store.
pub struct RedisStore {
    name: String,
    prefix: String,
    conn: ConnectionManager,
    handle: tokio::runtime::Handle,
    /// Ends the connection's thread when the store is dropped.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl RedisStore {
    /// Connect to `url` (`redis://host:port/db`); fails when the server
    /// does not answer, so a misconfigured store stops the start.
    pub fn open(name: &str, url: &str, prefix: &str) -> Result<Self, ContextError> {
        let unavailable = |message: String| ContextError::Unavailable {
            store: name.to_owned(),
            message,
        };
        let client = redis::Client::open(url).map_err(|e| unavailable(e.to_string()))?;
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(format!("context-redis-{name}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the Redis connection");
                let _ = handle_tx.send(rt.handle().clone());
                rt.block_on(async {
                    let _ = stop_rx.await;
                });
            })
            .map_err(|e| unavailable(e.to_string()))?;
        let handle = handle_rx
            .recv()
            .map_err(|_| unavailable("the connection thread did not start".into()))?;
        let conn = wait(&handle, async move {
            tokio::time::timeout(COMMAND_TIMEOUT, ConnectionManager::new(client))
                .await
                .unwrap_or_else(|_| Err(timeout_error()))
        })
        .map_err(|e| unavailable(e.to_string()))?;
        Ok(RedisStore {
            name: name.to_owned(),
            prefix: prefix.to_owned(),
            conn,
            handle,
            _stop: stop_tx,
        })
    }

    fn hash(&self, scope: &str) -> String {
        format!("{}{scope}", self.prefix)
    }

    /// Run one command on the connection's thread and wait for its reply.
    fn call<T, F>(&self, f: impl FnOnce(ConnectionManager) -> F) -> Result<T, ContextError>
    where
        T: Send + 'static,
        F: Future<Output = redis::RedisResult<T>> + Send + 'static,
    {
        let fut = f(self.conn.clone());
        wait(&self.handle, async move {
            tokio::time::timeout(COMMAND_TIMEOUT, fut)
                .await
                .unwrap_or_else(|_| Err(timeout_error()))
        })
        .map_err(|e| ContextError::Unavailable {
            store: self.name.clone(),
            message: e.to_string(),
        })
    }

    fn decode(&self, text: Option<String>) -> Result<Option<Value>, ContextError> {
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| ContextError::Unavailable {
                store: self.name.clone(),
                message: format!("a value is not JSON: {e}"),
            })
        })
        .transpose()
    }

    /// The scopes held under this store's prefix.
    fn scopes(&self) -> Result<Vec<String>, ContextError> {
        let pattern = format!("{}*", self.prefix);
        let mut cursor = 0u64;
        let mut keys = Vec::new();
        loop {
            let pattern = pattern.clone();
            let (next, batch): (u64, Vec<String>) = self.call(move |mut c| async move {
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(500)
                    .query_async(&mut c)
                    .await
            })?;
            keys.extend(batch);
            if next == 0 {
                break;
            }
            cursor = next;
        }
        Ok(keys
            .into_iter()
            .filter_map(|k| k.strip_prefix(&self.prefix).map(str::to_owned))
            .collect())
    }
}

fn timeout_error() -> redis::RedisError {
    redis::RedisError::from((redis::ErrorKind::IoError, "no answer in time"))
}

/// Spawn `fut` on the connection's runtime and block this thread until it
/// ends; safe from any thread, inside a tokio runtime or not.
///
/// On a worker of a multi-threaded runtime the wait is announced with
/// `block_in_place`, so the worker's other tasks move to another thread
/// instead of waiting for this reply.
fn wait<T: Send + 'static>(
    handle: &tokio::runtime::Handle,
    fut: impl Future<Output = redis::RedisResult<T>> + Send + 'static,
) -> redis::RedisResult<T> {
    let task = handle.spawn(fut);
    let on_worker = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    let joined = if on_worker {
        tokio::task::block_in_place(|| futures::executor::block_on(task))
    } else {
        futures::executor::block_on(task)
    };
    match joined {
        Ok(r) => r,
        Err(e) => Err(redis::RedisError::from((
            redis::ErrorKind::IoError,
            "the connection thread stopped",
            e.to_string(),
        ))),
    }
}

impl Backend for RedisStore {
    fn get(&self, scope: &str, key: &str) -> Result<Option<Value>, ContextError> {
        let (hash, key) = (self.hash(scope), key.to_owned());
        let text: Option<String> =
            self.call(move |mut c| async move { c.hget(hash, key).await })?;
        self.decode(text)
    }

    fn set(&self, scope: &str, key: &str, value: Option<Value>) -> Result<(), ContextError> {
        let (hash, key) = (self.hash(scope), key.to_owned());
        match value {
            Some(v) => {
                let text = v.to_string();
                self.call(move |mut c| async move { c.hset::<_, _, _, ()>(hash, key, text).await })
            }
            None => self.call(move |mut c| async move { c.hdel::<_, _, ()>(hash, key).await }),
        }
    }

    fn update(
        &self,
        scope: &str,
        key: &str,
        f: &mut dyn FnMut(&mut Option<Value>),
    ) -> Result<(), ContextError> {
        let mut slot = self.get(scope, key)?;
        f(&mut slot);
        self.set(scope, key, slot)
    }

    fn keys(&self, scope: &str) -> Result<Vec<String>, ContextError> {
        let hash = self.hash(scope);
        let mut keys: Vec<String> = self.call(move |mut c| async move { c.hkeys(hash).await })?;
        keys.sort();
        Ok(keys)
    }

    fn retain(&self, keep: &dyn Fn(&str) -> bool) -> Result<(), ContextError> {
        let gone: Vec<String> = self
            .scopes()?
            .into_iter()
            .filter(|s| !keep(s))
            .map(|s| self.hash(&s))
            .collect();
        if gone.is_empty() {
            return Ok(());
        }
        self.call(move |mut c| async move { c.del::<_, ()>(gone).await })
    }
}
