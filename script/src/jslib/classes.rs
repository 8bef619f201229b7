//! Classes, `this`, `new`, and accessor properties (getters and setters).
//!
//! A class is a [`JsClass`]: its constructor, its instance-field
//! initializer, a prototype object holding its methods and accessors, and an
//! object of its static members. An instance is a plain [`JsObject`] whose
//! prototype is the class's, so its methods are found by the ordinary
//! prototype lookup and never show in `Object.keys` or the message, as in
//! JavaScript. `extends` chains the prototypes (and the static objects).
//!
//! Functions that use `this` (and a class's members) take it as an argument
//! (see [`JsFunction`]): `obj.f()` passes `obj`, a plain call passes
//! `undefined`, which a sloppy-mode function replaces by the sandbox's
//! global object, as V8 does.

use std::sync::{Arc, Weak};

use rhai::{Array, Dynamic, Engine, FnPtr, ImmutableString, NativeCallContext};

use super::callback::{call_with_this, is_callable};
use super::ops::{to_key, type_error, JsResult};
use super::values::{as_object, is_nullish, JsError, JsFunction, JsObject, Proto};
use crate::api::NodeApi;

/// A class's parts.
pub struct ClassInner {
    name: ImmutableString,
    parent: Option<JsClass>,
    /// For a class that extends `Error` (or `TypeError`...), directly or
    /// through its parent: that error's name. Its instances are errors
    /// (`instanceof Error`, `String(e)`, thrown as errors) whose own
    /// properties inherit from the class's prototype.
    error_base: Option<ImmutableString>,
    /// `constructor(...)`, a [`JsFunction`] taking `this` and the class.
    ctor: Option<Dynamic>,
    /// The instance fields' initializers, run on each new instance.
    fields: Option<Dynamic>,
    /// The instances' prototype: methods and accessors.
    pub proto: JsObject,
    /// Static methods, accessors and fields.
    pub statics: JsObject,
}

/// `Error` (or `TypeError`...) where a class extends it: the error's name.
#[derive(Clone)]
pub struct ErrorBase(ImmutableString);

/// A class (`class A extends B { … }`), shared by every reference to it.
#[derive(Clone)]
pub struct JsClass(pub Arc<ClassInner>);

/// The class a method belongs to, for `super` (weak: the class holds its
/// methods).
#[derive(Clone)]
pub struct Home(Weak<ClassInner>);

impl Home {
    /// The class, or `undefined` once it is gone.
    pub fn class(&self) -> Dynamic {
        self.0
            .upgrade()
            .map_or(Dynamic::UNIT, |c| Dynamic::from(JsClass(c)))
    }
}

impl JsClass {
    pub fn name(&self) -> ImmutableString {
        self.0.name.clone()
    }
}

/// The property key `Symbol.iterator` stands for (symbols are not values
/// here; this name cannot come from a JSON message's ordinary keys by
/// accident of spelling).
pub const ITERATOR_KEY: &str = "@@iterator";

/// What `for...of` and spread visit: an object with a `[Symbol.iterator]()`
/// method is iterated through it (`next()` until `done`); everything else
/// as [`super::props::iterate`] does.
pub fn iterate(ctx: &NativeCallContext, v: &Dynamic) -> JsResult<Array> {
    let Some(o) = as_object(v) else {
        return super::props::iterate(v);
    };
    let method = o.get(ITERATOR_KEY);
    if !is_callable(&method) {
        return super::props::iterate(v);
    }
    let it = call_with_this(ctx, &method, v.clone(), Vec::new())?;
    let mut out = Array::new();
    loop {
        let step = super::methods::call_method(ctx, &it, "next", Vec::new(), "iterator.next")?;
        let Some(step) = as_object(&step) else {
            return Err(type_error(format!(
                "Iterator result {} is not an object",
                super::ops::to_string(&step)
            )));
        };
        if super::ops::truthy(&step.get("done")) {
            return Ok(out);
        }
        if out.len() >= super::values::MAX_ELEMENTS {
            return Err(super::ops::throw("RangeError", "Invalid array length"));
        }
        out.push(step.get("value"));
    }
}

/// A property defined by a getter and/or a setter (`get x() {…}`), stored
/// as the property's value.
#[derive(Clone)]
pub struct JsAccessor {
    pub get: Dynamic,
    pub set: Dynamic,
}

/// A property value as read from `recv`: an accessor's getter is called.
pub fn read(ctx: &NativeCallContext, recv: &Dynamic, v: Dynamic) -> JsResult<Dynamic> {
    let getter = match v.read_lock::<JsAccessor>().map(|a| a.get.clone()) {
        Some(g) => g,
        None => return Ok(v),
    };
    if getter.is_unit() {
        return Ok(Dynamic::UNIT);
    }
    call_with_this(ctx, &getter, recv.clone(), Vec::new())
}

/// The accessor `key` resolves to on `o` (own or inherited), if any.
fn accessor_of(o: &JsObject, key: &str) -> Option<JsAccessor> {
    let map = o.0.lock();
    if let Some(v) = map.get(key) {
        return v.read_lock::<JsAccessor>().map(|a| a.clone());
    }
    match map.proto.clone() {
        Proto::Of(parent) => {
            drop(map);
            accessor_of(&parent, key)
        }
        Proto::Object | Proto::Null => None,
    }
}

/// `obj[key] = value` through a setter when `key` is an accessor property,
/// else `None` (an ordinary assignment). A getter without a setter ignores
/// the write, as sloppy mode does.
pub fn write(
    ctx: &NativeCallContext,
    obj: &Dynamic,
    key: &Dynamic,
    value: &Dynamic,
) -> Option<JsResult<Dynamic>> {
    let target = match obj.read_lock::<JsClass>() {
        Some(c) => c.0.statics.clone(),
        None => as_object(obj)?,
    };
    let acc = accessor_of(&target, &to_key(key))?;
    if acc.set.is_unit() {
        return Some(Ok(value.clone()));
    }
    Some(call_with_this(ctx, &acc.set, obj.clone(), vec![value.clone()]).map(|_| value.clone()))
}

/// A class's own property (`A.name`, `A.prototype`, static members).
pub fn get(c: &JsClass, key: &str) -> Dynamic {
    match key {
        "name" => Dynamic::from(c.0.name.clone()),
        "prototype" => Dynamic::from(c.0.proto.clone()),
        other => c.0.statics.get(other),
    }
}

/// A static method call `A.m(...)`.
pub fn call_static(
    ctx: &NativeCallContext,
    c: &JsClass,
    recv: &Dynamic,
    name: &str,
    args: Vec<Dynamic>,
    callee: &str,
) -> JsResult<Dynamic> {
    let f = read(ctx, recv, get(c, name))?;
    if is_callable(&f) {
        return call_with_this(ctx, &f, recv.clone(), args);
    }
    Err(type_error(format!("{callee} is not a function")))
}

/// The class passed to a member as its home.
fn home_class(home: &Dynamic) -> JsResult<JsClass> {
    home.read_lock::<JsClass>()
        .map(|c| c.clone())
        .ok_or_else(|| type_error("'super' keyword unexpected here"))
}

fn run_fields(ctx: &NativeCallContext, c: &JsClass, this: &Dynamic) -> JsResult<()> {
    if let Some(f) = &c.0.fields {
        let _ = call_with_this(ctx, f, this.clone(), Vec::new())?;
    }
    Ok(())
}

/// Set up `this` as an instance of `c`: a base class initializes its fields
/// and then runs its constructor; a derived class's constructor calls
/// `super(...)` ([`super_init`]) and one without a constructor passes its
/// arguments to its parent's.
fn init(ctx: &NativeCallContext, c: &JsClass, this: &Dynamic, args: Vec<Dynamic>) -> JsResult<()> {
    match (&c.0.ctor, &c.0.parent) {
        (Some(ctor), parent) => {
            if parent.is_none() && c.0.error_base.is_none() {
                run_fields(ctx, c, this)?;
            }
            let _ = call_with_this(ctx, ctor, this.clone(), args)?;
        }
        (None, Some(parent)) => {
            init(ctx, parent, this, args)?;
            run_fields(ctx, c, this)?;
        }
        (None, None) => {
            if c.0.error_base.is_some() {
                init_error(this, &args);
            }
            run_fields(ctx, c, this)?;
        }
    }
    Ok(())
}

/// What `Error(message, options)` does to a new error: sets its own
/// `message` (when one is given) and `cause`.
fn init_error(this: &Dynamic, args: &[Dynamic]) {
    let Some(e) = this.read_lock::<JsError>() else {
        return;
    };
    // Both are own properties that JSON and `Object.keys` do not list.
    let hidden = |key: &str, value: Dynamic| {
        let key = ImmutableString::from(key);
        let mut map = e.props.0.lock();
        map.insert(key.clone(), value);
        map.set_enumerable(&key, false);
    };
    if let Some(m) = args.first().filter(|m| !m.is_unit()) {
        hidden("message", Dynamic::from(super::ops::to_string(m)));
    }
    if let Some(cause) = args.get(1).and_then(as_object).map(|o| o.get("cause")) {
        if !cause.is_unit() {
            hidden("cause", cause);
        }
    }
}

/// `super(...)` in a derived class's constructor: the parent sets up
/// `this`, then this class's fields are initialized.
fn super_init(
    ctx: &NativeCallContext,
    home: &Dynamic,
    this: &Dynamic,
    args: Vec<Dynamic>,
) -> JsResult<()> {
    let c = home_class(home)?;
    match &c.0.parent {
        Some(parent) => init(ctx, parent, this, args)?,
        None if c.0.error_base.is_some() => init_error(this, &args),
        None => return Err(type_error("'super' keyword unexpected here")),
    }
    run_fields(ctx, &c, this)
}

/// What `super.name` finds: the parent's method or accessor, for an
/// instance (`this` an object) or a static member (`this` the class).
fn super_member(
    ctx: &NativeCallContext,
    home: &Dynamic,
    this: &Dynamic,
    name: &str,
) -> JsResult<Dynamic> {
    let c = home_class(home)?;
    let Some(parent) = &c.0.parent else {
        return Ok(Dynamic::UNIT);
    };
    let v = if this.is::<JsClass>() {
        get(parent, name)
    } else {
        parent.0.proto.get(name)
    };
    read(ctx, this, v)
}

/// `new C(...)`: a class, or a plain function used as a constructor
/// (`function P(x) { this.x = x; }`).
fn construct(
    ctx: &NativeCallContext,
    callee: &Dynamic,
    args: Vec<Dynamic>,
    text: &str,
) -> JsResult<Dynamic> {
    if let Some(c) = callee.read_lock::<JsClass>().map(|c| c.clone()) {
        let this = match &c.0.error_base {
            Some(base) => {
                let e = JsError::new(base, "");
                e.props.0.lock().proto = Proto::Of(c.0.proto.clone());
                Dynamic::from(e)
            }
            None => {
                let inst = JsObject::new();
                inst.0.lock().proto = Proto::Of(c.0.proto.clone());
                Dynamic::from(inst)
            }
        };
        init(ctx, &c, &this, args)?;
        return Ok(this);
    }
    if callee.is_fnptr() || callee.is::<JsFunction>() {
        let this = Dynamic::from(JsObject::new());
        let r = call_with_this(ctx, callee, this.clone(), args)?;
        return Ok(if as_object(&r).is_some() { r } else { this });
    }
    Err(type_error(format!("{text} is not a constructor")))
}

/// `v instanceof C` for a class or constructor the body defines.
fn instance_of(v: &Dynamic, c: &Dynamic) -> JsResult<bool> {
    let Some(c) = c.read_lock::<JsClass>().map(|c| c.clone()) else {
        if c.is_fnptr() || c.is::<JsFunction>() {
            // Objects a plain constructor function builds do not record it.
            return Err(type_error(
                "instanceof a constructor function is not supported by flowgate (use a class)",
            ));
        }
        return Err(type_error(
            "Right-hand side of 'instanceof' is not callable",
        ));
    };
    let mut cur = as_object(v).or_else(|| v.read_lock::<JsError>().map(|e| e.props.clone()));
    while let Some(o) = cur {
        match o.proto() {
            Proto::Of(p) if p.ptr_eq(&c.0.proto) => return Ok(true),
            Proto::Of(p) => cur = Some(p),
            Proto::Object | Proto::Null => return Ok(false),
        }
    }
    Ok(false)
}

/// A member function of a class: takes `this` and its class.
fn member(imp: Dynamic, home: &Weak<ClassInner>) -> Dynamic {
    match imp.try_cast::<FnPtr>() {
        Some(imp) => Dynamic::from(JsFunction {
            imp,
            takes_self: false,
            takes_this: true,
            home: Some(Home(home.clone())),
        }),
        None => Dynamic::UNIT,
    }
}

/// Put a getter or setter on `target`, keeping the other half.
pub fn define_accessor(target: &JsObject, key: ImmutableString, get: Dynamic, set: Dynamic) {
    let mut map = target.0.lock();
    let (old_get, old_set) = match map
        .get(&key)
        .and_then(|v| v.read_lock::<JsAccessor>().map(|a| a.clone()))
    {
        Some(a) => (a.get, a.set),
        None => (Dynamic::UNIT, Dynamic::UNIT),
    };
    let acc = JsAccessor {
        get: if get.is_unit() { old_get } else { get },
        set: if set.is_unit() { old_set } else { set },
    };
    map.insert(key, Dynamic::from(acc));
}

/// `class Name extends parent { … }`. `members` lists `[kind, key, value,
/// static]` with kind `"method"`, `"get"`, `"set"` (value: a function
/// taking `this` and the class) or `"field"` (a static field's value).
fn class(
    name: ImmutableString,
    parent: Dynamic,
    ctor: Dynamic,
    fields: Dynamic,
    members: Array,
) -> JsResult<Dynamic> {
    let mut error_base = parent.read_lock::<ErrorBase>().map(|b| b.0.clone());
    let parent = if parent.is_unit() || error_base.is_some() {
        None
    } else {
        match parent.read_lock::<JsClass>() {
            Some(p) => Some(p.clone()),
            None => {
                return Err(type_error(format!(
                    "Class extends value {} is not a constructor or null",
                    super::ops::to_string(&parent)
                )))
            }
        }
    };
    if let Some(p) = &parent {
        error_base = p.0.error_base.clone();
    }
    let inner = Arc::new_cyclic(|home: &Weak<ClassInner>| {
        let proto = JsObject::new();
        let statics = JsObject::new();
        if let Some(p) = &parent {
            proto.0.lock().proto = Proto::Of(p.0.proto.clone());
            statics.0.lock().proto = Proto::Of(p.0.statics.clone());
        }
        for m in members {
            let Some(parts) = m.try_cast::<Array>() else {
                continue;
            };
            let [kind, key, value, is_static] = <[Dynamic; 4]>::try_from(parts)
                .unwrap_or_else(|_| std::array::from_fn(|_| Dynamic::UNIT));
            let target = if is_static.as_bool().unwrap_or(false) {
                &statics
            } else {
                &proto
            };
            let key = to_key(&key);
            match kind.into_immutable_string().unwrap_or_default().as_str() {
                "method" => target.set(key, member(value, home)),
                "get" => define_accessor(target, key, member(value, home), Dynamic::UNIT),
                "set" => define_accessor(target, key, Dynamic::UNIT, member(value, home)),
                _ => target.set(key, value),
            }
        }
        ClassInner {
            name,
            ctor: (!ctor.is_unit()).then(|| member(ctor, home)),
            error_base,
            fields: (!fields.is_unit()).then(|| member(fields, home)),
            parent,
            proto,
            statics,
        }
    });
    Ok(Dynamic::from(JsClass(inner)))
}

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<super::collections::JsCollection>("object")
        .register_type_with_name::<JsClass>("function")
        .register_type_with_name::<JsAccessor>("accessor");
    engine.register_fn("__class", class);
    engine.register_fn("__error_base", |name: ImmutableString| {
        Dynamic::from(ErrorBase(name))
    });
    engine.register_fn(
        "__new",
        |ctx: NativeCallContext, callee: Dynamic, args: Array, text: ImmutableString| {
            construct(&ctx, &callee, args, &text)
        },
    );
    engine.register_fn(
        "__super_init",
        |ctx: NativeCallContext, home: Dynamic, this: Dynamic, args: Array| {
            super_init(&ctx, &home, &this, args)
        },
    );
    engine.register_fn(
        "__super_get",
        |ctx: NativeCallContext, home: Dynamic, this: Dynamic, name: Dynamic| {
            super_member(&ctx, &home, &this, &to_key(&name))
        },
    );
    engine.register_fn(
        "__super_call",
        |ctx: NativeCallContext,
         home: Dynamic,
         this: Dynamic,
         name: Dynamic,
         args: Array,
         callee: ImmutableString| {
            let f = super_member(&ctx, &home, &this, &to_key(&name))?;
            if !is_callable(&f) {
                return Err(type_error(format!("{callee} is not a function")));
            }
            call_with_this(&ctx, &f, this, args)
        },
    );
    engine.register_fn("__instanceof_class", |v: Dynamic, c: Dynamic| {
        instance_of(&v, &c)
    });
    engine.register_fn("__fnthis", |imp: FnPtr, takes_self: bool| {
        Dynamic::from(JsFunction {
            imp,
            takes_self,
            takes_this: true,
            home: None,
        })
    });
    // A sloppy-mode function called plainly gets the global object.
    engine.register_fn(
        "__this_or",
        |this: Dynamic, global: Dynamic| {
            if is_nullish(&this) {
                global
            } else {
                this
            }
        },
    );
    engine.register_fn("__global_this", |node: NodeApi| {
        Dynamic::from(node.info.sandbox.this.clone())
    });
    engine.register_fn(
        "__accessor",
        |obj: Dynamic, key: Dynamic, get: Dynamic, set: Dynamic| {
            if let Some(o) = as_object(&obj) {
                define_accessor(&o, to_key(&key), get, set);
            }
            obj
        },
    );
}
