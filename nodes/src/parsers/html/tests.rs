use serde_json::{json, Value};

use super::*;

fn one(doc: &str, sel: &str, ret: Ret) -> Vec<Value> {
    extract(doc, sel, ret, "_").unwrap()
}

#[test]
fn inner_html_is_rewritten_in_xml_mode() {
    let doc = "<div id=a> <p class=x>Tom's <br> caf\u{e9} &amp; <img src=i.png></p> </div>";
    assert_eq!(
        one(doc, "div", Ret::Html),
        vec![json!(
            "<p class=\"x\">Tom&apos;s <br/> caf&#xE9; &amp; <img src=\"i.png\"/></p>"
        )]
    );
}

#[test]
fn text_leaves_out_scripts_and_styles() {
    let doc = "<div>a<script>x()</script><b>b</b><style>p{}</style>c</div>";
    assert_eq!(one(doc, "div", Ret::Text), vec![json!("abc")]);
}

#[test]
fn attributes_and_complete_keep_the_source_order() {
    let doc = r#"<a href="/x" id="l" _="over">go</a>"#;
    assert_eq!(
        one(doc, "a", Ret::Attr),
        vec![json!({"href": "/x", "id": "l", "_": "over"})]
    );
    assert_eq!(
        one(doc, "a", Ret::Compl),
        vec![json!({"_": "over", "href": "/x", "id": "l"})]
    );
}

#[test]
fn an_empty_element_has_empty_html() {
    assert_eq!(one("<p></p>", "p", Ret::Html), vec![json!("")]);
}

#[test]
fn a_document_nested_100000_deep_is_refused_quickly() {
    let doc = format!("{}x{}", "<div>".repeat(100_000), "</div>".repeat(100_000));
    let started = std::time::Instant::now();
    let err = extract(&doc, "div", Ret::Text, "_").unwrap_err();
    assert!(matches!(err, HtmlError::TooDeep(MAX_DEPTH)));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn unclosed_list_items_do_not_count_as_nesting() {
    let doc = format!("<ul>{}</ul>", "<li>x".repeat(2000));
    assert_eq!(one(&doc, "li", Ret::Text).len(), 2000);
}

#[test]
fn an_invalid_selector_is_an_error() {
    assert!(matches!(
        extract("<p>x</p>", "p[", Ret::Text, "_"),
        Err(HtmlError::Selector { .. })
    ));
}

#[test]
fn self_closed_html_tags_still_nest_but_svg_ones_do_not() {
    let doc = "<div/>".repeat(100_000);
    let started = std::time::Instant::now();
    assert!(matches!(
        extract(&doc, "div", Ret::Text, "_"),
        Err(HtmlError::TooDeep(MAX_DEPTH))
    ));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let svg = format!("<svg>{}</svg>", "<path d='M0 0'/>".repeat(2000));
    assert_eq!(one(&svg, "path", Ret::Attr).len(), 2000);
}
