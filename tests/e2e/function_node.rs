//! The `function` node end to end: the real binary, real HTTP on loopback,
//! flows as users export them.

use crate::common;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        common::repo_root()
            .join("tests/fixtures/function")
            .join(name),
    )
    .expect("fixture")
}

fn flow(nodes: Value) -> String {
    serde_json::to_string(&nodes).unwrap()
}

/// `http in` (`method` `url`) → `func` node(s) → `http response`, on one tab.
fn endpoint(id: &str, method: &str, url: &str, func: Value) -> Vec<Value> {
    let fid = format!("{id}-fn");
    let rid = format!("{id}-res");
    let mut f = func;
    f["id"] = json!(fid);
    f["type"] = json!("function");
    f["z"] = json!("tab");
    f["x"] = json!(300);
    f["y"] = json!(100);
    if f.get("wires").is_none() {
        f["wires"] = json!([[rid]]);
    }
    vec![
        json!({"id": format!("{id}-in"), "type": "http in", "z": "tab", "url": url, "method": method, "x": 100, "y": 100, "wires": [[fid]]}),
        f,
        json!({"id": rid, "type": "http response", "z": "tab", "x": 500, "y": 100, "wires": []}),
    ]
}

fn tab() -> Value {
    json!({"id": "tab", "type": "tab", "label": "function tests"})
}

#[test]
fn ignite_function_bodies_answer_like_node_red() {
    // The Ignite flow with its JWT node taken out: http in → "Setting payload
    // to encode" → "Setting jwt as access_token" → http response, both bodies
    // and every other node exactly as exported (no tab node, config with z "").
    let mut nodes: Vec<Value> = serde_json::from_str(&fixture("ignite.json")).unwrap();
    nodes.retain(|n| n["type"] != "jwt" && n["type"] != "jwt-config");
    for n in &mut nodes {
        if n["id"] == "34c70aa9.45ad56" {
            n["wires"] = json!([["f115185f.c4bcd8"]]);
        }
    }
    let s = common::Server::start(&flow(Value::Array(nodes)));
    let r = common::client().get(s.url("/jwt/generate")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    // Byte for byte what Node-RED sends: keys in the order the body wrote them.
    assert_eq!(
        r.text().unwrap(),
        r#"{"access_token":{"name":"CYber Group Inc.","Domain":"Information Technology & Services","Offices":{"Dallas":"12900 Preston Road, Ste 900, Dallas, TX, 75230","India":"30/1 Knowledge Park III, Greater Noida"}}}"#
    );
}

#[test]
fn constructs_end_to_end_match_node_red() {
    // Every recorded case with one message on output 1 (or a thrown error),
    // through http in → prep → the case's function → wrap → http response.
    let cases: Vec<Value> = serde_json::from_str(&fixture("constructs.json")).unwrap();
    let mut nodes = vec![tab()];
    let mut checks = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let recorded = c["nodered"].as_array().unwrap();
        let single = recorded.len() == 1 && recorded[0][0] == json!(0);
        let error = recorded.len() == 1 && recorded[0][0] == json!("error");
        if !(single || error) || c["name"] == "node_properties" {
            continue;
        }
        let id = format!("case{i}");
        nodes.push(json!({"id": format!("in{i}"), "type": "http in", "z": "tab", "url": format!("/case/{i}"), "method": "post", "x": 1, "y": 1, "wires": [[format!("prep{i}")]]}));
        nodes.push(json!({"id": format!("prep{i}"), "type": "function", "z": "tab", "name": "prep", "outputs": 1,
            "func": "var input = msg.payload;\ndelete msg.payload;\ndelete msg.req;\nObject.assign(msg, input);\nreturn msg;",
            "x": 1, "y": 1, "wires": [[id.clone()]]}));
        nodes.push(json!({"id": id, "type": "function", "z": "tab", "name": "fn", "func": c["func"], "outputs": c["outputs"],
            "timeout": 0, "noerr": 0, "initialize": "", "finalize": "", "libs": [], "x": 1, "y": 1, "wires": [[format!("wrap{i}")]]}));
        nodes.push(json!({"id": format!("wrap{i}"), "type": "function", "z": "tab", "name": "wrap", "outputs": 1,
            "func": "var m = Object.assign({}, msg);\ndelete m._msgid;\nreturn {payload: m};",
            "x": 1, "y": 1, "wires": [[format!("res{i}")]]}));
        nodes.push(json!({"id": format!("res{i}"), "type": "http response", "z": "tab", "x": 1, "y": 1, "wires": []}));
        checks.push((i, c.clone(), error));
    }
    assert!(checks.len() > 50, "most cases run end to end");
    let s = common::Server::start(&flow(Value::Array(nodes)));
    let client = common::client();
    for (i, c, error) in checks {
        let r = client
            .post(s.url(&format!("/case/{i}")))
            .json(&c["msg"])
            .send()
            .unwrap();
        let status = r.status().as_u16();
        let body = r.text().unwrap();
        let name = c["name"].as_str().unwrap();
        let recorded = &c["nodered"][0][1];
        if error {
            assert_eq!(status, 500, "{name}: {body}");
            let got: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(got["error"], recorded["error"]["message"], "{name}");
            assert_eq!(got["node"], json!(format!("case{i}")), "{name}");
        } else {
            assert_eq!(status, 200, "{name}: {body}");
            assert_eq!(body, serde_json::to_string(recorded).unwrap(), "{name}");
        }
    }
}

#[test]
fn unsupported_construct_is_a_load_error_with_its_location() {
    let nodes = json!([tab(), {"id": "f1", "type": "function", "z": "tab", "name": "clean up",
        "func": "var s = msg.payload;\nfunction* g() {}\nreturn msg;",
        "outputs": 1, "x": 1, "y": 1, "wires": [[]]}]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, flow(nodes)).unwrap();
    let (code, _, stderr) = common::run_cli(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "node f1 (function \"clean up\") field `func`: unsupported JavaScript at line 2:1: generator function is not supported by flowgate"
        ),
        "{stderr}"
    );
}

#[test]
fn syntax_errors_name_node_line_and_column() {
    let nodes = json!([tab(),
        {"id": "js1", "type": "function", "z": "tab", "name": "broken js", "func": "var x = ;\nreturn msg;", "outputs": 1, "x": 1, "y": 1, "wires": [[]]},
        {"id": "rh1", "type": "function", "z": "tab", "name": "broken rhai", "lang": "rhai", "func": "let x = 1;\nlet y = ;", "outputs": 1, "x": 1, "y": 1, "wires": [[]]}]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, flow(nodes)).unwrap();
    let (code, _, stderr) = common::run_cli(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("node js1 (function \"broken js\") field `func`: JavaScript syntax error at line 1:9: Unexpected token"), "{stderr}");
    assert!(
        stderr.contains(
            "node rh1 (function \"broken rhai\") field `func`: Rhai syntax error at line 2:9:"
        ),
        "{stderr}"
    );
}

#[test]
fn runtime_errors_answer_500_with_the_message() {
    let mut nodes = vec![tab()];
    nodes.extend(endpoint(
        "a",
        "get",
        "/throw",
        json!({"func": "msg.payload = 1;\nthrow new Error('boom');"}),
    ));
    nodes.extend(endpoint(
        "b",
        "get",
        "/type",
        json!({"func": "return msg.nothing.here;"}),
    ));
    nodes.extend(endpoint(
        "c",
        "get",
        "/rhai",
        json!({"lang": "rhai", "func": "throw \"rhai says no\";"}),
    ));
    let s = common::Server::start(&flow(Value::Array(nodes)));
    let c = common::client();
    let r = c.get(s.url("/throw")).send().unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"error": "Error: boom", "node": "a-fn"})
    );
    let r = c.get(s.url("/type")).send().unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.json::<Value>().unwrap()["error"],
        "TypeError: Cannot read properties of undefined (reading 'here')"
    );
    let r = c.get(s.url("/rhai")).send().unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(r.json::<Value>().unwrap()["error"], "rhai says no");
}

#[test]
fn infinite_loops_time_out_without_stalling_other_requests() {
    let mut nodes = vec![tab()];
    nodes.extend(endpoint(
        "spin",
        "get",
        "/spin",
        json!({"func": "while (true) {}\nreturn msg;", "timeout": 1}),
    ));
    nodes.extend(endpoint(
        "rspin",
        "get",
        "/rspin",
        json!({"lang": "rhai", "func": "loop { }", "timeout": "1"}),
    ));
    nodes.extend(endpoint(
        "fast",
        "get",
        "/fast",
        json!({"func": "msg.payload = {ok: msg.payload.n * 2};\nreturn msg;"}),
    ));
    let s = common::Server::start(&flow(Value::Array(nodes)));
    let spinners: Vec<_> = (0..4)
        .map(|i| {
            let url = s.url(if i % 2 == 0 { "/spin" } else { "/rspin" });
            std::thread::spawn(move || {
                let started = Instant::now();
                let r = common::client().get(url).send().unwrap();
                (
                    r.status().as_u16(),
                    r.json::<Value>().unwrap(),
                    started.elapsed(),
                )
            })
        })
        .collect();
    // While four scripts spin (on a 2-core machine), ordinary requests still
    // answer promptly.
    std::thread::sleep(Duration::from_millis(150));
    let c = common::client();
    let mut slowest = Duration::ZERO;
    for n in 0..20 {
        let started = Instant::now();
        let r = c.get(s.url(&format!("/fast?n={n}"))).send().unwrap();
        slowest = slowest.max(started.elapsed());
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().unwrap(), json!({"ok": n * 2}));
    }
    assert!(
        slowest < Duration::from_millis(500),
        "a request took {slowest:?} while scripts spun"
    );
    for t in spinners {
        let (status, body, took) = t.join().unwrap();
        assert_eq!(status, 500);
        assert_eq!(
            body["error"],
            "Error: Script execution timed out after 1000ms"
        );
        assert!(took < Duration::from_secs(5), "timed out after {took:?}");
    }
}

#[test]
fn outputs_route_by_port_and_node_send_goes_first() {
    let mut nodes = vec![tab()];
    nodes.push(json!({"id": "in1", "type": "http in", "z": "tab", "url": "/route", "method": "get", "x": 1, "y": 1, "wires": [["f1"]]}));
    nodes.push(json!({"id": "f1", "type": "function", "z": "tab", "outputs": 3, "x": 1, "y": 1,
        "func": "var port = Number(msg.payload.port);\nvar out = [null, null, null];\nout[port] = msg;\nreturn out;",
        "wires": [["r0"], ["r1"], ["r2"]]}));
    for (i, status) in [200, 201, 202].iter().enumerate() {
        nodes.push(json!({"id": format!("r{i}"), "type": "http response", "z": "tab", "statusCode": status.to_string(), "x": 1, "y": 1, "wires": []}));
    }
    nodes.extend(endpoint("send", "get", "/send", json!({"func": "node.send({payload: 'sent first'});\nmsg.payload = 'returned';\nreturn msg;"})));
    nodes.extend(endpoint(
        "many",
        "get",
        "/many",
        json!({"func": "return [[null, {payload: 'second'}]];"}),
    ));
    let s = common::Server::start(&flow(Value::Array(nodes)));
    let c = common::client();
    for port in 0..3 {
        let r = c.get(s.url(&format!("/route?port={port}"))).send().unwrap();
        assert_eq!(r.status().as_u16(), 200 + port);
    }
    let r = c.get(s.url("/send")).send().unwrap();
    assert_eq!(r.text().unwrap(), "sent first");
    let r = c.get(s.url("/many")).send().unwrap();
    assert_eq!(r.text().unwrap(), "second");
}

#[test]
fn context_keeps_every_concurrent_write() {
    let mut nodes = vec![tab()];
    nodes.extend(endpoint("set", "get", "/set", json!({"func": "flow.set('k' + msg.payload.i, Number(msg.payload.i));\nglobal.set('g' + msg.payload.i, true);\nmsg.payload = 'ok';\nreturn msg;"})));
    nodes.extend(endpoint("count", "get", "/count", json!({"lang": "rhai", "func": "let total = 0;\nfor k in flow.keys() { total += flow.get(k); }\nmsg.payload = #{ keys: flow.keys().len(), total: total, globals: global.keys().len() };\nmsg"})));
    let s = common::Server::start(&flow(Value::Array(nodes)));
    let url = s.url("");
    let workers: Vec<_> = (0..8)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let c = common::client();
                for n in 0..25 {
                    let i = t * 25 + n;
                    let r = c.get(format!("{url}/set?i={i}")).send().unwrap();
                    assert_eq!(r.status(), 200);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let r = common::client().get(s.url("/count")).send().unwrap();
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"keys": 200, "total": 19900, "globals": 200})
    );
}

#[test]
fn native_rhai_function_with_the_full_api() {
    let mut nodes = vec![tab()];
    nodes.push(json!({"id": "in1", "type": "http in", "z": "tab", "url": "/rhai", "method": "post", "x": 1, "y": 1, "wires": [["f1"]]}));
    nodes.push(json!({"id": "f1", "type": "function", "z": "tab", "name": "native", "lang": "rhai", "outputs": 2, "x": 1, "y": 1,
        "initialize": "flow.set(\"greeting\", \"hello\");",
        "func": "let p = msg.payload;\nlet doubled = [];\nfor x in p.items { doubled.push(x * 2); }\nmsg.payload = #{\n  greeting: flow.get(\"greeting\"),\n  doubled: doubled,\n  ratio: p.ratio,\n  nothing: (),\n  node: node.name,\n  outputs: node.outputCount,\n  json: JSON.stringify(#{a: [1, 2.5, ()]}),\n  parsed: JSON.parse(\"{\\\"x\\\": 1}\"),\n  id_len: uuid().len(),\n  clock: Date.now() > 0\n};\n[(), msg]",
        "wires": [[], ["r1"]]}));
    nodes.push(
        json!({"id": "r1", "type": "http response", "z": "tab", "x": 1, "y": 1, "wires": []}),
    );
    let s = common::Server::start(&flow(Value::Array(nodes)));
    let r = common::client()
        .post(s.url("/rhai"))
        .json(&json!({"items": [1, 2, 3], "ratio": 0.5}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"greeting": "hello", "doubled": [2, 4, 6], "ratio": 0.5, "nothing": null, "node": "native",
               "outputs": 2, "json": "{\"a\":[1,2.5,null]}", "parsed": {"x": 1}, "id_len": 36, "clock": true})
    );
}

#[test]
fn regular_expressions_parse_headers_and_text_like_node_red() {
    let mut nodes = vec![tab()];
    nodes.extend(endpoint(
        "re",
        "post",
        "/re",
        json!({"func": "var auth = msg.req.headers['authorization'] || '';\nvar m = auth.match(/^Bearer\\s+([\\w-]+\\.[\\w-]+\\.[\\w-]+)$/i);\nvar p = msg.payload;\nmsg.payload = {\n  token: m ? m[1] : null,\n  valid: /^[^\\s@]+@[^\\s@]+\\.[a-z]{2,}$/i.test(p.email),\n  slug: p.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''),\n  words: p.title.trim().split(/\\s+/).length,\n  date: '2024-03-15'.replace(/(?<y>\\d+)-(?<m>\\d+)-(?<d>\\d+)/, '$<d>/$<m>/$<y>'),\n  caps: p.title.replace(/\\b(\\w)(\\w*)/g, (all, first, rest) => first.toUpperCase() + rest.toLowerCase()),\n};\nreturn msg;"}),
    ));
    let s = common::Server::start(&flow(Value::Array(nodes)));
    let r = common::client()
        .post(s.url("/re"))
        .header("Authorization", "Bearer aaa.bbb.ccc")
        .json(&json!({"email": "ann@example.com", "title": "  Hello, World 2024!"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    // What Node-RED (V8) answers for the same body and request.
    assert_eq!(
        r.text().unwrap(),
        r#"{"token":"aaa.bbb.ccc","valid":true,"slug":"hello-world-2024","words":3,"date":"15/03/2024","caps":"  Hello, World 2024!"}"#
    );
}

#[test]
fn binary_payloads_are_buffers_and_buffers_answer_as_bytes() {
    let mut nodes = vec![tab()];
    nodes.extend(endpoint(
        "bin",
        "post",
        "/bin",
        json!({"func": "var b = msg.payload;\nmsg.payload = {text: b.toString(), hex: b.toString('hex'), b64: b.toString('base64'), len: b.length, isBuffer: Buffer.isBuffer(b), first: b[0]};\nreturn msg;"}),
    ));
    nodes.extend(endpoint(
        "raw",
        "get",
        "/raw",
        json!({"func": "msg.payload = Buffer.from(msg.payload.b64, 'base64');\nreturn msg;"}),
    ));
    let s = common::Server::start(&flow(Value::Array(nodes)));
    let c = common::client();
    let r = c
        .post(s.url("/bin"))
        .header("Content-Type", "application/octet-stream")
        .body(b"hello\xff".to_vec())
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"text": "hello\u{fffd}", "hex": "68656c6c6fff", "b64": "aGVsbG//", "len": 6, "isBuffer": true, "first": 104})
    );
    let r = c.get(s.url("/raw?b64=AP9oaQ==")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().unwrap().as_ref(), b"\x00\xffhi");
}

/// GET `path` until `done` accepts the JSON answer (bounded).
fn poll(s: &common::Server, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v: Value = common::client()
            .get(s.url(path))
            .send()
            .unwrap()
            .json()
            .unwrap();
        if done(&v) || Instant::now() > deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_global(key: &str) -> Value {
    json!({"func": format!("msg.payload = {{value: global.get('{key}')}};\nreturn msg;")})
}

#[test]
fn timers_answer_later_fire_once_and_report_errors() {
    let mut nodes = vec![tab()];
    nodes.extend(endpoint(
        "later",
        "get",
        "/later",
        json!({"func": "setTimeout(function () { msg.payload = 'later'; node.send(msg); }, 50);\nreturn null;"}),
    ));
    // Outlives the worker's time slice, so the run is abandoned and redone:
    // its timer must still be set once.
    nodes.extend(endpoint(
        "slow",
        "get",
        "/slow",
        json!({"func": "setTimeout(function () { global.set('fired', (global.get('fired') || 0) + 1); }, 1);\nvar t = Date.now();\nwhile (Date.now() - t < 40) {}\nmsg.payload = 'done';\nreturn msg;"}),
    ));
    nodes.extend(endpoint("fired", "get", "/fired", read_global("fired")));
    nodes.extend(endpoint(
        "boom",
        "get",
        "/boom",
        json!({"func": "setTimeout(function () { throw new Error('late failure'); }, 5);\nmsg.payload = 'ok';\nreturn msg;"}),
    ));
    nodes.push(json!({"id": "catch1", "type": "catch", "z": "tab", "scope": ["boom-fn"], "uncaught": false, "x": 1, "y": 1, "wires": [["keep"]]}));
    nodes.push(json!({"id": "keep", "type": "function", "z": "tab", "x": 1, "y": 1, "wires": [[]],
        "func": "global.set('caught', {message: msg.error.message, source: msg.error.source.id, keys: Object.keys(msg).sort()});\nreturn null;"}));
    nodes.extend(endpoint("caught", "get", "/caught", read_global("caught")));
    let s = common::Server::start(&flow(Value::Array(nodes)));
    let c = common::client();

    let started = Instant::now();
    let r = c.get(s.url("/later")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "later");
    assert!(started.elapsed() >= Duration::from_millis(50));

    let r = c.get(s.url("/slow")).send().unwrap();
    assert_eq!(r.text().unwrap(), "done");
    assert_eq!(
        poll(&s, "/fired", |v| v["value"] != Value::Null),
        json!({"value": 1})
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(poll(&s, "/fired", |_| true), json!({"value": 1}));

    let r = c.get(s.url("/boom")).send().unwrap();
    assert_eq!(r.text().unwrap(), "ok");
    assert_eq!(
        poll(&s, "/caught", |v| v["value"] != Value::Null),
        json!({"value": {"message": "Error: late failure", "source": "boom-fn", "keys": ["_msgid", "error"]}})
    );
}

#[test]
fn timers_stop_with_the_flows() {
    let ticker = json!({"id": "ticker", "type": "function", "z": "tab", "x": 1, "y": 1, "wires": [[]],
        "func": "return msg;",
        "initialize": "setInterval(function () { global.set('ticks', (global.get('ticks') || 0) + 1); }, 10);"});
    let mut v1 = vec![tab(), ticker];
    v1.extend(endpoint("ticks", "get", "/ticks", read_global("ticks")));
    let s = common::Server::start(&flow(Value::Array(v1)));
    poll(&s, "/ticks", |v| v["value"].as_u64().unwrap_or(0) >= 3);
    // Deploy the same flows without the ticker: its interval must stop.
    let mut v2 = vec![tab()];
    v2.extend(endpoint("ticks", "get", "/ticks", read_global("ticks")));
    let r = common::client()
        .post(s.url("/flows"))
        .header("Content-Type", "application/json")
        .header("Node-RED-Deployment-Type", "full")
        .body(Value::Array(v2).to_string())
        .send()
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let before = poll(&s, "/ticks", |_| true);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(poll(&s, "/ticks", |_| true), before);
}

/// `^(a+)+$` against many `a`s and a `!` backtracks for longer than the
/// universe has existed. In a function body the search ends at the node's
/// timeout; in a `switch` rule or a `change` replace rule (whose subject
/// comes from the request) at the rule time limit, as a node error; and
/// other requests keep answering meanwhile.
#[test]
fn catastrophic_regular_expressions_are_bounded() {
    let mut nodes = vec![tab()];
    nodes.extend(endpoint(
        "fn",
        "post",
        "/fn",
        json!({"func": "msg.payload = /^(a+)+$/.test(msg.payload);\nreturn msg;", "timeout": 1}),
    ));
    nodes.extend(endpoint(
        "fast",
        "get",
        "/fast",
        json!({"func": "msg.payload = {ok: /(?<=n=)\\d+/.exec(msg.req.url)[0]};\nreturn msg;"}),
    ));
    nodes.extend([
        json!({"id": "sw-in", "type": "http in", "z": "tab", "url": "/switch", "method": "post", "wires": [["sw"]]}),
        json!({"id": "sw", "type": "switch", "z": "tab", "property": "payload", "propertyType": "msg",
               "rules": [{"t": "regex", "v": "^(a+)+$", "vt": "str", "case": true}], "checkall": "true", "outputs": 1,
               "wires": [["sw-res"]]}),
        json!({"id": "sw-res", "type": "http response", "z": "tab", "wires": []}),
        json!({"id": "ch-in", "type": "http in", "z": "tab", "url": "/change", "method": "post", "wires": [["ch"]]}),
        json!({"id": "ch", "type": "change", "z": "tab",
               "rules": [{"t": "change", "p": "payload", "pt": "msg", "from": "(\\w+\\s?)*$", "fromt": "re", "to": "x", "tot": "str"}],
               "wires": [["ch-res"]]}),
        json!({"id": "ch-res", "type": "http response", "z": "tab", "wires": []}),
    ]);
    let s = common::Server::start(&flow(Value::Array(nodes)));
    let hostile = format!("{}!", "a".repeat(5000));
    let slow: Vec<_> = ["/fn", "/switch", "/change"]
        .into_iter()
        .map(|path| {
            let url = s.url(path);
            let body = hostile.clone();
            std::thread::spawn(move || {
                let started = Instant::now();
                let r = common::client()
                    .post(url)
                    .header("content-type", "text/plain")
                    .body(body)
                    .send()
                    .unwrap();
                (
                    r.status().as_u16(),
                    r.json::<Value>().unwrap(),
                    started.elapsed(),
                )
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let c = common::client();
    for n in 0..10 {
        let r = c.get(s.url(&format!("/fast?n={n}"))).send().unwrap();
        assert_eq!(r.json::<Value>().unwrap(), json!({"ok": n.to_string()}));
    }
    let answers: Vec<_> = slow.into_iter().map(|t| t.join().unwrap()).collect();
    let limit = "regular expression search exceeded its time limit of 250 ms";
    let expected = [
        json!({"error": "Error: Script execution timed out after 1000ms", "node": "fn-fn"}),
        json!({"error": limit, "node": "sw"}),
        json!({"error": limit, "node": "ch"}),
    ];
    for ((status, body, took), want) in answers.into_iter().zip(expected) {
        assert_eq!((status, &body), (500, &want));
        assert!(
            took < Duration::from_secs(5),
            "{want}: answered after {took:?}"
        );
    }
}

/// `node.error(err, msg)` then `return msg`: as in Node-RED, the error
/// reaches the catch branch before the returned message moves on, so a
/// catch node wired to the response answers the request.
#[test]
fn node_error_reaches_the_catch_branch_before_the_returned_message() {
    let mut nodes = vec![tab()];
    nodes.extend(endpoint(
        "flag",
        "get",
        "/flag",
        json!({"func": "msg.payload = 'from catch';\nnode.error('flagged', msg);\nmsg.payload = 'from output';\nreturn msg;"}),
    ));
    nodes.push(
        json!({"id": "flag-catch", "type": "catch", "z": "tab", "scope": ["flag-fn"],
        "uncaught": false, "x": 100, "y": 200, "wires": [["flag-res"]]}),
    );
    let s = common::Server::start(&flow(Value::Array(nodes)));
    let c = common::client();
    for _ in 0..5 {
        let r = c.get(s.url("/flag")).send().unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().unwrap(), "from catch");
    }
}

/// A body awaiting a timer answers after it with what it returns, and the
/// wait holds no worker and no blocking-pool permit: other requests answer
/// meanwhile, and sixteen waits (four times the permits of a two-core
/// machine) overlap rather than queue.
#[test]
fn awaiting_a_timer_answers_later_without_holding_other_requests() {
    let mut nodes = vec![tab()];
    nodes.extend(endpoint(
        "sleep",
        "get",
        "/sleep",
        json!({"func": "const started = Date.now();\nawait new Promise(r => setTimeout(r, 300));\nmsg.payload = {waited: Date.now() - started >= 290};\nreturn msg;"}),
    ));
    nodes.extend(endpoint(
        "fast",
        "get",
        "/fast",
        json!({"func": "msg.payload = {ok: msg.payload.n * 2};\nreturn msg;"}),
    ));
    let s = common::Server::start(&flow(Value::Array(nodes)));
    let sleepers: Vec<_> = (0..16)
        .map(|_| {
            let url = s.url("/sleep");
            std::thread::spawn(move || {
                let started = Instant::now();
                let r = common::client().get(url).send().unwrap();
                (r.status().as_u16(), r.text().unwrap(), started.elapsed())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    let c = common::client();
    for n in 0..10 {
        let started = Instant::now();
        let r = c.get(s.url(&format!("/fast?n={n}"))).send().unwrap();
        assert_eq!(r.json::<Value>().unwrap(), json!({"ok": n * 2}));
        assert!(started.elapsed() < Duration::from_millis(250));
    }
    for t in sleepers {
        let (status, body, took) = t.join().unwrap();
        assert_eq!((status, body.as_str()), (200, r#"{"waited":true}"#));
        assert!(
            took >= Duration::from_millis(300),
            "answered after {took:?}"
        );
        assert!(
            took < Duration::from_millis(1000),
            "answered after {took:?}"
        );
    }
}

/// Node-RED's own example flows whose functions use `await` (a link call)
/// and return a `Promise` from `initialize` load.
#[test]
fn node_red_examples_with_await_and_promises_load() {
    for name in [
        "nodered-example-asynchronous-setup.json",
        "nodered-example-link-call.json",
    ] {
        let path = common::repo_root()
            .join("tests/fixtures/function")
            .join(name);
        let (code, out, err) = common::run_cli(&["check", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{name}: {out}{err}");
    }
}
/// `flowgate check` lists every refused body with its construct and the
/// nearest supported alternative, and a module in `libs` other than
/// `crypto` with its name.
#[test]
fn check_prints_each_refused_construct_with_its_alternative() {
    let body = |id: &str, func: &str| {
        json!({"id": id, "type": "function", "z": "tab", "name": id, "func": func,
            "outputs": 1, "x": 1, "y": 1, "wires": [[]]})
    };
    let mut lodash = body("libs1", "return msg;");
    lodash["libs"] = json!([{"var": "_", "module": "lodash"}]);
    let nodes = json!([
        tab(),
        body("gen1", "function* g() { yield 1; }\nreturn msg;"),
        body("req1", "const fs = require('fs');\nreturn msg;"),
        body("eval1", "return eval(msg.payload);"),
        body("with1", "with (msg) { payload = 1; }\nreturn msg;"),
        lodash
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, flow(nodes)).unwrap();
    let (code, _, stderr) = common::run_cli(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    for want in [
        "node gen1 (function \"gen1\") field `func`: unsupported JavaScript at line 1:1: generator function is not supported by flowgate; instead: build the values into an array",
        "node req1 (function \"req1\") field `func`: unsupported JavaScript at line 1:12: the global `require` is not supported by flowgate; instead: Node.js modules are not loaded in function bodies: give the node the `crypto` module",
        "node eval1 (function \"eval1\") field `func`: refused JavaScript at line 1:8: `eval` runs code made from text at run time",
        "or use a JSONata expression in a change or switch node",
        "node with1 (function \"with1\") field `func`:",
        "instead: give the object a variable",
        "node libs1 (function \"libs1\") field `libs`: module `lodash` (as `_`) is not available: flowgate gives function bodies only Node.js's built-in `crypto` module",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in:\n{stderr}");
    }
}

/// A body given `crypto` through `libs` hashes as Node.js does; without the
/// entry, `crypto` is not defined (as in Node-RED's sandbox).
#[test]
fn crypto_comes_from_libs() {
    let nodes = json!([tab(),
        {"id": "in1", "type": "http in", "z": "tab", "url": "/h", "method": "get", "wires": [["f1"]]},
        {"id": "f1", "type": "function", "z": "tab", "name": "hash",
         "func": "msg.payload = crypto.createHmac('sha256', 'key').update(msg.req.query.s).digest('base64url');\nreturn msg;",
         "libs": [{"var": "crypto", "module": "crypto"}], "outputs": 1, "wires": [["out1"]]},
        {"id": "out1", "type": "http response", "z": "tab", "wires": []},
        {"id": "in2", "type": "http in", "z": "tab", "url": "/n", "method": "get", "wires": [["f2"]]},
        {"id": "f2", "type": "function", "z": "tab", "name": "no libs",
         "func": "try { crypto.randomUUID(); } catch (e) { msg.payload = e.name + ': ' + e.message; }\nreturn msg;",
         "outputs": 1, "wires": [["out1"]]}]);
    let server = common::Server::start(&flow(nodes));
    let client = common::client();
    let res = client.get(server.url("/h?s=abc")).send().unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.text().unwrap(),
        "nBluMtwBdfhvSxy4konWYZ3mvuaZ5MN45oMJ7Zehpqs"
    );
    let res = client.get(server.url("/n")).send().unwrap();
    assert_eq!(res.text().unwrap(), "ReferenceError: crypto is not defined");
}
