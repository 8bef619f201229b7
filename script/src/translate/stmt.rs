//! Statements: declarations, control flow, loops, `switch`, `try`.
//!
//! Rhai has `if`, `while`, `loop`, `for..in`, `break`, `continue`, `return`,
//! `throw` and `try/catch`; the rest is built from those:
//! `for (;;)` becomes a `loop` that runs the update before each test after
//! the first (so `continue` still updates), `switch` a one-pass `loop`
//! entered at the matching case (so `break` leaves it and cases fall
//! through), and `finally` a catch-all that re-throws after the block.

use oxc_ast::ast::*;
use oxc_span::GetSpan;

use super::{mangle, Binding, Ctl, TResult, Translator};

/// How a declaration binds its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bind {
    /// `let x = ...` (a new Rhai variable).
    Let,
    /// `x = ...` (the variable was declared earlier: hoisted `var`,
    /// pre-declared `let`, parameter).
    Assign,
}

impl<'s> Translator<'s> {
    /// The statements of a block (or function body): function declarations
    /// are hoisted to the top, and when there are any, the block's
    /// `let`/`const` names are declared before them so the functions can
    /// capture them.
    pub fn block_items(&mut self, stmts: &[Statement<'_>]) -> TResult<String> {
        let mut out = String::new();
        let funcs: Vec<&Function<'_>> = stmts
            .iter()
            .filter_map(|s| match s {
                Statement::FunctionDeclaration(f) => Some(&**f),
                _ => None,
            })
            .collect();
        let predeclare = !funcs.is_empty() || self.makes_closures(stmts);
        for s in stmts {
            if let (true, Statement::ClassDeclaration(c)) = (predeclare, s) {
                if let Some(id) = &c.id {
                    self.declare(id.name.as_str(), Binding::Let);
                    out.push_str(&format!("let {} = ();\n", mangle(id.name.as_str())));
                }
            }
            if let Statement::VariableDeclaration(d) = s {
                if d.kind != VariableDeclarationKind::Var {
                    let mut names = Vec::new();
                    for decl in &d.declarations {
                        super::pattern_names(&decl.id, &mut names);
                    }
                    let b = if d.kind == VariableDeclarationKind::Const {
                        Binding::Const
                    } else {
                        Binding::Let
                    };
                    for n in names {
                        self.declare(n, b);
                        if predeclare {
                            out.push_str(&format!("let {} = ();\n", mangle(n)));
                        }
                    }
                }
            }
        }
        for f in &funcs {
            let name = f.id.as_ref().map(|i| i.name.as_str()).unwrap_or("");
            out.push_str(&format!("let {} = ();\n", mangle(name)));
            self.declare(name, Binding::Function);
        }
        for f in &funcs {
            let name = f.id.as_ref().map(|i| i.name.as_str()).unwrap_or("");
            let code = self.function(f, Some(name))?;
            out.push_str(&format!("{} = {code};\n", mangle(name)));
        }
        for s in stmts {
            if matches!(s, Statement::FunctionDeclaration(_)) {
                continue;
            }
            self.stmt(s, &mut out, predeclare)?;
        }
        Ok(out)
    }

    /// Whether the source of `stmts` may create a closure (an arrow or a
    /// function expression). A closure captures the variables it names when
    /// it is created, so a `let`/`const` declared after it in the block
    /// (`const f = () => g(); const g = …`) must exist by then: the block's
    /// names are then declared at its top, as JavaScript hoists them.
    fn makes_closures(&self, stmts: &[Statement<'_>]) -> bool {
        let (Some(first), Some(last)) = (stmts.first(), stmts.last()) else {
            return false;
        };
        let text = self
            .src
            .get(first.span().start as usize..last.span().end as usize)
            .unwrap_or("");
        text.contains("=>") || text.contains("function") || text.contains("class")
    }

    /// A nested block: its own scope.
    pub fn block(&mut self, stmts: &[Statement<'_>]) -> TResult<String> {
        self.push_scope();
        let r = self.block_items(stmts);
        self.pop_scope();
        Ok(format!("{{\n{}}}", r?))
    }

    /// A statement used as a body (`if`, loops): always a braced block.
    pub fn body(&mut self, s: &Statement<'_>) -> TResult<String> {
        match s {
            Statement::BlockStatement(b) => self.block(&b.body),
            other => {
                self.push_scope();
                let mut out = String::new();
                let r = self.stmt(other, &mut out, false);
                self.pop_scope();
                r?;
                Ok(format!("{{\n{out}}}"))
            }
        }
    }

    pub fn stmt(&mut self, s: &Statement<'_>, out: &mut String, predeclared: bool) -> TResult<()> {
        self.enter(s.span())?;
        let done = self.stmt_at_depth(s, out, predeclared);
        self.leave();
        done?;
        if matches!(
            s,
            Statement::WhileStatement(_)
                | Statement::DoWhileStatement(_)
                | Statement::ForStatement(_)
                | Statement::ForInStatement(_)
                | Statement::ForOfStatement(_)
                | Statement::SwitchStatement(_)
        ) {
            out.push_str(&self.after_loop()?);
        }
        Ok(())
    }

    fn stmt_at_depth(
        &mut self,
        s: &Statement<'_>,
        out: &mut String,
        predeclared: bool,
    ) -> TResult<()> {
        match s {
            Statement::EmptyStatement(_) | Statement::DebuggerStatement(_) => {}
            Statement::BlockStatement(b) => {
                out.push_str(&self.block(&b.body)?);
                out.push_str(";\n");
            }
            Statement::ExpressionStatement(e) => {
                out.push_str(&self.expr_stmt(&e.expression)?);
                out.push_str(";\n");
            }
            Statement::VariableDeclaration(d) => {
                out.push_str(&self.var_decl(d, predeclared)?);
            }
            Statement::FunctionDeclaration(f) => {
                // Only reached for declarations outside a block list (e.g. `if (x) function f(){}`).
                let name = f.id.as_ref().map(|i| i.name.as_str()).unwrap_or("");
                self.declare(name, Binding::Function);
                out.push_str(&format!("let {} = ();\n", mangle(name)));
                let code = self.function(f, Some(name))?;
                out.push_str(&format!("{} = {code};\n", mangle(name)));
            }
            Statement::IfStatement(i) => {
                let cond = self.cond(&i.test)?;
                let cons = self.body(&i.consequent)?;
                out.push_str(&format!("if {cond} {cons}"));
                if let Some(alt) = &i.alternate {
                    let alt = self.body(alt)?;
                    out.push_str(&format!(" else {alt}"));
                }
                out.push_str(";\n");
            }
            Statement::ReturnStatement(r) => {
                if self.fn_ctx().finally_depth > 0 {
                    return Err(self.unsupported(r.span, "`return` inside `try` with `finally`"));
                }
                match &r.argument {
                    Some(e) => {
                        let v = self.expr(e)?;
                        out.push_str(&format!("return {};\n", self.returned(&v)));
                    }
                    None => match self.returned("()") {
                        v if v == "()" => out.push_str("return;\n"),
                        v => out.push_str(&format!("return {v};\n")),
                    },
                }
            }
            Statement::ThrowStatement(t) => {
                let v = self.expr(&t.argument)?;
                out.push_str(&format!("throw {v};\n"));
            }
            Statement::WhileStatement(w) => {
                let cond = self.cond(&w.test)?;
                let body = self.loop_body(&w.body)?.0;
                out.push_str(&format!("while {cond} {body};\n"));
            }
            Statement::DoWhileStatement(w) => {
                let first = self.tmp("first");
                let cond = self.cond(&w.test)?;
                let body = self.loop_body(&w.body)?.0;
                out.push_str(&format!(
                    "{{\nlet {first} = true;\nwhile {first} || {cond} {{\n{first} = false;\n{body};\n}};\n}};\n"
                ));
            }
            Statement::ForStatement(f) => self.for_stmt(f, out)?,
            Statement::ForInStatement(f) => {
                let obj = self.expr(&f.right)?;
                self.for_each(&f.left, format!("__keys_in({obj})"), &f.body, out)?;
            }
            Statement::ForOfStatement(f) => {
                if f.r#await {
                    return Err(self.unsupported(f.span, "`for await`"));
                }
                let iter = self.expr(&f.right)?;
                self.for_each(&f.left, format!("__iter({iter})"), &f.body, out)?;
            }
            Statement::BreakStatement(b) => {
                if let Some(l) = &b.label {
                    let code = self.labelled_break(l.name.as_str(), b.span)?;
                    out.push_str(&code);
                    return Ok(());
                }
                let depth = self.fn_ctx().finally_depth;
                let ok = match self.fn_ctx().ctl.last() {
                    Some(Ctl::Loop { finally_depth, .. })
                    | Some(Ctl::Switch { finally_depth, .. }) => *finally_depth == depth,
                    None => true,
                };
                if !ok {
                    return Err(self.unsupported(b.span, "`break` out of `try` with `finally`"));
                }
                out.push_str("break;\n");
            }
            Statement::ContinueStatement(c) => {
                if let Some(l) = &c.label {
                    let code = self.labelled_continue(l.name.as_str(), c.span)?;
                    out.push_str(&code);
                    return Ok(());
                }
                let code = self.continue_code(c.span)?;
                out.push_str(&code);
            }
            Statement::SwitchStatement(sw) => self.switch(sw, out)?,
            Statement::TryStatement(t) => self.try_stmt(t, out)?,
            Statement::LabeledStatement(l) => self.labelled(l, out)?,
            Statement::WithStatement(w) => return Err(self.unsupported(w.span, "`with` statement")),
            Statement::ClassDeclaration(c) => self.class_declaration(c, out, predeclared)?,
            other => return Err(self.unsupported(other.span(), "this statement")),
        }
        Ok(())
    }

    /// `var`/`let`/`const`.
    fn var_decl(&mut self, d: &VariableDeclaration<'_>, predeclared: bool) -> TResult<String> {
        let mut out = String::new();
        let (binding, mode) = match d.kind {
            VariableDeclarationKind::Var => (Binding::Var, Bind::Assign),
            VariableDeclarationKind::Let => (
                Binding::Let,
                if predeclared { Bind::Assign } else { Bind::Let },
            ),
            VariableDeclarationKind::Const => (
                Binding::Const,
                if predeclared { Bind::Assign } else { Bind::Let },
            ),
            _ => return Err(self.unsupported(d.span, "`using` declaration")),
        };
        for decl in &d.declarations {
            let value = match &decl.init {
                Some(e) => Some(self.initializer(e, &decl.id)?),
                None => None,
            };
            if binding != Binding::Var {
                let mut names = Vec::new();
                super::pattern_names(&decl.id, &mut names);
                for n in names {
                    self.declare(n, binding);
                }
            }
            match value {
                Some(v) => out.push_str(&self.bind_pattern(&decl.id, v, mode)?),
                None if binding == Binding::Var => {}
                None => out.push_str(&self.bind_pattern(&decl.id, "()".into(), mode)?),
            }
        }
        Ok(out)
    }

    /// A declaration's initial value. A function or arrow assigned to a
    /// name (`const poll = () => setTimeout(poll, 100)`) may call itself by
    /// that name, as a function declaration may: it gets itself as an
    /// argument rather than capturing its own variable, which would make a
    /// reference cycle that outlives the run.
    fn initializer(&mut self, e: &Expression<'_>, id: &BindingPattern<'_>) -> TResult<String> {
        let BindingPattern::BindingIdentifier(name) = id else {
            return self.expr(e);
        };
        let name = name.name.as_str();
        match e {
            Expression::ArrowFunctionExpression(a) if !a.r#async => {
                self.enter(a.span)?;
                let r = self.arrow(a, Some(name));
                self.leave();
                r
            }
            Expression::FunctionExpression(f) if f.id.is_none() => {
                self.enter(f.span)?;
                let r = self.function(f, Some(name));
                self.leave();
                r
            }
            _ => self.expr(e),
        }
    }

    /// A loop body, with the loop on the control stack. Returns the code and
    /// whether a `continue` targets the loop.
    fn loop_body(&mut self, body: &Statement<'_>) -> TResult<(String, bool)> {
        let depth = self.fn_ctx().finally_depth;
        self.fn_ctx().ctl.push(Ctl::Loop {
            continued: false,
            finally_depth: depth,
        });
        let r = self.body(body);
        let ctl = self.fn_ctx().ctl.pop();
        let continued = matches!(
            ctl,
            Some(Ctl::Loop {
                continued: true,
                ..
            })
        );
        Ok((r?, continued))
    }

    fn for_stmt(&mut self, f: &ForStatement<'_>, out: &mut String) -> TResult<()> {
        self.push_scope();
        let r = (|| -> TResult<String> {
            let init = match &f.init {
                None => String::new(),
                Some(ForStatementInit::VariableDeclaration(d)) => self.var_decl(d, false)?,
                Some(other) => {
                    let e = other.as_expression().expect("expression init");
                    format!("{};\n", self.expr_stmt(e)?)
                }
            };
            let test = match &f.test {
                Some(t) => self.cond(t)?,
                None => "true".into(),
            };
            let update = match &f.update {
                Some(u) => Some(self.expr_stmt(u)?),
                None => None,
            };
            let (body, continued) = self.loop_body(&f.body)?;
            let (test, update) = match super::counter::native_counter(f, &body) {
                Some((test, update)) => (test, Some(update)),
                None => (test, update),
            };
            let (init, body) = match super::iteration::rebind(f, self.src, &body, continued) {
                Some(r) => {
                    let temps: Vec<String> = r.names.iter().map(|_| self.tmp("iter")).collect();
                    (
                        format!("{init}{}", r.declarations(&temps)),
                        r.wrap(&body, &temps),
                    )
                }
                None => (init, body),
            };
            Ok(match update {
                None => format!("{{\n{init}while {test} {body};\n}}"),
                Some(u) if !continued => {
                    format!("{{\n{init}while {test} {{\n{body};\n{u};\n}};\n}}")
                }
                Some(u) => {
                    let first = self.tmp("first");
                    format!(
                        "{{\n{init}let {first} = true;\nloop {{\nif {first} {{ {first} = false; }} else {{ {u}; }}\nif !({test}) {{ break; }}\n{body};\n}};\n}}"
                    )
                }
            })
        })();
        self.pop_scope();
        out.push_str(&r?);
        out.push_str(";\n");
        Ok(())
    }

    /// `for (left in/of ...)` over a Rhai array expression.
    fn for_each(
        &mut self,
        left: &ForStatementLeft<'_>,
        items: String,
        body: &Statement<'_>,
        out: &mut String,
    ) -> TResult<()> {
        let item = self.tmp("item");
        self.push_scope();
        let r = (|| -> TResult<String> {
            let bind = match left {
                ForStatementLeft::VariableDeclaration(d) => {
                    let decl = d.declarations.first().expect("one declarator");
                    let (binding, mode) = match d.kind {
                        VariableDeclarationKind::Var => (Binding::Var, Bind::Assign),
                        VariableDeclarationKind::Let => (Binding::Let, Bind::Let),
                        VariableDeclarationKind::Const => (Binding::Const, Bind::Let),
                        _ => return Err(self.unsupported(d.span, "`using` declaration")),
                    };
                    if binding != Binding::Var {
                        let mut names = Vec::new();
                        super::pattern_names(&decl.id, &mut names);
                        for n in names {
                            self.declare(n, binding);
                        }
                    }
                    self.bind_pattern(&decl.id, item.clone(), mode)?
                }
                other => {
                    let target = other.as_assignment_target().expect("assignment target");
                    format!("{};\n", self.assign_to(target, item.clone(), true)?)
                }
            };
            let (body, _) = self.loop_body(body)?;
            Ok(format!("for {item} in {items} {{\n{bind}{body};\n}}"))
        })();
        self.pop_scope();
        out.push_str(&r?);
        out.push_str(";\n");
        Ok(())
    }

    /// `continue`, leaving any `switch` in between through its flag.
    pub(super) fn continue_code(&mut self, span: oxc_span::Span) -> TResult<String> {
        let depth = self.fn_ctx().finally_depth;
        let ctl = &mut self.fn_ctx().ctl;
        match ctl.last_mut() {
            None => Err(self.unsupported(span, "`continue` outside a loop")),
            Some(Ctl::Loop {
                continued,
                finally_depth,
            }) => {
                if *finally_depth != depth {
                    return Err(self.unsupported(span, "`continue` out of `try` with `finally`"));
                }
                *continued = true;
                Ok("continue;\n".into())
            }
            Some(Ctl::Switch {
                flag,
                used,
                finally_depth,
            }) => {
                if *finally_depth != depth {
                    return Err(self.unsupported(span, "`continue` out of `try` with `finally`"));
                }
                *used = true;
                Ok(format!("{flag} = true;\nbreak;\n"))
            }
        }
    }

    fn switch(&mut self, sw: &SwitchStatement<'_>, out: &mut String) -> TResult<()> {
        let disc = self.expr(&sw.discriminant)?;
        let d = self.tmp("disc");
        let idx = self.tmp("case");
        let flag = self.tmp("cont");
        let n = sw.cases.len();
        let default = sw.cases.iter().position(|c| c.test.is_none()).unwrap_or(n);
        let mut select = String::new();
        for (i, c) in sw.cases.iter().enumerate() {
            if let Some(t) = &c.test {
                let t = self.expr(t)?;
                select.push_str(&format!("if __seq({d}, {t}) {{ {i} }} else "));
            }
        }
        select.push_str(&format!("{{ {default} }}"));
        let depth = self.fn_ctx().finally_depth;
        self.fn_ctx().ctl.push(Ctl::Switch {
            flag: flag.clone(),
            used: false,
            finally_depth: depth,
        });
        self.push_scope();
        let mut bodies = String::new();
        let mut result = Ok(());
        for (i, c) in sw.cases.iter().enumerate() {
            let mut body = String::new();
            let r = self.block_items(&c.consequent);
            match r {
                Ok(code) => body.push_str(&code),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
            bodies.push_str(&format!("if {idx} <= {i} {{\n{body}}};\n"));
        }
        self.pop_scope();
        let ctl = self.fn_ctx().ctl.pop();
        result?;
        let used = matches!(ctl, Some(Ctl::Switch { used: true, .. }));
        out.push_str(&format!("{{\nlet {d} = {disc};\nlet {idx} = {select};\n"));
        if used {
            out.push_str(&format!("let {flag} = false;\n"));
        }
        out.push_str(&format!("loop {{\n{bodies}break;\n}};\n"));
        if used {
            let cont = self.continue_code(sw.span)?;
            out.push_str(&format!("if {flag} {{\n{cont}}};\n"));
        }
        out.push_str("};\n");
        Ok(())
    }

    fn catch_clause(&mut self, h: &CatchClause<'_>) -> TResult<String> {
        let e = self.tmp("err");
        self.push_scope();
        let r = (|| -> TResult<String> {
            let bind = match &h.param {
                Some(p) => {
                    let mut names = Vec::new();
                    super::pattern_names(&p.pattern, &mut names);
                    for n in names {
                        self.declare(n, Binding::Let);
                    }
                    self.bind_pattern(&p.pattern, format!("__caught({e})"), Bind::Let)?
                }
                None => String::new(),
            };
            let body = self.block(&h.body.body)?;
            Ok(format!("catch ({e}) {{\n{bind}{body};\n}}"))
        })();
        self.pop_scope();
        r
    }

    fn try_stmt(&mut self, t: &TryStatement<'_>, out: &mut String) -> TResult<()> {
        let Some(fin) = &t.finalizer else {
            let block = self.block(&t.block.body)?;
            let handler =
                self.catch_clause(t.handler.as_ref().expect("try has catch or finally"))?;
            out.push_str(&format!("try {block} {handler};\n"));
            return Ok(());
        };
        self.fn_ctx().finally_depth += 1;
        let inner = (|| -> TResult<String> {
            let block = self.block(&t.block.body)?;
            Ok(match &t.handler {
                Some(h) => {
                    let handler = self.catch_clause(h)?;
                    format!("try {block} {handler};\n")
                }
                None => format!("{block};\n"),
            })
        })();
        self.fn_ctx().finally_depth -= 1;
        let inner = inner?;
        let threw = self.tmp("threw");
        let err = self.tmp("error");
        let e = self.tmp("err");
        let finally = self.block(&fin.body)?;
        out.push_str(&format!(
            "let {threw} = false;\nlet {err} = ();\ntry {{\n{inner}}} catch ({e}) {{ {threw} = true; {err} = {e}; }};\n{finally};\nif {threw} {{ throw __caught({err}); }};\n"
        ));
        Ok(())
    }

    /// A JavaScript function as a Rhai closure taking its arguments as one
    /// array (and itself first when it refers to its own name).
    pub fn function(&mut self, f: &Function<'_>, self_name: Option<&str>) -> TResult<String> {
        if f.generator {
            return Err(self.unsupported(f.span, "generator function"));
        }
        let Some(body) = &f.body else {
            return Err(self.unsupported(f.span, "function without a body"));
        };
        let own = self_name.or_else(|| f.id.as_ref().map(|i| i.name.as_str()));
        if f.r#async {
            return self.closure(own, super::FnKind::Function, &f.params, |t| {
                t.async_body(|t| t.function_body(&body.statements))
            });
        }
        self.closure(own, super::FnKind::Function, &f.params, |t| {
            t.function_body(&body.statements)
        })
    }

    /// An arrow function (`own`: the name it is assigned to, which it may
    /// call itself by).
    pub fn arrow(&mut self, a: &ArrowFunctionExpression<'_>, own: Option<&str>) -> TResult<String> {
        let body = |t: &mut Self| match &a.body {
            ArrowFunctionBody::FunctionBody(b) => t.function_body(&b.statements),
            other => {
                let e = other.as_expression().expect("expression body");
                let v = t.expr(e)?;
                Ok(match t.fns.last().is_some_and(|f| f.is_async) {
                    true => format!("return {};\n", t.returned(&v)),
                    false => format!("{v}\n"),
                })
            }
        };
        if a.r#async {
            self.closure(own, super::FnKind::Arrow, &a.params, |t| t.async_body(body))
        } else {
            self.closure(own, super::FnKind::Arrow, &a.params, body)
        }
    }

    /// Shared by functions and arrows: parameters, then the body.
    pub fn closure(
        &mut self,
        own: Option<&str>,
        kind: super::FnKind,
        params: &FormalParameters<'_>,
        body: impl FnOnce(&mut Self) -> TResult<String>,
    ) -> TResult<String> {
        let args = format!("__args{}", self.fns.len());
        self.lookups.closure();
        if let Some(name) = own.filter(|n| !n.is_empty()) {
            self.push_scope();
            self.declare(name, Binding::SelfFn);
        }
        self.fns.push(super::FnCtx {
            kind,
            uses_this: false,
            args: args.clone(),
            self_name: own.filter(|n| !n.is_empty()).map(str::to_owned),
            self_used: false,
            ctl: Vec::new(),
            finally_depth: 0,
            is_async: false,
            labels: Vec::new(),
        });
        self.push_scope();
        let r = (|| -> TResult<String> {
            let mut code = String::new();
            for (i, p) in params.items.iter().enumerate() {
                let mut names = Vec::new();
                super::pattern_names(&p.pattern, &mut names);
                for n in &names {
                    self.declare(n, Binding::Param);
                }
                let mut value = format!("__arg({args}, {i})");
                if let Some(init) = &p.initializer {
                    let d = self.expr(init)?;
                    let t = self.tmp("p");
                    value = format!(
                        "{{ let {t} = {value}; if __undef({t}) {{ {d} }} else {{ {t} }} }}"
                    );
                }
                code.push_str(&self.bind_pattern(&p.pattern, value, Bind::Let)?);
            }
            if let Some(rest) = &params.rest {
                let mut names = Vec::new();
                super::pattern_names(&rest.rest.argument, &mut names);
                for n in &names {
                    self.declare(n, Binding::Param);
                }
                let value = format!("__rest({args}, {})", params.items.len());
                code.push_str(&self.bind_pattern(&rest.rest.argument, value, Bind::Let)?);
            }
            code.push_str(&body(self)?);
            Ok(code)
        })();
        self.pop_scope();
        let ctx = self.fns.pop().expect("function context");
        if own.is_some_and(|n| !n.is_empty()) {
            self.pop_scope();
        }
        let code = r?;
        let self_name = match (ctx.self_used, &ctx.self_name) {
            (true, Some(name)) => Some(mangle(name)),
            _ => None,
        };
        Ok(self.closure_code(kind, ctx.uses_this, self_name, &args, &code))
    }
}
