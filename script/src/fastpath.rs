//! Function bodies that only build data run without the script engine.
//!
//! A large share of real function nodes (both of the Ignite example's among
//! them) are nothing but `msg.x = <literal or msg property>; … return msg;`.
//! Such a body is recognized once, at load, into a [`DataBody`]; each message
//! then gets the assignments applied straight to its JSON, which is what the
//! translated script would compute, without converting the message into
//! script values, running Rhai, or converting back.
//!
//! Only a deliberately small subset qualifies: assignments of object, array,
//! string, number, boolean and `null` literals and of `msg.a.b` property
//! reads to top-level `msg` properties, then `return msg;`. Anything else —
//! any other statement, operator, call, computed key, spread — leaves the
//! body to the script engine. A read that would not find a plain value
//! (a missing property, a step through a non-object) also hands that
//! message to the engine, so errors and `undefined` behave exactly as there.

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    ArrayExpressionElement, AssignmentTarget, Expression, ObjectPropertyKind, PropertyKey,
    PropertyKind, Statement,
};
use oxc_syntax::operator::{AssignmentOperator, UnaryOperator};
use serde_json::{Map, Value};

use super::lazy::normalize;
use crate::jslib::number;
use crate::jslib::values::array_index;
use crate::translate::parse_body;

/// A recognized data-only body: its assignments, in order.
#[derive(Debug)]
pub struct DataBody {
    assigns: Vec<(String, Expr)>,
}

#[derive(Debug)]
enum Expr {
    /// A constant, already in the form a round trip through JavaScript gives.
    Const(Value),
    /// `msg.a.b…`: the path below `msg`.
    Read(Vec<String>),
    /// An object literal with at least one non-constant value, keys in
    /// JavaScript order.
    Object(Vec<(String, Expr)>),
    Array(Vec<Expr>),
}

/// Recognize a data-only body (translated-JavaScript mode), or `None`.
pub fn analyze(source: &str) -> Option<DataBody> {
    let allocator = Allocator::default();
    let ret = parse_body(&allocator, source);
    if ret.panicked || !ret.diagnostics.is_empty() {
        return None;
    }
    let program = &ret.program;
    if !program.directives.is_empty() || program.hashbang.is_some() {
        return None;
    }
    let (last, init) = program.body.split_last()?;
    match last {
        Statement::ReturnStatement(r) if r.argument.as_ref().is_some_and(is_msg) => {}
        _ => return None,
    }
    let mut assigns = Vec::with_capacity(init.len());
    for s in init {
        let Statement::ExpressionStatement(e) = s else {
            return None;
        };
        let Expression::AssignmentExpression(a) = unparen(&e.expression) else {
            return None;
        };
        if a.operator != AssignmentOperator::Assign {
            return None;
        }
        let key = match &a.left {
            AssignmentTarget::StaticMemberExpression(m) if is_msg(&m.object) => {
                m.property.name.as_str().to_owned()
            }
            AssignmentTarget::ComputedMemberExpression(m) if is_msg(&m.object) => {
                match unparen(&m.expression) {
                    Expression::StringLiteral(s) => s.value.as_str().to_owned(),
                    _ => return None,
                }
            }
            _ => return None,
        };
        if !plain_key(&key) {
            return None;
        }
        assigns.push((key, expr(&a.right)?));
    }
    Some(DataBody { assigns })
}

fn unparen<'a, 'b>(e: &'b Expression<'a>) -> &'b Expression<'a> {
    match e {
        Expression::ParenthesizedExpression(p) => unparen(&p.expression),
        other => other,
    }
}

fn is_msg(e: &Expression<'_>) -> bool {
    matches!(unparen(e), Expression::Identifier(id) if id.name == "msg")
}

/// A key whose place and meaning are the same in JSON and JavaScript: not
/// integer-like (those sort first) and not `__proto__`.
fn plain_key(key: &str) -> bool {
    array_index(key).is_none() && key != "__proto__"
}

fn expr(e: &Expression<'_>) -> Option<Expr> {
    Some(match unparen(e) {
        Expression::StringLiteral(s) => Expr::Const(Value::String(s.value.as_str().to_owned())),
        Expression::NumericLiteral(n) => Expr::Const(number_value(n.value)?),
        Expression::UnaryExpression(u) if u.operator == UnaryOperator::UnaryNegation => {
            match unparen(&u.argument) {
                Expression::NumericLiteral(n) => Expr::Const(number_value(-n.value)?),
                _ => return None,
            }
        }
        Expression::BooleanLiteral(b) => Expr::Const(Value::Bool(b.value)),
        Expression::NullLiteral(_) => Expr::Const(Value::Null),
        Expression::StaticMemberExpression(_) => Expr::Read(read_path(e)?),
        Expression::ArrayExpression(a) => {
            let mut items = Vec::with_capacity(a.elements.len());
            for el in &a.elements {
                match el {
                    ArrayExpressionElement::SpreadElement(_)
                    | ArrayExpressionElement::Elision(_) => return None,
                    other => items.push(expr(other.as_expression()?)?),
                }
            }
            if items.iter().all(|i| matches!(i, Expr::Const(_))) {
                Expr::Const(Value::Array(
                    items
                        .into_iter()
                        .map(|i| match i {
                            Expr::Const(v) => v,
                            _ => unreachable!(),
                        })
                        .collect(),
                ))
            } else {
                Expr::Array(items)
            }
        }
        Expression::ObjectExpression(o) => {
            let mut props: Vec<(String, Expr)> = Vec::with_capacity(o.properties.len());
            for p in &o.properties {
                let ObjectPropertyKind::ObjectProperty(p) = p else {
                    return None;
                };
                if p.kind != PropertyKind::Init || p.computed || p.method || p.shorthand {
                    return None;
                }
                let key = match &p.key {
                    PropertyKey::StaticIdentifier(id) => id.name.as_str().to_owned(),
                    PropertyKey::StringLiteral(s) => s.value.as_str().to_owned(),
                    PropertyKey::NumericLiteral(n) => number::fmt(n.value),
                    _ => return None,
                };
                if key == "__proto__" {
                    return None;
                }
                let value = expr(&p.value)?;
                // A repeated key keeps its first place and takes the last value.
                match props.iter_mut().find(|(k, _)| *k == key) {
                    Some(slot) => slot.1 = value,
                    None => props.push((key, value)),
                }
            }
            // JavaScript lists integer-like keys first, ascending.
            props.sort_by_key(|(k, _)| match array_index(k) {
                Some(n) => (0, n),
                None => (1, 0),
            });
            if props.iter().all(|(_, v)| matches!(v, Expr::Const(_))) {
                let mut map = Map::with_capacity(props.len());
                for (k, v) in props {
                    if let Expr::Const(v) = v {
                        map.insert(k, v);
                    }
                }
                Expr::Const(Value::Object(map))
            } else {
                Expr::Object(props)
            }
        }
        _ => return None,
    })
}

/// A numeric literal as the JSON a script value of it converts to.
fn number_value(f: f64) -> Option<Value> {
    if !f.is_finite() {
        return None;
    }
    let mut v = serde_json::Number::from_f64(f).map(Value::Number)?;
    normalize(&mut v);
    Some(v)
}

/// `msg.a.b` → `["a", "b"]`.
fn read_path(e: &Expression<'_>) -> Option<Vec<String>> {
    match unparen(e) {
        Expression::StaticMemberExpression(m) => {
            let name = m.property.name.as_str();
            if name == "__proto__" {
                return None;
            }
            let mut path = if is_msg(&m.object) {
                Vec::new()
            } else {
                read_path(&m.object)?
            };
            path.push(name.to_owned());
            Some(path)
        }
        _ => None,
    }
}

impl DataBody {
    /// Apply the body to a message whose `_msgid` is a string (the string
    /// the engine would send on); `false` when the engine must run instead.
    pub fn try_apply(&self, msg: &mut flowgate_runtime::Message) -> bool {
        msg.body.get("_msgid").is_some_and(Value::is_string) && self.apply(&mut msg.body)
    }

    /// Apply the body to a message: `true` when done (the message is then
    /// what `return msg;` sends), `false` — with `body` untouched — when a
    /// read found no plain value and the script engine must run instead.
    pub fn apply(&self, body: &mut Map<String, Value>) -> bool {
        let mut assigned: Vec<(&str, Value)> = Vec::with_capacity(self.assigns.len());
        for (key, e) in &self.assigns {
            let Some(v) = eval(e, body, &assigned) else {
                return false;
            };
            assigned.push((key, v));
        }
        for (key, v) in assigned {
            flowgate_runtime::message::set_property(body, key, v);
        }
        // What the trip through script values does to the rest.
        let mut whole = Value::Object(std::mem::take(body));
        normalize(&mut whole);
        if let Value::Object(m) = whole {
            *body = m;
        }
        true
    }
}

fn eval(e: &Expr, body: &Map<String, Value>, assigned: &[(&str, Value)]) -> Option<Value> {
    match e {
        Expr::Const(v) => Some(v.clone()),
        Expr::Read(path) => {
            let (first, rest) = path.split_first()?;
            let mut cur = match assigned.iter().rev().find(|(k, _)| k == first) {
                Some((_, v)) => v,
                None => body.get(first)?,
            };
            for seg in rest {
                cur = cur.as_object()?.get(seg)?;
            }
            Some(cur.clone())
        }
        Expr::Object(props) => {
            let mut map = Map::with_capacity(props.len());
            for (k, v) in props {
                map.insert(k.clone(), eval(v, body, assigned)?);
            }
            Some(Value::Object(map))
        }
        Expr::Array(items) => items
            .iter()
            .map(|i| eval(i, body, assigned))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognizes_only_data_bodies() {
        for yes in [
            "msg.payload = {\n    \"access_token\" : msg.payload\n}\nreturn msg;",
            "msg.payload = {a: [1, -2.5, true, null, 'x'], 1: 0, b: msg.req.headers}; msg['topic'] = \"t\"; return msg;",
            "// comment\nreturn msg;",
            "(msg.x) = (1);\nreturn (msg);",
            "msg.x = 1\nreturn msg",
        ] {
            assert!(analyze(yes).is_some(), "{yes}");
            // Compiled late (first fallback), so it must always compile.
            let api = ["msg", "node", "context", "flow", "global", "env"];
            let rhai = crate::translate::translate(yes, &api).unwrap();
            assert!(crate::sandbox::compile(&rhai).is_ok(), "{yes}");
        }
        for no in [
            "msg.payload = 1;",
            "msg.payload = x; return msg;",
            "msg.payload += 1; return msg;",
            "msg.payload = msg.a + 1; return msg;",
            "msg.a.b = 1; return msg;",
            "msg[k] = 1; return msg;",
            "msg['1'] = 1; return msg;",
            "msg.payload = {[k]: 1}; return msg;",
            "msg.payload = {...msg.req}; return msg;",
            "msg.payload = {msg}; return msg;",
            "msg.payload = {__proto__: null}; return msg;",
            "msg.payload = msg; return msg;",
            "msg.payload = [1, , 2]; return msg;",
            "msg.payload = `t`; return msg;",
            "msg.payload = undefined; return msg;",
            "msg.payload = f(); return msg;",
            "'use strict'; msg.payload = 1; return msg;",
            "var msg = {}; return msg;",
            "return [msg, null];",
            "msg.payload = 1; return msg; msg.x = 2;",
        ] {
            assert!(analyze(no).is_none(), "{no}");
        }
    }

    fn apply(body: &str, msg: Value) -> Option<Value> {
        let Value::Object(mut m) = msg else {
            unreachable!()
        };
        let before = m.clone();
        let ok = analyze(body).expect("data body").apply(&mut m);
        if !ok {
            assert_eq!(m, before, "a fallback leaves the message as it was");
        }
        ok.then_some(Value::Object(m))
    }

    #[test]
    fn applies_assignments_in_order_with_javascript_key_order_and_numbers() {
        let out = apply(
            "msg.payload = {b: 1.0, 10: 'ten', 2: [0.5, 2e0], a: msg.payload, b: 3}; msg.copy = msg.payload.a.x; msg['new'] = null; return msg;",
            json!({"payload": {"x": 7.0}, "req": {"n": 1.0}}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"payload":{"2":[0.5,2],"10":"ten","b":3,"a":{"x":7}},"req":{"n":1},"copy":7,"new":null}"#
        );
    }

    #[test]
    fn a_message_the_fast_path_cannot_take_runs_on_the_engine() {
        use crate::convert::Mode;
        let h = crate::testing::node(Mode::Js, "msg.a = msg.b.c;\nreturn msg;", 1).unwrap();
        let (sends, r) = h.run(json!({"b": {"c": 1.0}}));
        assert_eq!(sends, [(0, json!({"b": {"c": 1}, "a": 1}))]);
        let (sends, r2) = h.run(json!({"x": 1}));
        assert!(r.is_ok() && sends.is_empty());
        assert_eq!(
            r2.unwrap_err(),
            "TypeError: Cannot read properties of undefined (reading 'c')"
        );
    }

    #[test]
    fn a_read_that_finds_no_plain_value_falls_back() {
        assert_eq!(
            apply("msg.a = msg.missing; return msg;", json!({"b": 1})),
            None
        );
        assert_eq!(
            apply("msg.a = msg.b.c; return msg;", json!({"b": "s"})),
            None
        );
        assert_eq!(
            apply(
                "msg.x = 1; msg.a = msg.b.c; return msg;",
                json!({"b": null})
            ),
            None
        );
        assert_eq!(
            apply("msg.x = {y: 1}; msg.a = msg.x.y; return msg;", json!({})),
            Some(json!({"x": {"y": 1}, "a": 1}))
        );
    }
}
