//! Labelled statements: `outer: for (…) { for (…) { continue outer; } }`.
//!
//! Rhai's `break` and `continue` only reach the innermost loop, so a jump to
//! an outer label sets a flag of that label and leaves the inner loop; after
//! every loop (or `switch`, itself a Rhai loop) nested in a labelled one, a
//! check passes the jump on: it leaves the next loop out too, until the
//! labelled loop is reached, where a `break` leaves it and a `continue`
//! clears the flag and continues it. The flags are set to `false` just before
//! the labelled statement, so each time it starts afresh.

use oxc_ast::ast::{LabeledStatement, Statement};
use oxc_span::Span;

use super::{Ctl, TResult, Translator};

/// A labelled statement the translation is inside.
#[derive(Debug)]
pub struct Label {
    name: String,
    /// The labelled loop's place on the function's control stack (`None`
    /// for a labelled statement that is not a loop).
    ctl: Option<usize>,
    /// The flags a jump from a nested loop sets, once one does.
    brk: Option<String>,
    cont: Option<String>,
}

impl<'s> Translator<'s> {
    /// `name: statement`.
    pub(super) fn labelled(&mut self, l: &LabeledStatement<'_>, out: &mut String) -> TResult<()> {
        let is_loop = matches!(
            l.body,
            Statement::WhileStatement(_)
                | Statement::DoWhileStatement(_)
                | Statement::ForStatement(_)
                | Statement::ForInStatement(_)
                | Statement::ForOfStatement(_)
        );
        let ctl = is_loop.then(|| self.fn_ctx().ctl.len());
        self.fn_ctx().labels.push(Label {
            name: l.label.name.as_str().to_owned(),
            ctl,
            brk: None,
            cont: None,
        });
        let mut body = String::new();
        let r = self.stmt(&l.body, &mut body, false);
        let label = self.fn_ctx().labels.pop().expect("label pushed above");
        r?;
        for flag in [label.brk, label.cont].into_iter().flatten() {
            out.push_str(&format!("let {flag} = false;\n"));
        }
        out.push_str(&body);
        Ok(())
    }

    /// The label `name` and the control-stack place of its loop.
    fn label_target(&mut self, name: &str, span: Span, what: &str) -> TResult<(usize, usize)> {
        let Some(i) = self.fn_ctx().labels.iter().rposition(|l| l.name == name) else {
            return Err(self.unsupported(span, format!("`{what} {name}` outside its label")));
        };
        let Some(ctl) = self.fn_ctx().labels[i].ctl else {
            return Err(self.unsupported(span, format!("`{what}` to a label that is not a loop")));
        };
        let depth = self.fn_ctx().finally_depth;
        let crosses_finally = self.fn_ctx().ctl[ctl..].iter().any(|c| match c {
            Ctl::Loop { finally_depth, .. } | Ctl::Switch { finally_depth, .. } => {
                *finally_depth != depth
            }
        });
        if crosses_finally {
            return Err(self.unsupported(span, format!("`{what}` out of `try` with `finally`")));
        }
        Ok((i, ctl))
    }

    /// `break name`.
    pub(super) fn labelled_break(&mut self, name: &str, span: Span) -> TResult<String> {
        let (i, ctl) = self.label_target(name, span, "break")?;
        if ctl + 1 == self.fn_ctx().ctl.len() {
            return Ok("break;\n".into());
        }
        let flag = self.label_flag(i, true);
        Ok(format!("{flag} = true;\nbreak;\n"))
    }

    /// `continue name`.
    pub(super) fn labelled_continue(&mut self, name: &str, span: Span) -> TResult<String> {
        let (i, ctl) = self.label_target(name, span, "continue")?;
        if ctl + 1 == self.fn_ctx().ctl.len() {
            return self.continue_code(span);
        }
        let flag = self.label_flag(i, false);
        Ok(format!("{flag} = true;\nbreak;\n"))
    }

    fn label_flag(&mut self, i: usize, brk: bool) -> String {
        if let Some(f) = {
            let l = &self.fn_ctx().labels[i];
            if brk {
                l.brk.clone()
            } else {
                l.cont.clone()
            }
        } {
            return f;
        }
        let f = self.tmp(if brk { "lbrk" } else { "lcont" });
        let l = &mut self.fn_ctx().labels[i];
        if brk {
            l.brk = Some(f.clone());
        } else {
            l.cont = Some(f.clone());
        }
        f
    }

    /// What follows a loop or `switch` statement: for each label of an
    /// enclosing loop that a jump may have flagged, leave the loop the
    /// statement is in, or, when that is the labelled loop, break or
    /// continue it.
    pub(super) fn after_loop(&mut self) -> TResult<String> {
        let depth = self.fn_ctx().ctl.len();
        let pending: Vec<(usize, Option<String>, Option<String>)> = self
            .fn_ctx()
            .labels
            .iter()
            .filter_map(|l| match l.ctl {
                Some(c) if c < depth && (l.brk.is_some() || l.cont.is_some()) => {
                    Some((c, l.brk.clone(), l.cont.clone()))
                }
                _ => None,
            })
            .collect();
        let mut out = String::new();
        for (ctl, brk, cont) in pending {
            if ctl + 1 == depth {
                if let Some(b) = brk {
                    out.push_str(&format!("if {b} {{ break; }}\n"));
                }
                if let Some(c) = cont {
                    let go_on = self.continue_code(Span::default())?;
                    out.push_str(&format!("if {c} {{\n{c} = false;\n{go_on}}}\n"));
                }
            } else {
                let flags: Vec<String> = [brk, cont].into_iter().flatten().collect();
                out.push_str(&format!("if {} {{ break; }}\n", flags.join(" || ")));
            }
        }
        Ok(out)
    }
}
