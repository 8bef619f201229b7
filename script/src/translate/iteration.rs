//! `for (let i = ...; ...; ...)` gives every iteration its own `i`: a
//! closure made in one iteration keeps that iteration's value, so
//! `for (let i = 0; i < 3; i++) setTimeout(() => node.send({payload: i}))`
//! sends 0, 1 and 2. A Rhai closure shares the variable it captures, and
//! the translated loop has one `i`, so without this every such closure
//! would see the last value (3, 3, 3).
//!
//! When the loop may make closures, its body runs on a copy of each
//! `let` declared in the loop head (`let i = i;` at the top of the body's
//! block), which is what the closures capture. The head's `i` goes on
//! counting. A body that assigns the variable also writes the copy back at
//! its end, as JavaScript carries the value into the next iteration; a
//! `continue` would skip that write, so such a loop (assigning its variable
//! and continuing, with closures) keeps one shared variable.

use oxc_ast::ast::*;

use super::counter::assigns;
use super::{mangle, pattern_names};

/// How the body of a loop with `let` in its head is given its own copies.
pub(super) struct Rebind {
    /// The head's variables, as the translation names them.
    pub names: Vec<String>,
    /// Whether the body assigns one of them, so its copy is written back.
    pub copy_back: bool,
}

/// The copies `f`'s body needs, or `None` when it needs none: no `let` in
/// the head, nothing in the loop's source that makes a closure (`src` is
/// the whole body's source), or a body that assigns the variable and has a
/// `continue` (see the module doc).
pub(super) fn rebind(
    f: &ForStatement<'_>,
    src: &str,
    body: &str,
    continued: bool,
) -> Option<Rebind> {
    let Some(ForStatementInit::VariableDeclaration(d)) = &f.init else {
        return None;
    };
    if d.kind != VariableDeclarationKind::Let {
        return None;
    }
    let text = src.get(f.span.start as usize..f.span.end as usize)?;
    if !(text.contains("=>") || text.contains("function") || text.contains("class")) {
        return None;
    }
    let mut declared = Vec::new();
    for decl in &d.declarations {
        pattern_names(&decl.id, &mut declared);
    }
    let names: Vec<String> = declared.into_iter().map(mangle).collect();
    let copy_back = names.iter().any(|n| assigns(body, n));
    if names.is_empty() || copy_back && continued {
        return None;
    }
    Some(Rebind { names, copy_back })
}

impl Rebind {
    /// `body` (a block) run on the copies; `temps` are fresh names, one per
    /// variable, declared by [`Rebind::declarations`] before the loop.
    pub fn wrap(&self, body: &str, temps: &[String]) -> String {
        let mut out = String::from("{\n{\n");
        for n in &self.names {
            out.push_str(&format!("let {n} = {n};\n"));
        }
        out.push_str(body);
        out.push_str(";\n");
        if self.copy_back {
            for (n, t) in self.names.iter().zip(temps) {
                out.push_str(&format!("{t} = {n};\n"));
            }
            out.push_str("};\n");
            for (n, t) in self.names.iter().zip(temps) {
                out.push_str(&format!("{n} = {t};\n"));
            }
        } else {
            out.push_str("};\n");
        }
        out.push('}');
        out
    }

    /// The temporaries the copy-back goes through, declared before the loop.
    pub fn declarations(&self, temps: &[String]) -> String {
        if !self.copy_back {
            return String::new();
        }
        temps.iter().map(|t| format!("let {t} = ();\n")).collect()
    }
}
