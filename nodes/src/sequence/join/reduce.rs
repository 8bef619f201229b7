//! The fold of `join`'s reduce mode, apart from the expression language:
//! messages ordered by `parts.index` (last to first with "reduce right"),
//! the reduce expression evaluated for each with `$A` (the accumulated
//! value), `$I` (the index) and `$N` (the count), then the fix-up
//! expression over `$A` and `$N`; the last message carries the result.

use std::cmp::Ordering;

use flowgate_runtime::Message;
use serde_json::{Map, Value};

use std::collections::HashMap;
use std::sync::Arc;

use flowgate_runtime::{NodeError, Outputs};
use parking_lot::Mutex;

use crate::sequence::parts::{self, Limit};
use crate::support::js;
use crate::support::jsonata::Expression;
use crate::support::typed_value::{Contexts, TypedValue};

/// The variables an expression sees.
pub struct Bindings<'a> {
    pub accumulator: &'a Value,
    pub index: Option<&'a Value>,
    pub count: Option<&'a Value>,
}

/// Which of a reduce-mode join's expressions is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The reduce expression, once per message.
    Reduce,
    /// The fix-up expression, once over the result.
    Fixup,
}

/// Evaluates reduce-mode expressions (JSONata in Node-RED) against a message.
pub trait Evaluator {
    fn evaluate(
        &self,
        step: Step,
        msg: &Map<String, Value>,
        vars: &Bindings<'_>,
    ) -> Result<Value, String>;
}

/// The shape of a reduce-mode fold.
pub struct Reduce {
    /// Whether a fix-up expression follows the fold.
    pub fixup: bool,
    /// "Evaluate in reverse order (last to first)".
    pub right: bool,
}

/// The evaluator a reduce-mode join runs: its two JSONata expressions,
/// compiled at load, with `$A`, `$I` and `$N` bound per evaluation.
pub struct JsonataReduce {
    pub reduce: Arc<Expression>,
    pub fixup: Option<Arc<Expression>>,
    pub contexts: Contexts,
}

impl Evaluator for JsonataReduce {
    fn evaluate(
        &self,
        step: Step,
        msg: &Map<String, Value>,
        vars: &Bindings<'_>,
    ) -> Result<Value, String> {
        let expression = match (step, &self.fixup) {
            (Step::Fixup, Some(f)) => f,
            _ => &self.reduce,
        };
        let mut extra: Vec<(&str, Value)> = vec![("A", vars.accumulator.clone())];
        if let Some(i) = vars.index {
            extra.push(("I", i.clone()));
        }
        if let Some(n) = vars.count {
            extra.push(("N", n.clone()));
        }
        expression
            .evaluate(msg, &self.contexts, &extra)
            .map(|v| v.unwrap_or(Value::Null))
            // Node-RED hands the expression's own error to `done`, with
            // no "Invalid JSONata expression" prefix.
            .map_err(|e| e.0)
    }
}

/// A reduce-mode join: groups by `msg.parts.id`, folded once `parts.count`
/// messages arrived, as Node-RED's `reduceMessage` does.
pub struct ReduceMode {
    pub eval: JsonataReduce,
    pub spec: Reduce,
    /// The initial accumulator (`reduceInit` of type `reduceInitType`),
    /// evaluated against an empty message for each group.
    pub init: TypedValue,
    pub limit: Limit,
    pub pending: Mutex<Pending>,
}

/// Groups waiting for the rest of their messages.
#[derive(Default)]
pub struct Pending {
    groups: HashMap<String, (Option<Value>, Vec<Message>)>,
    held: usize,
}

impl ReduceMode {
    /// Take one message; send the fold when it completes its group.
    pub fn on_message(&self, msg: Message, out: &mut Outputs) -> Result<(), NodeError> {
        let Some(parts) = msg.body.get("parts").and_then(Value::as_object).cloned() else {
            out.send(0, msg);
            return Ok(());
        };
        let id = js::to_js_string(parts.get("id"));
        let mut pending = self.pending.lock();
        let group = pending
            .groups
            .entry(id.clone())
            .or_insert((None, Vec::new()));
        if group.0.is_none() {
            group.0 = parts.get("count").cloned();
        }
        group.1.push(msg.clone());
        let complete = match &group.0 {
            Some(Value::Number(n)) => n.as_f64() == Some(group.1.len() as f64),
            _ => false,
        };
        pending.held += 1;
        if complete {
            let (count, msgs) = pending.groups.remove(&id).expect("the group");
            pending.held -= msgs.len();
            drop(pending);
            let initial = self
                .init
                .evaluate(&Map::new(), &self.eval.contexts)
                .map_err(|e| NodeError::new(e.to_string()).with_msg(msg.clone()))?
                .unwrap_or(Value::Null);
            return match reduce_group(&self.eval, &self.spec, initial, msgs, count.as_ref()) {
                Ok(Some(m)) => {
                    out.send(0, m);
                    Ok(())
                }
                Ok(None) => Ok(()),
                Err(e) => Err(NodeError::new(e).with_msg(msg)),
            };
        }
        if self.limit.exceeded(pending.held) {
            pending.groups.clear();
            pending.held = 0;
            return Err(self.limit.error(msg));
        }
        Ok(())
    }

    /// Forget every waiting group (on stop).
    pub fn clear(&self) {
        let mut pending = self.pending.lock();
        pending.groups.clear();
        pending.held = 0;
    }
}

/// Fold one complete group: the message to send, or the expression's error.
pub fn reduce_group(
    eval: &dyn Evaluator,
    spec: &Reduce,
    initial: Value,
    msgs: Vec<Message>,
    count: Option<&Value>,
) -> Result<Option<Message>, String> {
    let index = |m: &Message| m.body.get("parts").and_then(|p| p.get("index")).cloned();
    let mut msgs = parts::stable_sort(msgs, &mut |a: &Message, b: &Message| {
        let (x, y) = (index(a), index(b));
        let order = if js::lt(x.as_ref(), y.as_ref()) {
            Ordering::Less
        } else if js::gt(x.as_ref(), y.as_ref()) {
            Ordering::Greater
        } else {
            Ordering::Equal
        };
        if spec.right {
            order.reverse()
        } else {
            order
        }
    });
    let Some(mut last) = msgs.pop() else {
        return Ok(None);
    };
    let mut acc = initial;
    for m in msgs.iter().chain(std::iter::once(&last)) {
        let i = index(m);
        let vars = Bindings {
            accumulator: &acc,
            index: i.as_ref(),
            count,
        };
        acc = eval.evaluate(Step::Reduce, &m.body, &vars)?;
    }
    if spec.fixup {
        let vars = Bindings {
            accumulator: &acc,
            index: None,
            count,
        };
        acc = eval.evaluate(Step::Fixup, &Map::new(), &vars)?;
    }
    last.set_payload(acc);
    Ok(Some(last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `$A + payload` and `$A / $N`, a mean as a reduce-mode join writes it.
    struct Sum;

    impl Evaluator for Sum {
        fn evaluate(
            &self,
            step: Step,
            msg: &Map<String, Value>,
            vars: &Bindings<'_>,
        ) -> Result<Value, String> {
            let a = js::to_number(Some(vars.accumulator));
            match step {
                Step::Reduce if msg.get("payload") == Some(&json!("nope")) => {
                    Err("nope is no number".into())
                }
                Step::Reduce => Ok(js::number(a + js::to_number(msg.get("payload")))),
                Step::Fixup => Ok(js::number(a / js::to_number(vars.count))),
            }
        }
    }

    fn part(payload: i64, index: i64) -> Message {
        Message::from_body(
            json!({"payload": payload, "parts": {"id": "g", "index": index, "count": 3}})
                .as_object()
                .cloned()
                .unwrap(),
        )
    }

    #[test]
    fn folds_in_index_order_and_applies_the_fixup() {
        let spec = Reduce {
            fixup: true,
            right: false,
        };
        let msgs = vec![part(3, 2), part(1, 0), part(2, 1)];
        let out = reduce_group(&Sum, &spec, json!(0), msgs, Some(&json!(3)))
            .unwrap()
            .unwrap();
        assert_eq!(out.body["payload"], json!(2));
        assert_eq!(
            out.body["parts"]["index"],
            json!(2),
            "the last part carries it"
        );
    }

    #[test]
    fn an_expression_error_is_the_groups_error() {
        let spec = Reduce {
            fixup: false,
            right: true,
        };
        let mut bad = part(1, 0);
        bad.set_payload(json!("nope"));
        let err = reduce_group(&Sum, &spec, json!(0), vec![bad], None).unwrap_err();
        assert!(err.contains("nope"));
    }
}
