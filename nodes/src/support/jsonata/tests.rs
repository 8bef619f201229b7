use std::sync::Arc;

use flowgate_runtime::context::Store;
use serde_json::{json, Map, Value};

use super::*;

fn contexts() -> Contexts {
    Contexts {
        flow: Arc::new(Store::default()),
        global: Arc::new(Store::default()),
    }
}

fn no_env(_: &str) -> Value {
    Value::String(String::new())
}

fn eval(src: &str, msg: Value) -> Result<Option<Value>, EvalError> {
    let e = Expression::compile(src, &no_env).expect("compiles");
    let Value::Object(msg) = msg else {
        panic!("msg is an object")
    };
    e.evaluate(&msg, &contexts(), &[])
}

#[test]
fn objects_keep_key_order() {
    let v = eval(
        r#"$keys(payload)"#,
        json!({"payload": {"z": 1, "a": 2, "m": 3}}),
    );
    assert_eq!(v, Ok(Some(json!(["z", "a", "m"]))));
    let v = eval(r#"{"b": 1, "a": 2}"#, json!({})).unwrap().unwrap();
    assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"b":1,"a":2}"#);
    let many: Map<String, Value> = (0..40).rev().map(|i| (format!("k{i}"), json!(i))).collect();
    let v = eval(
        "payload.k7 + $count($keys(payload))",
        json!({"payload": many}),
    );
    assert_eq!(v, Ok(Some(json!(47))));
}

#[test]
fn legacy_mode_sees_msg() {
    assert_eq!(
        eval("msg.payload * 2", json!({"payload": 4})),
        Ok(Some(json!(8)))
    );
    assert_eq!(
        eval("payload * 2", json!({"payload": 4})),
        Ok(Some(json!(8)))
    );
    assert_eq!(eval("nothing", json!({"payload": 4})), Ok(None));
}

#[test]
fn unsupported_functions_and_constructs_are_refused() {
    let err = |src: &str| Expression::compile(src, &no_env).unwrap_err().to_string();
    assert!(err("$formatNumber(payload, '0.0e0')").contains("literal picture"));
    assert!(err("$formatNumber(payload, p)").contains("computed picture"));
    assert!(err("$moment()").contains("only as $moment([time]) followed by"));
    assert!(err("$moment().tz('Europe/Berlin').format('HH')").contains("only as $moment"));
    assert!(err("$moment().format('LLL')").contains("format pattern \"LLL\""));
    assert!(err("$moment('01/02/2024', 'DD/MM/YYYY').valueOf()").contains("only as $moment"));
    assert_eq!(
        err("$uuid()"),
        "JSONata function $uuid is not supported by flowgate"
    );
    assert!(
        err("a.b.%.c").contains("parent operator"),
        "{}",
        err("a.b.%.c")
    );
    assert!(err("$substring(?, 1)").contains("partial"));
    assert!(err("$env(payload)").contains("literal"));
    assert!(err("payload +").starts_with("invalid JSONata expression:"));
    // A function the expression defines itself is its own.
    assert!(Expression::compile(
        "($average := function($a){$sum($a)}; $average([1]))",
        &no_env
    )
    .is_ok());
}

#[test]
fn node_red_extensions() {
    let cx = contexts();
    cx.flow.set("count", Some(json!({"n": 3})));
    cx.global.set("g", Some(json!("x")));
    let e = Expression::compile(
        r#"[$flowContext("count.n"), $globalContext("g"), $env("HOME_X"), $env("UNSET"), $env("N") + 1]"#,
        &|n| match n {
            "HOME_X" => json!("here"),
            "N" => json!(41),
            _ => json!(""),
        },
    )
    .unwrap();
    let v = e.evaluate(&Map::new(), &cx, &[]).unwrap();
    assert_eq!(v, Some(json!([3, "x", "here", "", 42])));
    let c = eval("$clone(payload)", json!({"payload": {"a": [1, {"b": 2}]}}));
    assert_eq!(c, Ok(Some(json!({"a": [1, {"b": 2}]}))));
}

#[test]
fn errors_read_as_node_red_reports_them() {
    let e = eval(r#"$number("abc")"#, json!({})).unwrap_err();
    assert!(
        e.to_string().starts_with("Invalid JSONata expression: "),
        "{e}"
    );
    assert!(!e.to_string().contains(" @ "), "{e}");
}

#[test]
fn runaway_expressions_are_bounded() {
    // Unbounded recursion ends in an error, on a thread with a worker's stack.
    let deep = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| eval("($f := function($n){ $f($n + 1) }; $f(0))", json!({})))
        .unwrap()
        .join()
        .unwrap();
    assert!(deep.is_err());
    let start = std::time::Instant::now();
    let slow = eval(
        "($f := function($n){ $n = 0 ? 0 : $f($n - 1) + $f($n - 1) }; $f(40))",
        json!({}),
    );
    assert!(slow.is_err(), "{slow:?}");
    assert!(start.elapsed().as_millis() < (TIME_LIMIT_MS as u128) * 3);
}

#[test]
fn library_answers_as_jsonata_js() {
    let cases = [
        (r#"$contains("apple", /^a/)"#, json!(true)),
        (
            r#"(function($v) { $contains($v, /p/) })("apple")"#,
            json!(true),
        ),
        (
            r#"$filter(["apple"], function($v) { true })"#,
            json!("apple"),
        ),
        (
            r#"$filter(["apple", "b"], function($v) { $contains($v, "a") })"#,
            json!("apple"),
        ),
        (r#"$string(1e21)"#, json!("1e+21")),
        (r#"$string(123.456789012345678)"#, json!("123.456789012346")),
        (r#"$string(1e-7)"#, json!("1e-7")),
        (
            r#"$string(12345678901234567890)"#,
            json!("12345678901234567000"),
        ),
        (r#"$string(-0.000001)"#, json!("-0.000001")),
        (r#""n=" & 2.5"#, json!("n=2.5")),
        (r#"$match("ab12cd345", /\d+/)[1].index"#, json!(6)),
        (r#"$match("é1", /\d/).index"#, json!(1)),
        (
            r#"$filter(["apple", "berry", "avocado"], function($v) { $contains($v, /^a/) })"#,
            json!(["apple", "avocado"]),
        ),
    ];
    for (src, want) in cases {
        assert_eq!(eval(src, json!({})), Ok(Some(want)), "{src}");
    }
}

#[test]
fn memory_is_bounded() {
    // A string doubled past the limit: an error, not an aborted process.
    let e = Expression::compile(
        r#"($f := function($s, $n) { $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f("0123456789abcdef", 20)))"#,
        &no_env,
    )
    .unwrap();
    let bounds = Bounds {
        memory_bytes: 4 << 20,
        time_ms: 60_000,
        ..Bounds::DEFAULT
    };
    let err = e
        .evaluate_within(&Map::new(), &contexts(), &[], bounds)
        .unwrap_err();
    assert!(err.to_string().contains("memory limit of 4 MB"), "{err}");
    // Within the limit the same expression answers.
    let v = e.evaluate_within(&Map::new(), &contexts(), &[], Bounds::DEFAULT);
    assert_eq!(v, Ok(Some(json!(16 << 20))));
}

#[test]
fn time_is_bounded() {
    // An exponential recursion, stopped by a short time limit long before
    // its arena nears the memory limit.
    let e = Expression::compile(
        "($f := function($n) { $n = 0 ? 0 : $f($n - 1) + $f($n - 1) }; $f(60))",
        &no_env,
    )
    .unwrap();
    let bounds = Bounds {
        time_ms: 50,
        ..Bounds::DEFAULT
    };
    let started = std::time::Instant::now();
    let err = e
        .evaluate_within(&Map::new(), &contexts(), &[], bounds)
        .unwrap_err();
    assert!(
        err.to_string().contains("Expression evaluation timeout"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn functions_jsonata_rs_lacks() {
    let obj = json!({"payload": {"z": 1, "a": 2, "m": {"deep": "x"}}});
    let cases = [
        ("$average([3, 1, 4, 1, 5])", json!(2.8)),
        (
            r#"[$type(1), $type("a"), $type(null), $type([1]), $type({}), $type($sum)]"#,
            json!(["number", "string", "null", "array", "object", "function"]),
        ),
        (
            "$spread(payload)",
            json!([{"z": 1}, {"a": 2}, {"m": {"deep": "x"}}]),
        ),
        (
            r#"$sift(payload, function($v) { $type($v) = "number" })"#,
            json!({"z": 1, "a": 2}),
        ),
        (
            r#"$sift(payload, function($v, $k) { $k != "z" })"#,
            json!({"a": 2, "m": {"deep": "x"}}),
        ),
        ("$sum($shuffle([1, 2, 3]))", json!(6)),
        (
            "[$formatBase(255, 16), $formatBase(-10, 2), $formatBase(2.5)]",
            json!(["ff", "-1010", "2"]),
        ),
        (
            r#"$encodeUrlComponent("a b&c=d/é?")"#,
            json!("a%20b%26c%3Dd%2F%C3%A9%3F"),
        ),
        (
            r#"$encodeUrl("https://x.org/a b?q=é&r=1#f")"#,
            json!("https://x.org/a%20b?q=%C3%A9&r=1#f"),
        ),
        (
            r#"$decodeUrlComponent("a%20b%26c%3Dd%2F%C3%A9")"#,
            json!("a b&c=d/é"),
        ),
        (
            r#"$decodeUrl("https://x.org/a%20b?q=%C3%A9%26r")"#,
            json!("https://x.org/a b?q=é%26r"),
        ),
    ];
    for (src, want) in cases {
        assert_eq!(eval(src, obj.clone()), Ok(Some(want)), "{src}");
    }
    let e = eval(r#"$decodeUrlComponent("%E0%A4%A")"#, json!({})).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"Invalid JSONata expression: Malformed URL passed to $decodeUrlComponent(): "%E0%A4%A""#
    );
}

#[test]
fn moment_chains() {
    let cases = [
        (
            r#"$moment(0).format("YYYY-MM-DD HH:mm:ss")"#,
            json!("1970-01-01 00:00:00"),
        ),
        (
            r#"$moment(1700000000000).add(1, "month").toISOString()"#,
            json!("2023-12-14T22:13:20.000Z"),
        ),
        (
            r#"$moment("2024-03-05").valueOf()"#,
            json!(1709596800000i64),
        ),
        (
            r#"$moment(0).utc().format()"#,
            json!("1970-01-01T00:00:00Z"),
        ),
        (
            r#"$moment(86400000).subtract(2, "hours").unix()"#,
            json!(79200),
        ),
        (
            r#"$moment(payload.t).add(1, "days").format("dddd Do MMMM")"#,
            json!("Friday 2nd January"),
        ),
    ];
    for (src, want) in cases {
        assert_eq!(
            eval(src, json!({"payload": {"t": 0}})),
            Ok(Some(want)),
            "{src}"
        );
    }
}

#[test]
fn format_number_pictures() {
    let cases = [
        (r##"$formatNumber(1234.5678, "#,##0.00")"##, "1,234.57"),
        (r##"$formatNumber(-1234.5, "#,##0.0")"##, "-1,234.5"),
        (r##"$formatNumber(0.5, "0%")"##, "50%"),
        (r##"$formatNumber(7, "000")"##, "007"),
        (r##"$formatNumber(0.125, "0.00")"##, "0.12"),
        (r##"$formatNumber(12345678, "#,##,###")"##, "123,45,678"),
        (r##"$formatNumber(3.5, "$#.00 USD")"##, "$3.50 USD"),
        (r##"$formatNumber(0.001, "0.0##")"##, "0.001"),
    ];
    for (src, want) in cases {
        assert_eq!(eval(src, json!({})), Ok(Some(json!(want))), "{src}");
    }
}

/// A `;` sub-picture writes negative numbers (as jsonata-js answers).
#[test]
fn format_number_negative_sub_picture() {
    let cases = [
        (
            r##"$formatNumber(-1234.5, "#,##0.00;(#,##0.00)")"##,
            "(1,234.50)",
        ),
        (
            r##"$formatNumber(1234.5, "#,##0.00;(#,##0.00)")"##,
            "1,234.50",
        ),
        (r##"$formatNumber(-0.256, "0.0%;0.0% neg")"##, "25.6% neg"),
        (r##"$formatNumber(-3.14159, "#0.00;-#0.000")"##, "-3.142"),
    ];
    for (src, want) in cases {
        assert_eq!(eval(src, json!({})), Ok(Some(json!(want))), "{src}");
    }
}

/// Names may start with `_` or any other non-operator character, as in
/// jsonata-js (`_msgid`, `_session.type` are common in Node-RED flows).
#[test]
fn names_starting_with_an_underscore() {
    let msg = json!({"_msgid": "m1", "_session": {"type": "websocket", "id": "s1"}, "payload": 1});
    assert_eq!(eval("_msgid", msg.clone()), Ok(Some(json!("m1"))));
    assert_eq!(
        eval("$$._session.type & ':' & _session.id", msg.clone()),
        Ok(Some(json!("websocket:s1")))
    );
    assert_eq!(eval("é", json!({"é": 2})), Ok(Some(json!(2))));
    assert_eq!(eval("payload + 1", msg), Ok(Some(json!(2))));
}
