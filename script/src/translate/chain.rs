//! Member and call chains: `a.b[c](d)?.e`, with built-in namespaces
//! (`Math.floor`, `RED.util.cloneMessage`), global functions, timers and
//! `new`. A chain is flattened into steps so a property read followed by a
//! call becomes a method call on the object, and `?.` short-circuits the
//! rest of the chain.

use oxc_ast::ast::*;
use oxc_span::{GetSpan, Span};

use super::{number_literal, quote, TResult, Translator};
use crate::jslib::builtins;
use crate::jslib::classes::ITERATOR_KEY;
use crate::jslib::values::OBJECT_METHODS;

/// Namespaces whose members are built-ins (`Math.floor`, `JSON.parse`).
pub(super) const NAMESPACES: &[&str] = &[
    "JSON", "Math", "Object", "Array", "Number", "Date", "console", "RED", "String", "Buffer",
    "Intl",
];

/// One step of a member/call chain.
enum Link<'b, 'a> {
    Prop(&'b str),
    /// `.#name`: a private class member.
    Private(&'b str),
    Index(&'b Expression<'a>),
    Call(&'b [Argument<'a>]),
}

struct Step<'b, 'a> {
    link: Link<'b, 'a>,
    optional: bool,
    /// The span of the expression up to and including this step.
    span: Span,
}

/// A chain value still in reference form, so a following call becomes a
/// method call on the object.
enum Val {
    Value(String),
    Ref {
        obj: String,
        key: String,
        text: String,
    },
}

fn flatten<'b, 'a>(
    mut cur: &'b Expression<'a>,
    steps: &mut Vec<Step<'b, 'a>>,
) -> &'b Expression<'a> {
    loop {
        match cur {
            Expression::StaticMemberExpression(m) => {
                steps.push(Step {
                    link: Link::Prop(m.property.name.as_str()),
                    optional: m.optional,
                    span: m.span,
                });
                cur = &m.object;
            }
            Expression::ComputedMemberExpression(m) => {
                steps.push(Step {
                    link: Link::Index(&m.expression),
                    optional: m.optional,
                    span: m.span,
                });
                cur = &m.object;
            }
            Expression::PrivateFieldExpression(m) => {
                steps.push(Step {
                    link: Link::Private(m.field.name.as_str()),
                    optional: m.optional,
                    span: m.span,
                });
                cur = &m.object;
            }
            Expression::CallExpression(c) => {
                steps.push(Step {
                    link: Link::Call(&c.arguments),
                    optional: c.optional,
                    span: c.span,
                });
                cur = &c.callee;
            }
            _ => return cur,
        }
    }
}

/// The property key of private member `#name` (see
/// [`crate::jslib::jsmap::PRIVATE_PREFIX`]).
pub(super) fn private_key(name: &str) -> String {
    format!("{}{name}", crate::jslib::jsmap::PRIVATE_PREFIX)
}

pub(super) fn is_builtin_value(name: &str) -> bool {
    builtins::lookup(name).is_some() && !name.contains('.')
}

impl<'s> Translator<'s> {
    /// An optional chain (`a?.b.c()`): the chain from its last step back.
    pub(super) fn optional_chain(&mut self, c: &ChainExpression<'_>) -> TResult<String> {
        Ok(match &c.expression {
            ChainElement::CallExpression(call) => {
                let mut steps = vec![Step {
                    link: Link::Call(&call.arguments),
                    optional: call.optional,
                    span: call.span,
                }];
                let base = flatten(&call.callee, &mut steps);
                steps.reverse();
                self.chain_from(base, steps)?
            }
            ChainElement::StaticMemberExpression(m) => {
                let mut steps = vec![Step {
                    link: Link::Prop(m.property.name.as_str()),
                    optional: m.optional,
                    span: m.span,
                }];
                let base = flatten(&m.object, &mut steps);
                steps.reverse();
                self.chain_from(base, steps)?
            }
            ChainElement::ComputedMemberExpression(m) => {
                let mut steps = vec![Step {
                    link: Link::Index(&m.expression),
                    optional: m.optional,
                    span: m.span,
                }];
                let base = flatten(&m.object, &mut steps);
                steps.reverse();
                self.chain_from(base, steps)?
            }
            other => return Err(self.unsupported(other.span(), "this optional chain")),
        })
    }

    pub(super) fn chain(&mut self, e: &Expression<'_>) -> TResult<String> {
        let mut steps = Vec::new();
        let base = flatten(e, &mut steps);
        steps.reverse();
        self.chain_from(base, steps)
    }

    /// A chain whose base is an undeclared name: a built-in namespace
    /// (`Math.floor(x)`, `RED.util.cloneMessage(m)`), a global function
    /// (`parseInt(s)`) or a constant (`Math.PI`). Returns the code and how
    /// many steps it consumed.
    fn builtin_chain(
        &mut self,
        name: &str,
        span: Span,
        steps: &[Step<'_, '_>],
    ) -> TResult<Option<(String, usize)>> {
        let mut path = name.to_owned();
        let mut i = 0;
        loop {
            // `Object.prototype.hasOwnProperty`, `Array.prototype.slice`,
            // `String.prototype.trim` and their kin as values, for
            // `.call(o, k)` / `.apply(o, [k])`.
            if let (
                base @ ("Object.prototype" | "Array.prototype" | "String.prototype"),
                Some(Step {
                    link: Link::Prop(m),
                    ..
                }),
            ) = (path.as_str(), steps.get(i))
            {
                if base != "Object.prototype" || OBJECT_METHODS.contains(m) {
                    let f = base.replace('.', "_");
                    let code = format!("__b_{f}_method([{}])", quote(m));
                    return Ok(Some((code, i + 1)));
                }
            }
            if let Some(Step {
                link: Link::Call(args),
                ..
            }) = steps.get(i)
            {
                if let Some(f) = builtins::lookup(&path) {
                    let args = self.args(args)?;
                    return Ok(Some((format!("__b_{f}({args})"), i + 1)));
                }
            }
            if i > 0
                && !matches!(
                    steps.get(i),
                    Some(Step {
                        link: Link::Call(_),
                        ..
                    })
                )
            {
                if let Some(f) = builtins::lookup(&path) {
                    return Ok(Some((format!("(|__v| __b_{f}(__v))"), i)));
                }
            }
            if i > 0 {
                match path.as_str() {
                    "Number.NaN" => return Ok(Some(("__nan()".into(), i))),
                    "Number.POSITIVE_INFINITY" => return Ok(Some(("__inf()".into(), i))),
                    "Number.NEGATIVE_INFINITY" => return Ok(Some(("__neg(__inf())".into(), i))),
                    "Symbol.iterator" => return Ok(Some((quote(ITERATOR_KEY), i))),
                    _ => {}
                }
                if let Some(c) = builtins::constant(&path) {
                    return Ok(Some((number_literal(c), i)));
                }
            }
            match steps.get(i) {
                Some(Step {
                    link: Link::Prop(p),
                    ..
                }) => {
                    path.push('.');
                    path.push_str(p);
                    i += 1;
                }
                _ => break,
            }
        }
        if NAMESPACES.contains(&name) {
            let end = steps
                .get(i.saturating_sub(1))
                .map(|s| s.span)
                .unwrap_or(span);
            let what = if i == 0 {
                format!("`{name}` used as a value")
            } else {
                format!("`{path}`")
            };
            let _ = end;
            return Err(self.unsupported(span, what));
        }
        Ok(None)
    }

    /// `setTimeout(f, ms, ...)` and friends: calls on the run's `node`
    /// (through an alias the body cannot shadow), which records the timer.
    fn timer_call(
        &mut self,
        name: &str,
        span: Span,
        steps: &[Step<'_, '_>],
    ) -> TResult<Option<String>> {
        let Some(Step {
            link: Link::Call(args),
            ..
        }) = steps.first()
        else {
            return Ok(None);
        };
        let repeat = match name {
            "setTimeout" => Some(false),
            "setInterval" => Some(true),
            "clearTimeout" | "clearInterval" => None,
            _ => return Ok(None),
        };
        if !self.has_node {
            return Err(self.unsupported(span, format!("`{name}` here")));
        }
        self.uses_timers = true;
        let Some(repeat) = repeat else {
            let id = match args.first() {
                Some(Argument::SpreadElement(s)) => {
                    return Err(self.unsupported(s.span, format!("spread arguments to `{name}`")))
                }
                Some(a) => self.expr(a.to_expression())?,
                None => "()".into(),
            };
            return Ok(Some(format!("__timer_clear(__node, {id})")));
        };
        let args = self.args(args)?;
        Ok(Some(format!("__timer_set(__node, {args}, {repeat})")))
    }

    fn chain_from(&mut self, base: &Expression<'_>, steps: Vec<Step<'_, '_>>) -> TResult<String> {
        let mut start = 0;
        let mut cur = None;
        if let Expression::Identifier(id) = base {
            let name = id.name.as_str();
            if self.resolve(name).is_none() && !steps.is_empty() {
                if let Some(code) = self.timer_call(name, id.span, &steps)? {
                    cur = Some(Val::Value(code));
                    start = 1;
                } else if let Some((code, used)) = self.builtin_chain(name, id.span, &steps)? {
                    cur = Some(Val::Value(code));
                    start = used;
                }
            }
        }
        if let Expression::Super(s) = base {
            let (code, used) = self.super_chain(s.span, &steps)?;
            return self.links(Val::Value(code), &steps[used..], false);
        }
        // `f(...)` on a variable: V8 names it when it is not a function
        // (`f is not a function`).
        if let (None, Expression::Identifier(id), Some(first)) = (&cur, base, steps.first()) {
            if let (Link::Call(args), false) = (&first.link, first.optional) {
                let f = self.expr(base)?;
                let args = self.args(args)?;
                cur = Some(Val::Value(format!(
                    "__calln({f}, {args}, {})",
                    quote(id.name.as_str())
                )));
                start = 1;
            }
        }
        let cur = match cur {
            Some(v) => v,
            None => Val::Value(self.expr(base)?),
        };
        self.links(cur, &steps[start..], false)
    }

    fn value(v: Val) -> String {
        match v {
            Val::Value(c) => c,
            Val::Ref { obj, key, .. } => format!("__get({obj}, {key})"),
        }
    }

    fn links(
        &mut self,
        mut cur: Val,
        steps: &[Step<'_, '_>],
        skip_first_optional: bool,
    ) -> TResult<String> {
        for (i, step) in steps.iter().enumerate() {
            if step.optional && !(i == 0 && skip_first_optional) {
                let t = self.tmp("opt");
                return Ok(match cur {
                    Val::Value(code) => {
                        let rest = self.links(Val::Value(t.clone()), &steps[i..], true)?;
                        format!(
                            "{{ let {t} = {code}; if __nullish({t}) {{ () }} else {{ {rest} }} }}"
                        )
                    }
                    Val::Ref { obj, key, text } => {
                        let rest = self.links(
                            Val::Ref {
                                obj: t.clone(),
                                key: key.clone(),
                                text,
                            },
                            &steps[i..],
                            true,
                        )?;
                        format!("{{ let {t} = {obj}; if __nullish(__get({t}, {key})) {{ () }} else {{ {rest} }} }}")
                    }
                });
            }
            cur = match &step.link {
                Link::Prop(name) => Val::Ref {
                    obj: Self::value(cur),
                    key: quote(name),
                    text: self.text(step.span),
                },
                Link::Private(name) => Val::Ref {
                    obj: Self::value(cur),
                    key: quote(&private_key(name)),
                    text: self.text(step.span),
                },
                Link::Index(e) => {
                    let obj = Self::value(cur);
                    let key = self.expr(e)?;
                    Val::Ref {
                        obj,
                        key,
                        text: self.text(step.span),
                    }
                }
                Link::Call(args) => {
                    let args = self.args(args)?;
                    match cur {
                        Val::Ref { obj, key, text } => {
                            Val::Value(format!("__m({obj}, {key}, {args}, {})", quote(&text)))
                        }
                        Val::Value(f) => Val::Value(format!("__call({f}, {args})")),
                    }
                }
            };
        }
        Ok(Self::value(cur))
    }

    pub(super) fn new_expr(&mut self, n: &NewExpression<'_>) -> TResult<String> {
        if let Expression::Identifier(id) = &n.callee {
            let name = id.name.as_str();
            if self.resolve(name).is_none() {
                if name == "Object" && n.arguments.is_empty() {
                    return Ok("__obj([])".into());
                }
                if let Some(f) = builtins::lookup(&format!("new {name}")) {
                    let args = self.args(&n.arguments)?;
                    return Ok(format!("__b_{f}({args})"));
                }
            }
        }
        // `new Intl.DateTimeFormat(...)`: a constructor on a namespace.
        if let Expression::StaticMemberExpression(m) = &n.callee {
            if let Expression::Identifier(ns) = &m.object {
                let js = format!("new {}.{}", ns.name, m.property.name);
                if let Some(f) = builtins::lookup(&js).filter(|_| self.resolve(&ns.name).is_none())
                {
                    let args = self.args(&n.arguments)?;
                    return Ok(format!("__b_{f}({args})"));
                }
            }
        }
        if matches!(&n.callee, Expression::Identifier(id) if id.name == "Function" && self.resolve("Function").is_none())
        {
            return Err(self.refused(n.span, "`new Function`"));
        }
        let callee = self.expr(&n.callee)?;
        let args = self.args(&n.arguments)?;
        let text = quote(&self.text(n.callee.span()));
        Ok(format!("__new({callee}, {args}, {text})"))
    }

    /// `super(...)`, `super.m(...)` and `super.x` in a class member: the
    /// code and how many steps it consumed.
    fn super_chain(&mut self, span: Span, steps: &[Step<'_, '_>]) -> TResult<(String, usize)> {
        if !self.in_member() {
            return Err(self.unsupported(span, "`super` outside a class"));
        }
        let key = match steps.first().map(|s| &s.link) {
            Some(Link::Call(args)) => {
                let args = self.args(args)?;
                return Ok((format!("__super_init(__home, __this, {args})"), 1));
            }
            Some(Link::Prop(name)) => quote(name),
            Some(Link::Private(name)) => quote(&private_key(name)),
            Some(Link::Index(e)) => self.expr(e)?,
            None => return Err(self.unsupported(span, "`super` used as a value")),
        };
        if let Some(Step {
            link: Link::Call(args),
            span: call_span,
            ..
        }) = steps.get(1)
        {
            let args = self.args(args)?;
            let text = quote(&self.text(*call_span));
            return Ok((
                format!("__super_call(__home, __this, {key}, {args}, {text})"),
                2,
            ));
        }
        Ok((format!("__super_get(__home, __this, {key})"), 1))
    }
}
