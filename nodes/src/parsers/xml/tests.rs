use serde_json::{json, Value};

use super::*;

fn parse(text: &str) -> Value {
    parse_xml(text, &ParseOptions::from_msg(None, "", "")).unwrap()
}

#[test]
fn repeated_elements_attributes_and_text_take_xml2js_shape() {
    let v = parse(r#"<r><a x="1">hi</a><a>there</a><b/><c>  </c></r>"#);
    assert_eq!(
        v,
        json!({"r": {"a": [{"_": "hi", "$": {"x": "1"}}, "there"], "b": [""], "c": ["  "]}})
    );
}

#[test]
fn mixed_content_entities_and_cdata_join_into_the_text() {
    let v = parse("<p>a &amp; <b>x</b> &#x41;<![CDATA[<z>]]></p>");
    assert_eq!(v, json!({"p": {"_": "a &  A<z>", "b": ["x"]}}));
}

#[test]
fn undeclared_entity_is_an_error_and_is_never_expanded() {
    let text = r#"<!DOCTYPE r [<!ENTITY e "boom">]><r>&e;</r>"#;
    let err = parse_xml(text, &ParseOptions::from_msg(None, "", "")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Error: Invalid character entity\nLine: 0\nColumn: 39\nChar: ;"
    );
}

#[test]
fn a_document_nested_100000_deep_is_refused_without_crashing() {
    let text = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let err = parse_xml(&text, &ParseOptions::from_msg(None, "", "")).unwrap_err();
    assert!(matches!(err, XmlError::TooDeep(MAX_DEPTH)));
}

#[test]
fn a_deep_object_is_refused_when_building() {
    let mut v = json!("x");
    for _ in 0..1000 {
        v = json!({ "a": v });
    }
    let err = build_xml(&v, &BuildOptions::from_msg(None)).unwrap_err();
    assert!(matches!(err, XmlError::TooDeep(MAX_DEPTH)));
}

#[test]
fn building_is_compact_without_options_and_pretty_with_them() {
    let v =
        json!({"r": {"$": {"id": "a\"b"}, "a": ["1", {"_": "t", "$": {"k": "v"}}], "b": {"c": 2}}});
    assert_eq!(
        build_xml(&v, &BuildOptions::from_msg(None)).unwrap(),
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><r id="a&quot;b"><a>1</a><a k="v">t</a><b><c>2</c></b></r>"#
    );
    let opts = json!({"headless": true});
    assert_eq!(
        build_xml(&v, &BuildOptions::from_msg(opts.as_object())).unwrap(),
        "<r id=\"a&quot;b\">\n  <a>1</a>\n  <a k=\"v\">t</a>\n  <b>\n    <c>2</c>\n  </b>\n</r>"
    );
}

#[test]
fn errors_carry_sax_line_column_and_character() {
    let opts = ParseOptions::from_msg(None, "", "");
    let err = |t: &str| parse_xml(t, &opts).unwrap_err().to_string();
    assert_eq!(
        err("<a b=1/>"),
        "Error: Unquoted attribute value\nLine: 0\nColumn: 6\nChar: 1"
    );
    assert_eq!(
        err("<a>\n<b></a>"),
        "Error: Unexpected close tag\nLine: 1\nColumn: 7\nChar: >"
    );
    assert_eq!(
        err("</a>"),
        "Error: Unmatched closing tag: a\nLine: 0\nColumn: 4\nChar: >"
    );
    assert_eq!(
        err("<a><b></b>"),
        "Error: Unclosed root tag\nLine: 0\nColumn: 10\nChar: "
    );
    assert_eq!(
        err(" hi"),
        "Error: Non-whitespace before first tag.\nLine: 0\nColumn: 2\nChar: h"
    );
}

#[test]
fn html_named_entities_resolve_as_sax_does() {
    assert_eq!(
        parse("<a>&nbsp;&eacute;&COPY;&#065;</a>"),
        json!({"a": "\u{a0}\u{e9}\u{a9}A"})
    );
}
