//! The storage nodes as the binary runs them: `--file-root` confines every
//! path `file`, `file in` and `watch` touch (after `..` and symbolic links)
//! and a path outside is an error a `catch` node receives; `--max-file-bytes`
//! bounds what `file in` reads; encodings flowgate lacks are load errors;
//! `watch` reports changes in a directory. (What the nodes answer is
//! replayed from Node-RED in the `storage` fixture set.)

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common;

/// `POST /write` writes the body to the path `?f=` names (relative to
/// nothing: the test passes absolute paths); `POST /read` reads it. Errors
/// answer 500 with the error's message.
const FILE_FLOW: &str = r#"[
 {"id": "t", "type": "tab", "label": "files"},
 {"id": "win", "type": "http in", "z": "t", "url": "/write", "method": "post", "wires": [["name"]]},
 {"id": "rin", "type": "http in", "z": "t", "url": "/read", "method": "post", "wires": [["rname"]]},
 {"id": "name", "type": "function", "z": "t", "func": "msg.filename = msg.req.query.f; return msg;", "outputs": 1, "wires": [["w"]]},
 {"id": "rname", "type": "function", "z": "t", "func": "msg.filename = msg.req.query.f; return msg;", "outputs": 1, "wires": [["r"]]},
 {"id": "w", "type": "file", "z": "t", "filename": "filename", "filenameType": "msg", "appendNewline": false, "createDir": true, "overwriteFile": "true", "encoding": "none", "wires": [["ok"]]},
 {"id": "r", "type": "file in", "z": "t", "filename": "filename", "filenameType": "msg", "format": "utf8", "sendError": false, "encoding": "none", "allProps": false, "wires": [["ok"]]},
 {"id": "ok", "type": "http response", "z": "t", "statusCode": "", "headers": {}, "wires": []},
 {"id": "c", "type": "catch", "z": "t", "scope": null, "uncaught": false, "wires": [["why"]]},
 {"id": "why", "type": "function", "z": "t", "func": "msg.payload = msg.error.message; msg.statusCode = 500; return msg;", "outputs": 1, "wires": [["ok"]]}
]"#;

fn post(server: &common::Server, path: &str, file: &Path, body: &str) -> (u16, String) {
    let res = common::client()
        .post(server.url(path))
        .query(&[("f", file.to_str().unwrap())])
        .header("content-type", "text/plain")
        .body(body.to_owned())
        .send()
        .unwrap();
    (res.status().as_u16(), res.text().unwrap())
}

/// A root directory and a directory beside it (outside the root).
fn dirs() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let top = tempfile::tempdir().unwrap();
    let root = top.path().join("root");
    let outside = top.path().join("outside");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    (top, root, outside)
}

#[test]
fn file_root_lets_the_nodes_write_and_read_inside_it() {
    let (_top, root, _) = dirs();
    let server =
        common::Server::start_with(FILE_FLOW, &["--file-root", root.to_str().unwrap()], &[]);
    let file = root.join("sub/a.txt");
    assert_eq!(
        post(&server, "/write", &file, "hello"),
        (200, "hello".into())
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "hello");
    assert_eq!(post(&server, "/read", &file, ""), (200, "hello".into()));
}

#[test]
fn file_root_refuses_a_path_outside_it_as_a_catchable_error() {
    let (_top, root, outside) = dirs();
    let server =
        common::Server::start_with(FILE_FLOW, &["--file-root", root.to_str().unwrap()], &[]);
    let escape = root.join("../outside/x.txt");
    let (status, body) = post(&server, "/write", &escape, "no");
    assert_eq!(status, 500, "{body}");
    assert!(
        body.contains(escape.to_str().unwrap()) && body.contains("--file-root"),
        "{body}"
    );
    assert!(!outside.join("x.txt").exists());
    std::fs::write(outside.join("secret.txt"), "secret").unwrap();
    let (status, body) = post(&server, "/read", &outside.join("secret.txt"), "");
    assert_eq!(status, 500, "{body}");
    assert!(!body.contains("secret\""), "{body}");
}

#[test]
fn file_root_follows_symbolic_links_out_of_it() {
    let (_top, root, outside) = dirs();
    std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
    std::fs::write(outside.join("secret.txt"), "secret").unwrap();
    let server =
        common::Server::start_with(FILE_FLOW, &["--file-root", root.to_str().unwrap()], &[]);
    let (status, body) = post(&server, "/read", &root.join("link/secret.txt"), "");
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("outside the file root"), "{body}");
    let (status, body) = post(&server, "/write", &root.join("link/new.txt"), "x");
    assert_eq!(status, 500, "{body}");
    assert!(!outside.join("new.txt").exists());
}

#[test]
fn file_in_refuses_a_file_larger_than_max_file_bytes() {
    let (_top, root, _) = dirs();
    let file = root.join("big.txt");
    std::fs::write(&file, "0123456789A").unwrap();
    let server = common::Server::start_with(FILE_FLOW, &["--max-file-bytes", "10"], &[]);
    let (status, body) = post(&server, "/read", &file, "");
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("--max-file-bytes"), "{body}");
    std::fs::write(&file, "0123456789").unwrap();
    assert_eq!(
        post(&server, "/read", &file, ""),
        (200, "0123456789".into())
    );
}

#[test]
fn an_encoding_flowgate_lacks_is_a_load_error_naming_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    let flow = FILE_FLOW.replace(
        r#""format": "utf8", "sendError": false, "encoding": "none""#,
        r#""format": "utf8", "sendError": false, "encoding": "cp437""#,
    );
    std::fs::write(&path, flow).unwrap();
    let (code, out, err) = common::run_cli(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 1, "stdout: {out}\nstderr: {err}");
    assert!(
        err.contains("node r (file in) field `encoding`") && err.contains("cp437"),
        "{err}"
    );
}

#[test]
fn a_file_root_that_is_not_a_directory_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, FILE_FLOW).unwrap();
    let missing = dir.path().join("no-such-dir");
    let (code, out, err) = common::run_cli(&[
        "check",
        path.to_str().unwrap(),
        "--file-root",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "stdout: {out}\nstderr: {err}");
    assert!(
        err.contains("--file-root") && err.contains("not a directory"),
        "{err}"
    );
}

/// `watch` on `DIR` stores every message it sends (and every error a
/// `catch` receives) in a global list that `GET /events` answers.
fn watch_flow(dir: &Path, recursive: bool) -> String {
    json!([
        {"id": "t", "type": "tab", "label": "watch"},
        {"id": "w", "type": "watch", "z": "t", "files": dir.to_str().unwrap(), "recursive": recursive, "wires": [["keep"]]},
        {"id": "c", "type": "catch", "z": "t", "scope": ["w"], "uncaught": false, "wires": [["keep"]]},
        {"id": "keep", "type": "function", "z": "t", "outputs": 1, "wires": [[]],
         "func": "const l = global.get('events') || []; l.push(msg.error ? {error: msg.error.message} : {payload: msg.payload, topic: msg.topic, file: msg.file, filename: msg.filename, event: msg.event, type: msg.type, size: msg.size}); global.set('events', l); return null;"},
        {"id": "in", "type": "http in", "z": "t", "url": "/events", "method": "get", "wires": [["list"]]},
        {"id": "list", "type": "function", "z": "t", "outputs": 1, "wires": [["out"]], "func": "msg.payload = global.get('events') || []; return msg;"},
        {"id": "out", "type": "http response", "z": "t", "statusCode": "", "headers": {}, "wires": []}
    ])
    .to_string()
}

/// Poll `GET /events` until one matches `want` (at most 10 s).
fn wait_for_event(server: &common::Server, want: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let events: Value = common::client()
            .get(server.url("/events"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        if let Some(e) = events.as_array().unwrap().iter().find(|e| want(e)) {
            return e.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no such event in {events}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every event `GET /events` holds after a change has settled.
fn events(server: &common::Server) -> Vec<Value> {
    let events: Value = common::client()
        .get(server.url("/events"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    events.as_array().unwrap().clone()
}

/// The message `watch` sends for `path` in `dir`.
fn change(dir: &Path, name: &str, event: &str, kind: &str, size: Option<u64>) -> Value {
    let path = dir.join(name).display().to_string();
    let mut e = json!({"payload": path, "topic": dir.to_str().unwrap(), "file": name, "filename": path, "event": event, "type": kind});
    if let Some(n) = size {
        e["size"] = json!(n);
    }
    e
}

/// The same steps, a moment apart, give the messages Node-RED 5.0.7 sent
/// (observed by hand: create, append, make a directory, rename, delete, and
/// a file in the sub-directory, which a watch that is not recursive misses).
#[test]
fn watch_reports_changes_in_a_directory_as_node_red_does() {
    let (_top, dir, _) = dirs();
    let server = common::Server::start_with(&watch_flow(&dir, false), &[], &[]);
    // The watcher starts with the flows; give it a moment to be in place.
    std::thread::sleep(Duration::from_millis(300));
    let settle = || std::thread::sleep(Duration::from_millis(600));
    std::fs::write(dir.join("new.txt"), "12345\n").unwrap();
    settle();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("new.txt"))
        .unwrap();
    std::io::Write::write_all(&mut f, b"more\n").unwrap();
    drop(f);
    settle();
    std::fs::create_dir(dir.join("sub")).unwrap();
    settle();
    std::fs::rename(dir.join("new.txt"), dir.join("moved.txt")).unwrap();
    settle();
    std::fs::remove_file(dir.join("moved.txt")).unwrap();
    settle();
    std::fs::write(dir.join("sub/inner.txt"), "x").unwrap();
    settle();
    let want = vec![
        change(&dir, "new.txt", "update", "file", Some(6)),
        change(&dir, "new.txt", "update", "file", Some(11)),
        change(&dir, "sub", "update", "directory", None),
        change(&dir, "new.txt", "remove", "none", None),
        change(&dir, "moved.txt", "update", "file", Some(11)),
        change(&dir, "moved.txt", "remove", "none", None),
    ];
    assert_eq!(events(&server), want);
}

/// A watched file is followed through its directory, as Node-RED's
/// `node-watch` does: a sibling is not reported, a file renamed over it is
/// (answers observed from Node-RED 5.0.7 by hand).
#[test]
fn watch_follows_one_file_and_its_replacement_as_node_red_does() {
    let (_top, dir, _) = dirs();
    let file = dir.join("f.txt");
    std::fs::write(&file, "a\n").unwrap();
    let server = common::Server::start_with(&watch_flow(&file, false), &[], &[]);
    std::thread::sleep(Duration::from_millis(300));
    let settle = || std::thread::sleep(Duration::from_millis(600));
    std::fs::write(dir.join("sibling.txt"), "s\n").unwrap();
    settle();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    std::io::Write::write_all(&mut f, b"bb\n").unwrap();
    drop(f);
    settle();
    std::fs::write(dir.join("tmp.txt"), "new\n").unwrap();
    std::fs::rename(dir.join("tmp.txt"), &file).unwrap();
    settle();
    std::fs::remove_file(&file).unwrap();
    settle();
    let at = |e: Value| {
        let mut e = e;
        e["topic"] = json!(file.to_str().unwrap());
        e
    };
    let want = vec![
        at(change(&dir, "f.txt", "update", "file", Some(5))),
        at(change(&dir, "f.txt", "update", "file", Some(4))),
        at(change(&dir, "f.txt", "remove", "none", None)),
    ];
    assert_eq!(events(&server), want);
}

#[test]
fn a_recursive_watch_reports_files_in_sub_directories() {
    let (_top, dir, _) = dirs();
    std::fs::create_dir(dir.join("sub")).unwrap();
    let server = common::Server::start_with(&watch_flow(&dir, true), &[], &[]);
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(dir.join("sub/inner.txt"), "x").unwrap();
    let e = wait_for_event(&server, |e| e["file"] == "inner.txt");
    assert_eq!(
        e,
        change(&dir.join("sub"), "inner.txt", "update", "file", Some(1))
            .as_object()
            .map(|m| {
                let mut m = m.clone();
                m.insert("topic".into(), json!(dir.to_str().unwrap()));
                Value::Object(m)
            })
            .unwrap()
    );
}

#[test]
fn watch_outside_the_file_root_is_a_catchable_error() {
    let (_top, root, outside) = dirs();
    let server = common::Server::start_with(
        &watch_flow(&outside, false),
        &["--file-root", root.to_str().unwrap()],
        &[],
    );
    let e = wait_for_event(&server, |e| e.get("error").is_some());
    let text = e["error"].as_str().unwrap();
    assert!(
        text.contains(outside.to_str().unwrap()) && text.contains("--file-root"),
        "{text}"
    );
    std::fs::write(outside.join("x.txt"), "x").unwrap();
    std::thread::sleep(Duration::from_millis(600));
    let events: Value = common::client()
        .get(server.url("/events"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(events.as_array().unwrap().len(), 1, "{events}");
}
