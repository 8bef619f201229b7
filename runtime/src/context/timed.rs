//! A store's operations timed for `/metrics` (`flowgate_context_seconds`,
//! by store and operation): the price of a shared store shows per message.

use std::sync::Arc;
use std::time::Instant;

use metrics::Histogram;
use serde_json::Value;

use super::backend::{Backend, ContextError};

/// `inner`, with each call's duration recorded.
#[derive(Debug)]
pub(super) struct Timed {
    inner: Arc<dyn Backend>,
    get: Histogram,
    set: Histogram,
    update: Histogram,
    keys: Histogram,
}

impl Timed {
    /// Time the store named `name`.
    pub(super) fn wrap(name: &str, inner: Arc<dyn Backend>) -> Arc<dyn Backend> {
        Arc::new(Timed {
            inner,
            get: crate::metrics::context_op(name, "get"),
            set: crate::metrics::context_op(name, "set"),
            update: crate::metrics::context_op(name, "update"),
            keys: crate::metrics::context_op(name, "keys"),
        })
    }
}

fn timed<T>(histogram: &Histogram, op: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = op();
    histogram.record(started.elapsed().as_secs_f64());
    out
}

impl Backend for Timed {
    fn get(&self, scope: &str, key: &str) -> Result<Option<Value>, ContextError> {
        timed(&self.get, || self.inner.get(scope, key))
    }

    fn set(&self, scope: &str, key: &str, value: Option<Value>) -> Result<(), ContextError> {
        timed(&self.set, || self.inner.set(scope, key, value))
    }

    fn update(
        &self,
        scope: &str,
        key: &str,
        f: &mut dyn FnMut(&mut Option<Value>),
    ) -> Result<(), ContextError> {
        timed(&self.update, || self.inner.update(scope, key, f))
    }

    fn keys(&self, scope: &str) -> Result<Vec<String>, ContextError> {
        timed(&self.keys, || self.inner.keys(scope))
    }

    fn retain(&self, keep: &dyn Fn(&str) -> bool) -> Result<(), ContextError> {
        self.inner.retain(keep)
    }

    fn flush(&self) -> Result<(), ContextError> {
        self.inner.flush()
    }
}
