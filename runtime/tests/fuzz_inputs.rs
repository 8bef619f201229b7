//! Property-based fuzzing of everything that reads untrusted bytes in the
//! runtime: the flow loader/validator and HTTP request decoding. No input may
//! panic (and each case is bounded, so none can hang).
//!
//! The suite runs a short pass; run the long pass by hand with
//! `FLOWGATE_FUZZ_CASES=1000000 cargo test -p flowgate-runtime --release --test fuzz_inputs`.

use bytes::Bytes;
use flowgate_runtime::model::{parse_flow_text, parse_flow_value};
use flowgate_runtime::request::{decode_body, parse_cookies, parse_query};
use flowgate_runtime::routes::normalize;
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use serde_json::{json, Value};

fn cases() -> u32 {
    std::env::var("FLOWGATE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
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
    fn route_patterns_never_panic(path in "[/a-z:*?{}()]{0,30}") {
        let _ = normalize(&path);
    }
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
        normalize(&url).map_err(|e| c.problem(Some("url"), e))?;
        cx.register_route(c.str("method").unwrap_or("get"), &url);
        Ok(Built::new(Pass, 1))
    }
    fn pass(_: &NodeConfig, _: &mut BuildCx<'_>) -> Result<Built, Problem> {
        Ok(Built::new(Pass, 1))
    }
    let mut r = flowgate_runtime::Registry::new();
    r.register(NodeType::runnable("http in", http_in));
    r.register(NodeType::runnable("http response", pass));
    r.register(NodeType::runnable("junction", pass));
    r
}
