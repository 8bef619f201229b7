//! Context stores through the binary: a file store that survives a
//! restart and reads and writes Node-RED's own files, a Redis store shared
//! by two processes under concurrent requests, named stores from function
//! and change nodes, and the `/context` admin endpoints with several stores.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common;

/// A `redis-server` of our own on a free loopback port, stopped on drop.
struct RedisServer {
    child: Child,
    url: String,
}

impl RedisServer {
    fn start() -> RedisServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
            .args(["--port", &port.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (Debian's redis-server package) must be installed");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        RedisServer {
            child,
            url: format!("redis://127.0.0.1:{port}/0"),
        }
    }
}

impl RedisServer {
    /// Stop the server (its data is gone: it keeps none on disk).
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Start it again on the same port.
    fn restart(&mut self) {
        let port = self
            .url
            .rsplit(':')
            .next()
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        self.child = Command::new("redis-server")
            .args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
            .args(["--port", &port])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not restart");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A flow: `GET <url>` runs `func` in a function node and answers with
/// `msg.payload`.
fn function_flow(url: &str, func: &str) -> String {
    json!([
        {"id": "t1", "type": "tab", "label": "Flow 1"},
        {"id": "in", "type": "http in", "z": "t1", "url": url, "method": "get", "wires": [["fn"]]},
        {"id": "fn", "type": "function", "z": "t1", "func": func, "outputs": 1, "wires": [["out"]]},
        {"id": "out", "type": "http response", "z": "t1", "wires": []}
    ])
    .to_string()
}

fn get_json(server: &common::Server, path: &str) -> Value {
    let res = common::client().get(server.url(path)).send().unwrap();
    assert_eq!(res.status(), 200, "GET {path}: {}", server.logs());
    res.json().unwrap()
}

fn file_store(dir: &Path) -> String {
    format!("file=localfilesystem?dir={}", dir.display())
}

const COUNTER: &str = "var n = (flow.get('count', 'file') || 0) + 1;\n\
                       flow.set('count', n, 'file');\n\
                       msg.payload = { n: n };\n\
                       return msg;";

/// A request counter kept in a file store carries on after a restart: the
/// store is written on shutdown and read back at start.
#[test]
fn file_store_counter_survives_restart() {
    let store = tempfile::tempdir().unwrap();
    let flow = function_flow("/count", COUNTER);
    let args = ["--context", "default=memory", "--context"];
    let spec = file_store(store.path());
    let mut first = common::Server::start_with(&flow, &[args[0], args[1], args[2], &spec], &[]);
    for n in 1..=3 {
        assert_eq!(get_json(&first, "/count")["n"], n);
    }
    assert!(first.terminate().is_some_and(|s| s.success()));
    let file = store.path().join("context/t1/flow.json");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved, json!({"count": 3}));
    let second = common::Server::start_with(&flow, &[args[0], args[1], args[2], &spec], &[]);
    assert_eq!(get_json(&second, "/count")["n"], 4, "{}", second.logs());
}

/// Files Node-RED 5 wrote (tests/fixtures/context-files/record.sh) and
/// the same flow's answer there.
fn recorded() -> PathBuf {
    common::repo_root().join("tests/fixtures/context-files")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn context_files_flow() -> String {
    std::fs::read_to_string(recorded().join("flow.json")).unwrap()
}

/// flowgate reads the global, flow and node context files Node-RED wrote.
#[test]
fn file_store_reads_node_red_files() {
    let store = tempfile::tempdir().unwrap();
    copy_dir(
        &recorded().join("recorded/context"),
        &store.path().join("context"),
    );
    let spec = file_store(store.path());
    let server = common::Server::start_with(
        &context_files_flow(),
        &["--context", "default=memory", "--context", &spec],
        &[],
    );
    let got = get_json(&server, "/ctx");
    let node_red: Value = serde_json::from_str(
        &std::fs::read_to_string(recorded().join("recorded/answer.json")).unwrap(),
    )
    .unwrap();
    for key in ["g", "f", "c", "keys"] {
        assert_eq!(got[key], node_red[key], "{key}");
    }
    // The memory store starts empty: only the file store persisted.
    assert_eq!(got["m"], Value::Null);
}

/// flowgate writes the same files, byte for byte, as Node-RED does for the
/// same values, so Node-RED's own store reads them.
#[test]
fn file_store_writes_node_reds_files() {
    let store = tempfile::tempdir().unwrap();
    let spec = file_store(store.path());
    let mut server = common::Server::start_with(
        &context_files_flow(),
        &["--context", "default=memory", "--context", &spec],
        &[],
    );
    get_json(&server, "/ctx?op=write");
    assert!(server.terminate().is_some_and(|s| s.success()));
    for file in ["global/global.json", "t1/flow.json", "t1/fn1.json"] {
        let ours = std::fs::read_to_string(store.path().join("context").join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let theirs =
            std::fs::read_to_string(recorded().join("recorded/context").join(file)).unwrap();
        assert_eq!(ours, theirs, "{file}");
    }
}

/// Without a restart, a file store is written every flushInterval; the
/// stores may come from `FLOWGATE_CONTEXT` (comma-separated).
#[test]
fn file_store_flushes_on_its_interval() {
    let store = tempfile::tempdir().unwrap();
    let spec = format!(
        "default=memory,file=localfilesystem?flushInterval=0.2&dir={}",
        store.path().display()
    );
    let server = common::Server::start_with(
        &function_flow("/count", COUNTER),
        &[],
        &[("FLOWGATE_CONTEXT", &spec)],
    );
    get_json(&server, "/count");
    let file = store.path().join("context/t1/flow.json");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !file.exists() {
        assert!(Instant::now() < deadline, "not flushed: {}", server.logs());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        get_json(&server, "/settings")["context"],
        json!({"default": "default", "stores": ["default", "file"]})
    );
}

const REDIS_FLOW_FUNC: &str = "var q = msg.req.query;\n\
    if (q.op === 'set') {\n\
        global.set('k' + q.i, { i: Number(q.i), pad: 'p'.repeat(500) }, 'shared');\n\
        msg.payload = { done: true };\n\
    } else if (q.op === 'big') {\n\
        var n = Number(q.i);\n\
        var fill = [];\n\
        for (var j = 0; j < 300; j++) { fill.push(n); }\n\
        global.set('big', { n: n, fill: fill }, 'shared');\n\
        msg.payload = { done: true };\n\
    } else if (q.op === 'read') {\n\
        var v = global.get('big', 'shared');\n\
        var whole = v === undefined || (v.fill.length === 300 && v.fill.every(function (x) { return x === v.n; }));\n\
        msg.payload = { whole: whole };\n\
    } else {\n\
        msg.payload = { keys: global.keys('shared').length };\n\
    }\n\
    return msg;";

/// Two processes on one Redis store, many concurrent requests each writing
/// its own key: no write is lost. Concurrent replacements of one value
/// never let a reader see half of one.
#[test]
fn redis_store_shared_by_two_processes_loses_no_write_and_never_tears() {
    let redis = RedisServer::start();
    let spec = format!("shared={}", redis.url);
    let flow = function_flow("/r", REDIS_FLOW_FUNC);
    let args = ["--context", "default=memory", "--context", &spec];
    let a = common::Server::start_with(&flow, &args, &[]);
    let b = common::Server::start_with(&flow, &args, &[]);
    let servers = [&a, &b];
    std::thread::scope(|s| {
        for t in 0..8usize {
            let server = servers[t % 2];
            s.spawn(move || {
                let client = common::client();
                for i in 0..25 {
                    let url = server.url(&format!("/r?op=set&i={}", t * 25 + i));
                    assert_eq!(client.get(url).send().unwrap().status(), 200);
                }
            });
        }
        for (t, &server) in servers.iter().enumerate() {
            s.spawn(move || {
                let client = common::client();
                for i in 0..30 {
                    let url = server.url(&format!("/r?op=big&i={}", t * 100 + i));
                    assert_eq!(client.get(url).send().unwrap().status(), 200);
                }
            });
        }
        for &server in &servers {
            s.spawn(move || {
                let client = common::client();
                for _ in 0..40 {
                    let v: Value = client
                        .get(server.url("/r?op=read"))
                        .send()
                        .unwrap()
                        .json()
                        .unwrap();
                    assert_eq!(v["whole"], true, "a torn value was read");
                }
            });
        }
    });
    assert_eq!(
        get_json(&a, "/r?op=count")["keys"],
        201,
        "200 distinct keys and `big`"
    );
    assert_eq!(get_json(&b, "/r?op=count")["keys"], 201);
}

/// While Redis is down a function's read fails with an error naming the
/// store (500 to the request, nothing of the values logged) instead of
/// reading `undefined` and restarting a counter; when Redis is back the
/// connection manager reconnects and requests succeed again.
#[test]
fn redis_store_outage_is_an_error_and_recovers() {
    let mut redis = RedisServer::start();
    let spec = format!("default={}", redis.url);
    let func = "var n = (global.get('count') || 0) + 1;\n\
                global.set('count', n);\n\
                global.set('secret', 'do-not-log-this-value');\n\
                msg.payload = { n: n };\n\
                return msg;";
    let server = common::Server::start_with(&function_flow("/n", func), &["--context", &spec], &[]);
    assert_eq!(get_json(&server, "/n")["n"], 1);
    redis.stop();
    let res = common::client().get(server.url("/n")).send().unwrap();
    assert_eq!(res.status(), 500);
    let body = res.text().unwrap();
    assert!(body.contains("context store 'default'"), "{body}");
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let res = common::client().get(server.url("/n")).send().unwrap();
        if res.status() == 200 {
            // A fresh server: the count starts again from its empty store.
            assert_eq!(res.json::<Value>().unwrap()["n"], 1);
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: {}", server.logs());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!server.logs().contains("do-not-log-this-value"));
}

/// Node-RED's forms from a function: the store argument, a callback,
/// `#:(store)::` in a key, `keys(store)`, nested paths, and an unknown store
/// (the default store, with Node-RED's warning).
#[test]
fn function_node_names_stores_and_calls_back() {
    let func = "flow.set('a.b[1]', 'deep', 'file');\n\
        flow.set('x', 'default');\n\
        flow.set('#:(file)::x', 'file');\n\
        var viaCb;\n\
        flow.get('x', 'file', function (err, v) { viaCb = [err === undefined, v]; });\n\
        var setCb = false;\n\
        global.set('g', 1, 'file', function (err) { setCb = err === undefined; });\n\
        var keysCb;\n\
        flow.keys('file', function (err, k) { keysCb = [err === null, k]; });\n\
        msg.payload = {\n\
            deep: flow.get('a.b[1]', 'file'),\n\
            x: flow.get('x'),\n\
            xFile: flow.get('x', 'file'),\n\
            viaCb: viaCb, setCb: setCb, keysCb: keysCb,\n\
            keysDefault: flow.keys(),\n\
            unknown: flow.get('x', 'nosuchstore')\n\
        };\n\
        return msg;";
    let store = tempfile::tempdir().unwrap();
    let spec = file_store(store.path());
    let server = common::Server::start_with(
        &function_flow("/f", func),
        &["--context", "default=memory", "--context", &spec],
        &[],
    );
    let got = get_json(&server, "/f");
    assert_eq!(
        got,
        json!({
            "deep": "deep", "x": "default", "xFile": "file",
            "viaCb": [true, "file"], "setCb": true, "keysCb": [true, ["a", "x"]],
            "keysDefault": ["x"], "unknown": "default"
        })
    );
    assert!(
        server
            .logs()
            .contains("Unknown context store 'nosuchstore' specified. Using default store."),
        "{}",
        server.logs()
    );
}

/// A change node writes `#:(file)::key` to the named store and another
/// reads it back; the admin API lists both stores and marks a key read from
/// a store other than the default (Node-RED's runtime/lib/api/context.js).
#[test]
fn change_node_and_admin_endpoints_use_named_stores() {
    let flow = json!([
        {"id": "t1", "type": "tab", "label": "Flow 1"},
        {"id": "in", "type": "http in", "z": "t1", "url": "/c", "method": "get", "wires": [["set"]]},
        {"id": "set", "type": "change", "z": "t1", "rules": [
            {"t": "set", "p": "#:(file)::saved", "pt": "flow", "to": "kept", "tot": "str"},
            {"t": "set", "p": "plain", "pt": "flow", "to": "mem", "tot": "str"},
            {"t": "set", "p": "payload", "pt": "msg", "to": "#:(file)::saved", "tot": "flow"}
        ], "wires": [["out"]]},
        {"id": "out", "type": "http response", "z": "t1", "wires": []}
    ])
    .to_string();
    let store = tempfile::tempdir().unwrap();
    let spec = file_store(store.path());
    let server = common::Server::start_with(
        &flow,
        &["--context", "default=memory", "--context", &spec],
        &[],
    );
    let res = common::client().get(server.url("/c")).send().unwrap();
    assert_eq!(res.text().unwrap(), "kept");
    assert_eq!(
        get_json(&server, "/context/flow/t1"),
        json!({
            "default": {"plain": {"msg": "mem", "format": "string[3]"}},
            "file": {"saved": {"msg": "kept", "format": "string[4]"}}
        })
    );
    assert_eq!(
        get_json(&server, "/context/flow/t1/saved?store=file"),
        json!({"msg": "kept", "format": "string[4]", "store": "file"})
    );
    assert_eq!(
        get_json(&server, "/settings")["context"],
        json!({"default": "default", "stores": ["default", "file"]})
    );
}

/// A template's `{{flow[store].key}}` and JSONata's
/// `$flowContext(key, store)` read the named store.
#[test]
fn template_and_jsonata_read_named_stores() {
    let flow = json!([
        {"id": "t1", "type": "tab", "label": "Flow 1"},
        {"id": "in", "type": "http in", "z": "t1", "url": "/t", "method": "get", "wires": [["set"]]},
        {"id": "set", "type": "change", "z": "t1", "rules": [
            {"t": "set", "p": "#:(file)::k", "pt": "flow", "to": "in-file", "tot": "str"},
            {"t": "set", "p": "k", "pt": "flow", "to": "in-memory", "tot": "str"}
        ], "wires": [["tpl"]]},
        {"id": "tpl", "type": "template", "z": "t1", "field": "payload", "fieldType": "msg",
         "format": "text", "syntax": "mustache", "template": "{{flow[file].k}}|{{flow.k}}",
         "output": "str", "wires": [["jn"]]},
        {"id": "jn", "type": "change", "z": "t1", "rules": [
            {"t": "set", "p": "payload", "pt": "msg",
             "to": "payload & \"|\" & $flowContext(\"k\", \"file\")", "tot": "jsonata"}
        ], "wires": [["out"]]},
        {"id": "out", "type": "http response", "z": "t1", "wires": []}
    ])
    .to_string();
    let store = tempfile::tempdir().unwrap();
    let spec = file_store(store.path());
    let server = common::Server::start_with(
        &flow,
        &["--context", "default=memory", "--context", &spec],
        &[],
    );
    let res = common::client().get(server.url("/t")).send().unwrap();
    assert_eq!(
        res.text().unwrap(),
        "in-file|in-memory|in-file",
        "{}",
        server.logs()
    );
}

/// The endpoints sit behind the admin API's authentication.
#[test]
fn context_endpoints_need_the_admin_token() {
    let server = common::Server::start_with(
        &function_flow("/x", "return msg;"),
        &[],
        &[("FLOWGATE_ADMIN_TOKEN", "s3cret-token-for-context")],
    );
    let client = common::client();
    let res = client.get(server.url("/context/global")).send().unwrap();
    assert_eq!(res.status(), 401);
    let res = client
        .delete(server.url("/context/global/k"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = client
        .get(server.url("/context/global"))
        .bearer_auth("s3cret-token-for-context")
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap(), json!({"memory": {}}));
}

/// A store that cannot be opened stops the start with the reason.
#[test]
fn unreachable_redis_store_stops_the_start() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let flows = dir.path().join("flows.json");
    std::fs::write(&flows, "[]").unwrap();
    let (code, _out, err) = common::run_cli(&[
        "run",
        flows.to_str().unwrap(),
        "--port",
        "0",
        "--context",
        &format!("shared=redis://127.0.0.1:{port}/0"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("context store 'shared'"), "{err}");
}
