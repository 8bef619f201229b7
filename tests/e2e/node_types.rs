//! Node types as the runtime sees them: what `GET /nodes` lists, and the
//! routes a node type declares, served by the runtime's one router with its
//! precedence rule (admin routes behind the admin auth, public routes
//! unless a flow serves the path, then the flows).

use std::sync::Arc;

use crate::common::{client, Server};
use axum::routing::{get, post};
use flowgate_runtime::admin::AdminOptions;
use flowgate_runtime::app::{self, AppOptions};
use flowgate_runtime::credentials::Credentials;
use flowgate_runtime::model::{parse_flow_value, NodeConfig};
use flowgate_runtime::registry::{BuildCx, Built, NodeType};
use flowgate_runtime::service::Runtime;
use flowgate_runtime::settings::Settings;
use flowgate_runtime::{Message, Node, Outcome, Outputs, Problem};
use serde_json::{json, Value};

const TOKEN: &str = "node-types-admin-token-0123456789";

fn entry<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter()
        .find(|t| t["type"] == name)
        .unwrap_or_else(|| panic!("GET /nodes does not list {name}"))
}

#[test]
fn get_nodes_lists_catch_and_status_for_the_palette() {
    let s = Server::start("[]");
    let r = client().get(s.url("/nodes")).send().unwrap();
    assert_eq!(r.status(), 200);
    let list: Vec<Value> = r.json().unwrap();

    let catch = entry(&list, "catch");
    assert_eq!(catch["category"], "common");
    assert_eq!(
        (catch["inputs"].clone(), catch["outputs"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(
        catch["defaults"],
        json!({"name": "", "scope": null, "uncaught": false})
    );
    let fields: Vec<&str> = catch["editor"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["scope", "uncaught", "name"]);

    let status = entry(&list, "status");
    assert_eq!(status["category"], "common");
    assert_eq!(
        (status["inputs"].clone(), status["outputs"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(status["defaults"]["scope"], Value::Null);
}

#[test]
fn token_console_errors_take_the_admin_error_shape_and_type() {
    let s = Server::start_with("[]", &["--admin-token", TOKEN], &[]);
    let r = client()
        .post(s.url("/jwt/console/generate"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let body: Value = r.json().unwrap();
    assert_eq!(body["code"], "invalid_request");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("body is not JSON"),
        "{body}"
    );
}

// ------------------------------------------------- routes a node type declares

struct Pass;

impl Node for Pass {
    fn on_input<'a>(&'a self, msg: Message, out: &'a mut Outputs) -> Outcome<'a> {
        out.send(0, msg);
        Outcome::Ready(Ok(()))
    }
}

fn build_probe(_: &NodeConfig, _: &mut BuildCx<'_>) -> Result<Built, Problem> {
    Ok(Built::new(Pass, 1))
}

/// A node type with one public and one admin route: all it takes is its
/// registry entry.
fn probe_type() -> NodeType {
    NodeType::runnable("probe", build_probe)
        .public_route("/probe", |_| get(|| async { "public probe" }))
        .admin_route("/probe-admin", |_| post(|| async { "admin probe" }))
}

fn registry() -> flowgate_runtime::Registry {
    let mut r = flowgate_nodes::registry();
    r.register(probe_type());
    r
}

fn options() -> AppOptions {
    AppOptions {
        admin: Some(AdminOptions {
            token: Some(TOKEN.into()),
            ..AdminOptions::default()
        }),
        site: None,
    }
}

/// Serve `flow` with the probe type through `app::app` on loopback.
fn serve(flow: Value) -> (tokio::runtime::Runtime, String) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let base = rt.block_on(async {
        let registry = registry();
        let settings = Settings {
            reserved_paths: options().reserved_paths(&registry),
            ..Settings::default()
        };
        let runtime = Runtime::new(registry, settings);
        let loaded = runtime
            .prepare(parse_flow_value(flow).unwrap(), Credentials::new())
            .unwrap();
        runtime.install(loaded);
        let router = app::app(Arc::clone(&runtime), options());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        format!("http://{addr}")
    });
    (rt, base)
}

fn http_in(id: &str, method: &str, url: &str) -> Value {
    json!({"id": id, "type": "http in", "z": "t", "url": url, "method": method, "wires": [[format!("{id}-out")]]})
}

fn response(id: &str) -> Value {
    json!({"id": format!("{id}-out"), "type": "http response", "z": "t", "wires": []})
}

#[test]
fn a_node_types_admin_route_is_served_behind_the_admin_auth_and_reserved() {
    let (_rt, base) = serve(json!([
        http_in("other", "get", "/probe-admin-x"),
        response("other")
    ]));
    let c = client();
    let r = c.post(format!("{base}/probe-admin")).send().unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(format!("{base}/probe-admin"))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "admin probe");

    // A flow may not serve the admin route's path, nor below it.
    let registry = registry();
    let reserved = options().reserved_paths(&registry);
    assert!(
        reserved.contains(&"/probe-admin".to_owned()),
        "{reserved:?}"
    );
    let runtime = Runtime::new(
        registry,
        Settings {
            reserved_paths: reserved,
            ..Settings::default()
        },
    );
    let flow = json!([http_in("mine", "get", "/probe-admin/x"), response("mine")]);
    let err = runtime
        .prepare(parse_flow_value(flow).unwrap(), Credentials::new())
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("collides with flowgate's admin route /probe-admin"),
        "{err}"
    );
}

#[test]
fn a_node_types_public_route_yields_to_a_flow_serving_its_path() {
    let (_rt, base) = serve(json!([]));
    let r = client().get(format!("{base}/probe")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "public probe");
    drop(_rt);

    let (_rt, base) = serve(json!([http_in("mine", "get", "/probe"), response("mine")]));
    let r = client()
        .get(format!("{base}/probe?from=flow"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({"from": "flow"}));
    // Other methods on the path are the flows' too: not found, as Express
    // answers them.
    let r = client().post(format!("{base}/probe")).send().unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().unwrap().contains("Cannot POST /probe"));
}
