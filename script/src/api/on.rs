//! `node.on(event, handler)` in a body, as Node-RED's function sandbox
//! has it: `"input"` throws (a body already is the input handler; Node-RED
//! refuses to add another), `"close"` adds a handler run when the flows
//! stop, after `finalize`. As everything a run does, a handler is added
//! when the run completes; Node-RED adds one per run that calls
//! `node.on("close", ...)`, and so does flowgate, up to
//! [`MAX_CLOSE_HANDLERS`] per node. Other events never fire for a function
//! node and are accepted without effect.

use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use rhai::{Dynamic, NativeCallContext, AST};

use super::{NodeApi, NodeInfo, Phase, RunState};
use crate::convert::Mode;
use crate::jslib::callback::is_callable;
use crate::jslib::ops::{self, JsResult};
use crate::jslib::promise::JsPromise;
use crate::sandbox::{self, Budget, RunError};

/// The most close handlers one node keeps (a body adding one per message
/// must not grow without bound).
pub const MAX_CLOSE_HANDLERS: usize = 1000;

/// A close handler a run added.
pub struct CloseHandler {
    callback: Dynamic,
    /// The functions of the script it belongs to.
    lib: Arc<AST>,
    /// The `node` of the run that added it, whose run state its closure shares.
    node: NodeApi,
}

/// A node's close handlers.
#[derive(Default)]
pub struct Listeners {
    close: Mutex<Vec<CloseHandler>>,
}

impl Listeners {
    /// Keep the handlers a completed run added.
    pub fn add(&self, handlers: Vec<CloseHandler>) {
        let mut close = self.close.lock();
        let room = MAX_CLOSE_HANDLERS.saturating_sub(close.len());
        if handlers.len() > room {
            tracing::warn!(
                "a function node may keep {MAX_CLOSE_HANDLERS} close handlers; later ones are ignored"
            );
        }
        close.extend(handlers.into_iter().take(room));
    }

    /// Run every close handler once, in the order they were added, each
    /// within `budget`'s limits (the flows stop). A handler that takes
    /// `done` gets a function that does nothing.
    pub fn close(&self, info: &NodeInfo, timeout: std::time::Duration, budget: Budget) {
        let handlers = std::mem::take(&mut *self.close.lock());
        for h in handlers {
            *h.node.run.lock() = RunState::new(Phase::Finalize, Mode::Js, String::new());
            let done = crate::jslib::promise::resolver(&JsPromise::new(), "resolve");
            let budget = Budget {
                deadline: Instant::now() + timeout,
                ..budget
            };
            let result = sandbox::call(&h.lib, &h.callback, vec![done], budget, Mode::Js);
            let mut state = std::mem::replace(
                &mut *h.node.run.lock(),
                RunState::new(Phase::Finalize, Mode::Js, String::new()),
            );
            state.commit(info);
            if let Err(RunError::Failed(text, _)) = result {
                tracing::error!(node = %info.id, "close handler failed: {text}");
            }
        }
    }
}

/// `node.on(event, handler)`.
pub fn on(ctx: &NativeCallContext, node: &NodeApi, args: &[Dynamic]) -> JsResult<Dynamic> {
    let event = args.first().map(ops::to_string).unwrap_or_default();
    let handler = args.get(1).cloned().unwrap_or(Dynamic::UNIT);
    if event == "input" {
        return Err(ops::throw(
            "Error",
            "Cannot add listener to 'input' event within Function",
        ));
    }
    if !is_callable(&handler) {
        return Err(Box::new(rhai::EvalAltResult::ErrorRuntime(
            Dynamic::from(crate::jslib::values::JsError::with_code(
                "TypeError",
                "ERR_INVALID_ARG_TYPE",
                format!(
                    "The \"listener\" argument must be of type function. Received {}",
                    crate::timers::describe_value(&handler)
                ),
            )),
            rhai::Position::NONE,
        )));
    }
    if event == "close" {
        let lib = ctx
            .iter_namespaces()
            .next()
            .map(|m| AST::new_from_module(m.clone()))
            .unwrap_or_else(AST::empty);
        node.run.lock().closing.push(CloseHandler {
            callback: handler,
            lib: Arc::new(lib),
            node: node.clone(),
        });
    }
    Ok(Dynamic::UNIT)
}
