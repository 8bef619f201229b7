//! The fold of `join`'s reduce mode, apart from the expression language:
//! messages ordered by `parts.index` (last to first with "reduce right"),
//! the reduce expression evaluated for each with `$A` (the accumulated
//! value), `$I` (the index) and `$N` (the count), then the fix-up
//! expression over `$A` and `$N`; the last message carries the result.

use std::cmp::Ordering;

use flowgate_runtime::Message;
use serde_json::{Map, Value};

use crate::sequence::parts;
use crate::support::js;

/// The variables an expression sees.
pub struct Bindings<'a> {
    pub accumulator: &'a Value,
    pub index: Option<&'a Value>,
    pub count: Option<&'a Value>,
}

/// Evaluates reduce-mode expressions (JSONata in Node-RED) against a message.
pub trait Evaluator {
    fn evaluate(
        &self,
        expression: &str,
        msg: &Map<String, Value>,
        vars: &Bindings<'_>,
    ) -> Result<Value, String>;
}

/// The expressions of a reduce-mode join.
pub struct Reduce {
    pub expression: String,
    /// Evaluated once over `$A` and `$N` at the end, when not empty.
    pub fixup: Option<String>,
    pub right: bool,
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
        acc = eval.evaluate(&spec.expression, &m.body, &vars)?;
    }
    if let Some(fixup) = &spec.fixup {
        let vars = Bindings {
            accumulator: &acc,
            index: None,
            count,
        };
        acc = eval.evaluate(fixup, &Map::new(), &vars)?;
    }
    last.set_payload(acc);
    Ok(Some(last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `$A + payload`, the expression a sum is written as.
    struct Sum;

    impl Evaluator for Sum {
        fn evaluate(
            &self,
            expression: &str,
            msg: &Map<String, Value>,
            vars: &Bindings<'_>,
        ) -> Result<Value, String> {
            let a = js::to_number(Some(vars.accumulator));
            match expression {
                "$A+payload" => Ok(js::number(a + js::to_number(msg.get("payload")))),
                "$A/$N" => Ok(js::number(a / js::to_number(vars.count))),
                other => Err(format!("unknown expression {other}")),
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
            expression: "$A+payload".into(),
            fixup: Some("$A/$N".into()),
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
            expression: "nope".into(),
            fixup: None,
            right: true,
        };
        let err = reduce_group(&Sum, &spec, json!(0), vec![part(1, 0)], None).unwrap_err();
        assert!(err.contains("nope"));
    }
}
