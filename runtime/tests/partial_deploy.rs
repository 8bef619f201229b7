//! `nodes` and `flows` deploys restart only what changed, through the real
//! admin API on loopback: unchanged nodes keep their instance (and timers),
//! and a kept node's timer delivers into the new deployment's wiring.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flowgate_runtime::admin::{self, AdminOptions};
use flowgate_runtime::model::NodeConfig;
use flowgate_runtime::node::NodeHandle;
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::service::Runtime;
use flowgate_runtime::settings::Settings;
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use serde_json::{json, Value};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Stats {
    starts: usize,
    stops: usize,
    received: usize,
}

/// Every test node instance ever built, by instance number.
static INSTANCES: Mutex<BTreeMap<usize, (&'static str, Stats)>> = Mutex::new(BTreeMap::new());
static NEXT: AtomicUsize = AtomicUsize::new(1);

fn new_instance(kind: &'static str) -> usize {
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    INSTANCES
        .lock()
        .unwrap()
        .insert(n, (kind, Stats::default()));
    n
}

fn record(n: usize, f: impl FnOnce(&mut Stats)) {
    f(&mut INSTANCES.lock().unwrap().get_mut(&n).unwrap().1);
}

fn stats(n: usize) -> Stats {
    INSTANCES.lock().unwrap()[&n].1
}

/// The newest instance of a kind.
fn latest(kind: &str) -> usize {
    *INSTANCES
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|(_, (k, _))| *k == kind)
        .unwrap()
        .0
}

/// Answers with its instance number.
struct Probe(usize);

impl Node for Probe {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        msg.body
            .insert("payload".into(), json!({ "instance": self.0 }));
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
    fn start(&self, _: NodeHandle) {
        record(self.0, |s| s.starts += 1);
    }
    fn stop(&self) {
        record(self.0, |s| s.stops += 1);
    }
}

/// Sends a message every 10 ms while running.
struct Ticker(usize, Arc<AtomicBool>);

impl Node for Ticker {
    fn on_input<'a>(&'a self, _: Message, _: &'a mut Outputs) -> Outcome<'a> {
        Outcome::Ready(Ok(()))
    }
    fn start(&self, handle: NodeHandle) {
        record(self.0, |s| s.starts += 1);
        self.1.store(true, Ordering::SeqCst);
        let running = self.1.clone();
        tokio::spawn(async move {
            while running.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(10)).await;
                handle.send(0, Message::new());
            }
        });
    }
    fn stop(&self) {
        self.1.store(false, Ordering::SeqCst);
        record(self.0, |s| s.stops += 1);
    }
}

/// Counts what it receives.
struct Counter(usize);

impl Node for Counter {
    fn on_input<'a>(&'a self, _: Message, _: &'a mut Outputs) -> Outcome<'a> {
        record(self.0, |s| s.received += 1);
        Outcome::Ready(Ok(()))
    }
    fn stop(&self) {
        record(self.0, |s| s.stops += 1);
    }
}

fn probe(_: &NodeConfig, _: &mut BuildCx<'_>) -> Result<Built, Problem> {
    Ok(Built::new(Probe(new_instance("probe")), 1))
}
fn ticker(_: &NodeConfig, _: &mut BuildCx<'_>) -> Result<Built, Problem> {
    Ok(Built::new(
        Ticker(new_instance("ticker"), Arc::new(AtomicBool::new(false))),
        1,
    ))
}
fn counter(_: &NodeConfig, _: &mut BuildCx<'_>) -> Result<Built, Problem> {
    Ok(Built::new(Counter(new_instance("counter")), 0))
}

fn flow(response_header: &str, counter_label: &str, x: u32) -> Value {
    json!([
        {"id": "t1", "type": "tab", "label": "T"},
        {"id": "in1", "type": "http in", "z": "t1", "url": "/probe", "method": "get", "x": x, "y": 1, "wires": [["p1"]]},
        {"id": "p1", "type": "probe", "z": "t1", "x": 2, "y": 1, "wires": [["r1"]]},
        {"id": "r1", "type": "http response", "z": "t1", "headers": {"x-h": response_header}, "x": 3, "y": 1, "wires": []},
        {"id": "tk", "type": "ticker", "z": "t1", "x": 1, "y": 2, "wires": [["c1"]]},
        {"id": "c1", "type": "counter", "z": "t1", "label": counter_label, "x": 2, "y": 2, "wires": []}
    ])
}

struct Harness {
    base: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Harness {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.json");
        std::fs::write(&path, flow("a", "a", 1).to_string()).unwrap();
        let mut registry = flowgate_nodes::registry();
        registry.register(NodeType::runnable("probe", probe));
        registry.register(NodeType::runnable("ticker", ticker).ports(0, 1));
        registry.register(NodeType::runnable("counter", counter).ports(1, 0));
        let settings = Settings {
            flows_path: Some(path.clone()),
            ..Settings::default()
        };
        let rt = Runtime::new(registry, settings);
        rt.load_file(&path).unwrap();
        let app = flowgate_runtime::http::flow_router(rt.clone()).merge(admin::router(
            rt,
            AdminOptions::default(),
            axum::Router::new(),
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Harness {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    async fn probe(&self) -> usize {
        let r = self
            .http
            .get(format!("{}/probe", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["instance"]
            .as_u64()
            .unwrap() as usize
    }

    async fn deploy(&self, flows: Value, kind: &str) {
        let r = self
            .http
            .post(format!("{}/flows", self.base))
            .header("Node-RED-Deployment-Type", kind)
            .json(&flows)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    }
}

async fn eventually(what: &str, f: impl Fn() -> bool) {
    for _ in 0..300 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_deploys_restart_only_what_changed() {
    let h = Harness::start().await;
    let probe_a = h.probe().await;
    let ticker_a = latest("ticker");
    let counter_a = latest("counter");
    assert_eq!(stats(probe_a).starts, 1);
    eventually("the ticker reaches the counter", || {
        stats(counter_a).received > 0
    })
    .await;

    // `nodes`: only the counter changed. The ticker keeps running (same
    // instance, not restarted) and now delivers to the new counter.
    h.deploy(flow("a", "b", 1), "nodes").await;
    let counter_b = latest("counter");
    assert_ne!(counter_b, counter_a);
    assert_eq!(stats(counter_a).stops, 1, "the changed node was stopped");
    assert_eq!(h.probe().await, probe_a, "an unchanged node keeps running");
    assert_eq!(
        stats(probe_a),
        Stats {
            starts: 1,
            stops: 0,
            received: 0
        }
    );
    assert_eq!(stats(ticker_a).starts, 1);
    assert_eq!(stats(ticker_a).stops, 0);
    eventually("the kept ticker feeds the new counter", || {
        stats(counter_b).received > 0
    })
    .await;

    // Moving a node changes nothing that runs.
    h.deploy(flow("a", "b", 500), "nodes").await;
    assert_eq!(h.probe().await, probe_a);
    assert_eq!(stats(counter_b).stops, 0);

    // `flows`: the response node changed, so everything wired to it restarts
    // (the probe), but the unconnected ticker chain does not.
    h.deploy(flow("b", "b", 500), "flows").await;
    let probe_b = h.probe().await;
    assert_ne!(probe_b, probe_a);
    assert_eq!(stats(probe_a).stops, 1);
    assert_eq!(stats(probe_b).starts, 1);
    assert_eq!(stats(ticker_a).stops, 0);
    assert_eq!(stats(counter_b).stops, 0);

    // `full`: everything restarts, even with nothing changed.
    h.deploy(flow("b", "b", 500), "full").await;
    let probe_c = h.probe().await;
    assert_ne!(probe_c, probe_b);
    assert_eq!(stats(ticker_a).stops, 1, "the old ticker stopped");
    let ticker_c = latest("ticker");
    assert_ne!(ticker_c, ticker_a);
    assert_eq!(stats(ticker_c).starts, 1);
    let counter_c = latest("counter");
    eventually("the new ticker feeds the new counter", || {
        stats(counter_c).received > 0
    })
    .await;
}
