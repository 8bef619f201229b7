//! Property-based fuzzing of everything that reads untrusted bytes in the
//! runtime: the flow loader/validator and HTTP request decoding. No input may
//! panic; request decoding is also fed hostile shapes (nesting thousands of
//! levels deep, thousands of keys) where unbounded recursion would overflow
//! the test thread's stack (aborting the run) and super-linear work would
//! break the per-case time bound.
//!
//! The suite runs a short pass; run a long pass by hand with
//! `FLOWGATE_FUZZ_CASES=20000 cargo test -p flowgate-runtime --test fuzz_inputs`.

use bytes::Bytes;
use flowgate_runtime::model::{parse_flow_text, parse_flow_value};
use flowgate_runtime::request::{decode_body, parse_cookies, parse_query};
use flowgate_runtime::routes::{validate, RouteInput, RouteTable};
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn cases() -> u32 {
    std::env::var("FLOWGATE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

/// The most one decoding may take, whatever its input (at most ~100 KB):
/// linear work is milliseconds even in a debug build on a busy machine,
/// quadratic work on such inputs is minutes.
const CASE_BUDGET: Duration = Duration::from_secs(3);

/// Keys built from bracket fragments repeated up to 20,000 times: deep
/// `a[b][b]…`, runs of `[` or `]`, `[]` appends, indexes, and mixtures.
fn bracket_key() -> impl Strategy<Value = String> {
    let fragment = prop::sample::select(vec![
        "[b]",
        "[",
        "]",
        "[]",
        "[0]",
        "[[",
        "]]",
        "[1000]",
        "[__proto__]",
        "%5B",
        "%5D",
        "=",
    ]);
    (
        "[a-c]{0,2}",
        prop::collection::vec((fragment, 1usize..20_000), 1..4),
    )
        .prop_map(|(base, runs)| {
            let mut key = base;
            for (frag, n) in runs {
                key.push_str(&frag.repeat(n.min(100_000 / frag.len() / 4)));
            }
            key
        })
}

/// Query strings with up to 5,000 pairs over a few keys, so values collide,
/// combine, overflow arrays and meet objects.
fn many_pairs() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "a",
        "a[]",
        "a[b]",
        "a[0]",
        "a[1]",
        "a[b][]",
        "a[b][c]",
        "a[b]x",
        "a[25]",
        "a[150]",
        "a[2000]",
        "[]",
        "0",
        "__proto__",
        "a[b][c][d][e][f][g]",
    ]);
    let value = prop::sample::select(vec!["", "1", "x", "%41", "%zz", "+", "a%5B"]);
    prop::collection::vec((key, value), 0..5_000).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

/// JSON text opening up to 100,000 arrays/objects (closed or not).
fn deep_json() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec!["[", "{\"a\":", "[{\"b\":[", " [ "]),
        1usize..100_000,
        any::<bool>(),
    )
        .prop_map(|(open, n, close)| {
            let n = n.min(100_000 / open.len());
            let mut s = open.repeat(n);
            s.push('1');
            if close {
                for c in open.chars().rev().filter(|c| matches!(c, '[' | '{')) {
                    let closer = if c == '[' { "]" } else { "}" };
                    s.push_str(&closer.repeat(n));
                }
            }
            s.into_bytes()
        })
}

/// Cookie headers: many pairs, stray separators, quotes, escapes and `j:`
/// JSON values (deep or not).
fn cookie_header() -> impl Strategy<Value = String> {
    let pair = prop::sample::select(vec![
        "a=1",
        " b = \"q\" ",
        "1=one",
        "c=%41",
        "d=%ZZ",
        "=e",
        "f",
        "__proto__=p",
        "g=j:{\"x\":[1]}",
        "h=j:0",
        "\"",
        "",
    ]);
    let piece = prop_oneof![
        40 => pair.prop_map(str::to_owned),
        1 => (1usize..5_000).prop_map(|n| format!("j=j:{}1{}", "[".repeat(n), "]".repeat(n))),
        1 => (1usize..2_000).prop_map(|n| format!("k=j:{}", "{\"a\":".repeat(n))),
    ];
    prop::collection::vec(piece, 0..1_000).prop_map(|p| p.join(";"))
}

fn urlencoded() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    h
}

/// Run `f` and fail the case if it took longer than [`CASE_BUDGET`].
fn timed<T>(what: &str, len: usize, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    prop_assert!(took < CASE_BUDGET, "{what} of {len} bytes took {took:?}");
    Ok(out)
}

/// JSON values shaped like flow nodes: the fields the loader reads, with
/// arbitrary types and values.
fn node_like() -> impl Strategy<Value = Value> {
    let any_json = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z0-9 :/${}()]{0,12}".prop_map(Value::from),
        prop::collection::vec("[a-c]{1,2}".prop_map(Value::from), 0..3).prop_map(Value::from),
    ];
    let wires = prop::collection::vec(
        prop::collection::vec("[a-e]".prop_map(Value::from), 0..3).prop_map(Value::from),
        0..3,
    )
    .prop_map(Value::from);
    (
        "[a-e]",
        prop::sample::select(vec![
            "http in",
            "http response",
            "junction",
            "catch",
            "tab",
            "group",
            "comment",
            "zz",
        ]),
        any_json.clone(),
        any_json.clone(),
        prop_oneof![wires, any_json.clone()],
        any::<bool>(),
    )
        .prop_map(|(id, t, url, method, wires, d)| {
            json!({"id": id, "type": t, "z": "t", "url": url, "method": method,
                   "statusCode": "", "wires": wires, "d": d, "x": 1, "y": 1, "scope": null})
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn flow_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse_flow_text(&text);
    }

    #[test]
    fn flow_shaped_json_loads_or_reports(nodes in prop::collection::vec(node_like(), 0..8)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _g = rt.enter();
        let file = parse_flow_value(Value::Array(nodes));
        if let Ok(file) = file {
            let runtime = flowgate_runtime::service::Runtime::new(
                test_registry(),
                Default::default(),
            );
            match runtime.prepare(file, Default::default()) {
                Ok(_) => {}
                Err(e) => prop_assert!(!e.problems().is_empty()),
            }
        }
    }

    #[test]
    fn request_decoding_never_panics(
        body in prop::collection::vec(any::<u8>(), 0..256),
        ctype in prop::sample::select(vec![
            "", "application/json", "application/x-www-form-urlencoded", "text/plain",
            "application/xml", "application/octet-stream", "image/png", "application/foo+json",
            "text/plain; charset=latin1", ";;", "application/",
        ]),
        query in "[a-z0-9=&\\[\\]%+.]{0,80}",
        cookie in "[a-z0-9=; %\"]{0,60}",
    ) {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(ctype) {
            h.insert("content-type", v);
        }
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            h.insert("cookie", v);
        }
        let _ = decode_body(&h, &Bytes::from(body));
        let _ = parse_query(Some(&query));
        let _ = parse_cookies(&h);
    }

    #[test]
    fn deep_bracket_keys_are_bounded(key in bracket_key(), value in "[a-z]{0,3}") {
        let q = format!("{key}={value}");
        let parsed = timed("query", q.len(), || parse_query(Some(&q)))?;
        // Depth 5, so at most parent + 5 groups + the literal rest (+ the
        // array an `[]` may add).
        prop_assert!(depth(&Value::Object(parsed)) <= 9);
        let body = Bytes::from(q.clone());
        let decoded = timed("urlencoded body", q.len(), || decode_body(&urlencoded(), &body))?;
        if let Ok(v) = decoded {
            prop_assert!(depth(&v) <= 36);
        }
    }

    #[test]
    fn many_pairs_are_bounded(q in many_pairs()) {
        let parsed = timed("query", q.len(), || parse_query(Some(&q)))?;
        prop_assert!(parsed.len() <= 1000);
        let body = Bytes::from(q.clone());
        let decoded = timed("urlencoded body", q.len(), || decode_body(&urlencoded(), &body))?;
        prop_assert_eq!(decoded.is_err(), q.split('&').count() > 1000);
    }

    #[test]
    fn deep_json_bodies_are_bounded(body in deep_json()) {
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        let len = body.len();
        let body = Bytes::from(body);
        if let Ok(v) = timed("JSON body", len, || decode_body(&h, &body))? {
            prop_assert!(depth(&v) <= 128);
        }
    }

    #[test]
    fn cookie_headers_are_bounded(header in cookie_header()) {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&header) {
            h.insert("cookie", v);
        }
        let cookies = timed("cookie header", header.len(), || parse_cookies(&h))?;
        prop_assert!(depth(&Value::Object(cookies)) <= 129);
    }

    #[test]
    fn route_patterns_never_panic(path in r"[/a-z:*?{}()\\.+\-\[\]é]{0,30}", request in r"[/a-z.%0-9é]{0,30}") {
        let Ok(table) = RouteTable::build(vec![RouteInput {
            node: 0,
            node_problem: Box::new(|m: &str| flowgate_runtime::Problem::file(m)),
            node_id: "n",
            method: "get",
            path: &path,
            body: flowgate_runtime::request::BodyMode::Parsed,
        }]) else {
            return Ok(());
        };
        let _ = table.lookup("GET", &format!("/{request}"));
    }
}

/// Nesting depth of a value, without recursion (the value may be deep).
fn depth(v: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|c| (c, d + 1))),
            Value::Object(o) => stack.extend(o.values().map(|c| (c, d + 1))),
            _ => {}
        }
    }
    max
}

/// The runtime's own node types would need the nodes crate (a dependency
/// cycle); the loader's generic checks are what this target exercises, with
/// stand-ins for the core types.
fn test_registry() -> flowgate_runtime::Registry {
    use flowgate_runtime::model::NodeConfig;
    use flowgate_runtime::registry::{BuildCx, Built, NodeType};
    use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
    struct Pass;
    impl Node for Pass {
        fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
            out.send(0, msg);
            Outcome::Ready(Ok(()))
        }
    }
    fn http_in(c: &NodeConfig, cx: &mut BuildCx<'_>) -> Result<Built, Problem> {
        let url = c
            .str("url")
            .ok_or_else(|| c.problem(Some("url"), "missing url"))?;
        let url = if url.starts_with('/') {
            url.to_owned()
        } else {
            format!("/{url}")
        };
        validate(&url).map_err(|e| c.problem(Some("url"), e))?;
        cx.register_route(
            c.str("method").unwrap_or("get"),
            &url,
            flowgate_runtime::request::BodyMode::Parsed,
        );
        Ok(Built::new(Pass, 1))
    }
    fn pass(_: &NodeConfig, _: &mut BuildCx<'_>) -> Result<Built, Problem> {
        Ok(Built::new(Pass, 1))
    }
    let mut r = flowgate_runtime::Registry::new();
    r.register(NodeType::runnable("http in", http_in));
    r.register(NodeType::runnable("http response", pass));
    r.register(NodeType::runnable("junction", pass));
    r.register(
        NodeType::runnable("catch", pass).listens(flowgate_runtime::listeners::Listens::Errors),
    );
    r
}
