//! Expressions. Every JavaScript operator whose meaning differs from Rhai's
//! becomes a call to a runtime helper (`__add`, `__seq`, `__get`...);
//! `&&`, `||`, `??` and `?:` become Rhai `if` expressions so they keep
//! JavaScript's short-circuit and "value of the operand" semantics.

use oxc_ast::ast::*;
use oxc_span::{GetSpan, Span};
use oxc_syntax::operator::{
    AssignmentOperator, BinaryOperator, LogicalOperator, UnaryOperator, UpdateOperator,
};

use super::chain::{is_builtin_value, NAMESPACES};
use super::error::{ErrorKind, TranslateError};
use super::{mangle, number_literal, quote, Binding, TResult, Translator};
use crate::jslib::builtins;
use crate::jslib::number;

impl<'s> Translator<'s> {
    /// Whether `e` always yields a Rhai `bool`.
    pub fn is_bool(e: &Expression<'_>) -> bool {
        match e {
            Expression::BooleanLiteral(_) => true,
            Expression::ParenthesizedExpression(p) => Self::is_bool(&p.expression),
            Expression::UnaryExpression(u) => matches!(
                u.operator,
                UnaryOperator::LogicalNot | UnaryOperator::Delete
            ),
            Expression::BinaryExpression(b) => matches!(
                b.operator,
                BinaryOperator::Equality
                    | BinaryOperator::Inequality
                    | BinaryOperator::StrictEquality
                    | BinaryOperator::StrictInequality
                    | BinaryOperator::LessThan
                    | BinaryOperator::LessEqualThan
                    | BinaryOperator::GreaterThan
                    | BinaryOperator::GreaterEqualThan
                    | BinaryOperator::In
                    | BinaryOperator::Instanceof
            ),
            Expression::LogicalExpression(l) => {
                l.operator != LogicalOperator::Coalesce
                    && Self::is_bool(&l.left)
                    && Self::is_bool(&l.right)
            }
            _ => false,
        }
    }

    /// `e` as a Rhai `bool` (JavaScript truthiness).
    pub fn cond(&mut self, e: &Expression<'_>) -> TResult<String> {
        match e {
            Expression::ParenthesizedExpression(p) => self.cond(&p.expression),
            Expression::LogicalExpression(l) if l.operator == LogicalOperator::And => Ok(format!(
                "({} && {})",
                self.cond(&l.left)?,
                self.cond(&l.right)?
            )),
            Expression::LogicalExpression(l) if l.operator == LogicalOperator::Or => Ok(format!(
                "({} || {})",
                self.cond(&l.left)?,
                self.cond(&l.right)?
            )),
            Expression::UnaryExpression(u) if u.operator == UnaryOperator::LogicalNot => {
                Ok(format!("!({})", self.cond(&u.argument)?))
            }
            _ if Self::is_bool(e) => self.expr(e),
            _ => Ok(format!("__truthy({})", self.expr(e)?)),
        }
    }

    /// An expression in statement position (its value unused).
    pub fn expr_stmt(&mut self, e: &Expression<'_>) -> TResult<String> {
        match e {
            Expression::ParenthesizedExpression(p) => self.expr_stmt(&p.expression),
            Expression::AssignmentExpression(a) => self.assignment(a, true),
            Expression::UpdateExpression(u) => self.update(u, true),
            Expression::SequenceExpression(s) => {
                let mut parts = Vec::new();
                for x in &s.expressions {
                    parts.push(self.expr_stmt(x)?);
                }
                Ok(parts.join(";\n"))
            }
            Expression::LogicalExpression(l) => {
                let right = self.expr_stmt(&l.right)?;
                Ok(match l.operator {
                    LogicalOperator::And => format!("if {} {{ {right}; }}", self.cond(&l.left)?),
                    LogicalOperator::Or => format!("if !({}) {{ {right}; }}", self.cond(&l.left)?),
                    LogicalOperator::Coalesce => {
                        format!("if __nullish({}) {{ {right}; }}", self.expr(&l.left)?)
                    }
                })
            }
            Expression::ConditionalExpression(c) => {
                let test = self.cond(&c.test)?;
                let a = self.expr_stmt(&c.consequent)?;
                let b = self.expr_stmt(&c.alternate)?;
                Ok(format!("if {test} {{ {a}; }} else {{ {b}; }}"))
            }
            _ => self.expr(e),
        }
    }

    pub fn expr(&mut self, e: &Expression<'_>) -> TResult<String> {
        self.enter(e.span())?;
        let out = self.expr_at_depth(e);
        self.leave();
        out
    }

    fn expr_at_depth(&mut self, e: &Expression<'_>) -> TResult<String> {
        Ok(match e {
            Expression::BooleanLiteral(b) => b.value.to_string(),
            Expression::NullLiteral(_) => "__null()".into(),
            Expression::NumericLiteral(n) => number_literal(n.value),
            Expression::StringLiteral(s) => quote(s.value.as_str()),
            Expression::TemplateLiteral(t) => self.template(t)?,
            Expression::Identifier(id) => self.ident(id.name.as_str(), id.span)?,
            Expression::ArrayExpression(a) => self.array(a)?,
            Expression::ObjectExpression(o) => self.object(o)?,
            Expression::ParenthesizedExpression(p) => self.expr(&p.expression)?,
            Expression::SequenceExpression(s) => {
                let mut parts = Vec::new();
                for x in &s.expressions {
                    parts.push(self.expr(x)?);
                }
                format!("{{ {} }}", parts.join("; "))
            }
            Expression::ArrowFunctionExpression(a) => self.arrow(a, None)?,
            Expression::FunctionExpression(f) => self.function(f, None)?,
            Expression::AssignmentExpression(a) => self.assignment(a, false)?,
            Expression::UpdateExpression(u) => self.update(u, false)?,
            Expression::UnaryExpression(u) => self.unary(u)?,
            Expression::BinaryExpression(b) => self.binary(b)?,
            Expression::LogicalExpression(l) => self.logical(l)?,
            Expression::ConditionalExpression(c) => {
                let test = self.cond(&c.test)?;
                let a = self.expr(&c.consequent)?;
                let b = self.expr(&c.alternate)?;
                format!("(if {test} {{ {a} }} else {{ {b} }})")
            }
            Expression::StaticMemberExpression(_)
            | Expression::ComputedMemberExpression(_)
            | Expression::PrivateFieldExpression(_)
            | Expression::CallExpression(_) => self.chain(e)?,
            Expression::ChainExpression(c) => self.optional_chain(c)?,
            Expression::NewExpression(n) => self.new_expr(n)?,
            Expression::RegExpLiteral(r) => {
                let source = r.regex.pattern.text.as_str();
                let raw = self
                    .src
                    .get(r.span.start as usize..r.span.end as usize)
                    .unwrap_or("");
                let flags = raw.rsplit('/').next().unwrap_or("").to_owned();
                crate::jslib::regexp::check_literal(source, &flags).map_err(|message| {
                    TranslateError::spanning(
                        self.src,
                        r.span.start,
                        r.span.end,
                        ErrorKind::Syntax(message),
                    )
                })?;
                format!("__re({}, {})", quote(source), quote(&flags))
            }
            Expression::BigIntLiteral(b) => return Err(self.unsupported(b.span, "BigInt literal")),
            Expression::ThisExpression(_) => self.this_value(),
            Expression::Super(s) => return Err(self.unsupported(s.span, "`super` here")),
            Expression::AwaitExpression(a) => self.await_expr(a)?,
            Expression::YieldExpression(y) => return Err(self.unsupported(y.span, "`yield`")),
            Expression::ClassExpression(c) => self.class_expression(c)?,
            Expression::TaggedTemplateExpression(t) => self.tagged_template(t)?,
            Expression::ImportExpression(i) => return Err(self.unsupported(i.span, "`import()`")),
            other => {
                return Err(self.unsupported(other.span(), format!("`{}`", self.text(other.span()))))
            }
        })
    }

    /// A name read as a value.
    fn ident(&mut self, name: &str, span: Span) -> TResult<String> {
        if self.resolve(name).is_some() {
            return Ok(mangle(name));
        }
        Ok(match name {
            "undefined" => "()".into(),
            "NaN" => "__nan()".into(),
            "Infinity" => "__inf()".into(),
            "arguments" if self.fns.len() > 1 => format!("__arguments({})", self.fn_ctx().args),
            _ if is_builtin_value(name) => {
                let f = builtins::lookup(name).expect("built-in");
                format!("(|__v| __b_{f}(__v))")
            }
            _ if NAMESPACES.contains(&name) => {
                return Err(self.unsupported(span, format!("`{name}` used as a value")));
            }
            _ if super::globals::is_sandbox_global(name) || matches!(name, "eval" | "Function") => {
                return Err(self.undeclared(span, name))
            }
            // Nothing declares it, in Node-RED either: reading it throws there.
            _ => format!(
                "__throw(\"ReferenceError\", {})",
                quote(&format!("{name} is not defined"))
            ),
        })
    }

    fn template(&mut self, t: &TemplateLiteral<'_>) -> TResult<String> {
        let mut parts = Vec::new();
        for (i, q) in t.quasis.iter().enumerate() {
            let Some(cooked) = &q.value.cooked else {
                return Err(self.unsupported(q.span, "invalid escape in template literal"));
            };
            if !cooked.is_empty() {
                parts.push(quote(cooked.as_str()));
            }
            if let Some(e) = t.expressions.get(i) {
                parts.push(self.expr(e)?);
            }
        }
        Ok(format!("__tpl([{}])", parts.join(", ")))
    }

    /// Elements with spreads as a Rhai array expression.
    fn list<'x, 'a: 'x>(
        &mut self,
        items: impl Iterator<Item = (Option<&'x Expression<'a>>, bool, Span)>,
    ) -> TResult<String> {
        let mut segments: Vec<String> = Vec::new();
        let mut current: Vec<String> = Vec::new();
        let mut spread = false;
        for (e, is_spread, _) in items {
            match (e, is_spread) {
                (Some(e), true) => {
                    spread = true;
                    segments.push(format!("[{}]", current.join(", ")));
                    current.clear();
                    segments.push(format!("__iter({})", self.expr(e)?));
                }
                (Some(e), false) => current.push(self.expr(e)?),
                (None, _) => current.push("()".into()),
            }
        }
        if !spread {
            return Ok(format!("[{}]", current.join(", ")));
        }
        segments.push(format!("[{}]", current.join(", ")));
        Ok(format!("__flat([{}])", segments.join(", ")))
    }

    pub(super) fn args(&mut self, args: &[Argument<'_>]) -> TResult<String> {
        self.list(args.iter().map(|a| match a {
            Argument::SpreadElement(s) => (Some(&s.argument), true, s.span),
            other => (other.as_expression(), false, other.span()),
        }))
    }

    fn array(&mut self, a: &ArrayExpression<'_>) -> TResult<String> {
        let list = self.list(a.elements.iter().map(|el| match el {
            ArrayExpressionElement::SpreadElement(s) => (Some(&s.argument), true, s.span),
            ArrayExpressionElement::Elision(e) => (None, false, e.span),
            other => (other.as_expression(), false, other.span()),
        }))?;
        Ok(format!("__arr({list})"))
    }

    /// A property key as Rhai code.
    pub fn key(&mut self, key: &PropertyKey<'_>, computed: bool) -> TResult<String> {
        if computed {
            let e = key.as_expression().expect("computed key is an expression");
            return self.expr(e);
        }
        Ok(match key {
            PropertyKey::StaticIdentifier(id) => quote(id.name.as_str()),
            PropertyKey::StringLiteral(s) => quote(s.value.as_str()),
            PropertyKey::NumericLiteral(n) => quote(&number::fmt(n.value)),
            PropertyKey::PrivateIdentifier(p) => quote(&super::chain::private_key(p.name.as_str())),
            other => {
                let e = other.as_expression().expect("key expression");
                self.expr(e)?
            }
        })
    }

    fn object(&mut self, o: &ObjectExpression<'_>) -> TResult<String> {
        let mut pairs: Vec<String> = Vec::new();
        let mut after: Vec<String> = Vec::new();
        let obj = self.tmp("obj");
        let mut spread = false;
        for p in &o.properties {
            match p {
                ObjectPropertyKind::ObjectProperty(p) => {
                    if p.kind != PropertyKind::Init {
                        spread = true;
                        let k = self.key(&p.key, p.computed)?;
                        let f = self.expr(&p.value)?;
                        let (get, set) = if p.kind == PropertyKind::Get {
                            (f, "()".to_owned())
                        } else {
                            ("()".to_owned(), f)
                        };
                        after.push(format!("__accessor({obj}, {k}, {get}, {set});"));
                        continue;
                    }
                    let k = self.key(&p.key, p.computed)?;
                    let v = self.expr(&p.value)?;
                    if spread {
                        after.push(format!("__set({obj}, {k}, {v});"));
                    } else {
                        pairs.push(format!("{k}, {v}"));
                    }
                }
                ObjectPropertyKind::SpreadProperty(s) => {
                    spread = true;
                    let v = self.expr(&s.argument)?;
                    after.push(format!("__spread_into({obj}, {v});"));
                }
            }
        }
        let literal = format!("__obj([{}])", pairs.join(", "));
        if !spread {
            return Ok(literal);
        }
        Ok(format!(
            "{{ let {obj} = {literal}; {} {obj} }}",
            after.join(" ")
        ))
    }

    fn unary(&mut self, u: &UnaryExpression<'_>) -> TResult<String> {
        Ok(match u.operator {
            UnaryOperator::LogicalNot => format!("!({})", self.cond(&u.argument)?),
            UnaryOperator::UnaryNegation => match &u.argument {
                Expression::NumericLiteral(n) => number_literal(-n.value),
                a => format!("__neg({})", self.expr(a)?),
            },
            UnaryOperator::UnaryPlus => format!("__pos({})", self.expr(&u.argument)?),
            UnaryOperator::BitwiseNot => format!("__bnot({})", self.expr(&u.argument)?),
            UnaryOperator::Typeof => {
                if let Expression::Identifier(id) = &u.argument {
                    let name = id.name.as_str();
                    if self.resolve(name).is_none() {
                        return Ok(quote(match name {
                            "undefined" => "undefined",
                            "NaN" | "Infinity" => "number",
                            "setTimeout" | "setInterval" | "clearTimeout" | "clearInterval" => {
                                "function"
                            }
                            _ if is_builtin_value(name) => "function",
                            _ if NAMESPACES.contains(&name) => {
                                if matches!(
                                    name,
                                    "Object" | "Array" | "Number" | "Date" | "String" | "Buffer"
                                ) {
                                    "function"
                                } else {
                                    "object"
                                }
                            }
                            _ => "undefined",
                        }));
                    }
                }
                format!("__typeof({})", self.expr(&u.argument)?)
            }
            UnaryOperator::Void => format!("{{ {}; () }}", self.expr(&u.argument)?),
            // `delete (msg.payload)` deletes as `delete msg.payload` does.
            UnaryOperator::Delete => match unparen(&u.argument) {
                Expression::StaticMemberExpression(m) => {
                    format!(
                        "__delete({}, {})",
                        self.expr(&m.object)?,
                        quote(m.property.name.as_str())
                    )
                }
                Expression::ComputedMemberExpression(m) => {
                    format!(
                        "__delete({}, {})",
                        self.expr(&m.object)?,
                        self.expr(&m.expression)?
                    )
                }
                _ => "true".into(),
            },
        })
    }

    fn binary(&mut self, b: &BinaryExpression<'_>) -> TResult<String> {
        if b.operator == BinaryOperator::Addition {
            if let Some(folded) = self.addition_chain(b)? {
                return Ok(folded);
            }
        }
        if b.operator == BinaryOperator::Instanceof {
            let l = self.expr(&b.left)?;
            return match &b.right {
                Expression::Identifier(id)
                    if self.resolve(id.name.as_str()).is_none()
                        && matches!(
                            id.name.as_str(),
                            "Array"
                                | "Object"
                                | "Date"
                                | "Error"
                                | "TypeError"
                                | "RangeError"
                                | "SyntaxError"
                                | "ReferenceError"
                                | "Function"
                                | "RegExp"
                                | "Promise"
                                | "Buffer"
                                | "Uint8Array"
                                | "Set"
                                | "Map"
                                | "WeakSet"
                                | "WeakMap"
                        ) =>
                {
                    Ok(format!("__instanceof({l}, {})", quote(id.name.as_str())))
                }
                other => {
                    let r = self.expr(other)?;
                    Ok(format!("__instanceof_class({l}, {r})"))
                }
            };
        }
        let l = self.expr(&b.left)?;
        let r = self.expr(&b.right)?;
        if let Some(eq) = typeof_test(b) {
            // `typeof x === "string"`: both sides are strings, so the
            // engine's own string comparison answers without a call.
            let op = if eq { "==" } else { "!=" };
            return Ok(format!("({l} {op} {r})"));
        }
        let f = match b.operator {
            BinaryOperator::Equality => "__leq",
            BinaryOperator::Inequality => return Ok(format!("!__leq({l}, {r})")),
            BinaryOperator::StrictEquality => "__seq",
            BinaryOperator::StrictInequality => return Ok(format!("!__seq({l}, {r})")),
            BinaryOperator::LessThan => "__lt",
            BinaryOperator::LessEqualThan => "__le",
            BinaryOperator::GreaterThan => "__gt",
            BinaryOperator::GreaterEqualThan => "__ge",
            BinaryOperator::Addition => "__add",
            BinaryOperator::Subtraction => "__sub",
            BinaryOperator::Multiplication => "__mul",
            BinaryOperator::Division => "__div",
            BinaryOperator::Remainder => "__mod",
            BinaryOperator::Exponential => "__pow",
            BinaryOperator::ShiftLeft => "__shl",
            BinaryOperator::ShiftRight => "__shr",
            BinaryOperator::ShiftRightZeroFill => "__ushr",
            BinaryOperator::BitwiseOR => "__bor",
            BinaryOperator::BitwiseXOR => "__bxor",
            BinaryOperator::BitwiseAnd => "__band",
            BinaryOperator::In => "__in",
            BinaryOperator::Instanceof => unreachable!("handled above"),
        };
        Ok(format!("{f}({l}, {r})"))
    }

    fn logical(&mut self, l: &LogicalExpression<'_>) -> TResult<String> {
        if l.operator != LogicalOperator::Coalesce
            && Self::is_bool(&l.left)
            && Self::is_bool(&l.right)
        {
            let a = self.cond(&l.left)?;
            let b = self.cond(&l.right)?;
            let op = if l.operator == LogicalOperator::And {
                "&&"
            } else {
                "||"
            };
            return Ok(format!("({a} {op} {b})"));
        }
        let left = self.expr(&l.left)?;
        let right = self.expr(&l.right)?;
        let t = self.tmp("v");
        Ok(match l.operator {
            LogicalOperator::And => {
                format!("{{ let {t} = {left}; if __truthy({t}) {{ {right} }} else {{ {t} }} }}")
            }
            LogicalOperator::Or => {
                format!("{{ let {t} = {left}; if __truthy({t}) {{ {t} }} else {{ {right} }} }}")
            }
            LogicalOperator::Coalesce => {
                format!("{{ let {t} = {left}; if __nullish({t}) {{ {right} }} else {{ {t} }} }}")
            }
        })
    }

    /// Code that writes `value` to `target` (`stmt`: its value is unused).
    pub fn assign_to(
        &mut self,
        target: &AssignmentTarget<'_>,
        value: String,
        stmt: bool,
    ) -> TResult<String> {
        match target {
            AssignmentTarget::AssignmentTargetIdentifier(id) => {
                self.assign_name(id.name.as_str(), value, stmt)
            }
            AssignmentTarget::StaticMemberExpression(m) => {
                let obj = self.expr(&m.object)?;
                Ok(format!(
                    "__set({obj}, {}, {value})",
                    quote(m.property.name.as_str())
                ))
            }
            AssignmentTarget::ComputedMemberExpression(m) => {
                let obj = self.expr(&m.object)?;
                let key = self.expr(&m.expression)?;
                Ok(format!("__set({obj}, {key}, {value})"))
            }
            AssignmentTarget::PrivateFieldExpression(m) => {
                let obj = self.expr(&m.object)?;
                let key = quote(&super::chain::private_key(m.field.name.as_str()));
                Ok(format!("__set({obj}, {key}, {value})"))
            }
            AssignmentTarget::ArrayAssignmentTarget(_)
            | AssignmentTarget::ObjectAssignmentTarget(_) => {
                let t = self.tmp("src");
                let body = self.assign_pattern(target, &t)?;
                Ok(format!("{{ let {t} = {value}; {body} {t} }}"))
            }
            other => Err(self.unsupported(other.span(), "this assignment target")),
        }
    }

    pub fn assign_name(&mut self, name: &str, value: String, stmt: bool) -> TResult<String> {
        match self.resolve(name) {
            Some(Binding::Const) => {
                return Ok(format!(
                    "{{ {value}; __throw(\"TypeError\", \"Assignment to constant variable.\") }}"
                ))
            }
            Some(_) => {}
            None => {
                // Sloppy mode: assigning an undeclared name creates a global.
                self.implicit.insert(name.to_owned());
                self.declare_global(name);
            }
        }
        let v = mangle(name);
        Ok(if stmt {
            format!("{v} = {value}")
        } else {
            format!("{{ {v} = {value}; {v} }}")
        })
    }

    fn assignment(&mut self, a: &AssignmentExpression<'_>, stmt: bool) -> TResult<String> {
        let op = a.operator;
        if op == AssignmentOperator::Assign {
            let value = self.expr(&a.right)?;
            return self.assign_to(&a.left, value, stmt);
        }
        let helper = match op {
            AssignmentOperator::Addition => "__add",
            AssignmentOperator::Subtraction => "__sub",
            AssignmentOperator::Multiplication => "__mul",
            AssignmentOperator::Division => "__div",
            AssignmentOperator::Remainder => "__mod",
            AssignmentOperator::Exponential => "__pow",
            AssignmentOperator::ShiftLeft => "__shl",
            AssignmentOperator::ShiftRight => "__shr",
            AssignmentOperator::ShiftRightZeroFill => "__ushr",
            AssignmentOperator::BitwiseOR => "__bor",
            AssignmentOperator::BitwiseXOR => "__bxor",
            AssignmentOperator::BitwiseAnd => "__band",
            AssignmentOperator::LogicalOr
            | AssignmentOperator::LogicalAnd
            | AssignmentOperator::LogicalNullish => "",
            AssignmentOperator::Assign => unreachable!("handled above"),
        };
        let right = self.expr(&a.right)?;
        let test = |cur: &str| match op {
            AssignmentOperator::LogicalOr => format!("!__truthy({cur})"),
            AssignmentOperator::LogicalAnd => format!("__truthy({cur})"),
            _ => format!("__nullish({cur})"),
        };
        match &a.left {
            AssignmentTarget::AssignmentTargetIdentifier(id) => {
                let name = id.name.as_str();
                let v = mangle(name);
                if self.resolve(name).is_none() {
                    return Err(self.undeclared(id.span, name));
                }
                if helper.is_empty() {
                    let set = self.assign_name(name, right, true)?;
                    let c = test(&v);
                    return Ok(if stmt {
                        format!("if {c} {{ {set}; }}")
                    } else {
                        format!("{{ if {c} {{ {set}; }}; {v} }}")
                    });
                }
                self.assign_name(name, format!("{helper}({v}, {right})"), stmt)
            }
            AssignmentTarget::StaticMemberExpression(_)
            | AssignmentTarget::ComputedMemberExpression(_)
            | AssignmentTarget::PrivateFieldExpression(_) => {
                let (obj, key) = self.member_parts(&a.left)?;
                let o = self.tmp("o");
                let k = self.tmp("k");
                if helper.is_empty() {
                    let c = self.tmp("c");
                    let t = test(&c);
                    return Ok(format!(
                        "{{ let {o} = {obj}; let {k} = {key}; let {c} = __get({o}, {k}); if {t} {{ __set({o}, {k}, {right}) }} else {{ {c} }} }}"
                    ));
                }
                Ok(format!(
                    "{{ let {o} = {obj}; let {k} = {key}; __set({o}, {k}, {helper}(__get({o}, {k}), {right})) }}"
                ))
            }
            other => Err(self.unsupported(other.span(), "compound assignment to a pattern")),
        }
    }

    fn member_parts(&mut self, target: &AssignmentTarget<'_>) -> TResult<(String, String)> {
        match target {
            AssignmentTarget::StaticMemberExpression(m) => {
                Ok((self.expr(&m.object)?, quote(m.property.name.as_str())))
            }
            AssignmentTarget::ComputedMemberExpression(m) => {
                Ok((self.expr(&m.object)?, self.expr(&m.expression)?))
            }
            AssignmentTarget::PrivateFieldExpression(m) => Ok((
                self.expr(&m.object)?,
                quote(&super::chain::private_key(m.field.name.as_str())),
            )),
            other => Err(self.unsupported(other.span(), "this assignment target")),
        }
    }

    fn update(&mut self, u: &UpdateExpression<'_>, stmt: bool) -> TResult<String> {
        let f = match u.operator {
            UpdateOperator::Increment => "__inc",
            UpdateOperator::Decrement => "__dec",
        };
        match &u.argument {
            SimpleAssignmentTarget::AssignmentTargetIdentifier(id) => {
                let name = id.name.as_str();
                match self.resolve(name) {
                    None => return Err(self.undeclared(id.span, name)),
                    Some(Binding::Const) => {
                        return Ok(
                            "__throw(\"TypeError\", \"Assignment to constant variable.\")".into(),
                        )
                    }
                    Some(_) => {}
                }
                let v = mangle(name);
                Ok(if stmt {
                    format!("{v} = {f}({v})")
                } else if u.prefix {
                    format!("{{ {v} = {f}({v}); {v} }}")
                } else {
                    let t = self.tmp("old");
                    format!("{{ let {t} = __pos({v}); {v} = {f}({t}); {t} }}")
                })
            }
            SimpleAssignmentTarget::StaticMemberExpression(_)
            | SimpleAssignmentTarget::ComputedMemberExpression(_)
            | SimpleAssignmentTarget::PrivateFieldExpression(_) => {
                let (obj, key) = match &u.argument {
                    SimpleAssignmentTarget::StaticMemberExpression(m) => {
                        (self.expr(&m.object)?, quote(m.property.name.as_str()))
                    }
                    SimpleAssignmentTarget::ComputedMemberExpression(m) => {
                        (self.expr(&m.object)?, self.expr(&m.expression)?)
                    }
                    SimpleAssignmentTarget::PrivateFieldExpression(m) => (
                        self.expr(&m.object)?,
                        quote(&super::chain::private_key(m.field.name.as_str())),
                    ),
                    _ => unreachable!("matched above"),
                };
                let o = self.tmp("o");
                let k = self.tmp("k");
                Ok(if stmt || u.prefix {
                    format!("{{ let {o} = {obj}; let {k} = {key}; __set({o}, {k}, {f}(__get({o}, {k}))) }}")
                } else {
                    let t = self.tmp("old");
                    format!(
                        "{{ let {o} = {obj}; let {k} = {key}; let {t} = __pos(__get({o}, {k})); __set({o}, {k}, {f}({t})); {t} }}"
                    )
                })
            }
            other => Err(self.unsupported(other.span(), "this update target")),
        }
    }
}

/// `e` without the parentheses around it.
fn unparen<'b, 'a>(e: &'b Expression<'a>) -> &'b Expression<'a> {
    match e {
        Expression::ParenthesizedExpression(p) => unparen(&p.expression),
        other => other,
    }
}

/// For `typeof x === "..."` (either way round, `===`/`!==`/`==`/`!=`),
/// whether the test is for equality; `None` for any other comparison.
fn typeof_test(b: &BinaryExpression<'_>) -> Option<bool> {
    let eq = match b.operator {
        BinaryOperator::StrictEquality | BinaryOperator::Equality => true,
        BinaryOperator::StrictInequality | BinaryOperator::Inequality => false,
        _ => return None,
    };
    let is_typeof = |e: &Expression<'_>| matches!(e, Expression::UnaryExpression(u) if u.operator == UnaryOperator::Typeof);
    let is_text = |e: &Expression<'_>| matches!(e, Expression::StringLiteral(_));
    ((is_typeof(&b.left) && is_text(&b.right)) || (is_text(&b.left) && is_typeof(&b.right)))
        .then_some(eq)
}
