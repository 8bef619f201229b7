//! Counted loops: `for (let i = 0; i < 50; i++)` with Rhai's own `<` and
//! `+= 1` instead of the `__lt` and `__inc` helpers. A helper call costs the
//! engine far more than the comparison, and the loop pays both on every
//! iteration.
//!
//! Only where the counter provably stays a small whole number, which Rhai
//! and JavaScript compare and step alike: declared with `let` from a whole
//! number literal, compared with a whole number literal, stepped by `++`,
//! `--`, `+=` or `-=` a whole number literal, and assigned nowhere else in
//! the loop (the translated body is searched for any assignment to it, so
//! closures and destructuring count too).

use oxc_ast::ast::*;
use oxc_syntax::operator::{AssignmentOperator, BinaryOperator, UpdateOperator};

use super::mangle;

/// Largest literal a counted loop may start, stop or step at: far from
/// where whole numbers stop being exact or Rhai's integers overflow, for
/// any loop the operation limit lets run.
const MAX_LITERAL: f64 = (1u64 << 31) as f64;

/// The loop's test and update in Rhai's operators, when `f` is a counted
/// loop whose translated body (`body`) never assigns the counter.
pub(super) fn native_counter(f: &ForStatement<'_>, body: &str) -> Option<(String, String)> {
    let name = counter_name(f)?;
    let v = mangle(name);
    let test = match f.test.as_ref()? {
        Expression::BinaryExpression(b) if is_ident(&b.left, name) => {
            let op = match b.operator {
                BinaryOperator::LessThan => "<",
                BinaryOperator::LessEqualThan => "<=",
                BinaryOperator::GreaterThan => ">",
                BinaryOperator::GreaterEqualThan => ">=",
                _ => return None,
            };
            format!("{v} {op} {}", whole(&b.right)?)
        }
        _ => return None,
    };
    let update = match f.update.as_ref()? {
        Expression::UpdateExpression(u) => match &u.argument {
            SimpleAssignmentTarget::AssignmentTargetIdentifier(id) if id.name == name => {
                match u.operator {
                    UpdateOperator::Increment => format!("{v} += 1"),
                    UpdateOperator::Decrement => format!("{v} -= 1"),
                }
            }
            _ => return None,
        },
        Expression::AssignmentExpression(a) => match &a.left {
            AssignmentTarget::AssignmentTargetIdentifier(id) if id.name == name => {
                let op = match a.operator {
                    AssignmentOperator::Addition => "+=",
                    AssignmentOperator::Subtraction => "-=",
                    _ => return None,
                };
                format!("{v} {op} {}", whole(&a.right)?)
            }
            _ => return None,
        },
        _ => return None,
    };
    (!assigns(body, &v)).then_some((test, update))
}

/// The counter of `for (let name = <whole number>; ...)`.
fn counter_name<'a>(f: &'a ForStatement<'_>) -> Option<&'a str> {
    let Some(ForStatementInit::VariableDeclaration(d)) = &f.init else {
        return None;
    };
    if d.kind != VariableDeclarationKind::Let || d.declarations.len() != 1 {
        return None;
    }
    let decl = &d.declarations[0];
    whole(decl.init.as_ref()?)?;
    match &decl.id {
        BindingPattern::BindingIdentifier(id) => Some(id.name.as_str()),
        _ => None,
    }
}

fn is_ident(e: &Expression<'_>, name: &str) -> bool {
    matches!(e, Expression::Identifier(id) if id.name == name)
}

/// A whole number literal within [`MAX_LITERAL`], as Rhai source.
fn whole(e: &Expression<'_>) -> Option<String> {
    match e {
        Expression::NumericLiteral(n) if n.value.fract() == 0.0 && n.value <= MAX_LITERAL => {
            Some(format!("{}", n.value as i64))
        }
        Expression::ParenthesizedExpression(p) => whole(&p.expression),
        _ => None,
    }
}

/// Whether the Rhai source `code` may assign the variable `v` (`v = ...`,
/// which is how the translation writes every assignment to a local).
pub(super) fn assigns(code: &str, v: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    code.match_indices(v).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = &code[at + v.len()..];
        if before.is_some_and(word) || after.starts_with(word) {
            return false;
        }
        let rest = after.trim_start();
        rest.starts_with('=') && !rest.starts_with("==")
            || ["+=", "-=", "*=", "/=", "%="]
                .iter()
                .any(|op| rest.starts_with(op))
    })
}
