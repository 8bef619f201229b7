//! A deploy interrupted by SIGKILL at any moment leaves the flows and
//! credentials files either old or new, never truncated, and the runtime
//! starts again from a matching pair (`tests/e2e/deploy_files.rs` covers each
//! point of the save in turn).

use std::time::Duration;

use crate::common::{client, Server};
use serde_json::{json, Value};

fn flow_a() -> Value {
    json!([
        {"id":"i","type":"http in","z":"t","url":"/v","method":"get","x":1,"y":1,"wires":[["o"]]},
        {"id":"o","type":"http response","z":"t","statusCode":"201","x":2,"y":1,"wires":[]}
    ])
}

fn flow_b() -> Value {
    json!([
        {"id":"i","type":"http in","z":"t","url":"/v","method":"get","x":1,"y":1,"wires":[["o"]]},
        {"id":"o","type":"http response","z":"t","statusCode":"202","x":2,"y":1,"wires":[]},
        {"id":"r","type":"http request","z":"t","method":"GET","ret":"txt","url":"http://127.0.0.1:9/",
         "authType":"basic","x":3,"y":1,"wires":[[]],
         "credentials":{"user":"crash-user","password":"crash-password-secret"}}
    ])
}

fn without_credentials(v: &Value) -> Value {
    let mut v = v.clone();
    for n in v.as_array_mut().unwrap() {
        n.as_object_mut().unwrap().shift_remove("credentials");
    }
    v
}

#[test]
fn sigkill_during_deploys_never_corrupts_files() {
    let _turn = crate::exclusive();
    let a = flow_a();
    let b_persisted = without_credentials(&flow_b());
    let mut seen_new = 0;
    // Deterministic spread of kill moments: 0..110 ms after the deploy
    // starts, past the 40-60 ms a debug build's deploy (five fsynced files and
    // the directory syncs) takes on a loaded machine.
    for round in 0..12u64 {
        let dir = tempfile::tempdir().unwrap();
        let flows_path = dir.path().join("flows.json");
        std::fs::write(&flows_path, serde_json::to_string(&a).unwrap()).unwrap();
        let mut s = Server::start_in(dir, flows_path.clone(), &[], &[]);
        let url = s.url("/flows");
        let body = flow_b().to_string();
        let deploy = std::thread::spawn(move || {
            let _ = client()
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send();
        });
        std::thread::sleep(Duration::from_micros(round * 10_000));
        s.child.kill().unwrap();
        s.child.wait().unwrap();
        let _ = deploy.join();

        let text = std::fs::read_to_string(&flows_path).unwrap();
        let on_disk: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("round {round}: flows file corrupt ({e}): {text:?}"));
        let on_disk = match on_disk {
            Value::Object(mut o) => o.shift_remove("flows").unwrap(),
            v => v,
        };
        assert!(
            on_disk == a || on_disk == b_persisted,
            "round {round}: flows file is neither old nor new: {on_disk}"
        );
        let cred_path = s.dir.path().join("flows_cred.json");
        if on_disk == b_persisted {
            seen_new += 1;
            let creds: Value =
                serde_json::from_str(&std::fs::read_to_string(&cred_path).unwrap()).unwrap();
            assert_eq!(creds["r"]["password"], "crash-password-secret");
        } else if cred_path.exists() {
            let _: Value = serde_json::from_str(&std::fs::read_to_string(&cred_path).unwrap())
                .unwrap_or_else(|e| panic!("round {round}: credentials corrupt: {e}"));
        }
        assert!(!text.contains("crash-password-secret"));

        // The runtime starts from what is on disk (finishing a save the kill
        // interrupted after its journal was written) and serves the matching
        // flow.
        let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().unwrap());
        let restarted = Server::start_in(dir, flows_path.clone(), &[], &[]);
        let started_from: Value =
            serde_json::from_str(&std::fs::read_to_string(&flows_path).unwrap()).unwrap();
        assert!(
            started_from == a || started_from == b_persisted,
            "round {round}"
        );
        let status = client().get(restarted.url("/v")).send().unwrap().status();
        let expected = if started_from == a { 201 } else { 202 };
        assert_eq!(status, expected, "round {round}");
    }
    // Some kills landed after the deploy completed, so both outcomes occurred.
    assert!(
        seen_new > 0,
        "no round saw the new version; kills all too early"
    );
}
