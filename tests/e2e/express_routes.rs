//! `http in` urls in Express 4's route syntax, beyond what the recorded
//! `routes` fixture set replays: the request errors and load errors Express
//! and Node-RED's loader define.

use crate::common::{client, run_cli, Server};

/// A flow whose `http in` at `url` answers with its request's params.
fn params_flow(url: &str) -> String {
    format!(
        r#"[{{"id":"i","type":"http in","z":"t","url":"{url}","method":"get","x":1,"y":1,"wires":[["f"]]}},
            {{"id":"f","type":"change","z":"t","rules":[{{"t":"set","p":"payload","pt":"msg","to":"req.params","tot":"msg"}}],"x":2,"y":1,"wires":[["o"]]}},
            {{"id":"o","type":"http response","z":"t","x":3,"y":1,"wires":[]}}]"#
    )
}

#[test]
fn a_parameter_that_does_not_decode_is_a_400() {
    let s = Server::start(&params_flow("/item/:id"));
    let r = client().get(s.url("/item/%E0%A4")).send().unwrap();
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .unwrap()
        .contains("Failed to decode param '%E0%A4'"));
    let r = client().get(s.url("/item/%C3%A9")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), r#"{"id":"é"}"#);
}

#[test]
fn an_invalid_route_pattern_is_a_load_error_naming_node_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flows.json");
    std::fs::write(&path, params_flow("/item/:id([)")).unwrap();
    let (code, _, err) = run_cli(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("node i (http in) field `url`: url \"/item/:id([)\" is not a valid route"),
        "{err}"
    );
}

#[test]
fn overlapping_routes_load_and_the_first_registered_answers() {
    let flow = r#"[
      {"id":"a","type":"http in","z":"t","url":"/doc/:name","method":"get","x":1,"y":1,"wires":[["ra"]]},
      {"id":"ra","type":"http response","z":"t","statusCode":"201","x":2,"y":1,"wires":[]},
      {"id":"b","type":"http in","z":"t","url":"/doc/*","method":"get","x":1,"y":2,"wires":[["rb"]]},
      {"id":"rb","type":"http response","z":"t","statusCode":"202","x":2,"y":2,"wires":[]}
    ]"#;
    let s = Server::start(flow);
    let r = client().get(s.url("/doc/one")).send().unwrap();
    assert_eq!(r.status(), 201);
    let r = client().get(s.url("/doc/one/two")).send().unwrap();
    assert_eq!(r.status(), 202);
}
