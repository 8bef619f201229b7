//! `/health`, `/ready` and `/metrics` through the real binary: what a load
//! balancer, an orchestrator and a Prometheus scraper see.

use crate::common::{client, Server};
use serde_json::{json, Value};

const TOKEN: &str = "probe-admin-token-0123456789abcdef";

/// `GET /hello` answers "hi"; the function node fails on `?fail`.
fn flow() -> String {
    json!([
        {"id": "t", "type": "tab", "label": "Probes"},
        {"id": "in", "type": "http in", "z": "t", "url": "/hello", "method": "get", "wires": [["fn"]]},
        {"id": "fn", "type": "function", "z": "t", "func":
            "flow.set('hits', (flow.get('hits') || 0) + 1);\nif (msg.req.query.fail) { throw new Error('asked to fail'); }\nmsg.payload = 'hi';\nreturn msg;",
         "outputs": 1, "wires": [["out"]]},
        {"id": "out", "type": "http response", "z": "t", "wires": []}
    ])
    .to_string()
}

fn start(extra: &[&str]) -> Server {
    let mut args = vec!["--admin-token", TOKEN];
    args.extend_from_slice(extra);
    Server::start_with(&flow(), &args, &[])
}

fn get(server: &Server, path: &str, token: bool) -> (u16, String) {
    let mut req = client().get(server.url(path));
    if token {
        req = req.bearer_auth(TOKEN);
    }
    let resp = req.send().expect("request");
    (resp.status().as_u16(), resp.text().unwrap_or_default())
}

#[test]
fn probes_need_the_admin_token_by_default() {
    let server = start(&[]);
    for path in ["/health", "/ready", "/metrics"] {
        assert_eq!(get(&server, path, false).0, 401, "{path} without a token");
        assert_eq!(get(&server, path, true).0, 200, "{path} with the token");
    }
}

#[test]
fn metrics_public_opens_only_the_probes() {
    let server = start(&["--metrics-public"]);
    let (status, body) = get(&server, "/health", false);
    assert_eq!(
        (status, serde_json::from_str::<Value>(&body).unwrap()),
        (200, json!({"status": "ok"}))
    );
    assert_eq!(get(&server, "/ready", false).0, 200);
    assert_eq!(get(&server, "/metrics", false).0, 200);
    assert_eq!(
        get(&server, "/flows", false).0,
        401,
        "the rest of the admin API stays locked"
    );
}

#[test]
fn ready_names_the_revision_and_turns_503_when_flows_stop() {
    let server = start(&[]);
    let (status, body) = get(&server, "/ready", true);
    let ready: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status, 200);
    assert_eq!(ready["status"], "ready");
    let flows: Value = client()
        .get(server.url("/flows"))
        .bearer_auth(TOKEN)
        .header("Node-RED-API-Version", "v2")
        .send()
        .unwrap()
        .json()
        .unwrap();
    let rev = flows["rev"].clone();
    assert!(rev.is_string(), "{flows}");
    assert_eq!(ready["rev"], rev);

    let stop = client()
        .post(server.url("/flows/state"))
        .bearer_auth(TOKEN)
        .json(&json!({"state": "stop"}))
        .send()
        .unwrap();
    assert_eq!(stop.status().as_u16(), 200);
    let (status, body) = get(&server, "/ready", true);
    assert_eq!(status, 503);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["status"], "not ready");
    assert!(
        body["reason"].as_str().unwrap().contains("stopped"),
        "{body}"
    );
    assert_eq!(get(&server, "/health", true).0, 200, "alive while stopped");
}

/// The value of the series whose line starts with `prefix` (name and labels).
fn sample(metrics: &str, name: &str, labels: &[&str]) -> Option<f64> {
    metrics
        .lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .find(|l| labels.iter().all(|label| l.contains(label)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn metrics_count_requests_messages_errors_and_deploys() {
    let server = start(&[]);
    for _ in 0..3 {
        assert_eq!(
            client().get(server.url("/hello")).send().unwrap().status(),
            200
        );
    }
    assert_eq!(
        client()
            .get(server.url("/hello?fail=1"))
            .send()
            .unwrap()
            .status(),
        500
    );
    assert_eq!(
        client()
            .get(server.url("/nowhere"))
            .send()
            .unwrap()
            .status(),
        404
    );
    let (_, flows) = get(&server, "/flows", true);
    let flows: Value = serde_json::from_str(&flows).unwrap();
    let deploy = client()
        .post(server.url("/flows"))
        .bearer_auth(TOKEN)
        .json(&flows)
        .send()
        .unwrap();
    assert_eq!(deploy.status().as_u16(), 204);

    let (status, text) = get(&server, "/metrics", true);
    assert_eq!(status, 200);
    let requests = "flowgate_http_requests_total";
    let hello = ["endpoint=\"/hello\"", "method=\"GET\""];
    assert_eq!(
        sample(&text, requests, &[hello[0], hello[1], "status=\"200\""]),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, requests, &[hello[0], "status=\"500\""]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, requests, &["(unmatched)", "status=\"404\""]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "flowgate_http_request_duration_seconds_count",
            &[hello[0]]
        ),
        Some(4.0),
        "{text}"
    );
    assert!(
        text.contains("flowgate_http_request_duration_seconds_bucket"),
        "a histogram: {text}"
    );
    // The `http in` node starts messages; it does not receive them.
    assert_eq!(
        sample(
            &text,
            "flowgate_messages_total",
            &["type=\"http response\""]
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "flowgate_messages_total", &["type=\"function\""]),
        Some(4.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "flowgate_node_errors_total", &["type=\"function\""]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "flowgate_deploys_total", &["outcome=\"ok\""]),
        Some(1.0),
        "{text}"
    );
    let context = "store=\"memory\"";
    for op in ["op=\"get\"", "op=\"set\""] {
        assert_eq!(
            sample(&text, "flowgate_context_seconds_count", &[context, op]),
            Some(4.0),
            "{op}: {text}"
        );
    }
    assert!(
        !text.contains("nowhere"),
        "request paths never become labels: {text}"
    );
}

#[test]
fn a_flow_serving_health_keeps_it() {
    let flow = json!([
        {"id": "t", "type": "tab", "label": "Own health"},
        {"id": "in", "type": "http in", "z": "t", "url": "/health", "method": "get", "wires": [["ch"]]},
        {"id": "ch", "type": "change", "z": "t", "rules": [{"t": "set", "p": "payload", "pt": "msg",
            "to": "mine", "tot": "str"}], "wires": [["out"]]},
        {"id": "out", "type": "http response", "z": "t", "wires": []}
    ]);
    let server = Server::start_with(&flow.to_string(), &["--admin-token", TOKEN], &[]);
    let resp = client().get(server.url("/health")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().unwrap(), "mine");
    assert_eq!(get(&server, "/ready", true).0, 200, "the other probes stay");
}
