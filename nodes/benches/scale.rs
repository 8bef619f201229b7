//! Scale: loading and validating generated flows of 100 / 1,000 / 10,000
//! nodes, route lookup with 10 vs 1,000 endpoints (must not grow linearly),
//! and messages through a 50-node chain against a 1-node one.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flowgate_runtime::message::Message;
use flowgate_runtime::model::parse_flow_text;
use flowgate_runtime::routes::Lookup;
use flowgate_runtime::service::Runtime;
use flowgate_runtime::settings::Settings;
use serde_json::{json, Value};

/// A flow of `n` nodes: groups of `http in` → 8 junctions → `http response`.
pub fn generated_flow(n: usize) -> String {
    let mut nodes = vec![json!({"id": "tab", "type": "tab", "label": "generated"})];
    let mut i = 0;
    while nodes.len() < n {
        let chain: Vec<String> = (0..8).map(|k| format!("j{i}_{k}")).collect();
        nodes.push(
            json!({"id": format!("in{i}"), "type": "http in", "z": "tab",
            "url": format!("/ep/{i}/:id"), "method": "get", "x": 100, "y": i * 40,
            "wires": [[chain[0].clone()]]}),
        );
        for (k, id) in chain.iter().enumerate() {
            let next = chain.get(k + 1).cloned().unwrap_or(format!("out{i}"));
            nodes.push(json!({"id": id, "type": "junction", "z": "tab",
                "x": 200 + k * 20, "y": i * 40, "wires": [[next]]}));
        }
        nodes.push(
            json!({"id": format!("out{i}"), "type": "http response", "z": "tab",
            "statusCode": "", "headers": {}, "x": 400, "y": i * 40, "wires": []}),
        );
        i += 1;
    }
    nodes.truncate(n);
    // Truncation may cut a chain: point dangling wires at nothing.
    let ids: std::collections::HashSet<String> = nodes
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    for n in nodes.iter_mut() {
        if let Some(Value::Array(ports)) = n.get_mut("wires") {
            for p in ports.iter_mut() {
                if let Value::Array(t) = p {
                    t.retain(|id| ids.contains(id.as_str().unwrap()));
                }
            }
        }
    }
    serde_json::to_string(&nodes).unwrap()
}

fn runtime() -> std::sync::Arc<Runtime> {
    Runtime::new(flowgate_nodes::registry(), Settings::default())
}

fn bench_load(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _g = rt.enter();
    let mut group = c.benchmark_group("load_and_validate");
    group.sample_size(10);
    for n in [100usize, 1_000, 10_000] {
        let text = generated_flow(n);
        let runtime = runtime();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
            b.iter(|| {
                let file = parse_flow_text(text).unwrap();
                black_box(runtime.prepare(file, Default::default()).unwrap());
            })
        });
    }
    group.finish();
}

fn bench_routes(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _g = rt.enter();
    let mut group = c.benchmark_group("route_lookup");
    for endpoints in [10usize, 1_000] {
        let runtime = runtime();
        let file = parse_flow_text(&generated_flow(endpoints * 10)).unwrap();
        let flows = runtime.install(runtime.prepare(file, Default::default()).unwrap());
        assert_eq!(flows.routes().len(), endpoints);
        let path = format!("/ep/{}/abc", endpoints / 2);
        group.bench_with_input(BenchmarkId::from_parameter(endpoints), &path, |b, path| {
            b.iter(|| {
                let found = matches!(flows.routes().lookup("GET", path), Lookup::Found { .. });
                black_box(found)
            })
        });
    }
    group.finish();
}

fn bench_chain(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _g = rt.enter();
    let mut group = c.benchmark_group("chain");
    for len in [1usize, 50] {
        let nodes: Vec<Value> = (0..len)
            .map(|k| {
                let wires = if k + 1 < len {
                    json!([[format!("j{}", k + 1)]])
                } else {
                    json!([[]])
                };
                json!({"id": format!("j{k}"), "type": "junction", "x": 1, "y": 1, "wires": wires})
            })
            .collect();
        let runtime = runtime();
        let file = parse_flow_text(&serde_json::to_string(&nodes).unwrap()).unwrap();
        let flows = runtime.install(runtime.prepare(file, Default::default()).unwrap());
        let first = flows.index_of("j0").unwrap();
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::new("junctions", len), |b| {
            b.to_async(&rt).iter(|| async {
                let mut m = Message::new();
                m.set_payload(json!({"n": 1}));
                flows.deliver(first, m).await
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_load, bench_routes, bench_chain);
criterion_main!(benches);
