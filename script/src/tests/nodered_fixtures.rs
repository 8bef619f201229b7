//! Every case of `tests/fixtures/function/constructs.json` against what real
//! Node-RED's function node produced for it (recorded by
//! `record_nodered.py`): same messages on the same outputs, in order, and
//! the same error message and message for thrown errors. Messages and errors
//! from timers (`setTimeout`/`setInterval`) follow those of the run.

use serde_json::{json, Value};

use crate::convert::Mode;
use crate::testing::node_with_id;

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/function/constructs.json"
    );
    let text = std::fs::read_to_string(path).expect("fixture file");
    serde_json::from_str::<Vec<Value>>(&text).expect("fixture JSON")
}

/// Node-RED's catch message, as flowgate's engine builds it from a node error.
fn expected_error(recorded: &Value) -> (String, Value) {
    let mut msg = recorded.as_object().expect("object").clone();
    let error = msg.shift_remove("error").expect("error");
    // The engine adds `error` itself; `_error` is what the node left on the message.
    if let Some(prev) = msg.shift_remove("_error") {
        msg.insert("error".into(), prev);
    }
    (
        error["message"].as_str().expect("message").to_owned(),
        Value::Object(msg),
    )
}

#[test]
fn constructs_match_node_red() {
    // Timers need a runtime to run on.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let _rt = rt.enter();
    let mut failures = Vec::new();
    for (i, case) in cases().iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let func = case["func"].as_str().unwrap();
        let outputs = case["outputs"].as_u64().unwrap() as usize;
        let h = match node_with_id(&format!("case{i}"), Mode::Js, func, outputs) {
            Ok(h) => h,
            Err(e) => {
                failures.push(format!("{name}: load error {e}"));
                continue;
            }
        };
        let timer_rx = super::timers::attach(&h);
        let (mut sends, result) = h.run_full(case["msg"].clone());
        let recorded = case["nodered"]
            .as_array()
            .expect("recorded by record_nodered.py");
        // What timers deliver later, until Node-RED's count is reached.
        let mut later_errors = Vec::new();
        let mut delivered = sends.len() + usize::from(result.is_err());
        while delivered < recorded.len() {
            match timer_rx.recv_timeout(std::time::Duration::from_secs(5)) {
                Ok(super::timers::Delivery::Send(port, body, _)) => sends.push((port, body)),
                Ok(super::timers::Delivery::Error(m, body)) => later_errors.push((m, body)),
                Err(_) => break,
            }
            delivered += 1;
        }
        h.node.stop();
        let mut want_sends = Vec::new();
        let mut want_error = None;
        let mut want_later_errors = Vec::new();
        for r in recorded {
            if r[0] == json!("error") {
                // A run's own error comes first; any other came from a timer.
                if want_error.is_none() && result.is_err() {
                    want_error = Some(expected_error(&r[1]));
                } else {
                    want_later_errors.push(expected_error(&r[1]));
                }
            } else {
                want_sends.push((r[0].as_u64().unwrap() as usize, r[1].clone()));
            }
        }
        // Compare serialized, so key order counts too.
        let got: Vec<String> = sends
            .iter()
            .map(|(p, m)| format!("{p}:{}", serde_json::to_string(m).unwrap()))
            .collect();
        let want: Vec<String> = want_sends
            .iter()
            .map(|(p, m)| format!("{p}:{}", serde_json::to_string(m).unwrap()))
            .collect();
        if got != want {
            failures.push(format!(
                "{name}: sends differ\n   got:  {got:?}\n   want: {want:?}"
            ));
        }
        match (result, want_error) {
            (Ok(()), None) => {}
            (Err((m, body)), Some((wm, wbody))) => {
                if m != wm || body != wbody {
                    failures.push(format!(
                        "{name}: error differs\n   got:  {m} {body}\n   want: {wm} {wbody}"
                    ));
                }
            }
            (got, want) => failures.push(format!(
                "{name}: result differs\n   got:  {got:?}\n   want: {want:?}"
            )),
        }
        if later_errors != want_later_errors {
            failures.push(format!(
                "{name}: timer errors differ\n   got:  {later_errors:?}\n   want: {want_later_errors:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ from Node-RED:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
