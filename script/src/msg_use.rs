//! Whether a function body can tell that `msg.req` is there.
//!
//! A message from `http in` may owe its `msg.req` (see
//! `flowgate_runtime::Message::for_request`): building it is a dozen
//! properties and every header, and most token-service bodies never look at
//! it. A body that only reads and writes other named properties of `msg`
//! and sends `msg` itself on by returning it cannot see the difference, so
//! it runs without `msg.req` and the message it returns still owes it.
//! Anything else — `msg.req`, `msg` used as a value (`Object.keys(msg)`,
//! `JSON.stringify(msg)`, `node.send(msg)`, a callback that closes over
//! it), a computed key, `Object.prototype`'s methods, another binding
//! named `msg` — makes the engine build it first. The check is on the
//! source as written, so it errs only towards building it.

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    BindingIdentifier, Expression, IdentifierReference, Statement, StaticMemberExpression,
};
use oxc_ast_visit::{walk, Visit};
use oxc_span::Span;

use crate::translate::parse_body;

/// Properties whose use on `msg` could reveal `msg.req` or its absence:
/// `req` itself and what every object inherits from `Object.prototype`.
const REVEALING: [&str; 12] = [
    "req",
    "hasOwnProperty",
    "propertyIsEnumerable",
    "isPrototypeOf",
    "toString",
    "toLocaleString",
    "valueOf",
    "constructor",
    "__proto__",
    "__defineGetter__",
    "__lookupGetter__",
    "__defineSetter__",
];

/// Whether the JavaScript `source` may observe `msg.req` (`true` when in
/// doubt, a body that does not parse included).
pub fn may_observe_req(source: &str) -> bool {
    let allocator = Allocator::default();
    let parsed = parse_body(&allocator, source);
    if parsed.panicked || !parsed.diagnostics.is_empty() {
        return true;
    }
    let mut uses = Uses {
        returned: Vec::new(),
        observes: false,
    };
    returned_msgs(&parsed.program.body, &mut uses.returned);
    uses.visit_program(&parsed.program);
    uses.observes
}

struct Uses {
    /// Where the body's own `return` statements name `msg` as a message
    /// to send (`return msg;`, `return [null, msg];`).
    returned: Vec<Span>,
    observes: bool,
}

impl<'a> Visit<'a> for Uses {
    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        if is_msg(&it.object) {
            self.observes |= REVEALING.contains(&it.property.name.as_str());
            return;
        }
        walk::walk_static_member_expression(self, it);
    }

    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        if it.name == "msg" && !self.returned.contains(&it.span) {
            self.observes = true;
        }
    }

    fn visit_binding_identifier(&mut self, it: &BindingIdentifier<'a>) {
        self.observes |= it.name == "msg";
    }
}

fn is_msg(e: &Expression<'_>) -> bool {
    match e {
        Expression::Identifier(id) => id.name == "msg",
        Expression::ParenthesizedExpression(p) => is_msg(&p.expression),
        _ => false,
    }
}

/// The `msg` identifiers sent by the body's own `return` statements (not
/// those of functions inside it): the argument itself, or items of the
/// array of outputs (and of arrays within it).
fn returned_msgs(body: &[Statement<'_>], out: &mut Vec<Span>) {
    for s in body {
        returned_in(s, out);
    }
}

fn returned_in(s: &Statement<'_>, out: &mut Vec<Span>) {
    match s {
        Statement::ReturnStatement(r) => {
            if let Some(arg) = &r.argument {
                sent(arg, out);
            }
        }
        Statement::BlockStatement(b) => returned_msgs(&b.body, out),
        Statement::IfStatement(i) => {
            returned_in(&i.consequent, out);
            if let Some(alt) = &i.alternate {
                returned_in(alt, out);
            }
        }
        Statement::ForStatement(f) => returned_in(&f.body, out),
        Statement::ForInStatement(f) => returned_in(&f.body, out),
        Statement::ForOfStatement(f) => returned_in(&f.body, out),
        Statement::WhileStatement(w) => returned_in(&w.body, out),
        Statement::DoWhileStatement(d) => returned_in(&d.body, out),
        Statement::LabeledStatement(l) => returned_in(&l.body, out),
        Statement::SwitchStatement(sw) => {
            for case in &sw.cases {
                returned_msgs(&case.consequent, out);
            }
        }
        Statement::TryStatement(t) => {
            returned_msgs(&t.block.body, out);
            if let Some(h) = &t.handler {
                returned_msgs(&h.body.body, out);
            }
            if let Some(f) = &t.finalizer {
                returned_msgs(&f.body, out);
            }
        }
        _ => {}
    }
}

fn sent(e: &Expression<'_>, out: &mut Vec<Span>) {
    match e {
        Expression::Identifier(id) if id.name == "msg" => out.push(id.span),
        Expression::ParenthesizedExpression(p) => sent(&p.expression, out),
        Expression::ArrayExpression(a) => {
            // A spread's `msg`, if any, stays counted as a use.
            for e in a.elements.iter().filter_map(|item| item.as_expression()) {
                sent(e, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::may_observe_req;

    #[test]
    fn bodies_that_only_use_named_properties_and_return_msg_do_not_observe_it() {
        for body in [
            "msg.payload = {a: msg.payload.b}; return msg;",
            "const body = msg.payload;\nif (!body) { msg.statusCode = 400; return [null, msg]; }\nmsg.payload = body; return [msg, null];",
            "for (const k of Object.keys(msg.payload)) { msg.topic = k; }\nreturn msg;",
            "try { msg.x = JSON.parse(msg.payload); } catch (e) { msg.x = null; }\nreturn [[msg], null];",
            "switch (msg.topic) { case 'a': return msg; default: return null; }",
            "msg?.payload?.x; return (msg);",
            "var m = {payload: 1}; return m;",
            "node.warn(msg.payload); return msg;",
            "// msg.req in a comment\nreturn msg;",
            "msg.payload = 'msg.req'; return msg;",
            "msg.payload.req = 1; return msg;",
        ] {
            assert!(!may_observe_req(body), "{body}");
        }
    }

    #[test]
    fn anything_that_can_see_the_whole_message_or_req_observes_it() {
        for body in [
            "msg.payload = msg.req.headers; return msg;",
            "delete msg.req; return msg;",
            "msg.payload = Object.keys(msg); return msg;",
            "msg.payload = JSON.stringify(msg); return msg;",
            "node.send(msg);",
            "node.error('bad', msg);",
            "msg.payload = 'req' in msg; return msg;",
            "msg.payload = msg.hasOwnProperty('req'); return msg;",
            "msg.payload = msg['req']; return msg;",
            "const k = 'req'; msg.payload = msg[k]; return msg;",
            "return {...msg};",
            "return [...[msg]];",
            "flow.set('last', msg); return msg;",
            "setTimeout(() => node.send(msg), 10);",
            "const f = function () { return msg; }; msg.payload = JSON.stringify(f()); return msg;",
            "const f = (msg) => msg.req; return f(msg);",
            "var msg2 = RED.util.cloneMessage(msg); return msg2;",
            "msg.payload = msg; return msg;",
            "return msg.payload ? msg : null;",
            "this is not JavaScript",
        ] {
            assert!(may_observe_req(body), "{body}");
        }
    }
}
