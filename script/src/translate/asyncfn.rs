//! `async` functions, `await` and a body's result when the body uses
//! promises.
//!
//! Node-RED runs a body inside an `async` function. A body that mentions
//! `await`, `async` or `Promise` therefore hands what it returns to
//! `__settle`, which settles it (a returned promise is awaited, and the
//! promise reactions still queued run) before the node sends it. An
//! `async` function is a closure whose body runs inside `try`: what it
//! returns becomes a promise fulfilled with that value (`__async_ok`), what
//! it throws a rejected one (`__async_err`). `await x` is `__await(__node,
//! x)`, which runs the run's event loop until `x` settles (see
//! `jslib::awaiting`).

use oxc_ast::ast::AwaitExpression;

use super::{TResult, Translator};

/// Whether a body may create or wait for promises (then its result is
/// settled before it is sent).
pub fn mentions_async(source: &str) -> bool {
    source.contains("await") || source.contains("async") || source.contains("Promise")
}

impl Translator<'_> {
    /// The `node` the event loop fires this run's timers through.
    fn loop_node(&self) -> &'static str {
        if self.has_node {
            "__node"
        } else {
            "()"
        }
    }

    pub(super) fn await_expr(&mut self, a: &AwaitExpression<'_>) -> TResult<String> {
        let v = self.expr(&a.argument)?;
        Ok(format!("__await({}, {v})", self.loop_node()))
    }

    /// What `return v` hands back from the function being translated.
    pub(super) fn returned(&self, v: &str) -> String {
        let top = self.fns.len() == 1;
        if top && self.uses_async {
            format!("__settle({}, {v})", self.loop_node())
        } else if self.fns.last().is_some_and(|f| f.is_async) {
            format!("__async_ok({v})")
        } else {
            v.to_owned()
        }
    }

    /// The end of a function body: falling off it returns `undefined`.
    pub(super) fn fall_off(&self) -> String {
        if self.fns.last().is_some_and(|f| f.is_async) {
            return format!("return {};\n", self.returned("()"));
        }
        format!("{}\n", self.returned("()"))
    }

    /// The body of an `async` function or arrow (`body` translates it):
    /// its exceptions reject the promise it returns.
    pub(super) fn async_body(
        &mut self,
        body: impl FnOnce(&mut Self) -> TResult<String>,
    ) -> TResult<String> {
        self.fn_ctx().is_async = true;
        let code = body(self)?;
        Ok(format!(
            "try {{\n{code}}} catch (__e) {{\nreturn __async_err(__caught(__e));\n}}\n"
        ))
    }
}
