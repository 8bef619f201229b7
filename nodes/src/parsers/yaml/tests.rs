use super::*;
use crate::testkit::{self, Sink};
use serde_json::json;

#[test]
fn dumps_nested_collections_as_js_yaml() {
    let v = json!({"a": 1, "c": [1, {"d": null}], "e": {"g": []}, "h": {}, "l": [[1, [2]]]});
    assert_eq!(
        dump(&v),
        "a: 1\nc:\n  - 1\n  - d: null\ne:\n  g: []\nh: {}\nl:\n  - - 1\n    - - 2\n"
    );
}

#[test]
fn quotes_strings_that_would_read_as_other_types() {
    let v = json!([
        "true",
        "yes",
        "012",
        "1e3",
        "1e",
        "2001-12-14",
        "a: b",
        "a#b",
        "it's",
        "",
        "12:30"
    ]);
    assert_eq!(
        dump(&v),
        "- 'true'\n- 'yes'\n- '012'\n- '1e3'\n- 1e\n- '2001-12-14'\n- 'a: b'\n- a#b\n- it's\n- ''\n- '12:30'\n"
    );
}

#[test]
fn block_scalars_and_escapes() {
    let v = json!({"m": "a\nb", "t": "a\n", "k": "a\n\n", "i": "  x\ny", "c": "a\r\nb", "num": [1e21, 1e-7]});
    assert_eq!(
        dump(&v),
        "m: |-\n  a\n  b\nt: |\n  a\nk: |+\n  a\n\ni: |2-\n    x\n  y\nc: \"a\\r\\nb\"\nnum:\n  - 1e+21\n  - 1.e-7\n"
    );
}

#[test]
fn loads_core_schema_values_in_javascript_key_order() {
    let v = load("b: 0o14\n2: 0x1A\n1: 012\nu: 1_000\nd: 2001-12-14\nq: '2001-12-15'\n")
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::to_string(&v).unwrap(),
        r#"{"1":12,"2":26,"b":12,"u":"1_000","d":"2001-12-14T00:00:00.000Z","q":"2001-12-15"}"#
    );
    assert_eq!(load("  \n").unwrap(), None);
    assert_eq!(load("# c").unwrap(), Some(Value::Null));
    assert_eq!(
        load("a: 1\n---\nb: 2\n").unwrap_err(),
        "expected a single document in the stream, but found more"
    );
}

#[tokio::test]
async fn converts_both_ways_and_parse_errors_are_catchable() {
    let rt = testkit::start(json!([
        {"id": "y1", "type": "yaml", "z": "t", "property": "payload", "wires": [["y1-out"]]},
        {"id": "y1-out", "type": "test sink", "z": "t", "wires": []},
        {"id": "y1-catch", "type": "catch", "z": "t", "scope": ["y1"], "wires": [["y1-err"]]},
        {"id": "y1-err", "type": "test sink", "z": "t", "wires": []}
    ]));
    let mut out = Sink::new("y1-out");
    let mut err = Sink::new("y1-err");
    testkit::inject(&rt, "y1", json!({"payload": "a: [1, 2]"})).await;
    assert_eq!(out.next().await.body["payload"], json!({"a": [1, 2]}));
    testkit::inject(&rt, "y1", json!({"payload": {"k": "v"}})).await;
    assert_eq!(out.next().await.body["payload"], json!("k: v\n"));
    testkit::inject(&rt, "y1", json!({"payload": "a: 1\na: 2\n"})).await;
    assert_eq!(err.next().await.body["payload"], json!("a: 1\na: 2\n"));
}

#[test]
fn alias_bombs_and_deep_nesting_are_errors() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        bomb += &format!(
            "b{i}: &b{i} [*{}, *{0}, *{0}, *{0}, *{0}, *{0}, *{0}, *{0}, *{0}, *{0}]\n",
            if p == 0 {
                "a".to_owned()
            } else {
                format!("b{p}")
            }
        );
    }
    assert_eq!(load(&bomb).unwrap_err(), "repetition limit exceeded");
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert!(load(&deep)
        .unwrap_err()
        .starts_with("recursion limit exceeded"));
}
