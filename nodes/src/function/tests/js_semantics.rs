use serde_json::json;

use crate::function::testing::js;

#[test]
fn ignite_bodies() {
    let out = js(
        "msg.payload = {\n    \"access_token\" : msg.payload\n}\nreturn msg;",
        json!({"payload": "tok"}),
    );
    assert_eq!(out, json!({"payload": {"access_token": "tok"}}));
    let out = js(
        "msg.payload = {\n    \"name\" : \"CYber Group Inc.\",\n    \"Domain\" : \"Information Technology & Services\",\n    \"Offices\" : {\n        \"Dallas\" :  \"12900 Preston Road, Ste 900, Dallas, TX, 75230\",\n        \"India\" : \"30/1 Knowledge Park III, Greater Noida\"\n    }\n}\nreturn msg;",
        json!({"payload": {}}),
    );
    assert_eq!(
        serde_json::to_string(&out["payload"]).unwrap(),
        r#"{"name":"CYber Group Inc.","Domain":"Information Technology & Services","Offices":{"Dallas":"12900 Preston Road, Ste 900, Dallas, TX, 75230","India":"30/1 Knowledge Park III, Greater Noida"}}"#
    );
}

#[test]
fn deep_recursion_fails_cleanly_on_a_small_stack() {
    // Runs on a 2 MiB thread like a tokio worker: recursion stops at the
    // call-depth limit with V8's RangeError, never overflows the stack.
    let t = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let h = crate::function::testing::node(
                crate::function::convert::Mode::Js,
                "function down(n) { return n === 0 ? 0 : 1 + down(n - 1); }\nmsg.payload = down(10);\nmsg.deep = down(100000);\nreturn msg;",
                1,
            )
            .unwrap();
            h.run(json!({"payload": 0}))
        })
        .unwrap();
    let (sends, r) = t.join().expect("no stack overflow");
    assert!(sends.is_empty());
    assert_eq!(r.unwrap_err(), "RangeError: Maximum call stack size exceeded");
}
