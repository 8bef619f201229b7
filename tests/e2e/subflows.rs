//! Subflows and tabs through deploys, against the real binary: a change in
//! a subflow definition reaches every instance on a modified-nodes deploy
//! while unchanged instances keep running, the admin API gives subflows and
//! disabled tabs back unchanged, a disabled tab runs nothing, an instance's
//! `cred` variable comes from the credentials file, and an `env` entry
//! flowgate cannot evaluate stops the load naming its node. What a running
//! subflow answers is compared with Node-RED 5 in the `subflows` fixture set
//! (`nodered_fixtures.rs`).

use crate::common::{self, client, Server};

use serde_json::{json, Value};

/// A flow with subflow `s` (a function answering `version`, its id and how
/// often it started, counted in its node context) used twice, at `/a` and
/// `/b`, and a function outside it at `/other`.
fn flow(version: &str) -> Value {
    let func = |id: &str, z: &str, body: &str, init: &str, wires: Value| {
        json!({"id": id, "type": "function", "z": z, "name": "", "func": body, "outputs": 1,
               "timeout": 0, "noerr": 0, "initialize": init, "finalize": "", "libs": [],
               "x": 200, "y": 100, "wires": wires})
    };
    let http_in = |id: &str, url: &str, to: &str| {
        json!({"id": id, "type": "http in", "z": "t", "name": "", "url": url, "method": "get",
               "upload": false, "swaggerDoc": "", "x": 100, "y": 100, "wires": [[to]]})
    };
    json!([
        {"id": "t", "type": "tab", "label": "Main", "disabled": false, "info": "", "env": []},
        {"id": "s", "type": "subflow", "name": "Versioned", "info": "", "category": "",
         "in": [{"x": 50, "y": 30, "wires": [{"id": "f"}]}],
         "out": [{"x": 400, "y": 30, "wires": [{"id": "f", "port": 0}]}],
         "env": [], "meta": {}, "color": "#DDAA99"},
        func("f", "s", &format!("msg.payload = {{version: \"{version}\", id: env.get(\"NR_NODE_ID\"), \
                                 starts: context.get(\"starts\")}};\nreturn msg;"),
             "context.set(\"starts\", (context.get(\"starts\") || 0) + 1);", json!([[]])),
        http_in("ha", "/a", "ia"),
        {"id": "ia", "type": "subflow:s", "z": "t", "name": "", "x": 300, "y": 100, "wires": [["r"]]},
        http_in("hb", "/b", "ib"),
        {"id": "ib", "type": "subflow:s", "z": "t", "name": "", "x": 300, "y": 200, "wires": [["r"]]},
        http_in("hs", "/other", "fs"),
        func("fs", "t", "msg.payload = {v: 1};\nreturn msg;", "", json!([["r"]])),
        {"id": "r", "type": "http response", "z": "t", "name": "", "statusCode": "", "headers": {},
         "x": 500, "y": 100, "wires": []}
    ])
}

fn get(s: &Server, path: &str) -> (u16, Value) {
    let r = client().get(s.url(path)).send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn flows(s: &Server) -> Value {
    let r = client()
        .get(s.url("/flows"))
        .header("Node-RED-API-Version", "v2")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().unwrap()
}

fn deploy(s: &Server, flow: &Value, kind: &str) -> u16 {
    let rev = flows(s)["rev"].as_str().unwrap().to_owned();
    client()
        .post(s.url("/flows"))
        .header("Content-Type", "application/json")
        .header("Node-RED-API-Version", "v2")
        .header("Node-RED-Deployment-Type", kind)
        .body(json!({"rev": rev, "flows": flow}).to_string())
        .send()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn a_definition_change_reaches_every_instance_and_only_then_restarts_them() {
    let s = Server::start(&flow("1").to_string());
    let answer = |version: &str, id: &str, starts: u64| json!({"version": version, "id": id, "starts": starts});
    assert_eq!(get(&s, "/a"), (200, answer("1", "ia-f", 1)), "{}", s.logs());
    assert_eq!(get(&s, "/b").1, answer("1", "ib-f", 1));

    // Changing a node outside the subflow leaves its instances running.
    let mut unrelated = flow("1");
    unrelated[8]["func"] = json!("msg.payload = {v: 2};\nreturn msg;");
    assert_eq!(deploy(&s, &unrelated, "nodes"), 200, "{}", s.logs());
    assert_eq!(get(&s, "/other").1, json!({"v": 2}));
    assert_eq!(get(&s, "/a").1, answer("1", "ia-f", 1));

    // Changing the definition restarts both instances with the new body.
    let mut changed = flow("2");
    changed[8] = unrelated[8].clone();
    assert_eq!(deploy(&s, &changed, "nodes"), 200, "{}", s.logs());
    assert_eq!(get(&s, "/a").1, answer("2", "ia-f", 2));
    assert_eq!(get(&s, "/b").1, answer("2", "ib-f", 2));

    // The admin API gives the definition and its instances back unchanged.
    assert_eq!(flows(&s)["flows"], changed);
}

#[test]
fn a_disabled_tab_runs_nothing_and_round_trips() {
    let mut flow = flow("1");
    let list = flow.as_array_mut().unwrap();
    list.push(json!({"id": "off", "type": "tab", "label": "Off", "disabled": true, "info": "", "env": []}));
    list.push(
        json!({"id": "hoff", "type": "http in", "z": "off", "name": "", "url": "/off",
                     "method": "get", "upload": false, "swaggerDoc": "", "x": 100, "y": 100,
                     "wires": [["ioff"]]}),
    );
    list.push(
        json!({"id": "ioff", "type": "subflow:s", "z": "off", "name": "", "x": 300, "y": 100,
                     "wires": [["roff"]]}),
    );
    list.push(
        json!({"id": "roff", "type": "http response", "z": "off", "name": "", "statusCode": "",
                     "headers": {}, "x": 500, "y": 100, "wires": []}),
    );
    let s = Server::start(&flow.to_string());
    assert_eq!(get(&s, "/a").0, 200, "{}", s.logs());
    assert_eq!(get(&s, "/off").0, 404);
    assert_eq!(flows(&s)["flows"], flow);
}

#[test]
fn an_instance_cred_variable_comes_from_the_credentials_file() {
    let mut flow = flow("1");
    flow[1]["env"] = json!([{"name": "P", "type": "cred", "value": ""}]);
    flow[2]["func"] = json!("msg.payload = {p: env.get(\"P\")};\nreturn msg;");
    let s = Server::start(&flow.to_string());
    assert_eq!(get(&s, "/a"), (200, json!({})), "{}", s.logs());

    let secret = "instance-s3cret";
    let mut with_secret = flow.clone();
    with_secret[4]["env"] = json!([{"name": "P", "type": "cred"}]);
    with_secret[4]["credentials"] = json!({"P": secret});
    assert_eq!(deploy(&s, &with_secret, "full"), 200, "{}", s.logs());
    assert_eq!(get(&s, "/a").1, json!({"p": secret}));
    assert_eq!(get(&s, "/b").1, json!({}));
    assert!(!flows(&s).to_string().contains(secret));
}

#[test]
fn an_env_entry_flowgate_cannot_evaluate_is_a_load_error() {
    let mut flow = flow("1");
    flow[4]["env"] = json!([{"name": "X", "type": "jsonata", "value": "$now()"}]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, flow.to_string()).unwrap();
    let (code, out, err) = common::run_cli(&["check", path.to_str().unwrap()]);
    let text = format!("{out}{err}");
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains("node ia (subflow:s)")
            && text.contains("field `env`")
            && text.contains("\"jsonata\""),
        "{text}"
    );
}

/// Link nodes inside a definition reach the link nodes of the same
/// instance: a link out → link in pair routes through each instance's own
/// copies.
#[test]
fn link_nodes_inside_a_subflow_route_within_their_instance() {
    let flow = r#"[
 {"id": "t", "type": "tab", "label": "main"},
 {"id": "sf", "type": "subflow", "name": "tagger", "in": [{"wires": [{"id": "lo"}]}],
  "out": [{"wires": [{"id": "ch", "port": 0}]}],
  "env": [{"name": "TAG", "type": "str", "value": "none"}]},
 {"id": "lo", "type": "link out", "z": "sf", "mode": "link", "links": ["li"], "wires": []},
 {"id": "li", "type": "link in", "z": "sf", "links": ["lo"], "wires": [["ch"]]},
 {"id": "ch", "type": "change", "z": "sf", "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "TAG", "tot": "env"}], "wires": [[]]},
 {"id": "in-a", "type": "http in", "z": "t", "url": "/a", "method": "get", "wires": [["inst-a"]]},
 {"id": "in-b", "type": "http in", "z": "t", "url": "/b", "method": "get", "wires": [["inst-b"]]},
 {"id": "inst-a", "type": "subflow:sf", "z": "t", "env": [{"name": "TAG", "type": "str", "value": "A"}], "wires": [["res"]]},
 {"id": "inst-b", "type": "subflow:sf", "z": "t", "env": [{"name": "TAG", "type": "str", "value": "B"}], "wires": [["res"]]},
 {"id": "res", "type": "http response", "z": "t", "wires": []}
]"#;
    let server = common::Server::start(flow);
    let client = common::client();
    for (path, tag) in [("/a", "A"), ("/b", "B")] {
        let r = client.get(server.url(path)).send().unwrap();
        assert_eq!(r.status(), 200, "{path}: {}", server.logs());
        assert_eq!(r.text().unwrap(), tag, "{path}");
    }
}
