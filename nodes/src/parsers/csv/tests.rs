use super::parse::{parse, Options, ParseError};
use crate::testkit::{self, Sink};
use serde_json::{json, Value};

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

#[test]
fn rfc_reader_tells_missing_cells_from_empty_ones() {
    let o = Options {
        separator: Some(','),
        include_null_values: true,
        include_empty_strings: true,
        parse_numeric: true,
        ..Options::default()
    };
    let parsed = parse(&chars("1,,\"\",\" 7\",+1,007\r\n\"a\"\"b\",\"x\ny\""), &o).unwrap();
    assert_eq!(
        parsed.objects,
        vec![
            json!({"col1": 1, "col2": null, "col3": "", "col4": 7, "col5": "+1", "col6": "007"}),
            json!({"col1": "a\"b", "col2": "x\ny", "col3": null, "col4": null, "col5": null, "col6": null}),
        ]
    );
    assert_eq!(parsed.header, "col1,col2,col3,col4,col5,col6");
}

#[test]
fn strict_reading_rejects_stray_quotes() {
    let strict = Options {
        separator: Some(','),
        strict: true,
        arrays: true,
        ..Options::default()
    };
    assert_eq!(
        parse(&chars("a\"b"), &strict).unwrap_err(),
        ParseError::UnquotedQuote
    );
    assert_eq!(
        parse(&chars("\"a\"b"), &strict).unwrap_err(),
        ParseError::DataAfterClose
    );
    assert_eq!(
        parse(&chars("\"a"), &strict).unwrap_err(),
        ParseError::Unclosed
    );
    let relaxed = Options {
        strict: false,
        ..strict
    };
    assert_eq!(
        parse(&chars("a,\"b\"c,d\"e\""), &relaxed).unwrap().rows[1],
        vec![Some("a".into()), Some("b\"c".into()), Some("d\"e".into())]
    );
}

/// Every message a csv node with these settings sends for the inputs.
async fn run(node: Value, inputs: &[Value]) -> Vec<Value> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (id, sink_id) = (format!("csv-{n}"), format!("csv-out-{n}"));
    let mut node = node;
    node["id"] = json!(id);
    node["type"] = json!("csv");
    node["z"] = json!("t");
    node["wires"] = json!([[sink_id]]);
    let rt =
        testkit::start(json!([node, {"id": sink_id, "type": "test sink", "z": "t", "wires": []}]));
    let mut sink = Sink::new(&sink_id);
    for input in inputs {
        testkit::inject(&rt, &id, input.clone()).await;
    }
    let mut got = Vec::new();
    while let Some(m) = sink.try_next() {
        got.push(json!({"payload": m.body.get("payload"), "columns": m.body.get("columns"), "parts": m.body.get("parts").map(|p| p["index"].clone())}));
    }
    got
}

#[tokio::test]
async fn rows_become_messages_in_a_sequence_under_both_parsers() {
    for spec in ["rfc", ""] {
        let got = run(
            json!({"spec": spec, "hdrin": true, "sep": ";"}),
            &[json!({"payload": "a;b\n1;x\n2;y\n"})],
        )
        .await;
        assert_eq!(
            got,
            vec![
                json!({"payload": {"a": 1, "b": "x"}, "columns": "a,b", "parts": 0}),
                json!({"payload": {"a": 2, "b": "y"}, "columns": "a,b", "parts": 1}),
            ],
            "spec {spec:?}"
        );
    }
}

#[tokio::test]
async fn headers_are_sent_once_until_reset() {
    let node = json!({"spec": "rfc", "hdrout": "once", "temp": "b,a", "ret": "\\n"});
    let inputs = [
        json!({"payload": {"a": 1, "b": "x,y"}}),
        json!({"payload": {"a": 2, "b": 3}}),
        json!({"reset": true}),
        json!({"payload": [[4, 5]]}),
    ];
    let texts: Vec<Value> = run(node, &inputs)
        .await
        .into_iter()
        .map(|m| m["payload"].clone())
        .collect();
    assert_eq!(
        texts,
        vec![
            json!("b,a\n\"x,y\",1\n"),
            json!("3,2\n"),
            json!("b,a\n4,5\n")
        ]
    );
}
