//! Per-request costs outside the network: decoding an HTTP request into
//! Node-RED's `msg.req`/`msg.payload` (what `http in` does), and one request
//! through the Ignite example flow in process (`http in` message → function →
//! jwt HS256 → function → `http response` reply), with the serialized reply
//! as the end. Run with `cargo bench --bench request`.

use std::hint::black_box;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flowgate_runtime::credentials::Credentials;
use flowgate_runtime::exchange::Exchange;
use flowgate_runtime::model::parse_flow_text;
use flowgate_runtime::request::{request_message, RequestParts};
use flowgate_runtime::service::Runtime;
use flowgate_runtime::settings::Settings;
use flowgate_runtime::Message;
use http::{HeaderMap, Method};
use serde_json::Map;

/// Headers as `wrk`/`curl` send them, and as a browser does.
fn headers(browser: bool) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("host", "127.0.0.1:1880".parse().unwrap());
    if browser {
        for (k, v) in [
            ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"),
            ("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            ("accept-language", "en-US,en;q=0.9"),
            ("accept-encoding", "gzip, deflate, br"),
            ("cookie", "session=abc123; theme=dark"),
            ("connection", "keep-alive"),
            ("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"),
        ] {
            h.insert(k, v.parse().unwrap());
        }
    } else {
        h.insert("user-agent", "curl/8.5.0".parse().unwrap());
        h.insert("accept", "*/*".parse().unwrap());
    }
    h
}

fn parts(query: Option<&str>) -> RequestParts {
    let uri = match query {
        Some(q) => format!("/jwt/generate?{q}"),
        None => "/jwt/generate".to_owned(),
    };
    RequestParts {
        method: Method::GET,
        uri: uri.parse().unwrap(),
        params: Map::new(),
        remote_ip: Some("127.0.0.1".into()),
        body: None,
    }
}

/// The message with `msg.req` built (`owe` false), or owed.
fn decode(
    headers: &HeaderMap,
    query: Option<&str>,
    owe: bool,
) -> (Map<String, serde_json::Value>, Option<RequestParts>) {
    request_message(parts(query), headers, "get", None, owe)
}

fn bench_http_in(c: &mut Criterion) {
    let mut group = c.benchmark_group("http in: request to message");
    group.throughput(Throughput::Elements(1));
    let plain = headers(false);
    let browser = headers(true);
    group.bench_function("3 headers, no query", |b| {
        b.iter(|| black_box(decode(&plain, None, false)))
    });
    group.bench_function("9 headers, cookies, query", |b| {
        b.iter(|| black_box(decode(&browser, Some("a=1&b=x&c[]=2"), false)))
    });
    group.finish();
}

const SECRET: &str = "bench-secret-0123456789abcdef0123456789abcdef";

fn bench_ignite_flow(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let flow = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../flows/ignite-jwt.json"
    ))
    .unwrap();
    let runtime = Runtime::new(flowgate_nodes::registry(), Settings::default());
    let creds = Credentials::from_json_text(&format!(
        r#"{{"766dcb94.6ebc04": {{"secret": "{SECRET}"}}}}"#
    ))
    .unwrap();
    let flows = runtime.install(
        runtime
            .prepare(parse_flow_text(&flow).unwrap(), creds)
            .unwrap(),
    );
    let http_in = flows.index_of("588127fb.fa4d78").unwrap();
    let plain = headers(false);
    // As the server does: owed when the first nodes leave `msg.req` alone.
    let owe = !flows.port_reads_request(http_in, 0);
    let mut group = c.benchmark_group("ignite flow in process");
    group.throughput(Throughput::Elements(1));
    group.bench_function("request to reply", |b| {
        b.to_async(&rt).iter(|| async {
            let (body, owed) = decode(&plain, None, owe);
            let (mut exchange, mut reply) = Exchange::new(plain.clone(), Bytes::new());
            exchange.request = owed;
            let msg = Message::for_request(body, Arc::new(exchange));
            flows.emit(http_in, 0, msg).await;
            let reply = reply.try_recv().expect("answered");
            assert_eq!(reply.status, 200);
            black_box(reply.body)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_http_in, bench_ignite_flow);
criterion_main!(benches);
