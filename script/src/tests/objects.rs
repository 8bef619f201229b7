//! `Object.create`, prototypes and own-property checks in function bodies,
//! with V8's answers.

use serde_json::json;

use crate::convert::Mode;
use crate::testing::{js, node, Harness};

#[test]
fn object_create_inherits_from_its_prototype() {
    let out = js(
        r#"var base = {greet: function (n) { return "hi " + n; }, kind: "base"};
var o = Object.create(base);
o.own = 1;
var keys = Object.keys(o);
return {payload: [o.greet("x"), o.kind, "kind" in o, o.hasOwnProperty("kind"),
    Object.hasOwn(o, "own"), base.isPrototypeOf(o), keys, JSON.stringify(o)]};"#,
        json!({}),
    );
    assert_eq!(
        out,
        json!({"payload": ["hi x", "base", true, false, true, true, ["own"], "{\"own\":1}"]})
    );
}

#[test]
fn has_own_property_in_every_form() {
    let out = js(
        r#"var o = {a: 1, 2: "two"};
var has = Object.prototype.hasOwnProperty;
return {payload: [
    Object.prototype.hasOwnProperty.call(o, "a"),
    Object.prototype.hasOwnProperty.call(o, "toString"),
    Object.prototype.hasOwnProperty.apply(o, ["a"]),
    {}.hasOwnProperty.call(o, 2),
    has.call(o, "b"),
    Object.hasOwn(o, "a"),
    o.hasOwnProperty("a"),
    [5, 6].hasOwnProperty(1),
    "ab".hasOwnProperty("length"),
    "toString" in o,
    typeof o.hasOwnProperty]};"#,
        json!({}),
    );
    assert_eq!(
        out,
        json!({"payload": [true, false, true, true, false, true, true, true, true, true, "function"]})
    );
}

fn error_of(h: &Harness) -> String {
    h.run(json!({})).1.unwrap_err()
}

#[test]
fn a_null_prototype_has_no_object_methods() {
    let out = js(
        r#"var d = Object.create(null);
d.k = "v";
return {payload: [Object.keys(d), Object.prototype.hasOwnProperty.call(d, "k"),
    Object.hasOwn(d, "x"), "hasOwnProperty" in d, typeof d.hasOwnProperty]};"#,
        json!({}),
    );
    assert_eq!(
        out,
        json!({"payload": [["k"], true, false, false, "undefined"]})
    );
    let h = node(
        Mode::Js,
        "var d = Object.create(null);\nd.hasOwnProperty('k');\nreturn msg;",
        1,
    )
    .unwrap();
    assert_eq!(
        error_of(&h),
        "TypeError: d.hasOwnProperty is not a function"
    );
    let h = node(Mode::Js, "Object.hasOwn(null, 'k');\nreturn msg;", 1).unwrap();
    assert_eq!(
        error_of(&h),
        "TypeError: Cannot convert undefined or null to object"
    );
    let h = node(Mode::Js, "Object.create(5);\nreturn msg;", 1).unwrap();
    assert_eq!(
        error_of(&h),
        "TypeError: Object prototype may only be an Object or null: 5"
    );
}

/// The searches compare under the array's lock: an array holding itself
/// still finds itself (V8's answers).
#[test]
fn array_searches_find_the_array_itself() {
    let out = js(
        r#"var a = [1, "x", NaN];
a.push(a);
return {payload: [a.includes(a), a.indexOf(a), a.lastIndexOf(a), a.includes(NaN),
    a.indexOf(NaN), a.includes("x"), a.indexOf("x", 1), a.indexOf(1, 1)]};"#,
        json!({}),
    );
    assert_eq!(out["payload"], json!([true, 3, 3, true, -1, true, 1, -1]));
}
