//! Engine throughput: messages per second through a 3-node in-process flow,
//! beside a baseline that runs the same node logic by direct calls, in the
//! same run. The ratio is the engine's own overhead (queueing, routing,
//! dispatch through the trait).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flowgate_runtime::model::{parse_flow_text, NodeConfig};
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::service::Runtime;
use flowgate_runtime::settings::Settings;
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use serde_json::{json, Value};

/// The node logic under test: bump a counter in the payload.
fn bump(msg: &mut Message) {
    if let Some(Value::Number(n)) = msg.body.get("payload") {
        let next = n.as_i64().unwrap_or(0) + 1;
        msg.body.insert("payload".into(), Value::from(next));
    }
}

struct Bump;
impl Node for Bump {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        bump(&mut msg);
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
}

fn build_bump(_: &NodeConfig, _: &mut BuildCx<'_>) -> Result<Built, Problem> {
    Ok(Built::new(Bump, 1))
}

fn message() -> Message {
    let mut m = Message::new();
    m.body.insert("payload".into(), json!(0));
    m.body.insert("topic".into(), json!("bench"));
    m
}

fn bench_engine(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let mut registry = flowgate_nodes::registry();
    registry.register(NodeType::runnable("bench bump", build_bump));
    let runtime = Runtime::new(registry, Settings::default());
    let flow = r#"[
        {"id":"a","type":"bench bump","x":1,"y":1,"wires":[["b"]]},
        {"id":"b","type":"bench bump","x":1,"y":1,"wires":[["c"]]},
        {"id":"c","type":"bench bump","x":1,"y":1,"wires":[]}]"#;
    let loaded = runtime
        .prepare(parse_flow_text(flow).unwrap(), Default::default())
        .unwrap();
    let flows = runtime.install(loaded);
    let first = flows.index_of("a").unwrap();

    let mut group = c.benchmark_group("three_node_flow");
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new("baseline", "direct calls"), |b| {
        b.iter(|| {
            let mut m = message();
            for _ in 0..3 {
                bump(&mut m);
            }
            black_box(m);
        })
    });
    group.bench_function(BenchmarkId::new("engine", "a->b->c"), |b| {
        b.to_async(&rt)
            .iter(|| async { flows.deliver(first, message()).await })
    });
    group.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
