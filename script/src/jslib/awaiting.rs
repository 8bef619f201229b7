//! `await`, `async` functions, and a body's own result, for translated
//! code.
//!
//! Node-RED runs a body inside an `async` function, so a body may `await`,
//! and what it returns (or throws) after awaiting is what the node sends
//! (or the error `catch` nodes get). flowgate keeps Rhai synchronous: an
//! `await` runs the run's own event loop right where it stands until the
//! promise settles. It runs the queued promise reactions; when they are
//! not enough, it waits for the run's earliest timer and fires it inside
//! the run (see [`crate::timers::fire_next`]), and again, until the
//! promise settles. Waiting happens only on the blocking pool, within the
//! run's timeout (see [`crate::sandbox::wait_until`]), so a run that
//! awaits a timer leaves its worker slice at once and is redone there. A
//! promise nothing in the run can settle any more (no reaction queued, no
//! timer pending) fails the run with an error rather than hanging: no
//! other code of this run could ever settle it.

use rhai::{Dynamic, Engine, NativeCallContext};

use super::ops::{self, JsResult};
use super::promise::{
    drain, follower, rethrow, run_until, take_unhandled, Caller, JsPromise, Outcome,
};
use crate::api::NodeApi;

/// `await v`: `v`, or the value of the promise `v` once it settles; a
/// rejection is thrown here. The reactions queued before it run first.
pub fn await_value(ctx: &NativeCallContext, node: &Dynamic, v: Dynamic) -> JsResult<Dynamic> {
    let caller = Caller::Ctx(ctx);
    let p = follower(v);
    let node = node.read_lock::<NodeApi>().map(|n| n.clone());
    loop {
        run_until(&caller, &p)?;
        match p.outcome() {
            Some(Outcome::Fulfilled(v)) => return Ok(v),
            Some(Outcome::Rejected(e)) => return Err(rethrow(e)),
            None => {}
        }
        let fired = match &node {
            Some(n) => crate::timers::fire_next(&caller, n)?,
            None => false,
        };
        if !fired {
            return Err(ops::throw(
                "Error",
                "the awaited promise can never settle: nothing left in this run resolves it",
            ));
        }
    }
}

/// A body's result: awaited, then every reaction still queued runs
/// before the node sends it (the microtasks run after the body).
/// A rejection nothing handled is logged as a warning (Node.js reports it
/// as an uncaught exception, which ends Node-RED's process).
pub fn settle_result(ctx: &NativeCallContext, node: &Dynamic, v: Dynamic) -> JsResult<Dynamic> {
    let v = await_value(ctx, node, v)?;
    drain(&Caller::Ctx(ctx))?;
    let unhandled = take_unhandled();
    if let Some(n) = node.read_lock::<NodeApi>() {
        for reason in unhandled {
            let text = crate::sandbox::thrown_text(&reason);
            n.log(
                tracing::Level::WARN,
                &Dynamic::from(format!("Unhandled promise rejection: {text}")),
            );
        }
    }
    Ok(v)
}

/// What an `async` function returns when its body returns `v`.
fn async_ok(v: Dynamic) -> Dynamic {
    let p = JsPromise::new();
    p.resolve(v);
    Dynamic::from(p)
}

/// What an `async` function returns when its body throws `e`.
fn async_err(e: Dynamic) -> Dynamic {
    let p = JsPromise::new();
    p.reject(e);
    Dynamic::from(p)
}

/// Register `__await`, `__settle`, `__async_ok` and `__async_err`.
pub fn register(engine: &mut Engine) {
    engine.register_fn(
        "__await",
        |ctx: NativeCallContext, node: Dynamic, v: Dynamic| await_value(&ctx, &node, v),
    );
    engine.register_fn(
        "__settle",
        |ctx: NativeCallContext, node: Dynamic, v: Dynamic| settle_result(&ctx, &node, v),
    );
    engine.register_fn("__async_ok", async_ok);
    engine.register_fn("__async_err", |e: Dynamic| -> JsResult<Dynamic> {
        Ok(async_err(e))
    });
    engine.register_type_with_name::<JsPromise>("Promise");
}
