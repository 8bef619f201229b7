//! The load-time check of a parsed expression: what jsonata-rs cannot
//! evaluate as jsonata-js does is refused here, naming the function or
//! construct, instead of answering differently at run time.

use std::collections::BTreeSet;

use jsonata_rs::ast::{Ast, AstKind, UnaryOp};

use super::{moment, CompileError};

/// JSONata 2.x's standard library (the functions Node-RED 5's jsonata binds).
const JSONATA_LIBRARY: &[&str] = &[
    "sum",
    "count",
    "max",
    "min",
    "average",
    "string",
    "substring",
    "substringBefore",
    "substringAfter",
    "lowercase",
    "uppercase",
    "length",
    "trim",
    "pad",
    "match",
    "contains",
    "replace",
    "split",
    "join",
    "formatNumber",
    "formatBase",
    "formatInteger",
    "parseInteger",
    "number",
    "floor",
    "ceil",
    "round",
    "abs",
    "sqrt",
    "power",
    "random",
    "boolean",
    "not",
    "map",
    "zip",
    "filter",
    "single",
    "reduce",
    "sift",
    "keys",
    "lookup",
    "append",
    "exists",
    "spread",
    "merge",
    "reverse",
    "each",
    "error",
    "assert",
    "type",
    "sort",
    "shuffle",
    "distinct",
    "base64encode",
    "base64decode",
    "encodeUrlComponent",
    "encodeUrl",
    "decodeUrlComponent",
    "decodeUrl",
    "eval",
    "toMillis",
    "fromMillis",
    "now",
    "millis",
];

/// Checks `ast`; returns the names `$env` reads.
pub fn check(ast: &Ast) -> Result<BTreeSet<String>, CompileError> {
    let mut walk = Walk::default();
    walk.visit(ast);
    if let Some(e) = walk.refused.take() {
        return Err(e);
    }
    for (name, _) in &walk.used {
        if walk.bound.contains(name) {
            continue;
        }
        let missing_std = JSONATA_LIBRARY.contains(&name.as_str())
            && !jsonata_rs::STANDARD_FUNCTIONS.contains(&name.as_str())
            && !super::library::FUNCTIONS.iter().any(|(n, ..)| n == name);
        // Functions jsonata-rs binds that jsonata-js does not have: in
        // Node-RED calling them is an error, never a value.
        let extra_std = jsonata_rs::STANDARD_FUNCTIONS.contains(&name.as_str())
            && !JSONATA_LIBRARY.contains(&name.as_str());
        if missing_std || extra_std {
            return Err(CompileError::UnsupportedFunction(name.clone()));
        }
    }
    if !walk.bound.contains("env") && walk.used.iter().any(|(n, literal)| n == "env" && !literal) {
        return Err(CompileError::ComputedEnvName);
    }
    Ok(walk.env_names)
}

#[derive(Default)]
struct Walk {
    /// Variables the expression reads, and whether the read is a call
    /// `$env("NAME")` with a literal name.
    used: Vec<(String, bool)>,
    /// Variables the expression binds itself (`$x :=`, lambda parameters).
    bound: BTreeSet<String>,
    env_names: BTreeSet<String>,
    /// `$moment` calls that start a supported method chain (by position).
    moment_chains: BTreeSet<usize>,
    refused: Option<CompileError>,
}

impl Walk {
    fn refuse(&mut self, e: CompileError) {
        self.refused.get_or_insert(e);
    }

    fn visit(&mut self, ast: &Ast) {
        self.visit_kind(ast);
        for list in [&ast.predicates, &ast.stages].into_iter().flatten() {
            list.iter().for_each(|a| self.visit(a));
        }
        if let Some((_, object)) = &ast.group_by {
            for (k, v) in object {
                self.visit(k);
                self.visit(v);
            }
        }
    }

    fn visit_kind(&mut self, ast: &Ast) {
        match &ast.kind {
            AstKind::Var(name) => {
                if name == "moment" && !self.moment_chains.contains(&ast.char_index) {
                    self.refuse(CompileError::MomentChain);
                }
                self.used.push((name.clone(), false))
            }
            AstKind::Parent => self.refuse(CompileError::Unsupported("parent operator %")),
            AstKind::PartialArg => {
                self.refuse(CompileError::Unsupported("partial function application"))
            }
            AstKind::Unary(UnaryOp::Minus(a)) | AstKind::Filter(a) => self.visit(a),
            AstKind::Path(items) => {
                self.moment_chain(items);
                items.iter().for_each(|a| self.visit(a));
            }
            AstKind::Unary(UnaryOp::ArrayConstructor(items)) | AstKind::Block(items) => {
                items.iter().for_each(|a| self.visit(a))
            }
            AstKind::Unary(UnaryOp::ObjectConstructor(pairs)) => self.visit_pairs(pairs),
            AstKind::GroupBy(a, pairs) => {
                self.visit(a);
                self.visit_pairs(pairs);
            }
            AstKind::OrderBy(a, terms) => {
                self.visit(a);
                terms.iter().for_each(|(t, _)| self.visit(t));
            }
            AstKind::Sort(terms) => terms.iter().for_each(|(t, _)| self.visit(t)),
            AstKind::Binary(op, lhs, rhs) => {
                if matches!(op, jsonata_rs::ast::BinaryOp::Bind) {
                    if let AstKind::Var(name) = &lhs.kind {
                        self.bound.insert(name.clone());
                    }
                }
                self.visit(lhs);
                self.visit(rhs);
            }
            AstKind::Function {
                proc,
                args,
                is_partial,
                ..
            } => {
                if *is_partial {
                    self.refuse(CompileError::Unsupported("partial function application"));
                }
                self.visit_call(proc, args);
            }
            AstKind::Lambda { args, body, .. } => {
                for a in args {
                    if let AstKind::Var(name) = &a.kind {
                        self.bound.insert(name.clone());
                    }
                }
                self.visit(body);
            }
            AstKind::Ternary {
                cond,
                truthy,
                falsy,
            } => {
                self.visit(cond);
                self.visit(truthy);
                if let Some(f) = falsy {
                    self.visit(f);
                }
            }
            AstKind::Transform {
                pattern,
                update,
                delete,
            } => {
                self.visit(pattern);
                self.visit(update);
                if let Some(d) = delete {
                    self.visit(d);
                }
            }
            AstKind::Empty
            | AstKind::Null
            | AstKind::Bool(_)
            | AstKind::String(_)
            | AstKind::Number(_)
            | AstKind::Regex(_)
            | AstKind::Name(_)
            | AstKind::Wildcard
            | AstKind::Descendent
            | AstKind::Index(_) => {}
        }
    }

    fn visit_pairs(&mut self, pairs: &[(Ast, Ast)]) {
        for (k, v) in pairs {
            self.visit(k);
            self.visit(v);
        }
    }

    /// A path starting with `$moment(...)`: its method chain must be one
    /// `moment.rs` answers as moment.js does.
    fn moment_chain(&mut self, steps: &[Ast]) {
        let Some((first, methods)) = steps.split_first() else {
            return;
        };
        let AstKind::Function { proc, args, .. } = &first.kind else {
            return;
        };
        if !matches!(&proc.kind, AstKind::Var(n) if n == "moment") {
            return;
        }
        let names: Option<Vec<(&str, &[Ast])>> = methods
            .iter()
            .map(|step| match &step.kind {
                AstKind::Function { proc, args, .. }
                    if step.predicates.is_none() && step.stages.is_none() =>
                {
                    match &proc.kind {
                        AstKind::Path(p) => match p.as_slice() {
                            [Ast {
                                kind: AstKind::Name(n),
                                ..
                            }] => Some((n.as_str(), args.as_slice())),
                            _ => None,
                        },
                        _ => None,
                    }
                }
                _ => None,
            })
            .collect();
        let Some(names) = names else { return };
        let chain_ok = args.len() <= 1
            && first.predicates.is_none()
            && first.stages.is_none()
            && names.iter().all(|(n, _)| moment::METHODS.contains(n))
            && names.last().is_some_and(|(n, _)| moment::FINAL.contains(n));
        if !chain_ok {
            return;
        }
        for (name, args) in &names {
            if *name != "format" {
                continue;
            }
            match args {
                [] => {}
                [Ast {
                    kind: AstKind::String(p),
                    ..
                }] if moment::supported_pattern(p) => {}
                [Ast {
                    kind: AstKind::String(p),
                    ..
                }] => return self.refuse(CompileError::MomentPattern(p.clone())),
                _ => return,
            }
        }
        self.moment_chains.insert(proc.char_index);
    }

    /// `$formatNumber(n, picture)`: the picture must be a literal that
    /// `format_number.rs` writes as jsonata-js does.
    fn format_number_picture(&mut self, args: &[Ast]) {
        match args {
            [_, Ast {
                kind: AstKind::String(p),
                ..
            }] if super::format_number::parse(p).is_some() => {}
            [_, Ast {
                kind: AstKind::String(p),
                ..
            }, ..] => self.refuse(CompileError::FormatNumberPicture(format!("{p:?}"))),
            _ => self.refuse(CompileError::FormatNumberPicture(
                "a computed picture or an options argument".into(),
            )),
        }
    }

    /// A call: `$env("NAME")` records its literal name.
    fn visit_call(&mut self, proc: &Ast, args: &[Ast]) {
        if let AstKind::Var(name) = &proc.kind {
            if name == "formatNumber" {
                self.format_number_picture(args);
            }
            if name == "env" {
                if let [Ast {
                    kind: AstKind::String(n),
                    ..
                }] = args
                {
                    self.env_names.insert(n.clone());
                    self.used.push((name.clone(), true));
                    return;
                }
            }
        }
        self.visit(proc);
        args.iter().for_each(|a| self.visit(a));
    }
}
