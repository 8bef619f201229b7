//! Calling script functions from Rust (array callbacks, `replace` with a
//! function, a function stored in a variable).
//!
//! Every translated function takes its arguments as one array, so a callback
//! declared with fewer parameters than JavaScript passes (`x => x * 2` given
//! element, index and array) still works; functions that call themselves by
//! name also receive themselves first (see [`super::values::JsFunction`]).

use rhai::{Dynamic, FnPtr, NativeCallContext};

use super::classes::JsClass;
use super::ops::{type_error, JsResult};
use super::values::{JsFunction, JsMethod};

/// Whether `v` can be called.
pub fn is_callable(v: &Dynamic) -> bool {
    v.is_fnptr() || v.is::<JsFunction>() || v.is::<JsMethod>() || v.is::<JsClass>()
}

/// Call the script function `f` with `args` (as a plain call: `this` is the
/// sandbox's global object).
pub fn call_function(
    ctx: &NativeCallContext,
    f: &Dynamic,
    args: Vec<Dynamic>,
) -> JsResult<Dynamic> {
    call_inner(ctx, f, Dynamic::UNIT, args, None)
}

/// [`call_function`], naming the callee as the source wrote it (`x`) in
/// V8's `x is not a function`; without a name the value is shown.
pub fn call_named(
    ctx: &NativeCallContext,
    f: &Dynamic,
    args: Vec<Dynamic>,
    callee: Option<&str>,
) -> JsResult<Dynamic> {
    call_inner(ctx, f, Dynamic::UNIT, args, callee)
}

/// Call `f` with `this` (`obj.f()`, `f.call(obj)`).
pub fn call_with_this(
    ctx: &NativeCallContext,
    f: &Dynamic,
    this: Dynamic,
    args: Vec<Dynamic>,
) -> JsResult<Dynamic> {
    call_inner(ctx, f, this, args, None)
}

fn call_inner(
    ctx: &NativeCallContext,
    f: &Dynamic,
    this: Dynamic,
    args: Vec<Dynamic>,
    callee: Option<&str>,
) -> JsResult<Dynamic> {
    if let Some(fp) = f.read_lock::<FnPtr>() {
        let fp = fp.clone();
        return fp.call_within_context::<Dynamic>(ctx, (Dynamic::from_array(args),));
    }
    if let Some(jf) = f.read_lock::<JsFunction>() {
        let jf = jf.clone();
        let mut call: Vec<Dynamic> = Vec::with_capacity(4);
        if jf.takes_self {
            call.push(Dynamic::from(jf.clone()));
        }
        if jf.takes_this {
            call.push(this);
        }
        if let Some(home) = &jf.home {
            call.push(home.class());
        }
        call.push(Dynamic::from_array(args));
        return jf.imp.call_raw(ctx, None, call);
    }
    if let Some(m) = f.read_lock::<JsMethod>() {
        let m = m.clone();
        return super::methods::call_method(ctx, &m.recv, &m.name, args, &m.name);
    }
    if let Some(c) = f.read_lock::<JsClass>() {
        return Err(type_error(format!(
            "Class constructor {} cannot be invoked without 'new'",
            c.name()
        )));
    }
    Err(type_error(format!(
        "{} is not a function",
        callee.unwrap_or(&super::ops::to_string(f))
    )))
}
