//! The message engine with test node types, served over real loopback HTTP
//! in-process: panics, fan-out copies, catch routing and concurrency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use flowgate_runtime::model::{parse_flow_text, NodeConfig};
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::service::Runtime;
use flowgate_runtime::settings::Settings;
use flowgate_runtime::{Message, Node, NodeError, Outcome, Outputs, Problem};
use serde_json::{json, Value};

/// Panics on every message.
struct Panics;
impl Node for Panics {
    fn on_input<'a>(&'a self, _msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        panic!("boom")
    }
}

/// Sets `msg.payload.touched = <its name>` and passes the message on.
struct Touch(String);
impl Node for Touch {
    fn on_input<'a>(&'a self, mut msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        let p = msg.body.entry("payload").or_insert(json!({}));
        if let Value::Object(m) = p {
            m.insert("touched".into(), Value::String(self.0.clone()));
        }
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
}

/// Waits `payload.wait` ms (without blocking the thread) then passes on.
struct Sleep;
impl Node for Sleep {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        Outcome::Pending(Box::pin(async move {
            let ms = msg.payload()["wait"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            out.send(0, msg);
            Ok(())
        }))
    }
}

/// Fails with a 401 hint, handing the message back.
struct Deny;
impl Node for Deny {
    fn on_input<'a>(&'a self, msg: Message, _out: &'a mut Outputs) -> Outcome<'a> {
        Outcome::Ready(Err(NodeError::new("token expired")
            .with_msg(msg)
            .with_http(401, vec![("WWW-Authenticate".into(), "Bearer".into())])))
    }
}

fn b_panics(_: &NodeConfig, _: &mut BuildCx<'_>) -> Result<Built, Problem> {
    Ok(Built::new(Panics, 1))
}
fn b_touch(c: &NodeConfig, _: &mut BuildCx<'_>) -> Result<Built, Problem> {
    Ok(Built::new(Touch(c.name.clone()), 1))
}
fn b_sleep(_: &NodeConfig, _: &mut BuildCx<'_>) -> Result<Built, Problem> {
    Ok(Built::new(Sleep, 1))
}
fn b_deny(_: &NodeConfig, _: &mut BuildCx<'_>) -> Result<Built, Problem> {
    Ok(Built::new(Deny, 1))
}

async fn serve(flow: &str) -> (String, Arc<Runtime>) {
    let mut registry = flowgate_nodes::registry();
    registry.register(NodeType::runnable("test panic", b_panics));
    registry.register(NodeType::runnable("test touch", b_touch));
    registry.register(NodeType::runnable("test sleep", b_sleep));
    registry.register(NodeType::runnable("test deny", b_deny));
    let runtime = Runtime::new(registry, Settings::default());
    let file = parse_flow_text(flow).unwrap();
    let loaded = runtime
        .prepare(file, Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    runtime.install(loaded);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = flowgate_runtime::http::flow_router(runtime.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}"), runtime)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_node_fails_its_request_only() {
    let (base, _rt) = serve(
        r#"[{"id":"i","type":"http in","url":"/p","method":"get","x":1,"y":1,"wires":[["p"]]},
            {"id":"p","type":"test panic","x":1,"y":1,"wires":[["o"]]},
            {"id":"o","type":"http response","x":1,"y":1,"wires":[]},
            {"id":"i2","type":"http in","url":"/ok","method":"get","x":1,"y":1,"wires":[["o2"]]},
            {"id":"o2","type":"http response","x":1,"y":1,"wires":[]}]"#,
    )
    .await;
    let c = reqwest::Client::new();
    for _ in 0..3 {
        let r = c.get(format!("{base}/p")).send().await.unwrap();
        assert_eq!(r.status(), 500);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v, json!({"error": "node panicked: boom", "node": "p"}));
        let r = c.get(format!("{base}/ok?a=1")).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_gives_later_wires_deep_copies() {
    // i -> [a, b]; a touches its copy and answers; b touches its own copy.
    // a's answer must not show b's touch and vice versa.
    let (base, _rt) = serve(
        r#"[{"id":"i","type":"http in","url":"/f","method":"get","x":1,"y":1,"wires":[["a","b"]]},
            {"id":"a","type":"test touch","name":"A","x":1,"y":1,"wires":[["o"]]},
            {"id":"b","type":"test touch","name":"B","x":1,"y":1,"wires":[["o"]]},
            {"id":"o","type":"http response","x":1,"y":1,"wires":[]}]"#,
    )
    .await;
    let v: Value = reqwest::get(format!("{base}/f?q=1"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v, json!({"q": "1", "touched": "A"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_go_to_catch_nodes_with_msg_error() {
    let (base, _rt) = serve(
        r#"[{"id":"i","type":"http in","z":"t","url":"/c","method":"get","x":1,"y":1,"wires":[["d"]]},
            {"id":"d","type":"test deny","z":"t","name":"checker","x":1,"y":1,"wires":[["o"]]},
            {"id":"k","type":"catch","z":"t","scope":null,"x":1,"y":1,"wires":[["o"]]},
            {"id":"o","type":"http response","z":"t","x":1,"y":1,"wires":[]},
            {"id":"i2","type":"http in","z":"other","url":"/u","method":"get","x":1,"y":1,"wires":[["d2"]]},
            {"id":"d2","type":"test deny","z":"other","x":1,"y":1,"wires":[]}]"#,
    )
    .await;
    // Caught: the catch node's wire answers, with msg.statusCode from the hint.
    let r = reqwest::get(format!("{base}/c?x=1")).await.unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v, json!({"x": "1"}));
    // Uncaught (no catch node on that tab): the hint answers directly.
    let r = reqwest::get(format!("{base}/u")).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v, json!({"error": "token expired", "node": "d2"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_request_does_not_block_others() {
    let (base, _rt) = serve(
        r#"[{"id":"i","type":"http in","url":"/s","method":"get","x":1,"y":1,"wires":[["s"]]},
            {"id":"s","type":"test sleep","x":1,"y":1,"wires":[["o"]]},
            {"id":"o","type":"http response","x":1,"y":1,"wires":[]}]"#,
    )
    .await;
    let slow = tokio::spawn(reqwest::get(format!("{base}/s?wait=1500")));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    for _ in 0..20 {
        let r = reqwest::get(format!("{base}/s?wait=0")).await.unwrap();
        assert_eq!(r.status(), 200);
    }
    assert!(started.elapsed() < Duration::from_millis(1000));
    assert!(!slow.is_finished());
    assert_eq!(slow.await.unwrap().unwrap().status(), 200);
}
