//! Destructuring: `const {a, b: [c] = [], ...rest} = v` and the assignment
//! forms, as a sequence of single bindings through temporaries.

use oxc_ast::ast::*;
use oxc_span::GetSpan;

use super::stmt::Bind;
use super::{mangle, quote, TResult, Translator};

impl<'s> Translator<'s> {
    /// Bind `pattern` to the value of the Rhai expression `value`.
    pub fn bind_pattern(
        &mut self,
        pattern: &BindingPattern<'_>,
        value: String,
        mode: Bind,
    ) -> TResult<String> {
        match pattern {
            BindingPattern::BindingIdentifier(id) => {
                let v = mangle(id.name.as_str());
                Ok(match mode {
                    Bind::Let => format!("let {v} = {value};\n"),
                    Bind::Assign => {
                        self.lookups.lookup();
                        format!("{v} = {value};\n")
                    }
                })
            }
            BindingPattern::AssignmentPattern(a) => {
                let d = self.expr(&a.right)?;
                let t = self.tmp("d");
                let v =
                    format!("{{ let {t} = {value}; if __undef({t}) {{ {d} }} else {{ {t} }} }}");
                self.bind_pattern(&a.left, v, mode)
            }
            BindingPattern::ObjectPattern(o) => {
                let src = self.tmp("src");
                self.declare_temporary(&src);
                let mut out = format!("let {src} = {value};\n");
                let mut keys = Vec::new();
                for p in &o.properties {
                    let key = self.key(&p.key, p.computed)?;
                    keys.push(key.clone());
                    out.push_str(&self.bind_pattern(
                        &p.value,
                        format!("__get({src}, {key})"),
                        mode,
                    )?);
                }
                if let Some(rest) = &o.rest {
                    let v = format!("__obj_rest({src}, [{}])", keys.join(", "));
                    out.push_str(&self.bind_pattern(&rest.argument, v, mode)?);
                }
                Ok(out)
            }
            BindingPattern::ArrayPattern(a) => {
                let src = self.tmp("src");
                self.declare_temporary(&src);
                let mut out = format!("let {src} = __iter({value});\n");
                for (i, el) in a.elements.iter().enumerate() {
                    if let Some(el) = el {
                        out.push_str(&self.bind_pattern(el, format!("__arg({src}, {i})"), mode)?);
                    }
                }
                if let Some(rest) = &a.rest {
                    let v = format!("__rest({src}, {})", a.elements.len());
                    out.push_str(&self.bind_pattern(&rest.argument, v, mode)?);
                }
                Ok(out)
            }
        }
    }

    /// Assign the destructuring target `target` from the variable `src`.
    pub fn assign_pattern(&mut self, target: &AssignmentTarget<'_>, src: &str) -> TResult<String> {
        let mut out = String::new();
        match target {
            AssignmentTarget::ObjectAssignmentTarget(o) => {
                let mut keys = Vec::new();
                for p in &o.properties {
                    match p {
                        AssignmentTargetProperty::AssignmentTargetPropertyIdentifier(id) => {
                            let name = id.binding.name.as_str();
                            let key = quote(name);
                            keys.push(key.clone());
                            let mut v = format!("__get({src}, {key})");
                            if let Some(init) = &id.init {
                                let d = self.expr(init)?;
                                let t = self.tmp("d");
                                v = format!(
                                    "{{ let {t} = {v}; if __undef({t}) {{ {d} }} else {{ {t} }} }}"
                                );
                            }
                            let set = self.assign_name(name, v, true)?;
                            out.push_str(&format!("{set};\n"));
                        }
                        AssignmentTargetProperty::AssignmentTargetPropertyProperty(pp) => {
                            let key = self.key(&pp.name, pp.computed)?;
                            keys.push(key.clone());
                            out.push_str(&self.assign_maybe_default(
                                &pp.binding,
                                format!("__get({src}, {key})"),
                            )?);
                        }
                    }
                }
                if let Some(rest) = &o.rest {
                    let v = format!("__obj_rest({src}, [{}])", keys.join(", "));
                    out.push_str(&format!("{};\n", self.assign_to(&rest.target, v, true)?));
                }
            }
            AssignmentTarget::ArrayAssignmentTarget(a) => {
                let items = self.tmp("items");
                out.push_str(&format!("let {items} = __iter({src});\n"));
                for (i, el) in a.elements.iter().enumerate() {
                    if let Some(el) = el {
                        out.push_str(
                            &self.assign_maybe_default(el, format!("__arg({items}, {i})"))?,
                        );
                    }
                }
                if let Some(rest) = &a.rest {
                    let v = format!("__rest({items}, {})", a.elements.len());
                    out.push_str(&format!("{};\n", self.assign_to(&rest.target, v, true)?));
                }
            }
            other => return Err(self.unsupported(other.span(), "this destructuring target")),
        }
        Ok(out)
    }

    fn assign_maybe_default(
        &mut self,
        el: &AssignmentTargetMaybeDefault<'_>,
        value: String,
    ) -> TResult<String> {
        match el {
            AssignmentTargetMaybeDefault::AssignmentTargetWithDefault(d) => {
                let init = self.expr(&d.init)?;
                let t = self.tmp("d");
                let v =
                    format!("{{ let {t} = {value}; if __undef({t}) {{ {init} }} else {{ {t} }} }}");
                Ok(format!("{};\n", self.assign_to(&d.binding, v, true)?))
            }
            other => {
                let target = other.as_assignment_target().expect("assignment target");
                Ok(format!("{};\n", self.assign_to(target, value, true)?))
            }
        }
    }
}
