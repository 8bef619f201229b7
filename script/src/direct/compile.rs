//! JavaScript statements and expressions compiled to closures.
//!
//! Each construct either compiles (to a closure over the run's [`Frame`])
//! or makes the whole body `None`: the body then always runs on the
//! engine. Variables are resolved here, once, to numbered slots.

use std::sync::Arc;

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    ArrayExpressionElement, AssignmentOperator, AssignmentTarget, BinaryOperator, BindingPattern,
    Expression, ForStatementInit, ForStatementLeft, LogicalOperator, ObjectPropertyKind,
    PropertyKey, PropertyKind, SimpleAssignmentTarget, Statement, UnaryOperator, UpdateOperator,
    VariableDeclaration, VariableDeclarationKind,
};

use super::library;
use super::value::{self, Bail, Obj, R, V};
use super::Frame;
use crate::translate::{hoisted_vars, parse_body};

pub type Ex = Box<dyn Fn(&mut Frame<'_>) -> R<V> + Send + Sync>;
pub type St = Box<dyn Fn(&mut Frame<'_>) -> R<Flow> + Send + Sync>;

/// How a statement ended.
pub enum Flow {
    Next,
    Break,
    Continue,
    Return(V),
}

/// Compile a body: its closure and how many variable slots it uses.
pub fn compile(source: &str) -> Option<(St, usize)> {
    if crate::translate::nesting::too_deep_at(source).is_some() {
        return None;
    }
    let allocator = Allocator::default();
    let parsed = parse_body(&allocator, source);
    if parsed.panicked || !parsed.diagnostics.is_empty() {
        return None;
    }
    let mut c = Compiler::default();
    c.scopes.push(Vec::new());
    let mut vars = Vec::new();
    hoisted_vars(&parsed.program.body, &mut vars);
    for name in vars {
        if !c.is_declared_here(name) {
            let slot = c.slot();
            c.bind(name, Bind::Var(slot));
        }
    }
    let body = c.block(&parsed.program.body)?;
    Some((body, c.slots))
}

#[derive(Clone, Copy)]
enum Bind {
    /// Declared later in its block: reading it first is an error.
    Pending,
    Var(usize),
    Const(usize),
}

/// Names a body may not bind or use here: the host objects (and `msg`,
/// which is only used through its named properties).
const HOST: [&str; 8] = [
    "msg",
    "node",
    "context",
    "flow",
    "global",
    "env",
    "RED",
    "arguments",
];

#[derive(Default)]
struct Compiler {
    scopes: Vec<Vec<(String, Bind)>>,
    slots: usize,
}

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
            Key::Computed(e) => e(f)?.to_key(),
        }
    }
}

fn is_msg(e: &Expression<'_>) -> bool {
    matches!(unparen(e), Expression::Identifier(id) if id.name == "msg")
}

fn unparen<'x, 'a>(e: &'x Expression<'a>) -> &'x Expression<'a> {
    match e {
        Expression::ParenthesizedExpression(p) => unparen(&p.expression),
        other => other,
    }
}

/// The only name `msg` may be used with: a plain property, not one that
/// every object inherits.
fn msg_key(name: &str) -> Option<Arc<str>> {
    (!value::INHERITED.contains(&name)).then(|| name.into())
}

impl Compiler {
    fn slot(&mut self) -> usize {
        self.slots += 1;
        self.slots - 1
    }

    fn bind(&mut self, name: &str, b: Bind) {
        let scope = self.scopes.last_mut().expect("a scope");
        match scope.iter_mut().find(|(n, _)| n == name) {
            Some(entry) => entry.1 = b,
            None => scope.push((name.to_owned(), b)),
        }
    }

    fn is_declared_here(&self, name: &str) -> bool {
        self.scopes
            .last()
            .is_some_and(|s| s.iter().any(|(n, _)| n == name))
    }

    fn resolve(&self, name: &str) -> Option<Bind> {
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.iter().find(|(n, _)| n == name).map(|(_, b)| *b))
    }

    fn is_local(&self, name: &str) -> bool {
        self.resolve(name).is_some()
    }

    /// A block's statements, with its `let`/`const` names pending until
    /// declared.
    fn block(&mut self, stmts: &[Statement<'_>]) -> Option<St> {
        self.scopes.push(Vec::new());
        for s in stmts {
            match s {
                Statement::VariableDeclaration(d) if d.kind != VariableDeclarationKind::Var => {
                    for decl in &d.declarations {
                        let BindingPattern::BindingIdentifier(id) = &decl.id else {
                            return None;
                        };
                        self.bind(id.name.as_str(), Bind::Pending);
                    }
                }
                Statement::FunctionDeclaration(_) | Statement::ClassDeclaration(_) => return None,
                _ => {}
            }
        }
        let compiled: Option<Vec<St>> = stmts.iter().map(|s| self.stmt(s)).collect();
        self.scopes.pop();
        let compiled = compiled?;
        Some(Box::new(move |f| {
            for s in &compiled {
                match s(f)? {
                    Flow::Next => {}
                    other => return Ok(other),
                }
            }
            Ok(Flow::Next)
        }))
    }

    fn stmt(&mut self, s: &Statement<'_>) -> Option<St> {
        Some(match s {
            Statement::EmptyStatement(_) => Box::new(|_| Ok(Flow::Next)),
            Statement::BlockStatement(b) => self.block(&b.body)?,
            Statement::ExpressionStatement(e) => {
                let e = self.expr(&e.expression)?;
                Box::new(move |f| e(f).map(|_| Flow::Next))
            }
            Statement::VariableDeclaration(d) => self.declaration(d)?,
            Statement::IfStatement(i) => {
                let test = self.expr(&i.test)?;
                let then = self.scoped(&i.consequent)?;
                let other = match &i.alternate {
                    Some(a) => Some(self.scoped(a)?),
                    None => None,
                };
                Box::new(move |f| {
                    if test(f)?.truthy() {
                        then(f)
                    } else if let Some(o) = &other {
                        o(f)
                    } else {
                        Ok(Flow::Next)
                    }
                })
            }
            Statement::ReturnStatement(r) => {
                let value = match &r.argument {
                    Some(a) => Some(self.returned(a)?),
                    None => None,
                };
                Box::new(move |f| {
                    Ok(Flow::Return(match &value {
                        Some(v) => v(f)?,
                        None => V::Undef,
                    }))
                })
            }
            // Throwing needs the engine's error objects.
            Statement::ThrowStatement(_) => Box::new(|_| Err(Bail)),
            Statement::BreakStatement(b) if b.label.is_none() => Box::new(|_| Ok(Flow::Break)),
            Statement::ContinueStatement(c) if c.label.is_none() => {
                Box::new(|_| Ok(Flow::Continue))
            }
            Statement::WhileStatement(w) => {
                let test = self.expr(&w.test)?;
                let body = self.scoped(&w.body)?;
                looping(None, Some(test), None, body, false)
            }
            Statement::DoWhileStatement(w) => {
                let test = self.expr(&w.test)?;
                let body = self.scoped(&w.body)?;
                looping(None, Some(test), None, body, true)
            }
            Statement::ForStatement(fs) => {
                self.scopes.push(Vec::new());
                let compiled = (|| {
                    let init: Option<St> = match &fs.init {
                        None => None,
                        Some(ForStatementInit::VariableDeclaration(d)) => {
                            Some(self.declaration(d)?)
                        }
                        Some(other) => {
                            let e = self.expr(other.as_expression()?)?;
                            Some(Box::new(move |f: &mut Frame<'_>| e(f).map(|_| Flow::Next)))
                        }
                    };
                    let test = match &fs.test {
                        Some(t) => Some(self.expr(t)?),
                        None => None,
                    };
                    let update = match &fs.update {
                        Some(u) => Some(self.expr(u)?),
                        None => None,
                    };
                    let body = self.scoped(&fs.body)?;
                    Some(looping(init, test, update, body, false))
                })();
                self.scopes.pop();
                compiled?
            }
            Statement::ForOfStatement(fo) if !fo.r#await => self.for_of(fo)?,
            _ => return None,
        })
    }

    /// A statement in its own scope (a loop's or an `if`'s body).
    fn scoped(&mut self, s: &Statement<'_>) -> Option<St> {
        match s {
            Statement::BlockStatement(b) => self.block(&b.body),
            // `if (x) let y = 1;` is a syntax error; a lone declaration
            // elsewhere would need its own scope.
            Statement::VariableDeclaration(_) => None,
            other => self.stmt(other),
        }
    }

    fn for_of(&mut self, fo: &oxc_ast::ast::ForOfStatement<'_>) -> Option<St> {
        let ForStatementLeft::VariableDeclaration(d) = &fo.left else {
            return None;
        };
        let [decl] = d.declarations.as_slice() else {
            return None;
        };
        let BindingPattern::BindingIdentifier(id) = &decl.id else {
            return None;
        };
        let items = self.expr(&fo.right)?;
        self.scopes.push(Vec::new());
        let slot = self.slot();
        let name = id.name.as_str();
        if HOST.contains(&name) {
            self.scopes.pop();
            return None;
        }
        let b = match d.kind {
            VariableDeclarationKind::Const => Bind::Const(slot),
            VariableDeclarationKind::Let => Bind::Var(slot),
            _ => {
                self.scopes.pop();
                return None;
            }
        };
        self.bind(name, b);
        let body = self.scoped(&fo.body);
        self.scopes.pop();
        let body = body?;
        Some(Box::new(move |f| {
            let V::Arr(list) = items(f)? else {
                return Err(Bail);
            };
            let mut i = 0;
            loop {
                f.step()?;
                // The array is read live, as JavaScript's iterator does.
                let Some(item) = list.borrow().get(i).cloned() else {
                    break;
                };
                i += 1;
                f.slots[slot] = item;
                match body(f)? {
                    Flow::Break => break,
                    Flow::Return(v) => return Ok(Flow::Return(v)),
                    Flow::Next | Flow::Continue => {}
                }
            }
            Ok(Flow::Next)
        }))
    }

    fn declaration(&mut self, d: &VariableDeclaration<'_>) -> Option<St> {
        let mut parts: Vec<(usize, Option<Ex>)> = Vec::new();
        for decl in &d.declarations {
            let BindingPattern::BindingIdentifier(id) = &decl.id else {
                return None;
            };
            let name = id.name.as_str();
            if HOST.contains(&name) {
                return None;
            }
            let init = match &decl.init {
                Some(e) => Some(self.expr(e)?),
                None => None,
            };
            let slot = match d.kind {
                VariableDeclarationKind::Var => match self.resolve(name)? {
                    Bind::Var(s) => s,
                    _ => return None,
                },
                VariableDeclarationKind::Let => {
                    let s = self.slot();
                    self.bind(name, Bind::Var(s));
                    s
                }
                VariableDeclarationKind::Const => {
                    let s = self.slot();
                    self.bind(name, Bind::Const(s));
                    s
                }
                _ => return None,
            };
            // `var x;` keeps what `x` held; `let x;` starts undefined.
            let init = match (init, d.kind) {
                (None, VariableDeclarationKind::Var) => continue,
                (init, _) => init,
            };
            parts.push((slot, init));
        }
        Some(Box::new(move |f| {
            for (slot, init) in &parts {
                let v = match init {
                    Some(e) => e(f)?,
                    None => V::Undef,
                };
                f.slots[*slot] = v;
            }
            Ok(Flow::Next)
        }))
    }

    /// What `return` sends: `msg` itself, or an array of outputs that may
    /// hold it, are allowed here and nowhere else.
    fn returned(&mut self, e: &Expression<'_>) -> Option<Ex> {
        match unparen(e) {
            Expression::Identifier(id) if id.name == "msg" => Some(Box::new(|_| Ok(V::Msg))),
            Expression::ArrayExpression(a) => {
                let mut items = Vec::with_capacity(a.elements.len());
                for el in &a.elements {
                    match el {
                        ArrayExpressionElement::SpreadElement(_)
                        | ArrayExpressionElement::Elision(_) => return None,
                        other => {
                            let e = other.as_expression()?;
                            items.push(if is_msg(e) {
                                Box::new(|_: &mut Frame<'_>| Ok(V::Msg))
                            } else {
                                self.expr(e)?
                            });
                        }
                    }
                }
                Some(Box::new(move |f| {
                    let mut out = Vec::with_capacity(items.len());
                    for i in &items {
                        out.push(i(f)?);
                    }
                    f.heap.arr(out)
                }))
            }
            // A new object is sent as a new message: the engine's to make.
            Expression::ObjectExpression(_) => None,
            other => self.expr(other),
        }
    }

    fn expr(&mut self, e: &Expression<'_>) -> Option<Ex> {
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
            Expression::ArrayExpression(a) => {
                let mut items = Vec::with_capacity(a.elements.len());
                for el in &a.elements {
                    match el {
                        ArrayExpressionElement::SpreadElement(_)
                        | ArrayExpressionElement::Elision(_) => return None,
                        other => items.push(self.expr(other.as_expression()?)?),
                    }
                }
                Box::new(move |f| {
                    let mut out = Vec::with_capacity(items.len());
                    for i in &items {
                        out.push(i(f)?);
                    }
                    f.heap.arr(out)
                })
            }
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
            Expression::AssignmentExpression(a) => self.assignment(a)?,
            Expression::UpdateExpression(u) => self.update(u)?,
            Expression::UnaryExpression(u) => self.unary(u)?,
            Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
                let mut terms = Vec::new();
                self.sum_terms(b, &mut terms)?;
                library::sum(terms)
            }
            Expression::BinaryExpression(b) => {
                let op = b.operator;
                let l = self.expr(&b.left)?;
                let r = self.expr(&b.right)?;
                library::binary_supported(op).then_some(())?;
                Box::new(move |f| {
                    let a = l(f)?;
                    let b = r(f)?;
                    library::binary(f, op, &a, &b)
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
        Some(match unparen(e) {
            Expression::StringLiteral(s) => library::Term::Text(s.value.as_str().into()),
            Expression::Identifier(id) => match self.resolve(id.name.as_str()) {
                Some(Bind::Var(s) | Bind::Const(s)) => library::Term::Local(s),
                _ => library::Term::Expr(self.ident(id.name.as_str())?),
            },
            other => library::Term::Expr(self.expr(other)?),
        })
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
        Some(Box::new(move |f| {
            let mut o = Obj::default();
            o.props.reserve(props.len());
            for (k, v) in &props {
                let k = k.get(f)?;
                if &*k == "__proto__" {
                    return Err(Bail);
                }
                let v = v(f)?;
                o.set(k, v);
            }
            f.heap.obj(o)
        }))
    }

    fn call(&mut self, c: &oxc_ast::ast::CallExpression<'_>) -> Option<Ex> {
        let mut args = Vec::with_capacity(c.arguments.len());
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

    fn assignment(&mut self, a: &oxc_ast::ast::AssignmentExpression<'_>) -> Option<Ex> {
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
            other => {
                let op = other.to_binary_operator()?;
                Some(library::binary_supported(op).then_some(op)?)
            }
        };
        Some(modify(
            place,
            move |f, old| {
                let v = value(f)?;
                match (op, old) {
                    (Some(op), Some(old)) => library::binary(f, op, &old, &v),
                    _ => Ok(v),
                }
            },
            op.is_some(),
            false,
        ))
    }

    fn update(&mut self, u: &oxc_ast::ast::UpdateExpression<'_>) -> Option<Ex> {
        let place = self.place(&u.argument)?;
        let delta = if u.operator == UpdateOperator::Increment {
            1.0
        } else {
            -1.0
        };
        let prefix = u.prefix;
        Some(modify(
            place,
            move |_, old| Ok(V::Num(old.ok_or(Bail)?.to_number()? + delta)),
            true,
            !prefix,
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
/// when `postfix` (as a number), the new one otherwise.
fn modify(
    place: Place,
    next: impl Fn(&mut Frame<'_>, Option<V>) -> R<V> + Send + Sync + 'static,
    reads: bool,
    postfix: bool,
) -> Ex {
    let result = move |old: Option<V>, new: &V| -> R<V> {
        Ok(match (postfix, old) {
            (true, Some(old)) => V::Num(old.to_number()?),
            _ => new.clone(),
        })
    };
    match place {
        Place::Local(s) => Box::new(move |f| {
            let old = reads.then(|| f.slots[s].clone());
            let new = next(f, old.clone())?;
            f.slots[s] = new.clone();
            result(old, &new)
        }),
        Place::Msg(key) => Box::new(move |f| {
            let old = if reads { Some(f.msg_get(&key)?) } else { None };
            let new = next(f, old.clone())?;
            f.msg_set(&key, Some(new.clone()));
            result(old, &new)
        }),
        Place::Member(obj, key) => Box::new(move |f| {
            let o = obj(f)?;
            let k = key.get(f)?;
            let old = if reads {
                Some(library::get(&o, &k)?)
            } else {
                None
            };
            let new = next(f, old.clone())?;
            library::set(&o, k, new.clone())?;
            result(old, &new)
        }),
    }
}

/// A loop: `init` once, then while `test` holds, `body` and `update`.
fn looping(init: Option<St>, test: Option<Ex>, update: Option<Ex>, body: St, do_while: bool) -> St {
    Box::new(move |f| {
        if let Some(i) = &init {
            i(f)?;
        }
        let mut first = do_while;
        loop {
            f.step()?;
            if !first {
                if let Some(t) = &test {
                    if !t(f)?.truthy() {
                        break;
                    }
                }
            }
            first = false;
            match body(f)? {
                Flow::Break => break,
                Flow::Return(v) => return Ok(Flow::Return(v)),
                Flow::Next | Flow::Continue => {}
            }
            if let Some(u) = &update {
                u(f)?;
            }
        }
        Ok(Flow::Next)
    })
}
