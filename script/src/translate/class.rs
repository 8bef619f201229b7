//! Classes, `this`, and tagged templates.
//!
//! A class becomes one `__class(name, parent, constructor, fields,
//! members)` call (see [`crate::jslib::classes`]): its constructor, methods,
//! getters, setters and instance-field initializer are closures taking
//! `this` and their class (for `super`) before their arguments.
//!
//! `this` in a `function` is its `__this` argument (the object it was called
//! on; the sandbox's global object when called plainly), in an arrow the
//! `this` around it, and at the top of the body the sandbox's global object,
//! `__gthis`, which Node-RED's sandbox makes `this` there: not the node.

use oxc_ast::ast::{
    Class, ClassElement, Expression, MethodDefinitionKind, TaggedTemplateExpression,
};
use oxc_span::GetSpan;

use super::{mangle, quote, Binding, FnCtx, FnKind, TResult, Translator};

/// The built-in error constructors a class may extend.
const ERROR_CLASSES: [&str; 7] = [
    "Error",
    "TypeError",
    "RangeError",
    "SyntaxError",
    "ReferenceError",
    "EvalError",
    "URIError",
];

impl<'s> Translator<'s> {
    /// `this` where it is read.
    pub(super) fn this_value(&mut self) -> String {
        let own = self
            .fns
            .iter()
            .rposition(|f| f.kind != FnKind::Arrow)
            .unwrap_or(0);
        if own == 0 {
            self.uses_global_this = true;
            return "__gthis".into();
        }
        self.fns[own].uses_this = true;
        "__this".into()
    }

    /// Whether the code being translated is (in an arrow in) a class member.
    pub(super) fn in_member(&self) -> bool {
        self.fns
            .iter()
            .rev()
            .find(|f| f.kind != FnKind::Arrow)
            .is_some_and(|f| f.kind == FnKind::Member)
    }

    /// A translated function's closure, given what it takes.
    pub(super) fn closure_code(
        &mut self,
        kind: FnKind,
        uses_this: bool,
        self_name: Option<String>,
        args: &str,
        code: &str,
    ) -> String {
        match (kind, self_name) {
            (FnKind::Member, _) => format!("|__this, __home, {args}| {{\n{code}}}"),
            (FnKind::Function, self_name) if uses_this => {
                self.uses_global_this = true;
                let fix = "let __this = __this_or(__this, __gthis);\n";
                match self_name {
                    Some(n) => format!(
                        "__fnthis(|__self, __this, {args}| {{\nlet {n} = __self;\n{fix}{code}}}, true)"
                    ),
                    None => format!("__fnthis(|__this, {args}| {{\n{fix}{code}}}, false)"),
                }
            }
            (_, Some(n)) => format!("__fnself(|__self, {args}| {{\nlet {n} = __self;\n{code}}})"),
            (_, None) => format!("|{args}| {{\n{code}}}"),
        }
    }

    /// A class member without parameters of its own (the instance-field
    /// initializer).
    fn member_code(&mut self, body: impl FnOnce(&mut Self) -> TResult<String>) -> TResult<String> {
        let args = format!("__args{}", self.fns.len());
        self.fns.push(FnCtx {
            kind: FnKind::Member,
            uses_this: false,
            args: args.clone(),
            self_name: None,
            self_used: false,
            ctl: Vec::new(),
            finally_depth: 0,
            is_async: false,
            labels: Vec::new(),
        });
        self.push_scope();
        let r = body(self);
        self.pop_scope();
        self.fns.pop();
        Ok(format!("|__this, __home, {args}| {{\n{}()\n}}", r?))
    }

    /// `class A extends B { … }` as a statement: binds `A` in the block.
    pub(super) fn class_declaration(
        &mut self,
        c: &Class<'_>,
        out: &mut String,
        predeclared: bool,
    ) -> TResult<()> {
        let name = c.id.as_ref().map(|i| i.name.as_str()).unwrap_or("");
        let v = mangle(name);
        if !predeclared {
            // Declared first, so members that name the class can capture it.
            self.declare(name, Binding::Let);
            out.push_str(&format!("let {v} = ();\n"));
        }
        let code = self.class(c, name)?;
        out.push_str(&format!("{v} = {code};\n"));
        Ok(())
    }

    /// `class [Name] { … }` as a value; a name is bound inside the class.
    pub(super) fn class_expression(&mut self, c: &Class<'_>) -> TResult<String> {
        let Some(id) = &c.id else {
            return self.class(c, "");
        };
        let name = id.name.as_str();
        self.push_scope();
        self.declare(name, Binding::Const);
        let code = self.class(c, name);
        self.pop_scope();
        let v = mangle(name);
        Ok(format!("{{ let {v} = (); {v} = {}; {v} }}", code?))
    }

    /// A class: one `__class(…)` call.
    pub(super) fn class(&mut self, c: &Class<'_>, name: &str) -> TResult<String> {
        let parent = match &c.heritage {
            // `extends Error` (or TypeError...): the instances are errors.
            Some(h) => match &h.expression {
                Expression::Identifier(id)
                    if ERROR_CLASSES.contains(&id.name.as_str())
                        && self.resolve(id.name.as_str()).is_none() =>
                {
                    format!("__error_base({})", quote(id.name.as_str()))
                }
                e => self.expr(e)?,
            },
            None => "()".into(),
        };
        let mut ctor = "()".to_owned();
        let mut fields = Vec::new();
        let mut members = Vec::new();
        for el in &c.body.body {
            match el {
                ClassElement::MethodDefinition(m) => {
                    let key = self.key(&m.key, m.computed)?;
                    let Some(body) = &m.value.body else {
                        return Err(self.unsupported(m.span, "method without a body"));
                    };
                    if m.value.r#async || m.value.generator {
                        return Err(self.unsupported(m.span, "async or generator method"));
                    }
                    let f = self.closure(None, FnKind::Member, &m.value.params, |t| {
                        t.function_body(&body.statements)
                    })?;
                    let kind = match m.kind {
                        MethodDefinitionKind::Constructor => {
                            ctor = f;
                            continue;
                        }
                        MethodDefinitionKind::Method => "method",
                        MethodDefinitionKind::Get => "get",
                        MethodDefinitionKind::Set => "set",
                    };
                    members.push(format!("[{}, {key}, {f}, {}]", quote(kind), m.r#static));
                }
                ClassElement::PropertyDefinition(p) => {
                    let key = self.key(&p.key, p.computed)?;
                    if p.r#static {
                        let value = match &p.value {
                            Some(e) => self.expr(e)?,
                            None => "()".into(),
                        };
                        members.push(format!("[\"field\", {key}, {value}, true]"));
                    } else {
                        fields.push((key, p.value.as_ref()));
                    }
                }
                other => {
                    return Err(self.unsupported(other.span(), "this class member"));
                }
            }
        }
        let fields = if fields.is_empty() {
            "()".to_owned()
        } else {
            self.member_code(|t| {
                let mut code = String::new();
                for (key, value) in fields {
                    let v = match value {
                        Some(e) => t.expr(e)?,
                        None => "()".into(),
                    };
                    code.push_str(&format!("__set(__this, {key}, {v});\n"));
                }
                Ok(code)
            })?
        };
        Ok(format!(
            "__class({}, {parent}, {ctor}, {fields}, [{}])",
            quote(name),
            members.join(", ")
        ))
    }

    /// ``tag`a${x}b` ``: the tag called with the template's strings and
    /// values.
    pub(super) fn tagged_template(&mut self, t: &TaggedTemplateExpression<'_>) -> TResult<String> {
        let mut strings = Vec::new();
        for q in &t.quasi.quasis {
            strings.push(match &q.value.cooked {
                Some(c) => quote(c.as_str()),
                None => "()".into(),
            });
        }
        let mut args = vec![format!("__arr([{}])", strings.join(", "))];
        for e in &t.quasi.expressions {
            args.push(self.expr(e)?);
        }
        let tag = self.expr(&t.tag)?;
        Ok(format!("__call({tag}, [{}])", args.join(", ")))
    }
}
