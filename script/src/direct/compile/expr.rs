//! Expressions compiled to closures: literals, variables, `msg`'s named
//! properties, members, calls, operators and assignments.

use std::sync::Arc;

use oxc_ast::ast::{
    ArrayExpressionElement, AssignmentOperator, AssignmentTarget, BinaryOperator, Expression,
    LogicalOperator, ObjectPropertyKind, PropertyKey, PropertyKind, SimpleAssignmentTarget,
    UnaryOperator, UpdateOperator,
};

use super::super::library;
use super::super::value::{Bail, Obj, Site, R, V};
use super::super::Frame;
use super::{is_msg, msg_key, unparen, Bind, Compiler, Ex};

/// A place an assignment writes.
enum Place {
    Local(usize),
    Member(Ex, Key),
    Msg(Arc<str>),
}

/// A property key, known when compiling or computed.
enum Key {
    Static(Arc<str>),
    Computed(Ex),
}

impl Key {
    fn get(&self, f: &mut Frame<'_>) -> R<Arc<str>> {
        match self {
            Key::Static(k) => Ok(k.clone()),
            Key::Computed(e) => match e(f)? {
                V::Str(s) => Ok(s),
                other => other.to_key(),
            },
        }
    }
}

impl Compiler {
    pub(super) fn expr(&mut self, e: &Expression<'_>) -> Option<Ex> {
        Some(match e {
            Expression::ParenthesizedExpression(p) => self.expr(&p.expression)?,
            Expression::NullLiteral(_) => Box::new(|_| Ok(V::Null)),
            Expression::BooleanLiteral(b) => {
                let v = b.value;
                Box::new(move |_| Ok(V::Bool(v)))
            }
            Expression::NumericLiteral(n) => {
                let v = n.value;
                Box::new(move |_| Ok(V::Num(v)))
            }
            Expression::StringLiteral(s) => {
                let v: Arc<str> = s.value.as_str().into();
                Box::new(move |_| Ok(V::Str(v.clone())))
            }
            Expression::TemplateLiteral(t) => {
                let mut parts: Vec<(Arc<str>, Option<Ex>)> = Vec::new();
                for (i, q) in t.quasis.iter().enumerate() {
                    let cooked: Arc<str> = q.value.cooked.as_ref()?.as_str().into();
                    let e = match t.expressions.get(i) {
                        Some(e) => Some(self.expr(e)?),
                        None => None,
                    };
                    parts.push((cooked, e));
                }
                Box::new(move |f| {
                    let mut out = String::new();
                    for (text, e) in &parts {
                        out.push_str(text);
                        if let Some(e) = e {
                            e(f)?.push_str(&mut out)?;
                        }
                    }
                    f.made(out)
                })
            }
            Expression::Identifier(id) => self.ident(id.name.as_str())?,
            Expression::ArrayExpression(a) => self.array(a, false)?,
            Expression::ObjectExpression(o) => self.object(o)?,
            Expression::StaticMemberExpression(m) => {
                if is_msg(&m.object) {
                    let key = msg_key(m.property.name.as_str())?;
                    return Some(Box::new(move |f| f.msg_get(&key)));
                }
                let obj = self.expr(&m.object)?;
                let key: Arc<str> = m.property.name.as_str().into();
                Box::new(move |f| {
                    let o = obj(f)?;
                    library::get(&o, &key)
                })
            }
            Expression::ComputedMemberExpression(m) => {
                if is_msg(&m.object) {
                    return None;
                }
                let obj = self.expr(&m.object)?;
                let key = self.expr(&m.expression)?;
                Box::new(move |f| {
                    let o = obj(f)?;
                    let k = key(f)?;
                    library::get_computed(&o, &k)
                })
            }
            Expression::CallExpression(c) if !c.optional => self.call(c)?,
            Expression::AssignmentExpression(a) => self.assignment(a, true)?,
            Expression::UpdateExpression(u) => self.update(u, true)?,
            Expression::UnaryExpression(u) => self.unary(u)?,
            Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
                let mut terms = Vec::new();
                self.sum_terms(b, &mut terms)?;
                library::sum(terms)
            }
            Expression::BinaryExpression(b) => {
                let l = self.term(&b.left)?;
                let r = self.term(&b.right)?;
                let apply = library::binary_op(b.operator)?;
                Box::new(move |f| {
                    let a = l.value(f)?;
                    let b = r.value(f)?;
                    apply(f, &a, &b)
                })
            }
            Expression::LogicalExpression(l) => {
                let op = l.operator;
                let a = self.expr(&l.left)?;
                let b = self.expr(&l.right)?;
                Box::new(move |f| {
                    let x = a(f)?;
                    let take_left = match op {
                        LogicalOperator::And => !x.truthy(),
                        LogicalOperator::Or => x.truthy(),
                        LogicalOperator::Coalesce => !x.is_nullish(),
                    };
                    if take_left {
                        Ok(x)
                    } else {
                        b(f)
                    }
                })
            }
            Expression::ConditionalExpression(c) => {
                let test = self.expr(&c.test)?;
                let yes = self.expr(&c.consequent)?;
                let no = self.expr(&c.alternate)?;
                Box::new(move |f| if test(f)?.truthy() { yes(f) } else { no(f) })
            }
            _ => return None,
        })
    }

    /// An expression whose value is not used (a statement, a loop's
    /// update): an assignment or update then skips copying the value it
    /// would give.
    pub(super) fn effect(&mut self, e: &Expression<'_>) -> Option<Ex> {
        match unparen(e) {
            Expression::AssignmentExpression(a) => self.assignment(a, false),
            Expression::UpdateExpression(u) => self.update(u, false),
            other => self.expr(other),
        }
    }

    /// The terms of `a + b + c ...` (left-associative, as it parses), so
    /// the sum is made in one pass: strings are joined into one buffer.
    fn sum_terms(
        &mut self,
        b: &oxc_ast::ast::BinaryExpression<'_>,
        out: &mut Vec<library::Term>,
    ) -> Option<()> {
        match &b.left {
            Expression::BinaryExpression(l) if l.operator == BinaryOperator::Addition => {
                self.sum_terms(l, out)?
            }
            other => out.push(self.term(other)?),
        }
        out.push(self.term(&b.right)?);
        Some(())
    }

    fn term(&mut self, e: &Expression<'_>) -> Option<library::Term> {
        if let Some(t) = self.case_term(e) {
            return Some(t);
        }
        Some(match unparen(e) {
            Expression::StringLiteral(s) => library::Term::Text(s.value.as_str().into()),
            Expression::NumericLiteral(n) => library::Term::Num(n.value),
            Expression::Identifier(id) => match self.resolve(id.name.as_str()) {
                Some(Bind::Var(s) | Bind::Const(s)) => library::Term::Local(s),
                _ => library::Term::Expr(self.ident(id.name.as_str())?),
            },
            other => library::Term::Expr(self.expr(other)?),
        })
    }

    /// `x.toUpperCase()` (or another case change) of a variable, as a term.
    fn case_term(&self, e: &Expression<'_>) -> Option<library::Term> {
        let Expression::CallExpression(c) = unparen(e) else {
            return None;
        };
        let Expression::StaticMemberExpression(m) = unparen(&c.callee) else {
            return None;
        };
        let Expression::Identifier(id) = unparen(&m.object) else {
            return None;
        };
        if c.optional || m.optional || !c.arguments.is_empty() {
            return None;
        }
        let case = library::Case::of_method(m.property.name.as_str())?;
        match self.resolve(id.name.as_str())? {
            Bind::Var(s) | Bind::Const(s) => Some(library::Term::Case(s, case)),
            Bind::Pending => None,
        }
    }

    /// An array literal; `with_msg`: its items may be `msg` itself (an
    /// array of outputs being returned).
    pub(super) fn array(
        &mut self,
        a: &oxc_ast::ast::ArrayExpression<'_>,
        with_msg: bool,
    ) -> Option<Ex> {
        let mut items: Vec<Ex> = Vec::with_capacity(a.elements.len());
        for el in &a.elements {
            match el {
                ArrayExpressionElement::SpreadElement(_) | ArrayExpressionElement::Elision(_) => {
                    return None
                }
                other => {
                    let e = other.as_expression()?;
                    items.push(if with_msg && is_msg(e) {
                        Box::new(|_| Ok(V::Msg))
                    } else {
                        self.expr(e)?
                    });
                }
            }
        }
        let site = Arc::new(Site::default());
        Some(Box::new(move |f| {
            let mut out = Vec::with_capacity(items.len().max(site.size()));
            for i in &items {
                out.push(i(f)?);
            }
            f.heap.arr_from(out, Some(&site))
        }))
    }

    fn ident(&self, name: &str) -> Option<Ex> {
        match self.resolve(name) {
            Some(Bind::Var(s) | Bind::Const(s)) => Some(Box::new(move |f| Ok(f.slots[s].clone()))),
            Some(Bind::Pending) => None,
            None => match name {
                "undefined" => Some(Box::new(|_| Ok(V::Undef))),
                "NaN" => Some(Box::new(|_| Ok(V::Num(f64::NAN)))),
                "Infinity" => Some(Box::new(|_| Ok(V::Num(f64::INFINITY)))),
                _ => None,
            },
        }
    }

    fn object(&mut self, o: &oxc_ast::ast::ObjectExpression<'_>) -> Option<Ex> {
        let mut props: Vec<(Key, Ex)> = Vec::with_capacity(o.properties.len());
        for p in &o.properties {
            let ObjectPropertyKind::ObjectProperty(p) = p else {
                return None;
            };
            if p.kind != PropertyKind::Init || p.method {
                return None;
            }
            let key = match &p.key {
                PropertyKey::StaticIdentifier(id) if !p.computed => {
                    Key::Static(id.name.as_str().into())
                }
                PropertyKey::StringLiteral(s) if !p.computed => {
                    Key::Static(s.value.as_str().into())
                }
                PropertyKey::NumericLiteral(n) if !p.computed => {
                    Key::Static(crate::jslib::number::fmt(n.value).into())
                }
                other if p.computed => Key::Computed(self.expr(other.as_expression()?)?),
                _ => return None,
            };
            if matches!(&key, Key::Static(k) if &**k == "__proto__") {
                return None;
            }
            props.push((key, self.expr(&p.value)?));
        }
        let site = Arc::new(Site::default());
        Some(Box::new(move |f| {
            let mut o = Obj::default();
            o.props.reserve(props.len().max(site.size()));
            for (k, v) in &props {
                let k = k.get(f)?;
                if &*k == "__proto__" {
                    return Err(Bail);
                }
                let v = v(f)?;
                o.set(k, v);
            }
            f.heap.obj_from(o, Some(&site))
        }))
    }

    fn call(&mut self, c: &oxc_ast::ast::CallExpression<'_>) -> Option<Ex> {
        let mut args: Vec<Ex> = Vec::with_capacity(c.arguments.len());
        for a in &c.arguments {
            args.push(self.expr(a.as_expression()?)?);
        }
        // Arguments are evaluated into a list the frame keeps for reuse.
        let eval_args = move |f: &mut Frame<'_>, args: &[Ex]| -> R<Vec<V>> {
            let mut out = f.spare_lists.pop().unwrap_or_default();
            for a in args {
                out.push(a(f)?);
            }
            Ok(out)
        };
        match unparen(&c.callee) {
            Expression::StaticMemberExpression(m) => {
                let name = m.property.name.as_str();
                if let Expression::Identifier(ns) = unparen(&m.object) {
                    let ns = ns.name.as_str();
                    if !self.is_local(ns) && ns != "msg" {
                        let g = library::global(ns, name)?;
                        return Some(Box::new(move |f| {
                            let a = eval_args(f, &args)?;
                            let r = g(f, &a);
                            f.recycle(a);
                            r
                        }));
                    }
                }
                if is_msg(&m.object) {
                    return None;
                }
                let recv = self.expr(&m.object)?;
                if let ("push", [_]) = (name, args.as_slice()) {
                    let item = args.pop()?;
                    return Some(Box::new(move |f| {
                        let r = recv(f)?;
                        let v = item(f)?;
                        library::push_one(f, &r, v)
                    }));
                }
                let name: Arc<str> = name.into();
                Some(Box::new(move |f| {
                    let r = recv(f)?;
                    let a = eval_args(f, &args)?;
                    let result = library::method(f, &r, &name, &a);
                    f.recycle(a);
                    result
                }))
            }
            Expression::Identifier(id) if !self.is_local(id.name.as_str()) => {
                let g = library::global("", id.name.as_str())?;
                Some(Box::new(move |f| {
                    let a = eval_args(f, &args)?;
                    let r = g(f, &a);
                    f.recycle(a);
                    r
                }))
            }
            _ => None,
        }
    }

    fn place(&mut self, t: &SimpleAssignmentTarget<'_>) -> Option<Place> {
        Some(match t {
            SimpleAssignmentTarget::AssignmentTargetIdentifier(id) => {
                match self.resolve(id.name.as_str())? {
                    Bind::Var(s) => Place::Local(s),
                    _ => return None,
                }
            }
            SimpleAssignmentTarget::StaticMemberExpression(m) => {
                if is_msg(&m.object) {
                    Place::Msg(msg_key(m.property.name.as_str())?)
                } else {
                    let key = Key::Static(m.property.name.as_str().into());
                    Place::Member(self.expr(&m.object)?, key)
                }
            }
            SimpleAssignmentTarget::ComputedMemberExpression(m) => {
                if is_msg(&m.object) {
                    return None;
                }
                let obj = self.expr(&m.object)?;
                Place::Member(obj, Key::Computed(self.expr(&m.expression)?))
            }
            _ => return None,
        })
    }

    /// `used`: whether the expression's value is used.
    fn assignment(&mut self, a: &oxc_ast::ast::AssignmentExpression<'_>, used: bool) -> Option<Ex> {
        let target = match &a.left {
            AssignmentTarget::AssignmentTargetIdentifier(_)
            | AssignmentTarget::StaticMemberExpression(_)
            | AssignmentTarget::ComputedMemberExpression(_) => {
                a.left.as_simple_assignment_target()?
            }
            _ => return None,
        };
        let place = self.place(target)?;
        let value = self.expr(&a.right)?;
        let op = match a.operator {
            AssignmentOperator::Assign => None,
            other => Some(library::binary_op(other.to_binary_operator()?)?),
        };
        Some(modify(
            place,
            move |f, old| {
                let v = value(f)?;
                match (op, old) {
                    (Some(apply), Some(old)) => apply(f, &old, &v),
                    _ => Ok(v),
                }
            },
            op.is_some(),
            false,
            used,
        ))
    }

    /// `used`: whether the expression's value is used.
    fn update(&mut self, u: &oxc_ast::ast::UpdateExpression<'_>, used: bool) -> Option<Ex> {
        let place = self.place(&u.argument)?;
        let delta = if u.operator == UpdateOperator::Increment {
            1.0
        } else {
            -1.0
        };
        let postfix = !u.prefix;
        if let Place::Local(s) = place {
            // A counter (`i++`): a number is changed where it is held.
            return Some(Box::new(move |f| match &mut f.slots[s] {
                V::Num(n) => {
                    let old = *n;
                    *n += delta;
                    Ok(V::Num(if postfix { old } else { *n }))
                }
                other => {
                    let old = other.to_number()?;
                    *other = V::Num(old + delta);
                    Ok(V::Num(if postfix { old } else { old + delta }))
                }
            }));
        }
        Some(modify(
            place,
            move |_, old| Ok(V::Num(old.ok_or(Bail)?.to_number()? + delta)),
            true,
            postfix,
            used,
        ))
    }

    fn unary(&mut self, u: &oxc_ast::ast::UnaryExpression<'_>) -> Option<Ex> {
        if u.operator == UnaryOperator::Delete {
            return match unparen(&u.argument) {
                Expression::StaticMemberExpression(m) if is_msg(&m.object) => {
                    let key = msg_key(m.property.name.as_str())?;
                    Some(Box::new(move |f| {
                        f.msg_set(&key, None);
                        Ok(V::Bool(true))
                    }))
                }
                Expression::StaticMemberExpression(m) => {
                    let obj = self.expr(&m.object)?;
                    let key: Arc<str> = m.property.name.as_str().into();
                    Some(Box::new(move |f| library::delete(&obj(f)?, &key)))
                }
                Expression::ComputedMemberExpression(m) if !is_msg(&m.object) => {
                    let obj = self.expr(&m.object)?;
                    let key = self.expr(&m.expression)?;
                    Some(Box::new(move |f| {
                        let o = obj(f)?;
                        let k = key(f)?.to_key()?;
                        library::delete(&o, &k)
                    }))
                }
                _ => None,
            };
        }
        let arg = self.expr(&u.argument)?;
        Some(match u.operator {
            UnaryOperator::LogicalNot => Box::new(move |f| Ok(V::Bool(!arg(f)?.truthy()))),
            UnaryOperator::UnaryNegation => Box::new(move |f| Ok(V::Num(-arg(f)?.to_number()?))),
            UnaryOperator::UnaryPlus => Box::new(move |f| Ok(V::Num(arg(f)?.to_number()?))),
            UnaryOperator::Typeof => Box::new(move |f| Ok(V::str(arg(f)?.type_of()))),
            UnaryOperator::Void => Box::new(move |f| arg(f).map(|_| V::Undef)),
            _ => return None,
        })
    }
}

/// An assignment or update of `place`: `next` gets the old value (when
/// `reads`) and gives the new one; the expression's value is the old one
/// when `postfix` (as a number), the new one otherwise, and `undefined`
/// when it is not `used`.
fn modify(
    place: Place,
    next: impl Fn(&mut Frame<'_>, Option<V>) -> R<V> + Send + Sync + 'static,
    reads: bool,
    postfix: bool,
    used: bool,
) -> Ex {
    // The old value as a number, which a postfix update gives.
    let kept = move |old: &Option<V>| -> R<Option<f64>> {
        match (postfix, old) {
            (true, Some(old)) => old.to_number().map(Some),
            _ => Ok(None),
        }
    };
    let result = move |kept: Option<f64>, new: &V| match kept {
        Some(n) => V::Num(n),
        None if used => new.clone(),
        None => V::Undef,
    };
    match place {
        Place::Local(s) => Box::new(move |f| {
            let old = reads.then(|| f.slots[s].clone());
            let k = kept(&old)?;
            let new = next(f, old)?;
            let r = result(k, &new);
            f.slots[s] = new;
            Ok(r)
        }),
        Place::Msg(key) => Box::new(move |f| {
            let old = if reads { Some(f.msg_get(&key)?) } else { None };
            let k = kept(&old)?;
            let new = next(f, old)?;
            let r = result(k, &new);
            f.msg_set(&key, Some(new));
            Ok(r)
        }),
        Place::Member(obj, key) => Box::new(move |f| {
            let o = obj(f)?;
            let k = key.get(f)?;
            let old = if reads {
                Some(library::get(&o, &k)?)
            } else {
                None
            };
            let kept = kept(&old)?;
            let new = next(f, old)?;
            let r = result(kept, &new);
            library::set(&o, k, new)?;
            Ok(r)
        }),
    }
}
