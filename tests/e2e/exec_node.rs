//! The `exec` node is off unless the runtime is started with `--allow-exec`:
//! a flow with one is refused, naming the node and the flag; with the flag
//! it runs. (What it answers is replayed from Node-RED in the `exec`
//! fixture set.)

use crate::common;

const FLOW: &str = r#"[
 {"id": "t", "type": "tab", "label": "exec"},
 {"id": "in", "type": "http in", "z": "t", "url": "/run", "method": "get", "wires": [["x"]]},
 {"id": "x", "type": "exec", "z": "t", "name": "lister", "command": "echo", "addpay": "", "append": "ran", "useSpawn": "false", "timer": "", "oldrc": false, "wires": [["out"], [], []]},
 {"id": "out", "type": "http response", "z": "t", "wires": []}
]"#;

fn check(args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, FLOW).unwrap();
    let mut all = vec!["check", path.to_str().unwrap()];
    all.extend_from_slice(args);
    common::run_cli(&all)
}

#[test]
fn a_flow_with_exec_is_refused_without_the_flag() {
    let (code, out, err) = check(&[]);
    assert_eq!(code, 1, "stdout: {out}\nstderr: {err}");
    assert!(err.contains("x") && err.contains("--allow-exec"), "{err}");
}

#[test]
fn with_the_flag_the_flow_loads_and_the_command_runs() {
    let (code, out, err) = check(&["--allow-exec"]);
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    let server = common::Server::start_with(FLOW, &["--allow-exec"], &[]);
    let res = common::client().get(server.url("/run")).send().unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().unwrap(), "ran\n");
}
