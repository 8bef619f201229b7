//! Messages per second through a `function` node: the Ignite example's
//! "Setting payload to encode" body as translated JavaScript (recognized as
//! data-only, so applied without the script engine), the same work written
//! so that it needs the engine (with the on-demand `msg`), and as native
//! Rhai, against the same transformation written in Rust, on an `http in`
//! message of realistic shape; and a body that computes (the benchmark's
//! `compute` variant: a loop building strings, an object and an array,
//! then `JSON.stringify`), compiled to run without the engine. Run with
//! `cargo bench -p flowgate-script`.

use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use flowgate_runtime::events::Events;
use flowgate_runtime::{Message, Node, Outcome, Outputs};
use flowgate_script::{Function, StandaloneConfig};
use serde_json::{json, Map, Value};

const JS_BODY: &str = "msg.payload = {\n    \"name\" : \"CYber Group Inc.\",\n    \"Domain\" : \"Information Technology & Services\",\n    \"Offices\" : {\n        \"Dallas\" :  \"12900 Preston Road, Ste 900, Dallas, TX, 75230\",\n        \"India\" : \"30/1 Knowledge Park III, Greater Noida\"\n    }\n}\nreturn msg;";

/// The same result through the script engine: a local variable is outside
/// the data-only subset.
const JS_ENGINE_BODY: &str = "var claims = {\n    \"name\" : \"CYber Group Inc.\",\n    \"Domain\" : \"Information Technology & Services\",\n    \"Offices\" : {\n        \"Dallas\" :  \"12900 Preston Road, Ste 900, Dallas, TX, 75230\",\n        \"India\" : \"30/1 Knowledge Park III, Greater Noida\"\n    }\n}\nmsg.payload = claims;\nreturn msg;";

const RHAI_BODY: &str = "msg.payload = #{\n    \"name\": \"CYber Group Inc.\",\n    \"Domain\": \"Information Technology & Services\",\n    \"Offices\": #{\n        \"Dallas\": \"12900 Preston Road, Ste 900, Dallas, TX, 75230\",\n        \"India\": \"30/1 Knowledge Park III, Greater Noida\"\n    }\n};\nmsg";

/// The `compute` variant's body, read from the benchmark's flows so that
/// both measure the same code.
fn compute_body() -> String {
    let flows: Value = serde_json::from_str(include_str!(
        "../../tools/bench/flows/flowgate-variants.json"
    ))
    .expect("the benchmark flows are JSON");
    let node = flows
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["id"] == "c-fn"))
        .expect("the compute variant's function node");
    node["func"].as_str().expect("a function body").to_owned()
}

/// An `http in` GET message as the runtime builds it.
fn input() -> Map<String, Value> {
    let Value::Object(m) = json!({
        "_msgid": "6b1e1c5e-6d2a-4f51-9a57-0f8d2b0a9c11",
        "req": {
            "url": "/jwt/generate", "originalUrl": "/jwt/generate", "path": "/jwt/generate", "baseUrl": "",
            "hostname": "127.0.0.1", "ip": "127.0.0.1", "method": "GET", "protocol": "http",
            "headers": {"host": "127.0.0.1:1880", "user-agent": "curl/8.5.0", "accept": "*/*",
                         "accept-encoding": "gzip", "connection": "keep-alive"},
            "params": {}, "query": {}, "cookies": {}
        },
        "payload": {}
    }) else {
        unreachable!()
    };
    m
}

/// The same transformation in Rust: what the function node replaces.
struct RustBaseline;

impl Node for RustBaseline {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        msg.set_payload(json!({
            "name": "CYber Group Inc.",
            "Domain": "Information Technology & Services",
            "Offices": {
                "Dallas": "12900 Preston Road, Ste 900, Dallas, TX, 75230",
                "India": "30/1 Knowledge Park III, Greater Noida"
            }
        }));
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
}

/// A standalone function behind the runtime's node interface, as the nodes
/// crate's function node puts it.
struct Scripted(Function);

impl Node for Scripted {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        self.0.on_input(msg, out)
    }
}

fn function_node(rhai: bool, func: &str) -> Scripted {
    Scripted(
        Function::standalone(StandaloneConfig {
            id: "bench",
            name: "bench",
            rhai,
            func,
            outputs: 1,
            timeout: Duration::from_secs(5),
            events: Events::new(),
        })
        .expect("body compiles"),
    )
}

fn run(node: &dyn Node, body: &Map<String, Value>, out: &mut Outputs) {
    match node.on_input(Message::from_body(body.clone()), out) {
        Outcome::Ready(r) => r.expect("no error"),
        Outcome::Pending(_) => panic!("benchmark body left the fast path"),
    }
    let sent = out.drain().next().expect("one message");
    black_box(sent);
}

fn bench(c: &mut Criterion) {
    let body = input();
    let js = function_node(false, JS_BODY);
    let js_engine = function_node(false, JS_ENGINE_BODY);
    let rhai = function_node(true, RHAI_BODY);
    let mut group = c.benchmark_group("function node: Ignite payload body");
    group.throughput(Throughput::Elements(1));
    let mut out = Outputs::default();
    group.bench_function("rust baseline", |b| {
        b.iter(|| run(&RustBaseline, &body, &mut out))
    });
    group.bench_function("native rhai", |b| b.iter(|| run(&rhai, &body, &mut out)));
    group.bench_function("translated javascript (data-only body)", |b| {
        b.iter(|| run(&js, &body, &mut out))
    });
    group.bench_function("translated javascript (script engine)", |b| {
        b.iter(|| run(&js_engine, &body, &mut out))
    });
    group.finish();

    let compute = function_node(false, &compute_body());
    let mut group = c.benchmark_group("function node: computing body");
    group.throughput(Throughput::Elements(1));
    group.bench_function("compiled javascript (direct)", |b| {
        b.iter(|| run(&compute, &body, &mut out))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
