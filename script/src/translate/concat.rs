//! `a + b + c ...`: a chain of `+` becomes one helper call per run of
//! operands instead of one call per `+`. Each call into the engine costs
//! far more than the addition itself, and string building (`"key" + i +
//! "=" + value`) is where computing bodies spend their calls.
//!
//! The folded helper adds left to right exactly as the nested calls would,
//! and `+` runs no script code (objects turn into their text natively), so
//! the one thing folding moves is *when* an operand is evaluated: before
//! the earlier additions instead of after them. An addition can fail (a
//! string longer than the sandbox allows), so an operand joins the run only
//! if evaluating it can have no effect: a literal or a declared variable.
//! Anything else (a call, a property read that may run a getter) starts a
//! new run after the earlier ones have been added.

use oxc_ast::ast::*;
use oxc_syntax::operator::BinaryOperator;

use super::{TResult, Translator};

/// Most operands one folded call takes (the helper is registered for 3 to
/// this many); a longer run is folded in pieces, the first piece's result
/// being the next one's first operand.
const MAX_FOLD: usize = 6;

impl<'s> Translator<'s> {
    /// The translation of `b` when it is a chain of at least two `+`
    /// (three operands), else `None`.
    pub(super) fn addition_chain(&mut self, b: &BinaryExpression<'_>) -> TResult<Option<String>> {
        let mut operands = vec![&b.right];
        let mut left = &b.left;
        while let Expression::BinaryExpression(inner) = left {
            if inner.operator != BinaryOperator::Addition {
                break;
            }
            operands.push(&inner.right);
            left = &inner.left;
        }
        if operands.len() < 2 {
            return Ok(None);
        }
        operands.push(left);
        operands.reverse();
        let mut run = vec![self.expr(operands[0])?, self.expr(operands[1])?];
        for e in &operands[2..] {
            if !self.effect_free(e) {
                let sum = fold(std::mem::take(&mut run));
                run.push(sum);
            }
            run.push(self.expr(e)?);
        }
        Ok(Some(fold(run)))
    }

    /// Whether evaluating `e` can neither fail nor change anything.
    fn effect_free(&mut self, e: &Expression<'_>) -> bool {
        match e {
            Expression::StringLiteral(_)
            | Expression::NumericLiteral(_)
            | Expression::BooleanLiteral(_)
            | Expression::NullLiteral(_) => true,
            Expression::Identifier(id) => self.resolve(id.name.as_str()).is_some(),
            Expression::ParenthesizedExpression(p) => self.effect_free(&p.expression),
            _ => false,
        }
    }
}

/// One `__add` call over `operands` (at least two), in pieces of at most
/// [`MAX_FOLD`].
fn fold(operands: Vec<String>) -> String {
    let mut rest = operands.into_iter();
    let mut acc = rest.next().unwrap_or_default();
    loop {
        let piece: Vec<String> = rest.by_ref().take(MAX_FOLD - 1).collect();
        if piece.is_empty() {
            return acc;
        }
        acc = format!("__add({acc}, {})", piece.join(", "));
    }
}
