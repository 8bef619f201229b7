//! JavaScript statements and expressions compiled to closures.
//!
//! Each construct either compiles (to a closure over the run's [`Frame`])
//! or makes the whole body `None`: the body then always runs on the
//! engine. Variables are resolved here, once, to numbered slots.
//! Statements are compiled here, expressions in [`expr`].

use std::sync::Arc;

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    BindingPattern, Expression, ForStatementInit, ForStatementLeft, Statement, VariableDeclaration,
    VariableDeclarationKind,
};

mod expr;

use super::value::{self, Bail, R, V};
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
                let e = self.effect(&e.expression)?;
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
                            let e = self.effect(other.as_expression()?)?;
                            Some(Box::new(move |f: &mut Frame<'_>| e(f).map(|_| Flow::Next)))
                        }
                    };
                    let test = match &fs.test {
                        Some(t) => Some(self.expr(t)?),
                        None => None,
                    };
                    let update = match &fs.update {
                        Some(u) => Some(self.effect(u)?),
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
        if let [(slot, Some(_))] = parts.as_slice() {
            // One variable with a value (the usual `const x = ...`).
            let slot = *slot;
            let (_, init) = parts.pop()?;
            let init = init?;
            return Some(Box::new(move |f| {
                f.slots[slot] = init(f)?;
                Ok(Flow::Next)
            }));
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
            Expression::ArrayExpression(a) => self.array(a, true),
            // A new object is sent as a new message: the engine's to make.
            Expression::ObjectExpression(_) => None,
            other => self.expr(other),
        }
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
